package io.capstan.controllers.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExpectationsTest {
  private final ManualTicker ticker = new ManualTicker();
  private final Expectations e = new Expectations(ticker, Duration.ofMinutes(5));

  @Test
  void anOwnerWithoutExpectationsIsSatisfied() {
    assertTrue(e.satisfied("ReplicaSet/ns/a"));
  }

  @Test
  void creationsMustAllBeObserved() {
    e.expectCreations("rs", 3);
    assertFalse(e.satisfied("rs"));
    e.creationObserved("rs");
    e.creationObserved("rs");
    assertFalse(e.satisfied("rs"));
    e.creationObserved("rs");
    assertTrue(e.satisfied("rs"));
    e.creationObserved("rs");
    assertTrue(e.satisfied("rs"), "extra observations do not go negative in a harmful way");
  }

  @Test
  void deletionsAreTrackedByKeySoASecondSightingOfTheSamePodDoesNotCount() {
    e.expectDeletions("rs", Set.of("Pod/ns/p1", "Pod/ns/p2"));
    e.deletionObserved("rs", "Pod/ns/p1");
    e.deletionObserved("rs", "Pod/ns/p1"); // marked for deletion, then removed: seen twice
    assertFalse(e.satisfied("rs"));
    e.deletionObserved("rs", "Pod/ns/other");
    assertFalse(e.satisfied("rs"), "a pod that was not expected does not count");
    e.deletionObserved("rs", "Pod/ns/p2");
    assertTrue(e.satisfied("rs"));
  }

  @Test
  void expectationsExpireAfterTheTtlSoALostEventCannotBlockForever() {
    e.expectCreations("rs", 1);
    ticker.advance(Duration.ofMinutes(5));
    assertFalse(e.satisfied("rs"), "not yet: the TTL is exceeded only after 5 minutes");
    ticker.advance(Duration.ofMillis(1));
    assertTrue(e.satisfied("rs"));
  }

  @Test
  void forgettingAnOwnerClearsIt() {
    e.expectCreations("rs", 2);
    e.forget("rs");
    assertTrue(e.satisfied("rs"));
  }
}
