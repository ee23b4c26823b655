package io.capstan.controllers.statefulset;

import io.capstan.api.Pod;
import io.capstan.api.StatefulSet;
import io.capstan.api.StatefulSetStatus;
import io.capstan.controllers.runtime.PodConditions;
import java.time.Instant;
import java.util.List;

/**
 * A StatefulSet's status as kube's computeReplicaStatus and completeRollingUpdate count it: replicas
 * (pods that exist), ready and available, current and updated (pods not terminating at the current
 * or update revision). When a rolling update has every pod updated and ready, the update revision
 * becomes the current one.
 */
public final class StatefulSetStatuses {
  private StatefulSetStatuses() {}

  public static StatefulSetStatus calculate(StatefulSet set, List<Pod> pods, String currentRevision,
      String updateRevision, Integer collisionCount, Instant now) {
    int minReady = StatefulSetPlanner.minReadySeconds(set);
    int replicas = 0;
    int ready = 0;
    int available = 0;
    int current = 0;
    int updated = 0;
    for (Pod p : pods) {
      replicas++;
      if (StatefulSetPlanner.isRunningAndReady(p)) {
        ready++;
        if (PodConditions.isAvailable(p, minReady, now)) {
          available++;
        }
      }
      if (!StatefulSetPlanner.isTerminating(p)) {
        String revision = StatefulPods.revision(p);
        if (revision.equals(currentRevision)) {
          current++;
        }
        if (revision.equals(updateRevision)) {
          updated++;
        }
      }
    }
    String currentName = currentRevision;
    if (!StatefulSetPlanner.isOnDelete(set) && updated == replicas && ready == replicas
        && replicas == StatefulPods.replicas(set)) {
      // completeRollingUpdate
      currentName = updateRevision;
      current = updated;
    }
    return StatefulSetStatus.newBuilder()
        .setObservedGeneration(set.getMetadata().getGeneration())
        .setReplicas(replicas)
        .setReadyReplicas(ready)
        .setCurrentReplicas(current)
        .setUpdatedReplicas(updated)
        .setAvailableReplicas(available)
        .setCurrentRevision(currentName)
        .setUpdateRevision(updateRevision)
        .setCollisionCount(collisionCount)
        .setConditions(set.getStatus() == null ? null : set.getStatus().getConditions())
        .build();
  }
}
