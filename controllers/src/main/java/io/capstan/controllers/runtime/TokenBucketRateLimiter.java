package io.capstan.controllers.runtime;

import java.time.Duration;

/**
 * An overall token bucket shared by every item, client-go's BucketRateLimiter (golang.org/x/time/rate):
 * {@code qps} tokens a second, at most {@code burst} saved up. Each retry reserves a token; when
 * none is left the retry waits until its token will have accrued, so a storm of failing keys
 * cannot retry faster than {@code qps} in total.
 */
public final class TokenBucketRateLimiter implements RateLimiter {
  private final double qps;
  private final int burst;
  private final Ticker ticker;
  private double tokens;
  private long lastNanos;

  public TokenBucketRateLimiter(double qps, int burst, Ticker ticker) {
    if (!(qps > 0) || burst < 1 || ticker == null) {
      throw new IllegalArgumentException("token bucket: need qps > 0, burst >= 1 and a ticker, got qps=" + qps
          + " burst=" + burst);
    }
    this.qps = qps;
    this.burst = burst;
    this.ticker = ticker;
    this.tokens = burst;
    this.lastNanos = ticker.nanos();
  }

  @Override
  public synchronized Duration when(String item) {
    long now = ticker.nanos();
    tokens = Math.min(burst, tokens + (now - lastNanos) / 1e9 * qps);
    lastNanos = now;
    tokens -= 1;
    if (tokens >= 0) {
      return Duration.ZERO;
    }
    return Duration.ofNanos((long) Math.ceil(-tokens / qps * 1e9));
  }

  /** The bucket keeps no per-item state. */
  @Override
  public void forget(String item) {}

  @Override
  public int numRequeues(String item) {
    return 0;
  }
}
