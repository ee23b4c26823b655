package io.capstan.logschema.threads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ChoreSchedulerTest {
  @Test
  void runsCallablesAndPeriodicTasksOnTheSharedThreadAndShutdownCancelsThem() throws Exception {
    ChoreScheduler scheduler = new ChoreScheduler("test");
    ScheduledFuture<String> answer = scheduler.schedule(() -> Thread.currentThread().getName(), 1, TimeUnit.MILLISECONDS);
    assertEquals("capstan-housekeeping", answer.get(10, TimeUnit.SECONDS));

    AtomicInteger runs = new AtomicInteger();
    CountDownLatch three = new CountDownLatch(3);
    ScheduledFuture<?> periodic = scheduler.scheduleAtFixedRate(() -> {
      runs.incrementAndGet();
      three.countDown();
    }, 0, 5, TimeUnit.MILLISECONDS);
    assertTrue(three.await(10, TimeUnit.SECONDS), "a periodic task runs again and again");

    scheduler.shutdownNow();
    assertTrue(scheduler.isShutdown());
    assertTrue(periodic.isCancelled(), "shutting down cancels the owner's chores");
    assertTrue(scheduler.awaitTermination(10, TimeUnit.SECONDS));
    int after = runs.get();
    Thread.sleep(50);
    assertTrue(runs.get() <= after + 1, "no run starts after shutdown (one may have been under way)");
  }
}
