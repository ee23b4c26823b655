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
 *   <li>{@code capstan_processor_watermark_lag_seconds{partition}}: how long a watermark has been owed;
 *   <li>{@code capstan_processor_progress_requests_total}: readers' requests for a watermark;
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
  static final String PROGRESS_REQUESTS = "capstan.processor.progress.requests";

  private final MeterRegistry registry;
  private final Timer commandTime;
  private final Timer commandAge;
  private final Map<String, Counter> commands = new ConcurrentHashMap<>();
  private final Map<String, Counter> skipped = new ConcurrentHashMap<>();
  private final Map<Integer, Long> owedSinceMillis = new ConcurrentHashMap<>();
  private final Map<Integer, Gauge> lagGauges = new ConcurrentHashMap<>();
  private final Counter progressRequests;

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
    this.progressRequests = Counter.builder(PROGRESS_REQUESTS)
        .description("Readers' requests for a watermark on a partition too quiet to send one by itself")
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

  /** This instance now runs the partition's task: its watermark gauge appears, at 0. */
  void partitionAssigned(int partition) {
    owedSinceMillis.put(partition, 0L);
    lagGauges.computeIfAbsent(partition, p -> Gauge.builder(WATERMARK_LAG, owedSinceMillis,
            m -> {
              Long t = m.get(p);
              return t == null || t == 0 ? 0 : Math.max(0, System.currentTimeMillis() - t) / 1000.0;
            })
        .description("How long this partition has owed its readers a watermark: since the first write that no"
            + " watermark has followed yet (0 when none is owed, as on an idle cluster)")
        .tag("partition", Integer.toString(p))
        .baseUnit("seconds")
        .register(registry));
  }

  /** A write that no watermark has followed yet, the first since the last one. */
  void watermarkOwed(int partition, long timeMillis) {
    owedSinceMillis.put(partition, timeMillis);
  }

  /** A watermark was sent: nothing owed until the next write. */
  void watermark(int partition) {
    owedSinceMillis.replace(partition, 0L);
  }

  /** A reader asked this partition for a watermark. */
  void progressRequested() {
    progressRequests.increment();
  }

  /** A task closed (its partition moved away): its gauge would only grow. */
  void forgetPartition(int partition) {
    owedSinceMillis.remove(partition);
    Gauge g = lagGauges.remove(partition);
    if (g != null) {
      registry.remove(g);
    }
  }
}
