package io.capstan.controllers.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

  @Test
  void itemBackoffDoublesFromFiveMillisAndCapsAtTheMaximum() {
    ItemExponentialRateLimiter l = new ItemExponentialRateLimiter(Duration.ofMillis(5), Duration.ofSeconds(1000));
    assertEquals(Duration.ofMillis(5), l.when("a"));
    assertEquals(Duration.ofMillis(10), l.when("a"));
    assertEquals(Duration.ofMillis(20), l.when("a"));
    assertEquals(Duration.ofMillis(5), l.when("b"), "items back off independently");
    assertEquals(3, l.numRequeues("a"));
    for (int i = 0; i < 100; i++) {
      l.when("a");
    }
    assertEquals(Duration.ofSeconds(1000), l.when("a"), "capped, and no overflow after many failures");
    l.forget("a");
    assertEquals(0, l.numRequeues("a"));
    assertEquals(Duration.ofMillis(5), l.when("a"), "forgetting resets the backoff");
  }

  @Test
  void backoffReachesTheCapAfterEnoughDoublings() {
    ItemExponentialRateLimiter l = new ItemExponentialRateLimiter(Duration.ofMillis(5), Duration.ofSeconds(1000));
    Duration d = Duration.ZERO;
    int n = 0;
    while (!d.equals(Duration.ofSeconds(1000))) {
      d = l.when("k");
      n++;
    }
    // 5 ms * 2^17 = 655 s < 1000 s; 5 ms * 2^18 = 1310 s is capped: the 19th failure waits 1000 s
    assertEquals(19, n);
  }

  @Test
  void bucketAllowsTheBurstThenPacesAtQps() {
    ManualTicker t = new ManualTicker();
    TokenBucketRateLimiter l = new TokenBucketRateLimiter(10, 100, t);
    for (int i = 0; i < 100; i++) {
      assertEquals(Duration.ZERO, l.when("k" + i), "token " + i + " of the burst");
    }
    assertEquals(Duration.ofMillis(100), l.when("x"), "the 101st waits one token at 10 qps");
    assertEquals(Duration.ofMillis(200), l.when("y"), "and the next one a token later");
    t.advance(Duration.ofSeconds(1));
    // 10 tokens accrued, two were owed: 8 free now, the 9th waits
    for (int i = 0; i < 8; i++) {
      assertEquals(Duration.ZERO, l.when("z" + i));
    }
    assertEquals(Duration.ofMillis(100), l.when("w"));
  }

  @Test
  void defaultControllerLimiterTakesTheLongerOfBackoffAndBucket() {
    ManualTicker t = new ManualTicker();
    RateLimiter l = MaxOfRateLimiter.defaultControllerRateLimiter(t);
    assertEquals(Duration.ofMillis(5), l.when("a"));
    assertEquals(Duration.ofMillis(10), l.when("a"));
    for (int i = 0; i < 98; i++) {
      l.when("other" + i); // uses up the burst of 100
    }
    assertEquals(Duration.ofMillis(100), l.when("fresh"), "the bucket's wait beats a fresh item's 5 ms");
    assertEquals(2, l.numRequeues("a"));
    l.forget("a");
    assertEquals(0, l.numRequeues("a"));
  }

  @Test
  void badSettingsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new ItemExponentialRateLimiter(Duration.ZERO, Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> new TokenBucketRateLimiter(0, 10, new ManualTicker()));
    assertThrows(IllegalArgumentException.class, () -> new TokenBucketRateLimiter(1, 0, new ManualTicker()));
  }
}
