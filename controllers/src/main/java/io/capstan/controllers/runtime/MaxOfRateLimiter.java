package io.capstan.controllers.runtime;

import java.time.Duration;
import java.util.List;

/** The longest wait any of its limiters asks for (client-go's MaxOfRateLimiter). */
public final class MaxOfRateLimiter implements RateLimiter {
  private final List<RateLimiter> limiters;

  public MaxOfRateLimiter(List<RateLimiter> limiters) {
    if (limiters == null || limiters.isEmpty()) {
      throw new IllegalArgumentException("max-of rate limiter: at least one limiter is needed");
    }
    this.limiters = List.copyOf(limiters);
  }

  @Override
  public Duration when(String item) {
    Duration longest = Duration.ZERO;
    for (RateLimiter l : limiters) {
      Duration d = l.when(item);
      if (d.compareTo(longest) > 0) {
        longest = d;
      }
    }
    return longest;
  }

  @Override
  public void forget(String item) {
    limiters.forEach(l -> l.forget(item));
  }

  @Override
  public int numRequeues(String item) {
    int max = 0;
    for (RateLimiter l : limiters) {
      max = Math.max(max, l.numRequeues(item));
    }
    return max;
  }

  /**
   * client-go's DefaultControllerRateLimiter: per-item backoff from 5 ms doubling to 1000 s,
   * combined with an overall bucket of 10 qps and a burst of 100.
   */
  public static RateLimiter defaultControllerRateLimiter(Ticker ticker) {
    return new MaxOfRateLimiter(List.of(
        new ItemExponentialRateLimiter(DEFAULT_BASE_DELAY, DEFAULT_MAX_DELAY),
        new TokenBucketRateLimiter(DEFAULT_QPS, DEFAULT_BURST, ticker)));
  }

  public static final Duration DEFAULT_BASE_DELAY = Duration.ofMillis(5);
  public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(1000);
  public static final double DEFAULT_QPS = 10;
  public static final int DEFAULT_BURST = 100;
}
