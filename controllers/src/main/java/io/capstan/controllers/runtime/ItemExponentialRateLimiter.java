package io.capstan.controllers.runtime;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Per-item exponential backoff, client-go's ItemExponentialFailureRateLimiter: the n-th failure
 * of an item waits {@code base * 2^n}, capped at {@code max}; forgetting the item resets it.
 */
public final class ItemExponentialRateLimiter implements RateLimiter {
  private final long baseNanos;
  private final long maxNanos;
  private final Map<String, Integer> failures = new HashMap<>();

  public ItemExponentialRateLimiter(Duration base, Duration max) {
    if (base == null || max == null || base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
      throw new IllegalArgumentException("exponential rate limiter: need 0 < base <= max, got base=" + base
          + " max=" + max);
    }
    this.baseNanos = base.toNanos();
    this.maxNanos = max.toNanos();
  }

  @Override
  public synchronized Duration when(String item) {
    int exp = failures.merge(item, 1, Integer::sum) - 1;
    // base * 2^exp without overflow: past 62 doublings anything is above max
    if (exp >= 62 || baseNanos > (maxNanos >> Math.min(exp, 62))) {
      return Duration.ofNanos(maxNanos);
    }
    long backoff = baseNanos << exp;
    return Duration.ofNanos(Math.min(backoff, maxNanos));
  }

  @Override
  public synchronized void forget(String item) {
    failures.remove(item);
  }

  @Override
  public synchronized int numRequeues(String item) {
    return failures.getOrDefault(item, 0);
  }
}
