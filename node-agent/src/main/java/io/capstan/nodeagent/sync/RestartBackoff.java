package io.capstan.nodeagent.sync;

import java.time.Duration;
import java.time.Instant;

/**
 * kubelet's container restart back-off: the first restart is immediate, then each waits 10 s,
 * doubling up to 5 min (CrashLoopBackOff); a container that ran for 10 min starts afresh.
 * The same schedule paces image pulls that failed (ImagePullBackOff). Not thread-safe: one pod
 * worker owns it.
 */
final class RestartBackoff {
  static final Duration INITIAL = Duration.ofSeconds(10);
  static final Duration MAX = Duration.ofMinutes(5);
  static final Duration RESET_AFTER = Duration.ofMinutes(10);

  private final Duration initial;
  private final Duration max;
  private Duration current = Duration.ZERO;
  private Instant last = Instant.EPOCH;

  RestartBackoff() {
    this(INITIAL, MAX);
  }

  RestartBackoff(Duration initial, Duration max) {
    this.initial = initial;
    this.max = max;
  }

  /** When the next attempt may happen; {@code now} or earlier means at once. */
  Instant nextAllowed() {
    return last.plus(current);
  }

  /** Records an attempt at {@code now} and lengthens the wait before the next. */
  void attempted(Instant now) {
    current = current.isZero() ? initial : min(current.multipliedBy(2), max);
    last = now;
  }

  /** A run that lasted long enough forgives earlier crashes. */
  void ran(Duration runFor) {
    if (runFor.compareTo(RESET_AFTER) >= 0) {
      current = Duration.ZERO;
    }
  }

  Duration current() {
    return current;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
