package io.capstan.stateviews.processor;

import io.capstan.log.CommandOp;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The processor's meters, Prometheus-named:
 * <ul>
 *   <li>{@code capstan_processor_commands_total{kind,op,result}}: result is {@code accepted},
 *       {@code duplicate} or the rejection reason ({@code AlreadyExists}, {@code Conflict}, ...);
 *   <li>{@code capstan_processor_command_seconds}: time to process one command (histogram);
 *   <li>{@code capstan_processor_command_age_seconds}: from the client's send to processing;
 *   <li>{@code capstan_processor_watermark_lag_seconds{partition}}: since the last watermark;
 *   <li>{@code capstan_processor_records_skipped_total{reason}}: records that were not commands.
 * </ul>
 * Shared by every stream task; thread-safe.
 */
final class ProcessorMetrics {
  static final String COMMANDS = "capstan.processor.commands";
  static final String COMMAND_TIME = "capstan.processor.command";
  static final String COMMAND_AGE = "capstan.processor.command.age";
  static final String WATERMARK_LAG = "capstan.processor.watermark.lag";
  static final String SKIPPED = "capstan.processor.records.skipped";

  private final MeterRegistry registry;
  private final Timer commandTime;
  private final Timer commandAge;
  private final Map<String, Counter> commands = new ConcurrentHashMap<>();
  private final Map<String, Counter> skipped = new ConcurrentHashMap<>();
  private final Map<Integer, Long> lastWatermarkMillis = new ConcurrentHashMap<>();
  private final Map<Integer, Gauge> lagGauges = new ConcurrentHashMap<>();

  ProcessorMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.commandTime = Timer.builder(COMMAND_TIME)
        .description("Time the processor spends on one command")
        .publishPercentileHistogram()
        .maximumExpectedValue(Duration.ofSeconds(1))
        .register(registry);
    this.commandAge = Timer.builder(COMMAND_AGE)
        .description("Time from a client sending a command to the processor handling it")
        .publishPercentileHistogram()
        .maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry);
  }

  void command(String kind, CommandOp op, String result, long nanos) {
    commands.computeIfAbsent(kind + '\0' + op + '\0' + result, k -> Counter.builder(COMMANDS)
            .description("Commands processed, by kind, operation and result")
            .tag("kind", kind).tag("op", op.name()).tag("result", result)
            .register(registry))
        .increment();
    commandTime.record(nanos, TimeUnit.NANOSECONDS);
  }

  void age(long micros) {
    if (micros >= 0) {
      commandAge.record(micros, TimeUnit.MICROSECONDS);
    }
  }

  void skipped(String reason) {
    skipped.computeIfAbsent(reason, r -> Counter.builder(SKIPPED)
            .description("Records on the commands topic that were not processable commands")
            .tag("reason", r)
            .register(registry))
        .increment();
  }

  void watermark(int partition, long timeMillis) {
    lastWatermarkMillis.put(partition, timeMillis);
    lagGauges.computeIfAbsent(partition, p -> Gauge.builder(WATERMARK_LAG, lastWatermarkMillis,
            m -> {
              Long t = m.get(p);
              return t == null ? Double.NaN : (System.currentTimeMillis() - t) / 1000.0;
            })
        .description("Time since this partition's last watermark")
        .tag("partition", Integer.toString(p))
        .baseUnit("seconds")
        .register(registry));
  }

  /** A task closed (its partition moved away): its gauge would only grow. */
  void forgetPartition(int partition) {
    lastWatermarkMillis.remove(partition);
    Gauge g = lagGauges.remove(partition);
    if (g != null) {
      registry.remove(g);
    }
  }
}
