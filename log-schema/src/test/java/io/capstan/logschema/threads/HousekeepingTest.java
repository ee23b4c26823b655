package io.capstan.logschema.threads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HousekeepingTest {

  @Test
  void choresOfSeveralOwnersShareOneThreadAndCloseSeparately() throws Exception {
    Housekeeping a = Housekeeping.of("a");
    Housekeeping b = Housekeeping.of("b");
    CountDownLatch aRan = new CountDownLatch(3);
    CountDownLatch bRan = new CountDownLatch(6);
    java.util.Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    a.every(Duration.ofMillis(10), Duration.ZERO, () -> {
      threads.add(Thread.currentThread().getName());
      aRan.countDown();
    });
    b.every(Duration.ofMillis(10), Duration.ZERO, () -> {
      threads.add(Thread.currentThread().getName());
      bRan.countDown();
    });
    assertTrue(aRan.await(10, TimeUnit.SECONDS));
    a.close();
    assertEquals(0, a.pending());
    assertTrue(bRan.await(10, TimeUnit.SECONDS), "closing a leaves b's chores running");
    assertEquals(java.util.Set.of("capstan-housekeeping"), threads);
    assertThrows(RejectedExecutionException.class, () -> a.after(Duration.ZERO, () -> { }));
    b.close();
  }

  @Test
  void aChoreThatThrowsKeepsItsSchedule() throws Exception {
    Housekeeping h = Housekeeping.of("thrower");
    AtomicInteger runs = new AtomicInteger();
    CountDownLatch thrice = new CountDownLatch(3);
    h.every(Duration.ofMillis(5), Duration.ZERO, () -> {
      runs.incrementAndGet();
      thrice.countDown();
      throw new IllegalStateException("boom");
    });
    assertTrue(thrice.await(10, TimeUnit.SECONDS), "ran again after throwing: " + runs.get());
    h.close();
  }

  @Test
  void aOneOffChoreRunsOnceAndBadPeriodsAreRefused() throws Exception {
    Housekeeping h = Housekeeping.of("once");
    CountDownLatch ran = new CountDownLatch(1);
    h.after(Duration.ofMillis(5), ran::countDown);
    assertTrue(ran.await(10, TimeUnit.SECONDS));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> h.every(Duration.ZERO, Duration.ZERO, () -> { }));
    assertTrue(e.getMessage().contains("once"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Housekeeping.of(" "));
    h.close();
  }
}
