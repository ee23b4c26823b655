package io.capstan.loadtests.robustness.cluster;

import java.time.Duration;
import java.util.List;

/**
 * How long the cluster took to recover from a fault: the time from the fault until a write
 * through every gateway has succeeded again. Each gateway's write is tried until it succeeds
 * once (each attempt bounded by the write itself), {@link #RETRY_EVERY} apart.
 */
public final class RecoveryProbe {
  static final Duration RETRY_EVERY = Duration.ofMillis(200);

  /** One write through one gateway: true when it was acknowledged. */
  @FunctionalInterface
  public interface Write {
    boolean attempt() throws InterruptedException;
  }

  private final List<Write> writes;
  private final Duration retryEvery;

  public RecoveryProbe(List<Write> writes) {
    this(writes, RETRY_EVERY);
  }

  RecoveryProbe(List<Write> writes, Duration retryEvery) {
    if (writes.isEmpty()) {
      throw new IllegalArgumentException("a recovery probe needs a write through at least one gateway");
    }
    this.writes = List.copyOf(writes);
    this.retryEvery = retryEvery;
  }

  /**
   * Tries the writes until each has succeeded, and returns the time from {@code faultNanos}
   * ({@link System#nanoTime()} at the fault) until the last of them did; null when some write
   * still failed at {@code bound} after the fault.
   */
  public Duration await(long faultNanos, Duration bound) throws InterruptedException {
    boolean[] done = new boolean[writes.size()];
    long deadline = faultNanos + bound.toNanos();
    while (true) {
      boolean all = true;
      for (int i = 0; i < done.length; i++) {
        if (!done[i]) {
          done[i] = writes.get(i).attempt();
          all &= done[i];
        }
      }
      long now = System.nanoTime();
      if (all) {
        return Duration.ofNanos(now - faultNanos);
      }
      if (now - deadline > 0) {
        return null;
      }
      Thread.sleep(retryEvery.toMillis());
    }
  }
}
