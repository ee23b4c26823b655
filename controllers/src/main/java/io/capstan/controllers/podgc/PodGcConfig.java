package io.capstan.controllers.podgc;

import java.time.Duration;

/**
 * Settings of the pod garbage collector.
 *
 * @param terminatedPodThreshold how many terminated (Succeeded or Failed) pods may exist before the
 *                               oldest are deleted (kube-controller-manager's
 *                               {@code --terminated-pod-gc-threshold}); 0 or less: terminated pods
 *                               are never collected for their number
 * @param checkPeriod            how often the pods are looked through (kube: 20 s)
 * @param quarantine             how long a node a pod is bound to must stay missing before its
 *                               pods count as orphaned (kube: 40 s), so a node that is only late
 *                               in the cache is not mistaken for a deleted one
 */
public record PodGcConfig(int terminatedPodThreshold, Duration checkPeriod, Duration quarantine) {
  /** kube-controller-manager's default of {@code --terminated-pod-gc-threshold}. */
  public static final int DEFAULT_TERMINATED_POD_THRESHOLD = 12500;
  public static final Duration DEFAULT_CHECK_PERIOD = Duration.ofSeconds(20);
  public static final Duration DEFAULT_QUARANTINE = Duration.ofSeconds(40);

  public PodGcConfig {
    if (checkPeriod == null || checkPeriod.isNegative() || checkPeriod.isZero()) {
      throw new IllegalArgumentException("pod GC config: checkPeriod must be positive, got " + checkPeriod);
    }
    if (quarantine == null || quarantine.isNegative()) {
      throw new IllegalArgumentException("pod GC config: quarantine must not be negative, got " + quarantine);
    }
  }

  public static PodGcConfig defaults() {
    return new PodGcConfig(DEFAULT_TERMINATED_POD_THRESHOLD, DEFAULT_CHECK_PERIOD, DEFAULT_QUARANTINE);
  }

  public PodGcConfig withTerminatedPodThreshold(int threshold) {
    return new PodGcConfig(threshold, checkPeriod, quarantine);
  }
}
