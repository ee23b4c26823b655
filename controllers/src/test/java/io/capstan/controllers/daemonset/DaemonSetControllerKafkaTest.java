package io.capstan.controllers.daemonset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ControllerRevision;
import io.capstan.api.DaemonSet;
import io.capstan.api.DaemonSetSpec;
import io.capstan.api.DaemonSetUpdateStrategy;
import io.capstan.api.Node;
import io.capstan.api.NodeSpec;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.RollingUpdateDaemonSet;
import io.capstan.api.Taint;
import io.capstan.api.Toleration;
import io.capstan.controllers.revision.RevisionHistory;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodConditions;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.taints.TaintKeys;
import io.capstan.stateviews.informer.Informer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The DaemonSet controller against a real broker and command processor (no scheduler: pods stay aimed, unbound). */
class DaemonSetControllerKafkaTest {
  private static final Map<String, String> LABELS = Map.of("app", "agent");

  @Test
  void onePodPerEligibleNodeFollowingSelectorsTaintsAndNodeChanges() throws Exception {
    try (Cluster cluster = new Cluster("ds-place");
        DaemonSetController controller = new DaemonSetController(cluster.informers, cluster.writer, Clock.systemUTC(),
            2, cluster.registry)) {
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      Informer<DaemonSet> sets = cluster.informers.informerFor(Kinds.DAEMON_SET, DaemonSet.class);
      Informer<Node> nodes = cluster.informers.informerFor(Kinds.NODE, Node.class);
      Informer<ControllerRevision> revisions =
          cluster.informers.informerFor(Kinds.CONTROLLER_REVISION, ControllerRevision.class);
      cluster.startInformers();
      controller.start();
      cluster.namespace("ds");

      cluster.create(node("edge-1", Map.of("role", "edge")));
      cluster.create(node("edge-dedicated", Map.of("role", "edge"), taint("dedicated", "db", "NoSchedule")));
      cluster.create(node("core-1", Map.of("role", "core")));
      // the taints the daemon tolerations cover: a cordoned node, a lost one, one under disk pressure
      cluster.create(node("edge-cordoned", Map.of("role", "edge"), taint(TaintKeys.UNSCHEDULABLE, null, "NoSchedule")));
      cluster.create(node("edge-lost", Map.of("role", "edge"), taint(TaintKeys.UNREACHABLE, null, "NoExecute")));
      cluster.create(node("edge-full", Map.of("role", "edge"), taint(TaintKeys.DISK_PRESSURE, null, "NoSchedule")));
      // host-network daemons only tolerate a missing pod network
      cluster.create(node("edge-nonet", Map.of("role", "edge"),
          taint(TaintKeys.NETWORK_UNAVAILABLE, null, "NoSchedule")));
      Cluster.await("7 nodes cached", () -> nodes.list().size() == 7);

      DaemonSet ds = daemonSet("agent", s -> s.getTemplate().getSpec().setNodeSelector(Map.of("role", "edge")));
      cluster.create(ds);
      Cluster.await("ds cached", () -> sets.get("ds", "agent").isPresent());
      String uid = sets.get("ds", "agent").orElseThrow().getMetadata().getUid();
      Set<String> expected = Set.of("edge-1", "edge-cordoned", "edge-lost", "edge-full");
      awaitNodes(pods, uid, expected);
      Cluster.await("status 4 desired, 4 current", () -> status(sets, "agent", st -> st.getDesiredNumberScheduled() == 4
          && st.getCurrentNumberScheduled() == 4 && st.getNumberMisscheduled() == 0 && st.getNumberReady() == 0
          && st.getUpdatedNumberScheduled() == 4 && st.getNumberUnavailable() == 4
          && st.getObservedGeneration() == 1L), () -> String.valueOf(sets.get("ds", "agent").orElseThrow().getStatus()));

      // one revision, named after the template hash its pods carry
      Cluster.await("one revision", () -> revisions.list("ds").size() == 1);
      ControllerRevision rev = revisions.list("ds").get(0);
      String hash = rev.getMetadata().getLabels().get(DaemonPods.REVISION_HASH_LABEL);
      assertEquals("agent-" + hash, rev.getMetadata().getName());
      assertEquals(1L, rev.getRevision());
      assertEquals("agent", rev.getMetadata().getLabels().get("app"));
      assertEquals(uid, OwnerRefs.controllerOf(rev.getMetadata()).orElseThrow().getUid());
      assertTrue(rev.getData().contains("\"$patch\":\"replace\""), rev.getData());

      for (Pod p : owned(pods, uid)) {
        assertEquals(hash, p.getMetadata().getLabels().get(DaemonPods.REVISION_HASH_LABEL));
        assertNull(p.getSpec().getNodeName(), "placed by the scheduler, not by the controller");
        var terms = p.getSpec().getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
            .getNodeSelectorTerms();
        assertEquals(1, terms.size());
        assertEquals("metadata.name", terms.get(0).getMatchFields().get(0).getKey());
        assertEquals(DaemonPods.targetNode(p).orElseThrow(), terms.get(0).getMatchFields().get(0).getValues().get(0));
        Set<String> tolerated = new TreeSet<>();
        for (Toleration t : p.getSpec().getTolerations()) {
          tolerated.add(t.getKey() + ":" + t.getEffect() + (t.getTolerationSeconds() == null ? "" : "/" + t.getTolerationSeconds()));
        }
        assertEquals(new TreeSet<>(Set.of("node.kubernetes.io/not-ready:NoExecute",
            "node.kubernetes.io/unreachable:NoExecute", "node.kubernetes.io/disk-pressure:NoSchedule",
            "node.kubernetes.io/memory-pressure:NoSchedule", "node.kubernetes.io/pid-pressure:NoSchedule",
            "node.kubernetes.io/unschedulable:NoSchedule")), tolerated, "daemon tolerations, without time limits");
        assertEquals("DaemonSet", OwnerRefs.controllerOf(p.getMetadata()).orElseThrow().getKind());
        assertTrue(p.getMetadata().getName().startsWith("agent-"), p.getMetadata().getName());
      }

      // a host-network daemon also goes where the pod network is missing; tolerating the dedicated taint, there too
      cluster.create(daemonSet("netd", s -> {
        s.setSelector(Cluster.selector(Map.of("app", "netd")));
        s.getTemplate().getMetadata().setLabels(Map.of("app", "netd"));
        s.getTemplate().getSpec().setHostNetwork(true);
        s.getTemplate().getSpec().setTolerations(List.of(Toleration.newBuilder().setKey("dedicated")
            .setOperator("Equal").setValue("db").setEffect("NoSchedule").build()));
      }));
      Cluster.await("netd cached", () -> sets.get("ds", "netd").isPresent());
      String netd = sets.get("ds", "netd").orElseThrow().getMetadata().getUid();
      awaitNodes(pods, netd, Set.of("edge-1", "edge-dedicated", "core-1", "edge-cordoned", "edge-lost", "edge-full",
          "edge-nonet"));

      // a new eligible node gets a pod
      cluster.create(node("edge-2", Map.of("role", "edge")));
      awaitNodes(pods, uid, Set.of("edge-1", "edge-cordoned", "edge-lost", "edge-full", "edge-2"));
      // a node whose labels stop matching loses its pod
      updateNode(cluster, nodes, "edge-1", n -> n.getMetadata().setLabels(Map.of("role", "core")));
      awaitNodes(pods, uid, Set.of("edge-cordoned", "edge-lost", "edge-full", "edge-2"));
      // an untolerated NoSchedule taint keeps the pod that runs there; a NoExecute one evicts it
      updateNode(cluster, nodes, "edge-full", n -> n.getSpec().setTaints(List.of(taint("maintenance", null, "NoSchedule"))));
      Cluster.await("misscheduled 1", () -> status(sets, "agent", st -> st.getNumberMisscheduled() == 1
          && st.getDesiredNumberScheduled() == 3));
      assertTrue(nodesOf(pods, uid).contains("edge-full"), "NoSchedule does not evict");
      updateNode(cluster, nodes, "edge-full", n -> n.getSpec().setTaints(List.of(taint("maintenance", null, "NoExecute"))));
      awaitNodes(pods, uid, Set.of("edge-cordoned", "edge-lost", "edge-2"));
      // a deleted daemon pod comes back
      Pod victim = owned(pods, uid).stream().filter(p -> DaemonPods.targetNode(p).orElseThrow().equals("edge-2"))
          .findFirst().orElseThrow();
      cluster.client.delete(Kinds.POD, "ds", victim.getMetadata().getName(), null).get(30, TimeUnit.SECONDS);
      Cluster.await("replacement on edge-2", () -> owned(pods, uid).stream().anyMatch(p ->
          DaemonPods.targetNode(p).orElseThrow().equals("edge-2")
              && !p.getMetadata().getName().equals(victim.getMetadata().getName())));
      // ready pods show up in the status
      for (Pod p : owned(pods, uid)) {
        cluster.makeReady(p, Instant.now());
      }
      Cluster.await("3 ready and available", () -> status(sets, "agent", st -> st.getNumberReady() == 3
          && st.getNumberAvailable() == 3 && st.getNumberUnavailable() == 0 && st.getCurrentNumberScheduled() == 3));
      assertEquals(3, owned(pods, uid).size(), "never two pods on a node");
    }
  }

  @Test
  void rollingUpdateKeepsWithinMaxUnavailableAndKeepsTheRevisionHistoryLimit() throws Exception {
    try (Cluster cluster = new Cluster("ds-roll");
        DaemonSetController controller = new DaemonSetController(cluster.informers, cluster.writer, Clock.systemUTC(),
            2, cluster.registry)) {
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      Informer<DaemonSet> sets = cluster.informers.informerFor(Kinds.DAEMON_SET, DaemonSet.class);
      Informer<ControllerRevision> revisions =
          cluster.informers.informerFor(Kinds.CONTROLLER_REVISION, ControllerRevision.class);
      cluster.informers.informerFor(Kinds.NODE, Node.class);
      cluster.startInformers();
      controller.start();
      cluster.namespace("ds");
      for (int i = 0; i < 5; i++) {
        cluster.create(node("n" + i, Map.of()));
      }
      cluster.create(daemonSet("roll", s -> {
        s.setRevisionHistoryLimit(2);
        s.setUpdateStrategy(DaemonSetUpdateStrategy.newBuilder().setType("RollingUpdate")
            .setRollingUpdate(RollingUpdateDaemonSet.newBuilder().setMaxUnavailable(2).build()).build());
      }));
      Cluster.await("ds cached", () -> sets.get("ds", "roll").isPresent());
      String uid = sets.get("ds", "roll").orElseThrow().getMetadata().getUid();
      Set<String> all = Set.of("n0", "n1", "n2", "n3", "n4");
      awaitNodes(pods, uid, all);
      readyAll(cluster, pods, uid);
      Cluster.await("5 available", () -> status(sets, "roll", st -> st.getNumberAvailable() == 5));
      String first = hashOf(sets, revisions, "roll");

      // Each new version: the test plays the node agents, making new pods ready, and checks the
      // budget: never more than maxUnavailable (2) of the 5 nodes without an available pod.
      List<String> images = List.of("agent:2", "agent:3", "agent:4");
      int maxSeenUnavailable = 0;
      for (String image : images) {
        updateSet(cluster, sets, "roll", d -> d.getSpec().getTemplate().getSpec().getContainers().get(0).setImage(image));
        maxSeenUnavailable = Math.max(maxSeenUnavailable, rollOut(cluster, pods, sets, uid, "roll", image));
      }
      assertTrue(maxSeenUnavailable <= 2, "at most maxUnavailable nodes without an available pod, saw "
          + maxSeenUnavailable);
      assertTrue(maxSeenUnavailable >= 1, "the rollout replaced pods (saw no unavailable node at all)");

      // history: the current revision and at most two old ones; the oldest went first
      Cluster.await("3 revisions", () -> revisions.list("ds").size() == 3,
          () -> revisions.list("ds").stream().map(r -> r.getMetadata().getName() + "@" + r.getRevision()).toList()
              .toString());
      List<Long> numbers = revisions.list("ds").stream().map(ControllerRevision::getRevision).sorted().toList();
      assertEquals(List.of(2L, 3L, 4L), numbers);
      assertFalse(revisions.list("ds").stream().anyMatch(r -> r.getMetadata().getName().equals("roll-" + first)),
          "revision 1 was pruned");

      // rollback to revision 3's template (agent:3): that revision is renumbered 5, its pods carry its hash again
      ControllerRevision third = revisions.list("ds").stream().filter(r -> r.getRevision() == 3L).findFirst().orElseThrow();
      updateSet(cluster, sets, "roll", d -> d.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("agent:3"));
      rollOut(cluster, pods, sets, uid, "roll", "agent:3");
      Cluster.await("revision renumbered", () -> revisions.get("ds", third.getMetadata().getName())
          .map(r -> r.getRevision() == 5L).orElse(false));
      String thirdHash = RevisionHistory.hashOf(third);
      assertTrue(owned(pods, uid).stream().allMatch(p -> thirdHash.equals(DaemonPods.hashOf(p))));
      assertEquals(3, revisions.list("ds").size(), "no new revision for a template seen before");
    }
  }

  @Test
  void onDeleteReplacesOnlyThePodsTheUserDeletes() throws Exception {
    try (Cluster cluster = new Cluster("ds-ondelete");
        DaemonSetController controller = new DaemonSetController(cluster.informers, cluster.writer, Clock.systemUTC(),
            2, cluster.registry)) {
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      Informer<DaemonSet> sets = cluster.informers.informerFor(Kinds.DAEMON_SET, DaemonSet.class);
      cluster.informers.informerFor(Kinds.NODE, Node.class);
      cluster.startInformers();
      controller.start();
      cluster.namespace("ds");
      for (int i = 0; i < 3; i++) {
        cluster.create(node("n" + i, Map.of()));
      }
      cluster.create(daemonSet("manual", s -> s.setUpdateStrategy(DaemonSetUpdateStrategy.newBuilder()
          .setType("OnDelete").build())));
      Cluster.await("ds cached", () -> sets.get("ds", "manual").isPresent());
      String uid = sets.get("ds", "manual").orElseThrow().getMetadata().getUid();
      awaitNodes(pods, uid, Set.of("n0", "n1", "n2"));
      readyAll(cluster, pods, uid);
      Cluster.await("3 available", () -> status(sets, "manual", st -> Integer.valueOf(3).equals(st.getNumberAvailable())));

      // A new template: the controller sees it (observedGeneration 2) and replaces nothing.
      updateSet(cluster, sets, "manual", d -> d.getSpec().getTemplate().getSpec().getContainers().get(0)
          .setImage("agent:2"));
      Cluster.await("generation 2 observed, nothing updated", () -> status(sets, "manual",
          st -> Long.valueOf(2).equals(st.getObservedGeneration())
              && (st.getUpdatedNumberScheduled() == null || st.getUpdatedNumberScheduled() == 0)
              && Integer.valueOf(3).equals(st.getNumberAvailable())));
      assertTrue(owned(pods, uid).stream().allMatch(p -> "agent:1".equals(p.getSpec().getContainers().get(0)
          .getImage())), "no pod replaced");

      // The user deletes n1's pod: its replacement has the new template; the others stay.
      Pod n1 = owned(pods, uid).stream().filter(p -> "n1".equals(DaemonPods.targetNode(p).orElse(null)))
          .findFirst().orElseThrow();
      CommandResult deleted = cluster.client.delete(Kinds.POD, "ds", n1.getMetadata().getName(),
          io.capstan.log.DeleteOptions.newBuilder().setGracePeriodSeconds(0L).build()).get(30, TimeUnit.SECONDS);
      assertTrue(deleted instanceof CommandResult.Accepted, String.valueOf(deleted));
      Cluster.await("n1 runs agent:2", () -> owned(pods, uid).stream().anyMatch(p -> "n1".equals(
          DaemonPods.targetNode(p).orElse(null)) && "agent:2".equals(p.getSpec().getContainers().get(0).getImage())));
      awaitNodes(pods, uid, Set.of("n0", "n1", "n2"));
      assertEquals(List.of("agent:1", "agent:2", "agent:1"), Stream.of("n0", "n1", "n2").map(n -> owned(pods, uid)
          .stream().filter(p -> n.equals(DaemonPods.targetNode(p).orElse(null))).findFirst().orElseThrow()
          .getSpec().getContainers().get(0).getImage()).toList());
    }
  }

  /**
   * Plays the node agents until every node runs a ready pod of {@code image}; returns the most
   * nodes seen at once without an available pod.
   */
  private static int rollOut(Cluster cluster, Informer<Pod> pods, Informer<DaemonSet> sets, String uid, String name,
      String image) throws Exception {
    int maxUnavailable = 0;
    long deadline = System.nanoTime() + Cluster.WAIT.toNanos();
    while (true) {
      List<Pod> mine = owned(pods, uid);
      Set<String> availableNodes = new TreeSet<>();
      for (Pod p : mine) {
        if (PodConditions.isReady(p)) {
          availableNodes.add(DaemonPods.targetNode(p).orElseThrow());
        }
      }
      maxUnavailable = Math.max(maxUnavailable, 5 - availableNodes.size());
      boolean done = mine.size() == 5 && mine.stream().allMatch(p -> PodConditions.isReady(p)
          && image.equals(p.getSpec().getContainers().get(0).getImage()));
      if (done && status(sets, name, st -> st.getUpdatedNumberScheduled() == 5 && st.getNumberAvailable() == 5)) {
        return maxUnavailable;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("rollout to " + image + " did not finish: " + mine.stream()
            .map(p -> p.getMetadata().getName() + "/" + p.getSpec().getContainers().get(0).getImage() + "/ready="
                + PodConditions.isReady(p)).toList() + " status " + sets.get("ds", name).orElseThrow().getStatus());
      }
      for (Pod p : mine) {
        if (!PodConditions.isReady(p)) {
          cluster.makeReady(p, Instant.now());
        }
      }
      Thread.sleep(20);
    }
  }

  private static String hashOf(Informer<DaemonSet> sets, Informer<ControllerRevision> revisions, String name)
      throws InterruptedException {
    Cluster.await("a revision", () -> !revisions.list("ds").isEmpty());
    return RevisionHistory.hashOf(revisions.list("ds").get(0));
  }

  private static void readyAll(Cluster cluster, Informer<Pod> pods, String uid) throws Exception {
    for (Pod p : owned(pods, uid)) {
      cluster.makeReady(p, Instant.now());
    }
  }

  static DaemonSet daemonSet(String name, Consumer<DaemonSetSpec> shape) {
    DaemonSetSpec spec = DaemonSetSpec.newBuilder().setSelector(Cluster.selector(LABELS))
        .setTemplate(Cluster.template(new HashMap<>(LABELS), "agent:1")).build();
    shape.accept(spec);
    return DaemonSet.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ds").setName(name).build())
        .setSpec(spec).build();
  }

  static Node node(String name, Map<String, String> labels, Taint... taints) {
    return Node.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(name).setLabels(new HashMap<>(labels)).build())
        .setSpec(NodeSpec.newBuilder().setTaints(taints.length == 0 ? null : new ArrayList<>(List.of(taints))).build())
        .build();
  }

  static Taint taint(String key, String value, String effect) {
    return Taint.newBuilder().setKey(key).setValue(value).setEffect(effect).build();
  }

  private static void updateNode(Cluster cluster, Informer<Node> nodes, String name, Consumer<Node> change)
      throws Exception {
    for (int i = 0; i < 20; i++) {
      Node n = PodTemplates.copy(nodes.get("", name).orElseThrow());
      change.accept(n);
      if (cluster.client.update(n).get(30, TimeUnit.SECONDS) instanceof CommandResult.Accepted) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("could not update node " + name);
  }

  private static void updateSet(Cluster cluster, Informer<DaemonSet> sets, String name, Consumer<DaemonSet> change)
      throws Exception {
    for (int i = 0; i < 20; i++) {
      DaemonSet d = PodTemplates.copy(sets.get("ds", name).orElseThrow());
      change.accept(d);
      if (cluster.client.update(d).get(30, TimeUnit.SECONDS) instanceof CommandResult.Accepted) {
        return;
      }
      Thread.sleep(50); // the controller writes status concurrently
    }
    throw new AssertionError("could not update daemonset " + name);
  }

  private static boolean status(Informer<DaemonSet> sets, String name,
      java.util.function.Predicate<io.capstan.api.DaemonSetStatus> p) {
    return sets.get("ds", name).filter(d -> d.getStatus() != null && d.getStatus().getDesiredNumberScheduled() != null)
        .map(d -> p.test(d.getStatus())).orElse(false);
  }

  static List<Pod> owned(Informer<Pod> pods, String uid) {
    return pods.list("ds").stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .filter(p -> OwnerRefs.controllerOf(p.getMetadata()).map(r -> r.getUid().equals(uid)).orElse(false))
        .toList();
  }

  private static Set<String> nodesOf(Informer<Pod> pods, String uid) {
    Set<String> out = new TreeSet<>();
    owned(pods, uid).forEach(p -> out.add(DaemonPods.targetNode(p).orElseThrow()));
    return out;
  }

  /** Exactly one pod on each of the nodes, and none elsewhere. */
  private static void awaitNodes(Informer<Pod> pods, String uid, Set<String> expected) throws InterruptedException {
    Cluster.await("daemon pods on " + new TreeSet<>(expected), () -> owned(pods, uid).size() == expected.size()
        && nodesOf(pods, uid).equals(new TreeSet<>(expected)), () -> nodesOf(pods, uid) + " from "
        + owned(pods, uid).size() + " pods");
  }
}
