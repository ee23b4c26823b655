package io.capstan.controllers.replicaset;

import io.capstan.api.Pod;
import io.capstan.api.ReplicaSet;
import io.capstan.api.ReplicaSetCondition;
import io.capstan.api.ReplicaSetStatus;
import io.capstan.controllers.runtime.PodConditions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A ReplicaSet's status from its pods (the ReplicaSet controller's calculateStatus). */
public final class ReplicaSetStatuses {
  /** As Kubernetes' ReplicaSetReplicaFailure condition. */
  public static final String REPLICA_FAILURE = "ReplicaFailure";

  private ReplicaSetStatuses() {}

  /**
   * @param pods        the active pods the set owns
   * @param manageError why creating or deleting pods failed this time, or null
   */
  public static ReplicaSetStatus calculate(ReplicaSet rs, List<Pod> pods, String manageError, Instant now) {
    Map<String, String> templateLabels = rs.getSpec().getTemplate() == null
        || rs.getSpec().getTemplate().getMetadata() == null
        || rs.getSpec().getTemplate().getMetadata().getLabels() == null
        ? Map.of() : rs.getSpec().getTemplate().getMetadata().getLabels();
    int minReady = rs.getSpec().getMinReadySeconds() == null ? 0 : rs.getSpec().getMinReadySeconds();
    int fullyLabeled = 0;
    int ready = 0;
    int available = 0;
    for (Pod p : pods) {
      if (PodConditions.labels(p).entrySet().containsAll(templateLabels.entrySet())) {
        fullyLabeled++;
      }
      if (PodConditions.isReady(p)) {
        ready++;
        if (PodConditions.isAvailable(p, minReady, now)) {
          available++;
        }
      }
    }
    ReplicaSetStatus was = rs.getStatus();
    List<ReplicaSetCondition> conditions = new ArrayList<>();
    if (was != null && was.getConditions() != null) {
      conditions.addAll(was.getConditions());
    }
    boolean hasFailure = conditions.stream().anyMatch(c -> REPLICA_FAILURE.equals(c.getType()));
    if (manageError != null && !hasFailure) {
      conditions.add(ReplicaSetCondition.newBuilder().setType(REPLICA_FAILURE).setStatus("True")
          .setReason(manageError.startsWith("delete") ? "FailedDelete" : "FailedCreate").setMessage(manageError)
          .setLastTransitionTime(now.toString()).build());
    } else if (manageError == null && hasFailure) {
      conditions.removeIf(c -> REPLICA_FAILURE.equals(c.getType()));
    }
    return ReplicaSetStatus.newBuilder()
        .setReplicas(pods.size())
        .setFullyLabeledReplicas(fullyLabeled)
        .setReadyReplicas(ready)
        .setAvailableReplicas(available)
        .setTerminatingReplicas(was == null ? null : was.getTerminatingReplicas())
        .setObservedGeneration(rs.getMetadata().getGeneration())
        .setConditions(conditions.isEmpty() ? null : conditions)
        .build();
  }
}
