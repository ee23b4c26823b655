package io.capstan.controllers.deployment;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The arithmetic of a rollout, without I/O: given the deployment's numbers and its ReplicaSets,
 * what to scale next. A faithful port of the Deployment controller's rolling and recreate steps
 * (rolling.go, recreate.go, deployment/util): one step per sync, re-planned from fresh state on
 * the next, so the bounds hold however the steps interleave with pods becoming ready:
 * <ul>
 *   <li>the sum of {@code spec.replicas} over all sets never exceeds {@code replicas + maxSurge};
 *   <li>old sets are scaled down only while the available pods stay at least
 *       {@code replicas - maxUnavailable} (unhealthy old pods are removed first);
 *   <li>maxSurge rounds percentages up, maxUnavailable down, and both zero means one unavailable.
 * </ul>
 */
public final class RolloutPlanner {
  /** Kubernetes' defaults for an apps/v1 Deployment. */
  public static final String DEFAULT_MAX_SURGE = "25%";
  public static final String DEFAULT_MAX_UNAVAILABLE = "25%";

  private RolloutPlanner() {}

  /** What the planner needs of the Deployment. */
  public record Rollout(int replicas, boolean recreate, Object maxSurge, Object maxUnavailable) {
    public Rollout {
      if (replicas < 0) {
        throw new IllegalArgumentException("replicas must not be negative, got " + replicas);
      }
    }

    public static Rollout rolling(int replicas, Object maxSurge, Object maxUnavailable) {
      return new Rollout(replicas, false, maxSurge, maxUnavailable);
    }

    public static Rollout recreate(int replicas) {
      return new Rollout(replicas, true, null, null);
    }
  }

  /** What the planner needs of a ReplicaSet: its desired replicas, how many are available, its age. */
  public record SetState(String name, int replicas, int availableReplicas, Instant created) {}

  /** maxSurge (rounded up) and maxUnavailable (rounded down) as counts (ResolveFenceposts). */
  public record Fenceposts(int maxSurge, int maxUnavailable) {}

  /** One step: the new replica counts of the sets to scale, in the order to apply them; empty when nothing is to do. */
  public record Step(Map<String, Integer> scale, String why) {
    public boolean isEmpty() {
      return scale.isEmpty();
    }

    static Step none() {
      return new Step(Map.of(), "nothing to scale");
    }
  }

  public static Fenceposts fenceposts(Rollout d) {
    int surge = IntOrPercent.scaled(d.maxSurge(), DEFAULT_MAX_SURGE, d.replicas(), true);
    int unavailable = IntOrPercent.scaled(d.maxUnavailable(), DEFAULT_MAX_UNAVAILABLE, d.replicas(), false);
    if (surge == 0 && unavailable == 0) {
      // Validation refuses 0/0 for literal values; percentages of small counts can still round to it.
      unavailable = 1;
    }
    return new Fenceposts(surge, unavailable);
  }

  /** MaxUnavailable(deployment): zero for Recreate or no replicas, never more than replicas. */
  public static int maxUnavailable(Rollout d) {
    if (d.recreate() || d.replicas() == 0) {
      return 0;
    }
    return Math.min(fenceposts(d).maxUnavailable(), d.replicas());
  }

  /** MaxSurge(deployment): zero for Recreate. */
  public static int maxSurge(Rollout d) {
    return d.recreate() ? 0 : fenceposts(d).maxSurge();
  }

  /** The replicas the new set should have now (NewRSNewReplicas). */
  public static int newSetReplicas(Rollout d, List<SetState> all, SetState newSet) {
    if (d.recreate()) {
      return d.replicas();
    }
    int current = total(all);
    int maxTotal = d.replicas() + fenceposts(d).maxSurge();
    if (current >= maxTotal) {
      return newSet.replicas();
    }
    int scaleUp = Math.min(maxTotal - current, d.replicas() - newSet.replicas());
    return newSet.replicas() + Math.max(0, scaleUp);
  }

  /**
   * The next rolling-update step: scale the new set towards {@code replicas} within the surge,
   * else scale old sets down within the unavailability budget.
   */
  public static Step rollingStep(Rollout d, SetState newSet, List<SetState> oldSets) {
    List<SetState> all = new ArrayList<>(oldSets);
    all.add(newSet);
    // reconcileNewReplicaSet
    if (newSet.replicas() > d.replicas()) {
      return new Step(Map.of(newSet.name(), d.replicas()), "new set above the desired replicas");
    }
    if (newSet.replicas() < d.replicas()) {
      int n = newSetReplicas(d, all, newSet);
      if (n != newSet.replicas()) {
        return new Step(Map.of(newSet.name(), n), "scale up the new set within maxSurge");
      }
    }
    // reconcileOldReplicaSets
    Map<String, Integer> scale = reconcileOldSets(d, newSet, oldSets);
    return scale.isEmpty() ? Step.none() : new Step(scale, "scale down old sets within maxUnavailable");
  }

  private static Map<String, Integer> reconcileOldSets(Rollout d, SetState newSet, List<SetState> oldSets) {
    Map<String, Integer> scale = new LinkedHashMap<>();
    if (total(oldSets) == 0) {
      return scale;
    }
    List<SetState> all = new ArrayList<>(oldSets);
    all.add(newSet);
    int minAvailable = d.replicas() - maxUnavailable(d);
    int newUnavailable = newSet.replicas() - newSet.availableReplicas();
    int maxScaledDown = total(all) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) {
      return scale;
    }
    // cleanupUnhealthyReplicas: old pods that are not available cost nothing to remove, oldest sets first
    List<SetState> old = byAge(oldSets);
    List<SetState> afterCleanup = new ArrayList<>();
    int cleaned = 0;
    for (SetState s : old) {
      int unhealthy = s.replicas() - s.availableReplicas();
      if (s.replicas() == 0 || unhealthy <= 0 || cleaned >= maxScaledDown) {
        afterCleanup.add(s);
        continue;
      }
      int down = Math.min(maxScaledDown - cleaned, unhealthy);
      cleaned += down;
      scale.put(s.name(), s.replicas() - down);
      afterCleanup.add(new SetState(s.name(), s.replicas() - down, s.availableReplicas(), s.created()));
    }
    // scaleDownOldReplicaSetsForRollingUpdate: then available ones, as far as minAvailable allows
    List<SetState> allAfter = new ArrayList<>(afterCleanup);
    allAfter.add(newSet);
    int available = available(allAfter);
    if (available > minAvailable) {
      int budget = available - minAvailable;
      int done = 0;
      for (SetState s : afterCleanup) {
        if (done >= budget) {
          break;
        }
        if (s.replicas() == 0) {
          continue;
        }
        int down = Math.min(s.replicas(), budget - done);
        scale.put(s.name(), s.replicas() - down);
        done += down;
      }
    }
    return scale;
  }

  /**
   * The next Recreate step: all old sets to zero first; then, once no old pod is left, the new
   * set to {@code replicas}. {@code newSet} may be null (not created yet).
   */
  public static Step recreateStep(Rollout d, SetState newSet, List<SetState> oldSets, boolean oldPodsRunning) {
    Map<String, Integer> scale = new LinkedHashMap<>();
    for (SetState s : oldSets) {
      if (s.replicas() > 0) {
        scale.put(s.name(), 0);
      }
    }
    if (!scale.isEmpty()) {
      return new Step(scale, "scale old sets to zero");
    }
    if (oldPodsRunning) {
      return new Step(Map.of(), "waiting for old pods to stop");
    }
    if (newSet != null && newSet.replicas() != d.replicas()) {
      return new Step(Map.of(newSet.name(), d.replicas()), "scale up the new set");
    }
    return Step.none();
  }

  /** The old sets to delete beyond the history limit: fully scaled down ones, oldest revision first. */
  public static List<String> setsToClean(List<SetState> scaledDownOldSetsByRevision, int revisionHistoryLimit) {
    int excess = scaledDownOldSetsByRevision.size() - revisionHistoryLimit;
    if (excess <= 0) {
      return List.of();
    }
    return scaledDownOldSetsByRevision.subList(0, excess).stream().map(SetState::name).toList();
  }

  static int total(List<SetState> sets) {
    return sets.stream().mapToInt(SetState::replicas).sum();
  }

  static int available(List<SetState> sets) {
    return sets.stream().mapToInt(SetState::availableReplicas).sum();
  }

  private static List<SetState> byAge(List<SetState> sets) {
    List<SetState> sorted = new ArrayList<>(sets);
    sorted.sort(Comparator.comparing(SetState::created).thenComparing(SetState::name));
    return sorted;
  }
}
