package io.capstan.controllers.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WorkQueueTest {
  private final ManualTicker ticker = new ManualTicker();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final WorkQueue q = new WorkQueue("test", MaxOfRateLimiter.defaultControllerRateLimiter(ticker), ticker, registry);

  @Test
  void aKeyAddedManyTimesIsQueuedOnce() {
    q.add("a");
    q.add("b");
    q.add("a");
    q.add("a");
    assertEquals(2, q.length());
    assertEquals("a", q.poll());
    assertEquals("b", q.poll());
    assertNull(q.poll());
    assertEquals(2.0, registry.get("capstan.workqueue.adds").tag("name", "test").counter().count(),
        "only the two first adds count, as client-go's adds metric");
  }

  @Test
  void aKeyChangedDuringProcessingRunsExactlyOnceMoreAndNeverTwiceAtOnce() {
    q.add("a");
    String k = q.poll();
    assertEquals("a", k);
    assertTrue(q.isProcessing("a"));
    q.add("a");
    q.add("a");
    assertNull(q.poll(), "a processing key is not handed to a second worker");
    assertEquals(0, q.length());
    q.done("a");
    assertEquals("a", q.poll(), "the change seen during processing gives one more run");
    q.done("a");
    assertNull(q.poll(), "and only one");
  }

  @Test
  void delayedKeysWaitForTheirTimeAndTheEarliestWins() {
    q.addAfter("a", Duration.ofSeconds(10));
    q.addAfter("a", Duration.ofSeconds(2));
    q.addAfter("a", Duration.ofSeconds(5));
    assertEquals(1, q.delayed());
    assertNull(q.poll());
    ticker.advance(Duration.ofMillis(1999));
    assertNull(q.poll());
    ticker.advance(Duration.ofMillis(1));
    assertEquals("a", q.poll());
    q.done("a");
    ticker.advance(Duration.ofSeconds(20));
    assertNull(q.poll(), "the superseded later times do not queue it again");
    assertEquals(0, q.delayed());
  }

  @Test
  void rateLimitedAddsBackOffPerKeyAndForgetResets() {
    q.addRateLimited("a"); // 5 ms
    assertNull(q.poll());
    ticker.advance(Duration.ofMillis(5));
    assertEquals("a", q.poll());
    q.done("a");
    q.addRateLimited("a"); // 10 ms
    ticker.advance(Duration.ofMillis(9));
    assertNull(q.poll());
    ticker.advance(Duration.ofMillis(1));
    assertEquals("a", q.poll());
    q.done("a");
    assertEquals(2, q.numRequeues("a"));
    q.forget("a");
    q.addRateLimited("a");
    ticker.advance(Duration.ofMillis(5));
    assertEquals("a", q.poll(), "after forget the backoff starts at 5 ms again");
    assertEquals(3.0, registry.get("capstan.workqueue.retries").tag("name", "test").counter().count());
  }

  @Test
  void depthGaugeCountsWaitingKeys() {
    q.add("a");
    q.add("b");
    assertEquals(2.0, registry.get("capstan.workqueue.depth").tag("name", "test").gauge().value());
  }

  @Test
  void shutDownWakesWaitingWorkersAndRefusesNewKeys() throws Exception {
    WorkQueue real = WorkQueue.withDefaultRateLimiter("real", registry);
    CountDownLatch returned = new CountDownLatch(1);
    Thread t = new Thread(() -> {
      try {
        assertNull(real.get(Duration.ofMinutes(1)));
        returned.countDown();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    t.start();
    Thread.sleep(50);
    real.shutDown();
    assertTrue(returned.await(5, TimeUnit.SECONDS));
    real.add("x");
    assertEquals(0, real.length());
  }

  @Test
  void aBlockedGetWakesWhenADelayedKeyBecomesDue() throws Exception {
    WorkQueue real = WorkQueue.withDefaultRateLimiter("real2", registry);
    long start = System.nanoTime();
    real.addAfter("later", Duration.ofMillis(150));
    assertEquals("later", real.get(Duration.ofSeconds(5)));
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(150));
  }

  /** Many threads hammering the queue: no key is ever processed by two workers at once, none is lost. */
  @Test
  void concurrentWorkersNeverShareAKeyAndEveryLastAddIsProcessed() throws Exception {
    WorkQueue real = WorkQueue.withDefaultRateLimiter("concurrent", registry);
    Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> lastSeenVersion = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> version = new ConcurrentHashMap<>();
    AtomicInteger overlaps = new AtomicInteger();
    List<Thread> workers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      Thread t = new Thread(() -> {
        try {
          while (true) {
            String k = real.get(Duration.ofMillis(200));
            if (k == null) {
              if (real.isShuttingDown()) {
                return;
              }
              continue;
            }
            if (inFlight.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet() > 1) {
              overlaps.incrementAndGet();
            }
            int v = version.get(k).get();
            Thread.sleep(1);
            lastSeenVersion.computeIfAbsent(k, x -> new AtomicInteger()).accumulateAndGet(v, Math::max);
            inFlight.get(k).decrementAndGet();
            real.done(k);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      workers.add(t);
      t.start();
    }
    for (int i = 0; i < 2000; i++) {
      String k = "k" + (i % 10);
      version.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
      real.add(k);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      boolean all = true;
      for (var e : version.entrySet()) {
        AtomicInteger seen = lastSeenVersion.get(e.getKey());
        all &= seen != null && seen.get() == e.getValue().get();
      }
      if (all) {
        break;
      }
      Thread.sleep(10);
    }
    real.shutDown();
    for (Thread t : workers) {
      t.join(5000);
    }
    assertEquals(0, overlaps.get(), "a key was processed by two workers at once");
    for (var e : version.entrySet()) {
      assertEquals(e.getValue().get(), lastSeenVersion.get(e.getKey()).get(), "the last change of " + e.getKey()
          + " was processed");
    }
    assertFalse(real.isProcessing("k0"));
  }
}
