package io.capstan.controllers.daemonset;

import io.capstan.api.DaemonSet;
import io.capstan.api.DaemonSetStatus;
import io.capstan.api.Pod;
import io.capstan.controllers.runtime.PodConditions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A DaemonSet's status as kube's updateDaemonSetStatus counts it, node by node: desired (nodes that
 * should run the daemon), current (those of them with a pod), ready and available (judged by the
 * node's oldest pod), updated (that pod has the current revision hash), misscheduled (nodes that
 * should not run the daemon but have a pod), unavailable (desired minus available).
 */
public final class DaemonSetStatuses {
  private DaemonSetStatuses() {}

  public static DaemonSetStatus calculate(DaemonSet ds, String hash, Map<String, DaemonPods.Placement> placements,
      Map<String, List<Pod>> nodeToDaemonPods, Integer collisionCount, Instant now) {
    int minReady = DaemonSetPlanner.minReadySeconds(ds);
    int desired = 0;
    int current = 0;
    int ready = 0;
    int available = 0;
    int updated = 0;
    int misscheduled = 0;
    for (Map.Entry<String, DaemonPods.Placement> e : placements.entrySet()) {
      List<Pod> pods = nodeToDaemonPods.getOrDefault(e.getKey(), List.of());
      boolean scheduled = !pods.isEmpty();
      if (!e.getValue().shouldRun()) {
        if (scheduled) {
          misscheduled++;
        }
        continue;
      }
      desired++;
      if (!scheduled) {
        continue;
      }
      current++;
      List<Pod> sorted = new ArrayList<>(pods);
      sorted.sort(DaemonSetPlanner.OLDEST_FIRST);
      Pod pod = sorted.get(0);
      if (PodConditions.isReady(pod)) {
        ready++;
        if (PodConditions.isAvailable(pod, minReady, now)) {
          available++;
        }
      }
      if (hash.equals(DaemonPods.hashOf(pod))) {
        updated++;
      }
    }
    return DaemonSetStatus.newBuilder()
        .setObservedGeneration(ds.getMetadata().getGeneration())
        .setDesiredNumberScheduled(desired)
        .setCurrentNumberScheduled(current)
        .setNumberReady(ready)
        .setNumberAvailable(available)
        .setNumberUnavailable(desired - available)
        .setUpdatedNumberScheduled(updated)
        .setNumberMisscheduled(misscheduled)
        .setCollisionCount(collisionCount)
        .setConditions(ds.getStatus() == null ? null : ds.getStatus().getConditions())
        .build();
  }
}
