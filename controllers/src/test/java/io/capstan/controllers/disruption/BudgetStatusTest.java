package io.capstan.controllers.disruption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.LabelSelector;
import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodDisruptionBudget;
import io.capstan.api.PodDisruptionBudgetSpec;
import io.capstan.api.PodDisruptionBudgetStatus;
import io.capstan.api.PodStatus;
import io.capstan.logschema.disruption.DisruptionBudgets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A budget's status from its pods, as kube's disruption controller works it out. */
class BudgetStatusTest {
  static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");

  static Pod pod(String name, boolean ready, String ownerKind, String ownerUid) {
    ObjectMeta.Builder meta = ObjectMeta.newBuilder().setNamespace("ns").setName(name).setLabels(Map.of("app", "web"));
    if (ownerKind != null) {
      meta.setOwnerReferences(List.of(OwnerReference.newBuilder().setApiVersion("apps/v1").setKind(ownerKind)
          .setName(ownerUid).setUid(ownerUid).setController(true).build()));
    }
    return Pod.newBuilder().setMetadata(meta.build()).setStatus(PodStatus.newBuilder().setPhase("Running")
        .setConditions(List.of(PodCondition.newBuilder().setType("Ready").setStatus(ready ? "True" : "False").build()))
        .build()).build();
  }

  static List<Pod> pods(int ready, int notReady, String owner) {
    List<Pod> out = new ArrayList<>();
    for (int i = 0; i < ready + notReady; i++) {
      out.add(pod("p" + i, i < ready, owner == null ? null : "ReplicaSet", owner));
    }
    return out;
  }

  static PodDisruptionBudget pdb(Object minAvailable, Object maxUnavailable) {
    return PodDisruptionBudget.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName("web").setGeneration(3L).build())
        .setSpec(PodDisruptionBudgetSpec.newBuilder().setMinAvailable(minAvailable).setMaxUnavailable(maxUnavailable)
            .setSelector(LabelSelector.newBuilder().setMatchLabels(Map.of("app", "web")).build()).build())
        .build();
  }

  /** Every ReplicaSet has the scale its uid names after "rs-" (rs-10: 10 replicas). */
  static final BudgetStatus.ScaleFinder SCALES = (ref, ns) -> ref.getUid().startsWith("rs-")
      ? Optional.of(new BudgetStatus.Scale(ref.getUid(), Integer.parseInt(ref.getUid().substring(3))))
      : Optional.empty();

  static PodDisruptionBudgetStatus status(PodDisruptionBudget pdb, List<Pod> pods) {
    return BudgetStatus.compute(pdb, pods, SCALES, NOW).status();
  }

  @Test
  void minAvailableCountExpectsThePodsThereAre() {
    PodDisruptionBudgetStatus s = status(pdb(2, null), pods(3, 1, null));
    assertEquals(4, s.getExpectedPods());
    assertEquals(2, s.getDesiredHealthy());
    assertEquals(3, s.getCurrentHealthy());
    assertEquals(1, s.getDisruptionsAllowed());
    assertEquals(3L, s.getObservedGeneration());
    assertEquals("True", s.getConditions().get(0).getStatus());
    assertEquals(DisruptionBudgets.SUFFICIENT_PODS, s.getConditions().get(0).getReason());
  }

  @Test
  void percentagesAndMaxUnavailableResolveAgainstTheControllersScaleRoundingUp() {
    // 10 replicas wanted, 6 pods exist and are ready: 25% unavailable is 3 (rounded up), 7 must be healthy
    PodDisruptionBudgetStatus s = status(pdb(null, "25%"), pods(6, 0, "rs-10"));
    assertEquals(10, s.getExpectedPods());
    assertEquals(7, s.getDesiredHealthy());
    assertEquals(0, s.getDisruptionsAllowed());
    assertEquals("False", s.getConditions().get(0).getStatus());
    assertEquals(DisruptionBudgets.INSUFFICIENT_PODS, s.getConditions().get(0).getReason());
    PodDisruptionBudgetStatus half = status(pdb("50%", null), pods(5, 0, "rs-5"));
    assertEquals(3, half.getDesiredHealthy(), "50% of 5, rounded up");
    assertEquals(2, half.getDisruptionsAllowed());
    PodDisruptionBudgetStatus count = status(pdb(null, 1), pods(3, 0, "rs-3"));
    assertEquals(2, count.getDesiredHealthy());
    assertEquals(1, count.getDisruptionsAllowed());
  }

  @Test
  void aControllerIsCountedOnceAndPodsWithoutOneAreLeftOut() {
    List<Pod> mixed = new ArrayList<>(pods(3, 0, "rs-4"));
    mixed.add(pod("stray", true, null, null));
    PodDisruptionBudgetStatus s = status(pdb(null, 1), mixed);
    assertEquals(4, s.getExpectedPods());
    assertEquals(3, s.getDesiredHealthy());
    assertEquals(4, s.getCurrentHealthy(), "every ready pod is healthy, managed or not");
    assertEquals(1, s.getDisruptionsAllowed());
  }

  @Test
  void aPodWhoseControllerCannotBeFoundFailsSafe() {
    BudgetStatus.Outcome o = BudgetStatus.compute(pdb(null, 1), List.of(pod("orphan", true, "StatefulSet", "ss-1")),
        SCALES, NOW);
    assertEquals(Optional.of("found no controllers for pod \"orphan\""), o.failure());
    assertEquals(0, o.status().getDisruptionsAllowed());
    assertEquals(DisruptionBudgets.SYNC_FAILED, o.status().getConditions().get(0).getReason());
    assertEquals("False", o.status().getConditions().get(0).getStatus());
  }

  @Test
  void evictedPodsAreNotHealthyUntilTheirDeadlineOrTheirDeletion() {
    PodDisruptionBudget pdb = pdb(2, null);
    pdb.setStatus(PodDisruptionBudgetStatus.newBuilder().setDisruptedPods(Map.of(
        "p0", NOW.minusSeconds(30).toString(), // evicted 30 s ago: not counted, looked at again at its deadline
        "p1", NOW.minusSeconds(180).toString(), // 3 minutes ago and still here: counts again
        "gone", NOW.minusSeconds(10).toString())).build()); // no such pod any more: dropped
    List<Pod> pods = pods(4, 0, null);
    pods.get(3).getMetadata().setDeletionTimestamp(NOW.toString()); // being deleted: not healthy
    BudgetStatus.Outcome o = BudgetStatus.compute(pdb, pods, SCALES, NOW);
    assertEquals(Map.of("p0", NOW.minusSeconds(30).toString()), o.status().getDisruptedPods());
    assertEquals(2, o.status().getCurrentHealthy());
    assertEquals(0, o.status().getDisruptionsAllowed());
    assertEquals(Optional.of(NOW.plusSeconds(90)), o.recheckAt());
  }

  @Test
  void noExpectedPodsAllowsNothingAndAnUnchangedStatusIsEqual() {
    PodDisruptionBudgetStatus s = status(pdb(null, 1), List.of());
    assertEquals(0, s.getExpectedPods());
    assertEquals(0, s.getDisruptionsAllowed());
    PodDisruptionBudget again = pdb(null, 1);
    again.setStatus(s);
    assertEquals(s, BudgetStatus.compute(again, List.of(), SCALES, NOW.plusSeconds(60)).status(),
        "a recomputed status with nothing changed is the same (no write)");
    assertTrue(s.getConditions().size() == 1);
  }
}
