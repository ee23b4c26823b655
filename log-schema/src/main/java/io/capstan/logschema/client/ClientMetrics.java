package io.capstan.logschema.client;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The command client's meters. Counters and the timer are shared by every client of a registry
 * (they add up per kind and op); the in-flight gauge is per client. Meters are looked up once and
 * cached: the send path runs thousands of times a second.
 */
final class ClientMetrics {
  static final String COMMANDS = "capstan.client.commands";
  static final String LATENCY = "capstan.client.command";
  static final String RETRIES = "capstan.client.retries";
  static final String IN_FLIGHT = "capstan.client.commands.in.flight";

  enum Outcome {
    ACCEPTED, REJECTED, TIMEOUT, FAILED;

    final String tag = name().toLowerCase(java.util.Locale.ROOT);
  }

  private record CounterKey(String kind, String op, Outcome outcome) {}

  private final MeterRegistry registry;
  private final Map<CounterKey, Counter> commands = new ConcurrentHashMap<>();
  private final Map<String, Timer> latency = new ConcurrentHashMap<>();
  private final Counter retries;
  private final Gauge inFlight;

  ClientMetrics(MeterRegistry registry, String clientId, Supplier<Number> inFlight) {
    this.registry = registry;
    this.retries = Counter.builder(RETRIES)
        .description("Commands sent again with the same request id after an attempt timed out")
        .register(registry);
    this.inFlight = Gauge.builder(IN_FLIGHT, inFlight)
        .description("Commands sent and still waiting for their reply")
        .tag("client", clientId)
        .register(registry);
  }

  void finished(String kind, String op, Outcome outcome, long elapsedNanos) {
    commands.computeIfAbsent(new CounterKey(kind, op, outcome), k -> Counter.builder(COMMANDS)
            .description("Commands finished by the command client, by outcome")
            .tag("kind", k.kind()).tag("op", k.op()).tag("result", k.outcome().tag)
            .register(registry))
        .increment();
    if (outcome == Outcome.ACCEPTED || outcome == Outcome.REJECTED) {
      latency.computeIfAbsent(op, o -> Timer.builder(LATENCY)
              .description("Time from sending a command to receiving its reply, retries included")
              .tag("op", o)
              .publishPercentileHistogram()
              .minimumExpectedValue(Duration.ofMillis(1))
              .maximumExpectedValue(Duration.ofSeconds(60))
              .register(registry))
          .record(elapsedNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
  }

  void retried() {
    retries.increment();
  }

  void close() {
    registry.remove(inFlight);
  }
}
