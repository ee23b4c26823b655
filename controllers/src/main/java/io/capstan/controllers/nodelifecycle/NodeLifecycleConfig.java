package io.capstan.controllers.nodelifecycle;

import java.time.Duration;

/**
 * Settings of the node lifecycle controller (kube-controller-manager's
 * {@code --node-monitor-grace-period} and {@code --node-startup-grace-period}).
 *
 * @param monitorGracePeriod how long a node may go without renewing its Lease or posting its Ready
 *                           condition before it is marked Ready=Unknown; several lease renewals
 *                           (every 10 s) must fit in it
 * @param startupGracePeriod the same for a node that never posted a Ready condition
 */
public record NodeLifecycleConfig(Duration monitorGracePeriod, Duration startupGracePeriod) {
  /** kube-controller-manager's default (40 s until 1.32): four missed 10 s lease renewals. */
  public static final Duration DEFAULT_MONITOR_GRACE_PERIOD = Duration.ofSeconds(40);
  public static final Duration DEFAULT_STARTUP_GRACE_PERIOD = Duration.ofSeconds(60);

  public NodeLifecycleConfig {
    if (monitorGracePeriod == null || monitorGracePeriod.isNegative() || monitorGracePeriod.isZero()) {
      throw new IllegalArgumentException("node lifecycle config: monitorGracePeriod must be positive, got "
          + monitorGracePeriod);
    }
    if (startupGracePeriod == null || startupGracePeriod.isNegative() || startupGracePeriod.isZero()) {
      throw new IllegalArgumentException("node lifecycle config: startupGracePeriod must be positive, got "
          + startupGracePeriod);
    }
  }

  public static NodeLifecycleConfig defaults() {
    return new NodeLifecycleConfig(DEFAULT_MONITOR_GRACE_PERIOD, DEFAULT_STARTUP_GRACE_PERIOD);
  }

  /** The same grace period for registered and starting nodes (tests use a short one). */
  public static NodeLifecycleConfig withGracePeriod(Duration grace) {
    return new NodeLifecycleConfig(grace, grace);
  }
}
