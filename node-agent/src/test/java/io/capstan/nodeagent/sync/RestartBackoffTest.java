package io.capstan.nodeagent.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RestartBackoffTest {
  @Test
  void firstRestartIsImmediateThenTenSecondsDoublingToFiveMinutes() {
    RestartBackoff b = new RestartBackoff();
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    assertFalse(t.isBefore(b.nextAllowed()), "the first restart does not wait");
    long[] expected = {10, 20, 40, 80, 160, 300, 300};
    for (long seconds : expected) {
      b.attempted(t);
      assertEquals(Duration.ofSeconds(seconds), b.current());
      assertEquals(t.plusSeconds(seconds), b.nextAllowed());
      t = b.nextAllowed();
    }
  }

  @Test
  void tenMinutesOfRunningForgiveEarlierCrashes() {
    RestartBackoff b = new RestartBackoff();
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    b.attempted(t);
    b.attempted(t);
    b.ran(Duration.ofMinutes(9));
    assertEquals(Duration.ofSeconds(20), b.current());
    b.ran(Duration.ofMinutes(10));
    assertTrue(b.current().isZero());
    assertFalse(t.plusSeconds(1).isBefore(b.nextAllowed()));
  }
}
