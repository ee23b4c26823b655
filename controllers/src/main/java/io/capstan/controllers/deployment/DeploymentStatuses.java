package io.capstan.controllers.deployment;

import io.capstan.api.Deployment;
import io.capstan.api.DeploymentCondition;
import io.capstan.api.DeploymentStatus;
import io.capstan.api.ReplicaSet;
import io.capstan.api.ReplicaSetStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A Deployment's status from its ReplicaSets, and its Available and Progressing conditions
 * (sync.go calculateStatus, progress.go syncRolloutStatus, deployment/util), with the reasons
 * {@code kubectl rollout status} reads.
 */
public final class DeploymentStatuses {
  public static final String AVAILABLE = "Available";
  public static final String PROGRESSING = "Progressing";
  public static final String MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable";
  public static final String MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable";
  public static final String NEW_RS_AVAILABLE = "NewReplicaSetAvailable";
  public static final String RS_UPDATED = "ReplicaSetUpdated";
  public static final String NEW_RS_CREATED = "NewReplicaSetCreated";
  public static final String FOUND_NEW_RS = "FoundNewReplicaSet";
  public static final String TIMED_OUT = "ProgressDeadlineExceeded";
  public static final String PAUSED = "DeploymentPaused";
  /** As Kubernetes' default progressDeadlineSeconds. */
  public static final int DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

  private DeploymentStatuses() {}

  /** The counts (calculateStatus), keeping the conditions and collision count as they are. */
  public static DeploymentStatus counts(Deployment d, ReplicaSet newSet, List<ReplicaSet> all, int maxUnavailable,
      Instant now) {
    int replicas = 0;
    int ready = 0;
    int available = 0;
    int specTotal = 0;
    for (ReplicaSet rs : all) {
      ReplicaSetStatus s = rs.getStatus();
      replicas += s == null || s.getReplicas() == null ? 0 : s.getReplicas();
      ready += s == null || s.getReadyReplicas() == null ? 0 : s.getReadyReplicas();
      available += s == null || s.getAvailableReplicas() == null ? 0 : s.getAvailableReplicas();
      specTotal += rs.getSpec().getReplicas() == null ? 1 : rs.getSpec().getReplicas();
    }
    int updated = newSet == null || newSet.getStatus() == null || newSet.getStatus().getReplicas() == null
        ? 0 : newSet.getStatus().getReplicas();
    DeploymentStatus was = d.getStatus();
    List<DeploymentCondition> conditions = new ArrayList<>(
        was == null || was.getConditions() == null ? List.of() : was.getConditions());
    int desired = desired(d);
    if (available >= desired - maxUnavailable) {
      set(conditions, AVAILABLE, "True", MINIMUM_REPLICAS_AVAILABLE, "Deployment has minimum availability.", now);
    } else {
      set(conditions, AVAILABLE, "False", MINIMUM_REPLICAS_UNAVAILABLE, "Deployment does not have minimum availability.",
          now);
    }
    return DeploymentStatus.newBuilder()
        .setObservedGeneration(d.getMetadata().getGeneration())
        .setReplicas(replicas)
        .setUpdatedReplicas(updated)
        .setReadyReplicas(ready)
        .setAvailableReplicas(available)
        .setUnavailableReplicas(Math.max(0, specTotal - available))
        .setTerminatingReplicas(was == null ? null : was.getTerminatingReplicas())
        .setCollisionCount(was == null ? null : was.getCollisionCount())
        .setConditions(conditions)
        .build();
  }

  public static int desired(Deployment d) {
    return d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
  }

  /** DeploymentComplete: every desired replica is updated and available, and the spec was observed. */
  public static boolean complete(Deployment d, DeploymentStatus s) {
    int desired = desired(d);
    return s.getUpdatedReplicas() == desired && s.getReplicas() == desired && s.getAvailableReplicas() == desired
        && s.getObservedGeneration() >= d.getMetadata().getGeneration();
  }

  /** DeploymentProgressing: more updated, ready or available pods than before, or fewer old ones. */
  public static boolean progressing(DeploymentStatus before, DeploymentStatus after) {
    if (before == null) {
      return true;
    }
    int oldBefore = n(before.getReplicas()) - n(before.getUpdatedReplicas());
    int oldAfter = n(after.getReplicas()) - n(after.getUpdatedReplicas());
    return n(after.getUpdatedReplicas()) > n(before.getUpdatedReplicas()) || oldAfter < oldBefore
        || n(after.getReadyReplicas()) > n(before.getReadyReplicas())
        || n(after.getAvailableReplicas()) > n(before.getAvailableReplicas());
  }

  /**
   * Sets Progressing (syncRolloutStatus) and says when to look again for the deadline; empty
   * when no deadline check is pending.
   */
  public static Optional<Duration> progress(Deployment d, DeploymentStatus status, String newSetName,
      boolean createdNewSet, Instant now) {
    List<DeploymentCondition> conditions = status.getConditions();
    Optional<DeploymentCondition> current = find(conditions, PROGRESSING);
    if (Boolean.TRUE.equals(d.getSpec().getPaused())) {
      set(conditions, PROGRESSING, "Unknown", PAUSED, "Deployment is paused", now);
      return Optional.empty();
    }
    Integer deadlineSeconds = d.getSpec().getProgressDeadlineSeconds() == null
        ? DEFAULT_PROGRESS_DEADLINE_SECONDS : d.getSpec().getProgressDeadlineSeconds();
    String rs = "ReplicaSet \"" + newSetName + "\"";
    if (complete(d, status)) {
      set(conditions, PROGRESSING, "True", NEW_RS_AVAILABLE, rs + " has successfully progressed.", now);
      return Optional.empty();
    }
    if (createdNewSet) {
      set(conditions, PROGRESSING, "True", NEW_RS_CREATED, "Created new replica set \"" + newSetName + "\"", now);
      touch(conditions, now);
      return Optional.of(Duration.ofSeconds(deadlineSeconds));
    }
    if (current.isEmpty() && newSetName != null) {
      set(conditions, PROGRESSING, "True", FOUND_NEW_RS, "Found new replica set \"" + newSetName + "\"", now);
      touch(conditions, now);
      return Optional.of(Duration.ofSeconds(deadlineSeconds));
    }
    if (progressing(d.getStatus(), status) || current.map(c -> NEW_RS_AVAILABLE.equals(c.getReason())).orElse(false)) {
      // a new rollout starts the clock again, as does any progress
      set(conditions, PROGRESSING, "True", RS_UPDATED, rs + " is progressing.", now);
      touch(conditions, now);
      return Optional.of(Duration.ofSeconds(deadlineSeconds));
    }
    Optional<DeploymentCondition> cond = find(conditions, PROGRESSING);
    if (cond.isPresent() && TIMED_OUT.equals(cond.get().getReason())) {
      return Optional.empty();
    }
    Instant lastUpdate = cond.map(DeploymentCondition::getLastUpdateTime).map(Instant::parse).orElse(now);
    Instant deadline = lastUpdate.plusSeconds(deadlineSeconds);
    if (!now.isBefore(deadline)) {
      set(conditions, PROGRESSING, "False", TIMED_OUT, rs + " has timed out progressing.", now);
      return Optional.empty();
    }
    return Optional.of(Duration.between(now, deadline));
  }

  private static int n(Integer i) {
    return i == null ? 0 : i;
  }

  static Optional<DeploymentCondition> find(List<DeploymentCondition> conditions, String type) {
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  /** Sets a condition; the transition time changes only when the status does (SetDeploymentCondition). */
  static void set(List<DeploymentCondition> conditions, String type, String status, String reason, String message,
      Instant now) {
    Optional<DeploymentCondition> was = find(conditions, type);
    if (was.isPresent() && status.equals(was.get().getStatus()) && Objects.equals(reason, was.get().getReason())
        && Objects.equals(message, was.get().getMessage())) {
      return;
    }
    String transition = was.isPresent() && status.equals(was.get().getStatus())
        ? was.get().getLastTransitionTime() : now.toString();
    DeploymentCondition c = DeploymentCondition.newBuilder().setType(type).setStatus(status).setReason(reason)
        .setMessage(message).setLastUpdateTime(now.toString()).setLastTransitionTime(transition).build();
    conditions.removeIf(x -> type.equals(x.getType()));
    conditions.add(c);
  }

  /** Progress was made: the deadline counts from now. */
  private static void touch(List<DeploymentCondition> conditions, Instant now) {
    for (DeploymentCondition c : conditions) {
      if (PROGRESSING.equals(c.getType())) {
        c.setLastUpdateTime(now.toString());
      }
    }
  }
}
