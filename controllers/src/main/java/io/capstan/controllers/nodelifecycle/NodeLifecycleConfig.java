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

  /** The monitor grace period given, the default startup grace period (never shorter than the monitor's). */
  public static NodeLifecycleConfig withMonitorGracePeriod(Duration grace) {
    return new NodeLifecycleConfig(grace, grace.compareTo(DEFAULT_STARTUP_GRACE_PERIOD) > 0 ? grace
        : DEFAULT_STARTUP_GRACE_PERIOD);
  }

  /**
   * A duration as Kubernetes flags write it: a number with a unit, {@code ms}, {@code s}, {@code m}
   * or {@code h}, possibly several ({@code 1m30s}); an ISO-8601 {@code PT40S} is accepted too.
   *
   * @throws IllegalArgumentException naming the value when it is not such a duration
   */
  public static Duration parseDuration(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("a duration is required, e.g. 40s");
    }
    String t = text.trim();
    if (t.startsWith("PT") || t.startsWith("pt")) {
      try {
        return Duration.parse(t);
      } catch (java.time.format.DateTimeParseException e) {
        throw new IllegalArgumentException("\"" + text + "\" is not a duration such as 40s, 2m or PT40S", e);
      }
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h)").matcher(t);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find() && m.start() == end) {
      long n = Long.parseLong(m.group(1));
      total = total.plus(switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      });
      end = m.end();
    }
    if (end == 0 || end != t.length()) {
      throw new IllegalArgumentException("\"" + text + "\" is not a duration such as 40s, 2m or PT40S");
    }
    return total;
  }

  /** The same grace period for registered and starting nodes (tests use a short one). */
  public static NodeLifecycleConfig withGracePeriod(Duration grace) {
    return new NodeLifecycleConfig(grace, grace);
  }
}
