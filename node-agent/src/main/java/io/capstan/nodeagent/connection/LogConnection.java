package io.capstan.nodeagent.connection;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the cluster's log answers this agent's writes. Every write (pod status, lease, node
 * status, event, final delete) reports its outcome here: an answer, accepted or refused, says the
 * log is there; a write that got none (the command client gave up after its attempts, or Kafka
 * would not take it) says it is away. The first unanswered write of an outage logs one warning
 * and the rest of the outage is quiet (the callers log its writes at debug); the first answer
 * ends it, logs one line and wakes the listeners (the pod status manager then sends the statuses
 * it kept). The metrics say the same: {@code capstan_node_agent_log_reachable} (1 or 0) and
 * {@code capstan_node_agent_log_outages_total}, plus {@code capstan_node_agent_unanswered_writes_total}
 * and {@code capstan_node_agent_events_dropped_total}.
 * Thread-safe; listeners run on the thread that saw the answer and must not block.
 */
public final class LogConnection {
  private static final Logger log = LoggerFactory.getLogger(LogConnection.class);

  private final String name;
  private final String servers;
  private final Clock clock;
  /** When the current outage began; null while the log answers. */
  private final AtomicReference<Instant> downSince = new AtomicReference<>();
  /** When a write was last answered (the log has been silent since, during an outage). */
  private volatile Instant lastAnswer;
  private final List<Runnable> onBack = new CopyOnWriteArrayList<>();
  private final Counter outages;
  private final Counter unanswered;
  private final Counter eventsDropped;

  /**
   * @param name     who writes, in the log lines and the metrics' {@code node} tag (a node, or a hollow fleet)
   * @param servers  where the log is ({@code bootstrap.servers}), for the warning
   * @param registry where the metrics go; null for none
   */
  public LogConnection(String name, String servers, Clock clock, MeterRegistry registry) {
    this.name = name;
    this.servers = servers;
    this.clock = clock;
    this.lastAnswer = clock.instant();
    if (registry != null) {
      Gauge.builder("capstan_node_agent_log_reachable", this, c -> c.reachable() ? 1 : 0)
          .description("1 while the cluster's log answers this agent's writes, 0 during an outage")
          .tag("node", name).register(registry);
      outages = Counter.builder("capstan_node_agent_log_outages_total")
          .description("Times the cluster's log stopped answering this agent's writes").tag("node", name)
          .register(registry);
      unanswered = Counter.builder("capstan_node_agent_unanswered_writes_total")
          .description("Writes of this agent that got no answer from the cluster's log").tag("node", name)
          .register(registry);
      eventsDropped = Counter.builder("capstan_node_agent_events_dropped_total")
          .description("Events not sent because the cluster's log did not answer").tag("node", name)
          .register(registry);
    } else {
      outages = null;
      unanswered = null;
      eventsDropped = null;
    }
  }

  /** Whether the log answered the latest write that ended (true until a write goes unanswered). */
  public boolean reachable() {
    return downSince.get() == null;
  }

  /** How long the log has not answered, from the last answer before the outage; zero while it answers. */
  public Duration downFor() {
    return downSince.get() == null ? Duration.ZERO : Duration.between(lastAnswer, clock.instant());
  }

  /** Runs {@code listener} each time the log answers again after an outage. */
  public void onReachableAgain(Runnable listener) {
    onBack.add(listener);
  }

  /** A write was answered (accepted or refused): the log is there. */
  public void answered() {
    Instant now = clock.instant();
    Instant before = lastAnswer;
    lastAnswer = now;
    if (downSince.getAndSet(null) == null) {
      return;
    }
    log.info("{}: the cluster's log answers again, after {} s without an answer; sending what was kept meanwhile",
        name, Duration.between(before, now).toSeconds());
    for (Runnable r : onBack) {
      try {
        r.run();
      } catch (RuntimeException e) {
        log.warn("{}: a listener of the log's return failed", name, e);
      }
    }
  }

  /**
   * A write got no answer. Returns whether it began an outage (and was said with the one warning);
   * the caller logs its own failure at debug either way.
   */
  public boolean unanswered(Throwable cause) {
    if (unanswered != null) {
      unanswered.increment();
    }
    if (!downSince.compareAndSet(null, clock.instant())) {
      return false;
    }
    if (outages != null) {
      outages.increment();
    }
    Throwable c = unwrap(cause);
    log.warn("{}: the cluster's log (Kafka at {}) does not answer ({}); pods keep running, restarting and being"
        + " probed here, their latest statuses are kept and sent when it answers again; quiet until then", name,
        servers, c == null ? "no reason given" : c.getMessage() != null ? c.getMessage() : c.toString());
    return true;
  }

  /** An event was not sent: the log is away (events are best effort, as kubelet's). */
  public void eventDropped() {
    if (eventsDropped != null) {
      eventsDropped.increment();
    }
  }

  /** Reports the outcome of {@code write} here when it ends; returns {@code write}. */
  public <T> CompletableFuture<T> observe(CompletableFuture<T> write) {
    write.whenComplete((r, e) -> {
      if (e == null) {
        answered();
      } else {
        unanswered(e);
      }
    });
    return write;
  }

  private static Throwable unwrap(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
