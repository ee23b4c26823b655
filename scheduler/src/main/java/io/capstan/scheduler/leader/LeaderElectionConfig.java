package io.capstan.scheduler.leader;

import java.time.Duration;

/**
 * How a scheduler competes for the lease (LeaderElectionConfiguration), with Kubernetes' defaults
 * (15 s / 10 s / 2 s): a standby takes over within 15 s of the leader's death. Shorter times (6 s /
 * 4 s / 1 s, tried first) made a leader on a loaded machine miss its renew deadline and step down
 * every few seconds in the robustness cluster runs.
 *
 * @param leaseDuration how long a lease without renewal stays valid for the others
 * @param renewDeadline how long the leader keeps trying to renew before it steps down
 * @param retryPeriod   how often everyone tries to acquire or renew
 */
public record LeaderElectionConfig(String namespace, String name, String identity, Duration leaseDuration,
    Duration renewDeadline, Duration retryPeriod) {
  public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(15);
  public static final Duration DEFAULT_RENEW_DEADLINE = Duration.ofSeconds(10);
  public static final Duration DEFAULT_RETRY_PERIOD = Duration.ofSeconds(2);

  public LeaderElectionConfig {
    if (renewDeadline.compareTo(leaseDuration) >= 0) {
      throw new IllegalArgumentException("leader election: renewDeadline (" + renewDeadline
          + ") must be shorter than leaseDuration (" + leaseDuration + ")");
    }
    if (retryPeriod.compareTo(renewDeadline) >= 0) {
      throw new IllegalArgumentException("leader election: retryPeriod (" + retryPeriod
          + ") must be shorter than renewDeadline (" + renewDeadline + ")");
    }
  }

  /** The lease kube-scheduler uses: kube-system/kube-scheduler, named after the scheduler. */
  public static LeaderElectionConfig defaults(String schedulerName, String identity) {
    String name = schedulerName.equals("default-scheduler") ? "kube-scheduler" : schedulerName;
    return new LeaderElectionConfig("kube-system", name, identity, DEFAULT_LEASE_DURATION, DEFAULT_RENEW_DEADLINE,
        DEFAULT_RETRY_PERIOD);
  }

  public LeaderElectionConfig withTimes(Duration lease, Duration renew, Duration retry) {
    return new LeaderElectionConfig(namespace, name, identity, lease, renew, retry);
  }
}
