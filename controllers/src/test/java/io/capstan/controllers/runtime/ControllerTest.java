package io.capstan.controllers.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.Test;

/** The worker's handling of results, driven by hand with a manual clock. */
class ControllerTest {
  private final ManualTicker ticker = new ManualTicker();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final WorkQueue q = new WorkQueue("c", MaxOfRateLimiter.defaultControllerRateLimiter(ticker), ticker, registry);
  private final Deque<ReconcileResult> results = new ArrayDeque<>();
  private final Controller c = new Controller("c", q, key -> {
    ReconcileResult r = results.poll();
    if (r == null) {
      throw new IllegalStateException("boom");
    }
    return r;
  }, 1, registry);

  private String runNext() {
    String k = q.poll();
    if (k != null) {
      c.processOne(k);
      q.done(k);
    }
    return k;
  }

  @Test
  void failuresBackOffExponentiallyAndSuccessForgets() {
    q.add("k");
    results.add(ReconcileResult.failed("no"));
    assertEquals("k", runNext());
    assertNull(q.poll(), "a failure waits its backoff");
    ticker.advance(Duration.ofMillis(5));
    // second run throws: also a failure, 10 ms now
    assertEquals("k", runNext());
    ticker.advance(Duration.ofMillis(9));
    assertNull(q.poll());
    ticker.advance(Duration.ofMillis(1));
    results.add(ReconcileResult.done());
    assertEquals("k", runNext());
    assertEquals(0, q.numRequeues("k"), "done forgets the failures");
    assertNull(runNext());
    assertEquals(2.0, registry.get("capstan.controller.reconcile").tag("controller", "c").tag("result", "error")
        .counter().count());
    assertEquals(1.0, registry.get("capstan.controller.reconcile").tag("result", "success").counter().count());
    assertEquals(3, registry.get("capstan.controller.reconcile.duration").timer().count());
  }

  @Test
  void requeueAfterRunsAgainAtThatTime() {
    q.add("k");
    results.add(ReconcileResult.requeueAfter(Duration.ofSeconds(30)));
    assertEquals("k", runNext());
    ticker.advance(Duration.ofSeconds(29));
    assertNull(q.poll());
    ticker.advance(Duration.ofSeconds(1));
    results.add(ReconcileResult.done());
    assertEquals("k", runNext());
  }

  @Test
  void conflictsAreRetriedWithBackoff() {
    q.add("k");
    Controller conflicting = new Controller("conflicting", q, key -> {
      throw new WriteRejectedException("update x", io.capstan.log.ErrorStatus.newBuilder()
          .setCode(409).setReason("Conflict").setMessage("the object has been modified").build());
    }, 1, registry);
    String k = q.poll();
    conflicting.processOne(k);
    q.done(k);
    assertEquals(1, q.numRequeues("k"));
    ticker.advance(Duration.ofMillis(5));
    assertEquals("k", q.poll());
  }

  @Test
  void startedWorkersRunOnThePoolAtMostWorkersAtOnceAndOneRunPerKeyAtATime() throws Exception {
    ReconcileWorkers pool = new ReconcileWorkers("test-pool", 8, Duration.ofMillis(200));
    WorkQueue queue = WorkQueue.withDefaultRateLimiter("pooled", registry);
    java.util.concurrent.atomic.AtomicInteger now = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
    java.util.Set<String> busy = java.util.concurrent.ConcurrentHashMap.newKeySet();
    java.util.List<String> overlaps = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.Map<String, Long> lastAdded = new java.util.concurrent.ConcurrentHashMap<>();
    java.util.Map<String, Long> lastStarted = new java.util.concurrent.ConcurrentHashMap<>();
    Controller pooled = new Controller("pooled", queue, key -> {
      lastStarted.put(key, System.nanoTime());
      if (!busy.add(key)) {
        overlaps.add(key);
      }
      most.accumulateAndGet(now.incrementAndGet(), Math::max);
      Thread.sleep(5);
      now.decrementAndGet();
      busy.remove(key);
      return ReconcileResult.done();
    }, 3, pool, registry);
    for (int i = 0; i < 20; i++) {
      lastAdded.put("k" + i, System.nanoTime());
      queue.add("k" + i);
    }
    assertEquals(0, pool.threads(), "nothing runs before start");
    pooled.start();
    for (int round = 0; round < 40; round++) { // keys changed while they are reconciled run once more
      lastAdded.put("k" + (round % 20), System.nanoTime());
      queue.add("k" + (round % 20));
      Thread.sleep(1);
    }
    long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    java.util.function.Supplier<java.util.List<String>> unseen = () -> lastAdded.entrySet().stream()
        .filter(e -> lastStarted.getOrDefault(e.getKey(), 0L) < e.getValue()).map(java.util.Map.Entry::getKey).toList();
    while (!unseen.get().isEmpty() && System.nanoTime() < until) {
      Thread.sleep(10);
    }
    assertTrue(unseen.get().isEmpty(), "every key's last change was reconciled; not: " + unseen.get());
    assertTrue(overlaps.isEmpty(), "a key ran twice at once: " + overlaps);
    assertTrue(most.get() <= 3, "at most 3 workers at once, saw " + most.get());
    assertTrue(most.get() >= 2, "the workers ran in parallel, saw " + most.get());
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while (pool.threads() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(0, pool.threads(), "an idle pool keeps no thread");
    pooled.close();
  }

  @Test
  void aStartedControllerRunsARequeuedKeyAtItsTimeWithoutPolling() throws Exception {
    ReconcileWorkers pool = new ReconcileWorkers("test-pool", 2, Duration.ofSeconds(1));
    WorkQueue queue = WorkQueue.withDefaultRateLimiter("later", registry);
    java.util.concurrent.BlockingQueue<Long> at = new java.util.concurrent.LinkedBlockingQueue<>();
    java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
    Controller later = new Controller("later", queue, key -> {
      at.add(System.nanoTime());
      return runs.incrementAndGet() == 1 ? ReconcileResult.requeueAfter(Duration.ofMillis(300)) : ReconcileResult.done();
    }, 1, pool, registry);
    later.start();
    queue.add("k");
    Long first = at.poll(5, java.util.concurrent.TimeUnit.SECONDS);
    Long second = at.poll(5, java.util.concurrent.TimeUnit.SECONDS);
    assertTrue(first != null && second != null, "ran twice");
    assertTrue(second - first >= java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(290),
        "the requeue waited its time: " + (second - first) / 1_000_000 + " ms");
    later.close();
  }

  @Test
  void soonerPicksFailureThenShorterRequeue() {
    ReconcileResult a = ReconcileResult.requeueAfter(Duration.ofSeconds(5));
    ReconcileResult b = ReconcileResult.requeueAfter(Duration.ofSeconds(1));
    assertEquals(b, ReconcileResult.sooner(a, b));
    assertEquals(a, ReconcileResult.sooner(a, ReconcileResult.done()));
    assertTrue(ReconcileResult.sooner(b, ReconcileResult.failed("x")) instanceof ReconcileResult.Failed);
  }
}
