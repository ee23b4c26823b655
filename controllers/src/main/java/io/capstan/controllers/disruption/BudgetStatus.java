package io.capstan.controllers.disruption;

import io.capstan.api.OwnerReference;
import io.capstan.api.Pod;
import io.capstan.api.PodDisruptionBudget;
import io.capstan.api.PodDisruptionBudgetSpec;
import io.capstan.api.PodDisruptionBudgetStatus;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodConditions;
import io.capstan.logschema.disruption.DisruptionBudgets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificData;

/**
 * A budget's status from its pods, as kube's disruption controller computes it (pure, so it is
 * tested alone): the expected pod count and desired healthy count from minAvailable or
 * maxUnavailable (a percentage, and maxUnavailable always, resolved against the scale of the
 * pods' controllers), the healthy pods (ready, not being deleted, not just evicted), the evicted
 * pods still waiting for their deletion, and {@code disruptionsAllowed = currentHealthy -
 * desiredHealthy} (never below zero).
 */
public final class BudgetStatus {
  /** How long an eviction may take to show as the pod's deletion before the pod counts again (kube's DeletionTimeout). */
  public static final Duration DELETION_TIMEOUT = Duration.ofMinutes(2);

  private BudgetStatus() {}

  /** A controller's scale: its uid (several pods share one controller) and its desired replicas. */
  public record Scale(String uid, int replicas) {}

  /** Finds the scale of the controller a pod's controller reference names; empty when there is no such controller. */
  @FunctionalInterface
  public interface ScaleFinder {
    Optional<Scale> find(OwnerReference controller, String namespace);
  }

  /**
   * What a sync concludes: the status to store, or the failure kube's failSafe writes (no
   * disruptions, condition SyncFailed), and when to look again (an eviction's deadline).
   */
  public record Outcome(PodDisruptionBudgetStatus status, Optional<Instant> recheckAt, Optional<String> failure) {}

  public static Outcome compute(PodDisruptionBudget pdb, List<Pod> pods, ScaleFinder scales, Instant now) {
    long generation = pdb.getMetadata().getGeneration() == null ? 0 : pdb.getMetadata().getGeneration();
    PodDisruptionBudgetStatus previous = pdb.getStatus() == null ? new PodDisruptionBudgetStatus() : pdb.getStatus();
    PodDisruptionBudgetStatus status = SpecificData.get().deepCopy(PodDisruptionBudgetStatus.getClassSchema(), previous);
    int expected;
    int desired;
    try {
      int[] counts = expectedAndDesired(pdb.getSpec(), pods, scales);
      expected = counts[0];
      desired = counts[1];
    } catch (IllegalStateException e) {
      // failSafe: no disruption is allowed while the budget cannot be worked out
      status.setDisruptionsAllowed(0);
      DisruptionBudgets.setCondition(status, "False", DisruptionBudgets.SYNC_FAILED, e.getMessage(), now);
      return new Outcome(status, Optional.empty(), Optional.of(e.getMessage()));
    }
    Map<String, String> disrupted = new LinkedHashMap<>();
    Instant recheck = null;
    Map<String, String> known = previous.getDisruptedPods() == null ? Map.of() : previous.getDisruptedPods();
    for (Pod p : pods) {
      String name = p.getMetadata().getName();
      if (p.getMetadata().getDeletionTimestamp() != null || !known.containsKey(name)) {
        continue;
      }
      Optional<Instant> when = PodConditions.instant(known.get(name));
      if (when.isEmpty()) {
        continue;
      }
      Instant deadline = when.get().plus(DELETION_TIMEOUT);
      if (deadline.isBefore(now)) {
        continue; // evicted but never deleted: it counts again
      }
      disrupted.put(name, known.get(name));
      recheck = recheck == null || deadline.isBefore(recheck) ? deadline : recheck;
    }
    int healthy = 0;
    for (Pod p : pods) {
      if (p.getMetadata().getDeletionTimestamp() == null && !disrupted.containsKey(p.getMetadata().getName())
          && DisruptionBudgets.isReady(p)) {
        healthy++;
      }
    }
    int allowed = expected <= 0 ? 0 : Math.max(0, healthy - desired);
    status.setObservedGeneration(generation);
    status.setCurrentHealthy(healthy);
    status.setDesiredHealthy(desired);
    status.setExpectedPods(expected);
    status.setDisruptionsAllowed(allowed);
    status.setDisruptedPods(disrupted.isEmpty() ? null : disrupted);
    DisruptionBudgets.updateDisruptionAllowedCondition(status, now);
    return new Outcome(status, Optional.ofNullable(recheck).map(t -> t.truncatedTo(ChronoUnit.MILLIS)), Optional.empty());
  }

  /** [expected pods, desired healthy pods], as getExpectedPodCount. */
  static int[] expectedAndDesired(PodDisruptionBudgetSpec spec, List<Pod> pods, ScaleFinder scales) {
    Object maxUnavailable = spec == null ? null : spec.getMaxUnavailable();
    Object minAvailable = spec == null ? null : spec.getMinAvailable();
    if (maxUnavailable != null) {
      int expected = expectedScale(pods, scales);
      int unavailable = scaled(maxUnavailable, expected);
      return new int[] {expected, Math.max(0, expected - unavailable)};
    }
    if (minAvailable instanceof Integer n) {
      return new int[] {pods.size(), n};
    }
    if (minAvailable != null) {
      int expected = expectedScale(pods, scales);
      return new int[] {expected, scaled(minAvailable, expected)};
    }
    return new int[] {0, 0};
  }

  /**
   * The sum of the scales of the pods' controllers, each counted once. Pods without a controller
   * are left out (kube warns about them); a controller that cannot be found fails the sync.
   */
  static int expectedScale(List<Pod> pods, ScaleFinder scales) {
    Map<String, Scale> byRef = new LinkedHashMap<>(); // a controller reference's uid -> the scale it stands for
    Map<String, Integer> byScale = new LinkedHashMap<>(); // a Deployment's ReplicaSets share its scale: once each
    for (Pod p : pods) {
      Optional<OwnerReference> ref = OwnerRefs.controllerOf(p.getMetadata());
      if (ref.isEmpty() || byRef.containsKey(ref.get().getUid())) {
        continue; // unmanaged pods are left out (kube warns about them)
      }
      Scale scale = scales.find(ref.get(), p.getMetadata().getNamespace()).orElseThrow(() ->
          new IllegalStateException("found no controllers for pod \"" + p.getMetadata().getName() + "\""));
      byRef.put(ref.get().getUid(), scale);
      byScale.put(scale.uid(), scale.replicas());
    }
    return byScale.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** intstr.GetScaledValueFromIntOrPercent, rounding up. */
  static int scaled(Object intOrPercent, int total) {
    if (intOrPercent instanceof Integer n) {
      return n;
    }
    String s = intOrPercent.toString();
    if (!s.endsWith("%")) {
      throw new IllegalStateException("invalid value for IntOrString: invalid type: string is not a percentage");
    }
    int percent = Integer.parseInt(s.substring(0, s.length() - 1));
    return (int) Math.ceil(percent * (double) total / 100.0);
  }
}
