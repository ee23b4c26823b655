package io.capstan.nodeagent.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Container;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TokenCacheTest {
  private static final Instant T0 = Instant.parse("2026-12-05T10:00:00Z");

  private static Pod pod(String uid) {
    return Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("p").setNamespace("ns").setUid(uid).build())
        .setSpec(PodSpec.newBuilder().setServiceAccountName("sa")
            .setContainers(List.of(Container.newBuilder().setName("c").setImage("busybox").build())).build())
        .build();
  }

  @Test
  void renewedAtEightyPercentOfTheLifetimeOrAfterADay() {
    var t = new ServiceAccountTokenSource.Token("x", T0, T0.plusSeconds(3600));
    assertFalse(TokenCache.requiresRefresh(t, T0.plusSeconds(2879)));
    assertTrue(TokenCache.requiresRefresh(t, T0.plusSeconds(2880)));
    var year = new ServiceAccountTokenSource.Token("y", T0, T0.plus(Duration.ofDays(365)));
    assertFalse(TokenCache.requiresRefresh(year, T0.plus(Duration.ofHours(23))));
    assertTrue(TokenCache.requiresRefresh(year, T0.plus(Duration.ofHours(24))));
  }

  @Test
  void oneRequestUntilDueThenANewOneAndTheOldKeptWhileTheApiFails() throws Exception {
    AtomicReference<Instant> now = new AtomicReference<>(T0);
    Clock clock = new Clock() {
      public Instant instant() {
        return now.get();
      }

      public java.time.ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      public Clock withZone(java.time.ZoneId z) {
        return this;
      }
    };
    AtomicInteger asked = new AtomicInteger();
    AtomicReference<Boolean> failing = new AtomicReference<>(false);
    TokenCache cache = new TokenCache((pod, audience, seconds) -> {
      if (failing.get()) {
        throw new IOException("the API is away");
      }
      int n = asked.incrementAndGet();
      return new ServiceAccountTokenSource.Token("t" + n, now.get(), now.get().plusSeconds(seconds));
    }, clock);
    Pod p = pod("u1");
    assertEquals("t1", cache.token(p, null, 3600));
    now.set(T0.plusSeconds(1000));
    assertEquals("t1", cache.token(p, null, 3600));
    assertEquals("t2", cache.token(p, "vault", 3600), "another audience is another token");
    now.set(T0.plusSeconds(2900));
    assertEquals("t3", cache.token(p, null, 3600), "due at 80%");
    failing.set(true);
    now.set(T0.plusSeconds(2900 + 3000));
    assertEquals("t3", cache.token(p, null, 3600), "still valid: kept while the API fails");
    now.set(T0.plusSeconds(2900 + 3600));
    assertThrows(IOException.class, () -> cache.token(p, null, 3600), "expired and not renewable");
    failing.set(false);
    assertEquals("t4", cache.token(p, null, 3600), "the API is back");
    cache.forget("u1");
    assertEquals("t5", cache.token(p, null, 3600), "a forgotten pod's token is asked for again");
  }
}
