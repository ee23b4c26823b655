package io.capstan.controllers.daemonset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.DaemonSet;
import io.capstan.api.DaemonSetUpdateStrategy;
import io.capstan.api.Node;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodStatus;
import io.capstan.api.RollingUpdateDaemonSet;
import io.capstan.api.Toleration;
import io.capstan.logschema.taints.TaintKeys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The daemon controller's pure steps: placement, manage, the rolling update's budgets, status. */
class DaemonSetPlannerTest {
  private static final Instant NOW = Instant.parse("2026-12-05T22:00:00Z");
  private static final DaemonPods.Placement RUN = new DaemonPods.Placement(true, true);

  private static DaemonSet ds(Object maxUnavailable, Object maxSurge) {
    DaemonSet d = DaemonSetControllerKafkaTest.daemonSet("d", s -> s.setUpdateStrategy(DaemonSetUpdateStrategy
        .newBuilder().setType("RollingUpdate").setRollingUpdate(RollingUpdateDaemonSet.newBuilder()
            .setMaxUnavailable(maxUnavailable).setMaxSurge(maxSurge).build()).build()));
    d.getMetadata().setUid("uid-d");
    d.getMetadata().setGeneration(3L);
    return d;
  }

  private static int seq;

  private static Pod pod(String node, String hash, boolean ready) {
    Pod p = DaemonPods.podFor(ds(1, 0), node, hash);
    p.getMetadata().setName("d-" + (seq++));
    p.getMetadata().setCreationTimestamp(NOW.minusSeconds(1000 - seq).toString());
    p.setStatus(PodStatus.newBuilder().setPhase("Running").setConditions(List.of(PodCondition.newBuilder()
        .setType("Ready").setStatus(ready ? "True" : "False").setLastTransitionTime(NOW.minusSeconds(60).toString())
        .build())).build());
    return p;
  }

  /** n nodes, each with one ready pod of {@code hash}. */
  private static Map<String, List<Pod>> fleet(int n, String hash) {
    Map<String, List<Pod>> out = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      out.put("n" + i, new ArrayList<>(List.of(pod("n" + i, hash, true))));
    }
    return out;
  }

  private static Map<String, DaemonPods.Placement> all(int n) {
    Map<String, DaemonPods.Placement> out = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      out.put("n" + i, RUN);
    }
    return out;
  }

  @Test
  void maxUnavailableBoundsHowManyOldPodsGoAtOnceAndUnavailableOnesAlwaysMayGo() {
    Map<String, List<Pod>> pods = fleet(10, "old");
    DaemonSetPlanner.Plan plan = DaemonSetPlanner.rollingUpdate(ds("20%", 0), "new", all(10), pods, NOW);
    assertEquals(2, plan.podsToDelete().size(), "20% of 10 nodes");
    assertTrue(plan.nodesToCreate().isEmpty());
    // one node already updating (new pod not ready) and one old pod not ready: 1 budget left + the unready old one
    pods.get("n0").set(0, pod("n0", "new", false));
    pods.get("n1").set(0, pod("n1", "old", false));
    plan = DaemonSetPlanner.rollingUpdate(ds(2, 0), "new", all(10), pods, NOW);
    assertEquals(2, plan.podsToDelete().size(), plan.toString());
    assertTrue(plan.podsToDelete().contains(pods.get("n1").get(0)));
    // a node with no pod at all counts as unavailable
    pods.remove("n2");
    plan = DaemonSetPlanner.rollingUpdate(ds(2, 0), "new", all(10), pods, NOW);
    assertEquals(List.of(pods.get("n1").get(0)), plan.podsToDelete());
    assertEquals(new DaemonSetPlanner.Budget(0, 1), DaemonSetPlanner.budget(ds(0, 0), 5), "never stuck at 0 and 0");
    assertEquals(new DaemonSetPlanner.Budget(0, 1), DaemonSetPlanner.budget(ds("1%", 0), 5), "percentages round up");
  }

  @Test
  void withSurgeNewPodsStartNextToOldOnesAndOldOnesGoOnceTheNewAreAvailable() {
    Map<String, List<Pod>> pods = fleet(4, "old");
    DaemonSet d = ds(0, 2);
    DaemonSetPlanner.Plan plan = DaemonSetPlanner.rollingUpdate(d, "new", all(4), pods, NOW);
    assertEquals(List.of("n0", "n1"), plan.nodesToCreate());
    assertTrue(plan.podsToDelete().isEmpty());
    Pod oldN0 = pods.get("n0").get(0);
    pods.get("n0").add(pod("n0", "new", true));
    pods.get("n1").add(pod("n1", "new", false));
    plan = DaemonSetPlanner.rollingUpdate(d, "new", all(4), pods, NOW);
    assertEquals(List.of(oldN0), plan.podsToDelete(), "n0's new pod is available: its old one goes");
    assertEquals(List.of("n2"), plan.nodesToCreate(), "one surge slot is taken by n1 still starting");
    // manage keeps both pods of a surging node until the new one is available
    DaemonSetPlanner.Plan manage = DaemonSetPlanner.manage(d, "new", all(4), pods, n -> true, NOW);
    assertEquals(List.of(oldN0), manage.podsToDelete());
    assertTrue(manage.nodesToCreate().isEmpty());
  }

  @Test
  void manageCreatesWhereMissingDeletesDuplicatesFailedAndMisplacedPods() {
    Map<String, List<Pod>> pods = fleet(3, "h");
    Pod dup = pod("n1", "h", true);
    pods.get("n1").add(dup);
    Pod failed = pod("n2", "h", false);
    failed.getStatus().setPhase("Failed");
    pods.get("n2").set(0, failed);
    Pod orphanedAim = pod("gone", "h", false);
    pods.put("gone", List.of(orphanedAim));
    Map<String, DaemonPods.Placement> placements = all(3);
    placements.put("n3", RUN);
    placements.put("n0", new DaemonPods.Placement(false, false));
    DaemonSetPlanner.Plan plan = DaemonSetPlanner.manage(ds(1, 0), "h", placements, pods, n -> true, NOW);
    assertEquals(List.of("n3"), plan.nodesToCreate());
    assertEquals(List.of(pods.get("n0").get(0), dup, failed, orphanedAim), plan.podsToDelete());
    // a failed pod waiting out its backoff stays
    plan = DaemonSetPlanner.manage(ds(1, 0), "h", placements, pods, n -> false, NOW);
    assertFalse(plan.podsToDelete().contains(failed));

    var status = DaemonSetStatuses.calculate(ds(1, 0), "h", placements, pods, null, NOW);
    assertEquals(3, status.getDesiredNumberScheduled()); // n1, n2, n3
    assertEquals(2, status.getCurrentNumberScheduled());
    assertEquals(1, status.getNumberReady(), "n1's oldest pod; n2's failed one is not ready");
    assertEquals(1, status.getNumberMisscheduled());
    assertEquals(2, status.getUpdatedNumberScheduled());
    assertEquals(2, status.getNumberUnavailable());
    assertEquals(3L, status.getObservedGeneration());
  }

  @Test
  void placementFollowsSelectorsAffinityAndTaintsWithTheDaemonTolerations() {
    DaemonSet d = ds(1, 0);
    d.getSpec().getTemplate().getSpec().setNodeSelector(Map.of("disk", "ssd"));
    Node ssd = DaemonSetControllerKafkaTest.node("a", Map.of("disk", "ssd"));
    assertEquals(RUN, DaemonPods.placement(ssd, d));
    assertEquals(new DaemonPods.Placement(false, false),
        DaemonPods.placement(DaemonSetControllerKafkaTest.node("b", Map.of("disk", "hdd")), d));
    Node memory = DaemonSetControllerKafkaTest.node("c", Map.of("disk", "ssd"),
        DaemonSetControllerKafkaTest.taint(TaintKeys.MEMORY_PRESSURE, null, "NoSchedule"),
        DaemonSetControllerKafkaTest.taint(TaintKeys.NOT_READY, null, "NoExecute"));
    assertEquals(RUN, DaemonPods.placement(memory, d));
    Node notReady = DaemonSetControllerKafkaTest.node("e", Map.of("disk", "ssd"),
        DaemonSetControllerKafkaTest.taint(TaintKeys.NOT_READY, null, "NoSchedule"));
    assertEquals(new DaemonPods.Placement(false, true), DaemonPods.placement(notReady, d),
        "a not-ready node gets no new daemon pod but keeps its running one");
    Node nonet = DaemonSetControllerKafkaTest.node("f", Map.of("disk", "ssd"),
        DaemonSetControllerKafkaTest.taint(TaintKeys.NETWORK_UNAVAILABLE, null, "NoSchedule"));
    assertFalse(DaemonPods.placement(nonet, d).shouldRun());
    d.getSpec().getTemplate().getSpec().setHostNetwork(true);
    assertTrue(DaemonPods.placement(nonet, d).shouldRun());
    // a template toleration with a time limit for not-ready is replaced by the daemon one, without
    d.getSpec().getTemplate().getSpec().setTolerations(new ArrayList<>(List.of(Toleration.newBuilder()
        .setKey(TaintKeys.NOT_READY).setOperator("Exists").setEffect("NoExecute").setTolerationSeconds(30L).build())));
    List<Toleration> t = DaemonPods.tolerations(d.getSpec().getTemplate().getSpec());
    assertEquals(7, t.size(), t.toString());
    assertEquals(null, t.get(0).getTolerationSeconds());
    Pod p = DaemonPods.podFor(d, "node-7", "abc");
    assertEquals("node-7", DaemonPods.targetNode(p).orElseThrow());
    assertEquals(Map.of("app", "agent", "controller-revision-hash", "abc"), new HashMap<>(p.getMetadata().getLabels()));
    assertEquals("d-", p.getMetadata().getGenerateName());
    ObjectMeta templateMeta = d.getSpec().getTemplate().getMetadata();
    assertEquals(Map.of("app", "agent"), templateMeta.getLabels(), "the template is not changed");
  }
}
