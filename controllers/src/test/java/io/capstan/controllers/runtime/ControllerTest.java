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
  void soonerPicksFailureThenShorterRequeue() {
    ReconcileResult a = ReconcileResult.requeueAfter(Duration.ofSeconds(5));
    ReconcileResult b = ReconcileResult.requeueAfter(Duration.ofSeconds(1));
    assertEquals(b, ReconcileResult.sooner(a, b));
    assertEquals(a, ReconcileResult.sooner(a, ReconcileResult.done()));
    assertTrue(ReconcileResult.sooner(b, ReconcileResult.failed("x")) instanceof ReconcileResult.Failed);
  }
}
