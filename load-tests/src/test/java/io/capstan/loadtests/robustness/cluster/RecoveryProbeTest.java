package io.capstan.loadtests.robustness.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RecoveryProbeTest {

  @Test
  void recoveryIsTheTimeUntilTheWriteThroughTheLastGatewaySucceeds() throws Exception {
    long fault = System.nanoTime();
    AtomicInteger first = new AtomicInteger();
    AtomicInteger second = new AtomicInteger();
    RecoveryProbe probe = new RecoveryProbe(List.of(
        () -> first.incrementAndGet() > 0, // answers at once
        () -> System.nanoTime() - fault > Duration.ofMillis(300).toNanos() && second.incrementAndGet() > 0),
        Duration.ofMillis(20));
    Duration recovery = probe.await(fault, Duration.ofSeconds(10));
    assertTrue(recovery.toMillis() >= 300 && recovery.toMillis() < 5000, recovery.toString());
    assertEquals(1, first.get(), "a gateway that answered is not asked again");
    assertEquals(1, second.get());
  }

  @Test
  void aGatewayThatNeverAnswersIsNoRecovery() throws Exception {
    long fault = System.nanoTime();
    RecoveryProbe probe = new RecoveryProbe(List.of(() -> true, () -> false), Duration.ofMillis(20));
    assertNull(probe.await(fault, Duration.ofMillis(300)));
    assertTrue(System.nanoTime() - fault >= Duration.ofMillis(300).toNanos());
  }

  @Test
  void aClusterThatNeverStoppedAnsweringRecoversAtOnce() throws Exception {
    Duration recovery = new RecoveryProbe(List.of(() -> true, () -> true)).await(System.nanoTime(), Duration.ZERO);
    assertTrue(recovery.toMillis() < 1000, recovery.toString());
  }
}
