package io.capstan.gateway.cache;

import java.time.Duration;

/**
 * How long the cache may wait, in all, for watches whose buffers are full before ending them:
 * kube-apiserver's dispatch time budget (cacher's timeBudget: 50 ms more every second, at most
 * 100 ms). A change that finds watches full waits for them together up to what is available and
 * gives back what it did not use; a client that keeps falling behind soon finds nothing left and
 * its watch is ended at once, so one slow client never slows the others for long.
 */
final class DispatchBudget {
  static final Duration REFILL_PER_SECOND = Duration.ofMillis(50);
  static final Duration MAX = Duration.ofMillis(100);

  private final long refillPerSecondNanos;
  private final long maxNanos;
  private long budgetNanos;
  private long refilledAt;

  DispatchBudget() {
    this(REFILL_PER_SECOND, MAX, System.nanoTime());
  }

  DispatchBudget(Duration refillPerSecond, Duration max, long now) {
    this.refillPerSecondNanos = refillPerSecond.toNanos();
    this.maxNanos = max.toNanos();
    this.refilledAt = now;
  }

  /** All the time available now (nanoseconds); the budget is empty until {@link #giveBack}. */
  synchronized long take(long now) {
    long elapsed = Math.max(0, now - refilledAt);
    refilledAt = now;
    budgetNanos = Math.min(maxNanos, budgetNanos + (long) (elapsed / 1e9 * refillPerSecondNanos));
    long all = budgetNanos;
    budgetNanos = 0;
    return all;
  }

  /** Returns time taken but not spent. */
  synchronized void giveBack(long unusedNanos) {
    if (unusedNanos > 0) {
      budgetNanos = Math.min(maxNanos, budgetNanos + unusedNanos);
    }
  }
}
