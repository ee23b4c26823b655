package io.capstan.logschema.threads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OnDemandThreadsTest {

  @Test
  void aTrickleOfWorkIsServedByOneThread() throws Exception {
    ThreadPoolExecutor pool = OnDemandThreads.pool("trickle", 8, Duration.ofSeconds(10));
    try {
      for (int i = 0; i < 20; i++) {
        CountDownLatch ran = new CountDownLatch(1);
        pool.execute(ran::countDown);
        assertTrue(ran.await(5, TimeUnit.SECONDS));
        Thread.sleep(5); // the thread goes back to waiting for work
      }
      assertEquals(1, pool.getLargestPoolSize(), "an idle thread takes the next task");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aBurstGrowsToTheMaximumThenQueuesInOrderAndAnIdlePoolEndsItsThreads() throws Exception {
    ThreadPoolExecutor pool = OnDemandThreads.pool("burst", 3, Duration.ofMillis(100));
    CountDownLatch release = new CountDownLatch(1);
    List<Integer> started = new CopyOnWriteArrayList<>();
    List<Runnable> tasks = new java.util.ArrayList<>();
    CountDownLatch done = new CountDownLatch(10);
    for (int i = 0; i < 10; i++) {
      int n = i;
      Runnable task = () -> {
        started.add(n);
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        done.countDown();
      };
      tasks.add(task);
      pool.execute(task);
    }
    assertEquals(3, pool.getPoolSize(), "three run at once");
    assertEquals(tasks.subList(3, 10), List.copyOf(pool.getQueue()), "the rest wait, first in first out");
    release.countDown();
    assertTrue(done.await(5, TimeUnit.SECONDS));
    assertEquals(10, started.size());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (pool.getPoolSize() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, pool.getPoolSize(), "idle threads end after the keep-alive");
    pool.shutdown();
    assertThrows(java.util.concurrent.RejectedExecutionException.class, () -> pool.execute(() -> {}));
  }

  @Test
  void badSettingsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> OnDemandThreads.pool("x", 0, Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> OnDemandThreads.pool("x", 1, Duration.ZERO));
  }
}
