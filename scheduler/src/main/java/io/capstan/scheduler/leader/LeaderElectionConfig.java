package io.capstan.scheduler.leader;

import java.time.Duration;

/**
 * How a scheduler competes for the lease (LeaderElectionConfiguration). Kubernetes' defaults are
 * 15 s / 10 s / 2 s; ours are shorter so a standby takes over within seconds.
 *
 * @param leaseDuration how long a lease without renewal stays valid for the others
 * @param renewDeadline how long the leader keeps trying to renew before it steps down
 * @param retryPeriod   how often everyone tries to acquire or renew
 */
public record LeaderElectionConfig(String namespace, String name, String identity, Duration leaseDuration,
    Duration renewDeadline, Duration retryPeriod) {
  public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(6);
  public static final Duration DEFAULT_RENEW_DEADLINE = Duration.ofSeconds(4);
  public static final Duration DEFAULT_RETRY_PERIOD = Duration.ofSeconds(1);

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
