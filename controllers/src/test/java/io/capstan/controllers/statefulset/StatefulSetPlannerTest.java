package io.capstan.controllers.statefulset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodStatus;
import io.capstan.api.PodTemplateSpec;
import io.capstan.api.RollingUpdateStatefulSetStrategy;
import io.capstan.api.StatefulSet;
import io.capstan.api.StatefulSetOrdinals;
import io.capstan.api.StatefulSetSpec;
import io.capstan.api.StatefulSetUpdateStrategy;
import io.capstan.controllers.testing.Cluster;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** One sync's plan, as kube's updateStatefulSet makes it, without a cluster. */
class StatefulSetPlannerTest {
  private static final Instant NOW = Instant.parse("2026-12-06T00:00:00Z");
  private static final PodTemplateSpec V1 = Cluster.template(Map.of("app", "web"), "app:1");
  private static final PodTemplateSpec V2 = Cluster.template(Map.of("app", "web"), "app:2");
  private static final StatefulSetPlanner.Revisions SAME = new StatefulSetPlanner.Revisions("web-r1", V1, "web-r1", V1);
  private static final StatefulSetPlanner.Revisions ROLL = new StatefulSetPlanner.Revisions("web-r1", V1, "web-r2", V2);

  private static StatefulSet set(int replicas, Consumer<StatefulSetSpec> shape) {
    StatefulSetSpec spec = StatefulSetSpec.newBuilder().setReplicas(replicas).setServiceName("web")
        .setSelector(Cluster.selector(Map.of("app", "web"))).setTemplate(V1).setPodManagementPolicy("OrderedReady")
        .setUpdateStrategy(StatefulSetUpdateStrategy.newBuilder().setType("RollingUpdate")
            .setRollingUpdate(RollingUpdateStatefulSetStrategy.newBuilder().setPartition(0).build()).build())
        .build();
    shape.accept(spec);
    return StatefulSet.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName("web").setUid("u")
        .build()).setSpec(spec).build();
  }

  /** Pod {@code web-<ordinal>} at a revision, made Running and Ready when asked. */
  private static Pod pod(StatefulSet set, int ordinal, String revision, boolean ready) {
    Pod p = StatefulPods.newPod(set, V1, ordinal, revision);
    p.getMetadata().setUid("uid-" + ordinal);
    if (ready) {
      p.setStatus(PodStatus.newBuilder().setPhase("Running").setConditions(List.of(PodCondition.newBuilder()
          .setType("Ready").setStatus("True").setLastTransitionTime(NOW.minusSeconds(60).toString()).build())).build());
    }
    return p;
  }

  private static List<String> names(List<Pod> pods) {
    List<String> out = new ArrayList<>();
    pods.forEach(p -> out.add(p.getMetadata().getName()));
    return out;
  }

  @Test
  void orderedReadyMakesOnePodAtATimeAndOnlyAfterTheOneBeforeIsReady() {
    StatefulSet s = set(3, x -> { });
    StatefulSetPlanner.Plan p = StatefulSetPlanner.plan(s, SAME, List.of(), NOW);
    assertEquals(List.of("web-0"), names(p.create()));
    Pod created = p.create().get(0);
    assertEquals("web-0", created.getSpec().getHostname());
    assertEquals("web", created.getSpec().getSubdomain());
    assertEquals("web-r1", StatefulPods.revision(created));
    assertTrue(StatefulPods.identityMatches(s, created));
    // web-0 exists but is not ready: nothing more
    assertTrue(StatefulSetPlanner.plan(s, SAME, List.of(pod(s, 0, "web-r1", false)), NOW).isEmpty());
    // ready: web-1 next
    assertEquals(List.of("web-1"), names(StatefulSetPlanner.plan(s, SAME, List.of(pod(s, 0, "web-r1", true)), NOW)
        .create()));
    // a gap (web-1 deleted) is filled before anything above it
    p = StatefulSetPlanner.plan(s, SAME, List.of(pod(s, 0, "web-r1", true), pod(s, 2, "web-r1", true)), NOW);
    assertEquals(List.of("web-1"), names(p.create()));
  }

  @Test
  void parallelMakesAllAtOnceAndStartsAtTheFirstOrdinal() {
    StatefulSet s = set(3, x -> {
      x.setPodManagementPolicy("Parallel");
      x.setOrdinals(StatefulSetOrdinals.newBuilder().setStart(5).build());
    });
    assertEquals(List.of("web-5", "web-6", "web-7"), names(StatefulSetPlanner.plan(s, SAME, List.of(), NOW).create()));
  }

  @Test
  void scaleDownGoesFromTheHighestOrdinalOneAtATimeUnlessParallel() {
    StatefulSet s = set(1, x -> { });
    List<Pod> pods = List.of(pod(s, 0, "web-r1", true), pod(s, 1, "web-r1", true), pod(s, 2, "web-r1", true));
    assertEquals(List.of("web-2"), names(StatefulSetPlanner.plan(s, SAME, pods, NOW).delete()));
    // under OrderedReady an unhealthy pod is deleted only when it is the first unhealthy one
    List<Pod> blocked = List.of(pod(s, 0, "web-r1", true), pod(s, 1, "web-r1", false), pod(s, 2, "web-r1", false));
    assertTrue(StatefulSetPlanner.plan(s, SAME, blocked, NOW).delete().isEmpty());
    List<Pod> first = List.of(pod(s, 0, "web-r1", true), pod(s, 1, "web-r1", true), pod(s, 2, "web-r1", false));
    assertEquals(List.of("web-2"), names(StatefulSetPlanner.plan(s, SAME, first, NOW).delete()));
    // and not at all while a replica that stays is unhealthy
    List<Pod> replicaDown = List.of(pod(s, 0, "web-r1", false), pod(s, 1, "web-r1", true), pod(s, 2, "web-r1", true));
    assertTrue(StatefulSetPlanner.plan(s, SAME, replicaDown, NOW).isEmpty());
    StatefulSet parallel = set(1, x -> x.setPodManagementPolicy("Parallel"));
    assertEquals(List.of("web-2", "web-1"), names(StatefulSetPlanner.plan(parallel, SAME, pods, NOW).delete()));
  }

  @Test
  void aRollingUpdateReplacesFromTheTopDownToThePartitionWithinMaxUnavailable() {
    StatefulSet s = set(4, x -> x.getUpdateStrategy().getRollingUpdate().setPartition(1));
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      pods.add(pod(s, i, "web-r1", true));
    }
    assertEquals(List.of("web-3"), names(StatefulSetPlanner.plan(s, ROLL, pods, NOW).delete()));
    // with maxUnavailable 2, two at once; never below the partition
    StatefulSet wide = set(4, x -> {
      x.getUpdateStrategy().getRollingUpdate().setPartition(1);
      x.getUpdateStrategy().getRollingUpdate().setMaxUnavailable(2);
      x.setPodManagementPolicy("Parallel");
    });
    assertEquals(List.of("web-3", "web-2"), names(StatefulSetPlanner.plan(wide, ROLL, pods, NOW).delete()));
    List<Pod> oneDown = new ArrayList<>(pods);
    oneDown.set(3, pod(wide, 3, "web-r2", false));
    assertEquals(List.of("web-2"), names(StatefulSetPlanner.plan(wide, ROLL, oneDown, NOW).delete()));
    List<Pod> top = new ArrayList<>(pods);
    top.set(3, pod(wide, 3, "web-r2", true));
    top.set(2, pod(wide, 2, "web-r2", true));
    assertEquals(List.of("web-1"), names(StatefulSetPlanner.plan(wide, ROLL, top, NOW).delete()));
    top.set(1, pod(wide, 1, "web-r2", true));
    assertTrue(StatefulSetPlanner.plan(wide, ROLL, top, NOW).isEmpty(), "web-0 is below the partition");
    // a missing pod below the partition comes back at the current revision, above it at the update revision
    StatefulSetPlanner.Plan p = StatefulSetPlanner.plan(wide, ROLL, List.of(), NOW);
    assertEquals(List.of("web-r1", "web-r2", "web-r2", "web-r2"),
        p.create().stream().map(StatefulPods::revision).toList());
    assertEquals("app:1", p.create().get(0).getSpec().getContainers().get(0).getImage());
    assertEquals("app:2", p.create().get(1).getSpec().getContainers().get(0).getImage());
  }

  @Test
  void onDeleteReplacesNothingButMakesNewPodsAtTheUpdateRevision() {
    StatefulSet s = set(2, x -> x.setUpdateStrategy(StatefulSetUpdateStrategy.newBuilder().setType("OnDelete").build()));
    List<Pod> pods = List.of(pod(s, 0, "web-r1", true), pod(s, 1, "web-r1", true));
    assertTrue(StatefulSetPlanner.plan(s, ROLL, pods, NOW).isEmpty());
    StatefulSetPlanner.Plan p = StatefulSetPlanner.plan(s, ROLL, List.of(pod(s, 0, "web-r1", true)), NOW);
    assertEquals(List.of("web-1"), names(p.create()));
    assertEquals("web-r2", StatefulPods.revision(p.create().get(0)));
  }

  @Test
  void aFailedPodIsDeletedAndADriftedIdentityPutRight() {
    StatefulSet s = set(2, x -> x.setPodManagementPolicy("Parallel"));
    Pod failed = pod(s, 0, "web-r1", true);
    failed.getStatus().setPhase("Failed");
    Pod drifted = pod(s, 1, "web-r1", true);
    drifted.getSpec().setSubdomain("other");
    StatefulSetPlanner.Plan p = StatefulSetPlanner.plan(s, SAME, List.of(failed, drifted), NOW);
    assertEquals(List.of("web-0"), names(p.delete()));
    assertEquals(List.of("web-1"), names(p.fixIdentity()));
    assertEquals("web", p.fixIdentity().get(0).getSpec().getSubdomain());
  }

  @Test
  void minReadySecondsHoldsTheNextPodAndSaysWhenToLookAgain() {
    StatefulSet s = set(2, x -> x.setMinReadySeconds(300));
    StatefulSetPlanner.Plan p = StatefulSetPlanner.plan(s, SAME, List.of(pod(s, 0, "web-r1", true)), NOW);
    assertTrue(p.create().isEmpty(), "web-0 has been ready 60 s of 300");
    assertEquals(java.time.Duration.ofSeconds(240), p.recheckAfter().orElseThrow());
  }
}
