package io.capstan.controllers.runtime;

import io.capstan.api.ContainerStatus;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;

/** Reading a pod's state as Kubernetes' podutil does: active, ready, available, restarts. */
public final class PodConditions {
  public static final String READY = "Ready";
  public static final String PENDING = "Pending";
  public static final String RUNNING = "Running";
  public static final String SUCCEEDED = "Succeeded";
  public static final String FAILED = "Failed";
  public static final String UNKNOWN = "Unknown";

  private PodConditions() {}

  public static String phase(Pod pod) {
    return pod.getStatus() == null || pod.getStatus().getPhase() == null ? PENDING : pod.getStatus().getPhase();
  }

  /** Not finished and not being deleted (controller.IsPodActive). */
  public static boolean isActive(Pod pod) {
    String phase = phase(pod);
    return !SUCCEEDED.equals(phase) && !FAILED.equals(phase) && pod.getMetadata().getDeletionTimestamp() == null;
  }

  public static Optional<PodCondition> condition(Pod pod, String type) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  /** The Ready condition is True (podutil.IsPodReady). */
  public static boolean isReady(Pod pod) {
    return condition(pod, READY).map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  /** When the pod last became ready, if it is ready and says when. */
  public static Optional<Instant> readySince(Pod pod) {
    if (!isReady(pod)) {
      return Optional.empty();
    }
    return condition(pod, READY).map(PodCondition::getLastTransitionTime).flatMap(PodConditions::instant);
  }

  /**
   * Ready for at least {@code minReadySeconds} (podutil.IsPodAvailable): with 0 every ready pod is
   * available; otherwise the Ready condition's lastTransitionTime must be far enough in the past.
   */
  public static boolean isAvailable(Pod pod, int minReadySeconds, Instant now) {
    if (!isReady(pod)) {
      return false;
    }
    if (minReadySeconds <= 0) {
      return true;
    }
    return readySince(pod).map(t -> !t.plusSeconds(minReadySeconds).isAfter(now)).orElse(false);
  }

  /** How long until a ready pod becomes available; empty if it is not ready or already available. */
  public static Optional<Duration> untilAvailable(Pod pod, int minReadySeconds, Instant now) {
    Optional<Instant> since = readySince(pod);
    if (since.isEmpty() || minReadySeconds <= 0) {
      return Optional.empty();
    }
    Instant at = since.get().plusSeconds(minReadySeconds);
    return at.isAfter(now) ? Optional.of(Duration.between(now, at)) : Optional.empty();
  }

  /** The sum of the containers' restart counts. */
  public static int restarts(Pod pod) {
    int n = 0;
    if (pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null) {
      for (ContainerStatus s : pod.getStatus().getContainerStatuses()) {
        n += s.getRestartCount() == null ? 0 : s.getRestartCount();
      }
    }
    return n;
  }

  public static String nodeName(Pod pod) {
    return pod.getSpec() == null || pod.getSpec().getNodeName() == null ? "" : pod.getSpec().getNodeName();
  }

  public static Map<String, String> labels(Pod pod) {
    return pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
  }

  public static Optional<Instant> instant(String rfc3339) {
    if (rfc3339 == null || rfc3339.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(rfc3339));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  public static Instant created(Pod pod) {
    return instant(pod.getMetadata().getCreationTimestamp()).orElse(Instant.EPOCH);
  }
}
