package io.capstan.scheduler.queue;

import io.capstan.scheduler.framework.PodInfo;
import java.time.Instant;
import java.util.Set;

/**
 * A pod in the queue (framework.QueuedPodInfo).
 *
 * @param timestamp            when it was last put in the queue: orders activeQ among equal
 *                             priorities, and the backoff counts from it
 * @param attempts             scheduling attempts so far
 * @param initialAttempt       when it was first popped (for the end-to-end latency)
 * @param unschedulablePlugins the plugins that rejected it last time: only their events move it back
 * @param gated                has scheduling gates: waits for an update that removes them
 */
public record QueuedPod(PodInfo podInfo, Instant timestamp, int attempts, Instant initialAttempt,
    Set<String> unschedulablePlugins, boolean gated) {

  public String key() {
    return podInfo.key();
  }

  public int priority() {
    return podInfo.priority();
  }

  QueuedPod withPod(PodInfo p) {
    return new QueuedPod(p, timestamp, attempts, initialAttempt, unschedulablePlugins, isGated(p));
  }

  QueuedPod withTimestamp(Instant t) {
    return new QueuedPod(podInfo, t, attempts, initialAttempt, unschedulablePlugins, gated);
  }

  QueuedPod popped(Instant now) {
    return new QueuedPod(podInfo, timestamp, attempts + 1, initialAttempt == null ? now : initialAttempt,
        unschedulablePlugins, gated);
  }

  QueuedPod failed(Set<String> plugins, Instant now) {
    return new QueuedPod(podInfo, now, attempts, initialAttempt, Set.copyOf(plugins), gated);
  }

  static boolean isGated(PodInfo p) {
    return p.spec().getSchedulingGates() != null && !p.spec().getSchedulingGates().isEmpty();
  }
}
