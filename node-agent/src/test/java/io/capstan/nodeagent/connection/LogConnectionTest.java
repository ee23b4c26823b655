package io.capstan.nodeagent.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.stateviews.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LogConnectionTest {
  private static final Instant START = Instant.parse("2026-12-05T12:00:00Z");

  @Test
  void anOutageBeginsWithTheFirstUnansweredWriteAndEndsWithTheFirstAnswer() {
    ManualClock clock = new ManualClock(START);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    LogConnection c = new LogConnection("n1", "127.0.0.1:9092", clock, registry);
    AtomicInteger back = new AtomicInteger();
    c.onReachableAgain(back::incrementAndGet);
    assertTrue(c.reachable());
    assertEquals(1.0, registry.get("capstan_node_agent_log_reachable").tag("node", "n1").gauge().value());

    c.answered(); // answers while reachable wake nobody
    assertEquals(0, back.get());
    clock.advance(Duration.ofSeconds(30));
    assertTrue(c.unanswered(new RuntimeException("no reply")), "the first unanswered write begins the outage");
    assertFalse(c.unanswered(new RuntimeException("no reply")), "later ones belong to it");
    assertFalse(c.reachable());
    assertEquals(Duration.ofSeconds(30), c.downFor(), "counted from the last answer");
    assertEquals(0.0, registry.get("capstan_node_agent_log_reachable").tag("node", "n1").gauge().value());
    c.eventDropped();

    clock.advance(Duration.ofSeconds(60));
    c.answered();
    assertTrue(c.reachable());
    assertEquals(Duration.ZERO, c.downFor());
    assertEquals(1, back.get(), "the listeners hear the return once");
    c.answered();
    assertEquals(1, back.get());
    assertEquals(1.0, registry.get("capstan_node_agent_log_outages_total").tag("node", "n1").counter().count());
    assertEquals(2.0, registry.get("capstan_node_agent_unanswered_writes_total").tag("node", "n1").counter().count());
    assertEquals(1.0, registry.get("capstan_node_agent_events_dropped_total").tag("node", "n1").counter().count());

    assertTrue(c.unanswered(null), "a second outage");
    assertEquals(2.0, registry.get("capstan_node_agent_log_outages_total").tag("node", "n1").counter().count());
  }

  @Test
  void observeReportsAWritesOutcome() {
    LogConnection c = new LogConnection("n2", "k:9092", new ManualClock(START), null);
    CompletableFuture<String> failed = new CompletableFuture<>();
    c.observe(failed);
    failed.completeExceptionally(new IllegalStateException("timed out"));
    assertFalse(c.reachable());
    CompletableFuture<String> ok = new CompletableFuture<>();
    c.observe(ok);
    ok.complete("accepted");
    assertTrue(c.reachable());
  }
}
