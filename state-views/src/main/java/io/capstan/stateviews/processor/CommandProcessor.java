package io.capstan.stateviews.processor;

import io.capstan.logschema.metrics.ConsumerLag;
import io.capstan.stateviews.kafka.SchemaLogs;
import io.capstan.stateviews.kafka.TopicAdmin;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Clock;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command processor: runs the {@link CommandTopology} with Kafka Streams, exactly once. The
 * topics must exist before {@link #start()} ({@code TopicAdmin.ensureTopics}).
 *
 * <pre>
 *   try (CommandProcessor p = new CommandProcessor(ProcessorConfig.defaults(kafka, layout, dir), registry)) {
 *     p.start();
 *     p.awaitRunning(Duration.ofSeconds(60));
 *     ...
 *   }
 * </pre>
 */
public final class CommandProcessor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CommandProcessor.class);
  /**
   * A global-store (namespaces, quotas, definitions) fetch returns within this when nothing is
   * new; a committed change answers it at once (see InformerConfig.DEFAULT_FETCH_MAX_WAIT), so
   * the wait only bounds how often the idle global thread asks. Its partitions never change.
   */
  static final int GLOBAL_FETCH_MAX_WAIT_MS = 5000;
  /**
   * How long the group waits for a processor that stopped heart-beating before its partitions go
   * to the others: the consumer's 45 s default left a killed processor's partitions without a
   * writer for 45–50 s in the robustness runs. Heartbeats stay every 3 s (idle cost unchanged).
   */
  static final int SESSION_TIMEOUT_MS = 10_000;
  /** Producer batching: short, since every commit flushes anyway. */
  static final int PRODUCER_LINGER_MS = 5;
  static final int PRODUCER_BATCH_BYTES = 256 * 1024;
  static final int PRODUCER_RETRY_BACKOFF_MS = 5;
  static final int PRODUCER_RETRY_BACKOFF_MAX_MS = 50;

  /** The processor's tags in {@code capstan_kafka_consumer_lag}: its lag on the commands is every writer's wait. */
  public static final String COMPONENT = "state-views";
  public static final String CONSUMER = "processor";

  private final ProcessorConfig cfg;
  private final MeterRegistry registry;
  private final Clock clock;
  private io.capstan.logschema.codec.SchemaLog schemas;
  private KafkaStreams streams;
  private KafkaStreamsMetrics streamsMetrics;
  /** Refreshes {@link #streamsMetrics} once a minute, on the shared housekeeping thread. */
  private java.util.concurrent.ScheduledExecutorService metricsRefresh;
  private ConsumerLag lag;

  public CommandProcessor(ProcessorConfig cfg, MeterRegistry registry) {
    this(cfg, registry, Clock.systemUTC());
  }

  CommandProcessor(ProcessorConfig cfg, MeterRegistry registry, Clock clock) {
    this.cfg = cfg;
    this.registry = registry;
    this.clock = clock;
  }

  /**
   * The topology for one partition, for {@code TopologyTestDriver} (which runs a single
   * partition), with the system clock.
   */
  public static Topology buildTopology(ProcessorConfig cfg, MeterRegistry registry) {
    return CommandTopology.build(cfg, registry, 1, Clock.systemUTC());
  }

  /** Builds and starts the Kafka Streams client; returns at once (see {@link #awaitRunning}). */
  public synchronized void start() {
    if (streams != null) {
      throw new IllegalStateException("command processor " + cfg.applicationId() + " already started");
    }
    int partitions = TopicAdmin.partitionsOf(cfg.kafka(), cfg.layout());
    PollPacing pacing = new PollPacing();
    Topology topology = CommandTopology.build(cfg, registry, partitions, clock, pacing);
    streams = new KafkaStreams(topology, streamsProperties(cfg), pacing);
    streams.setStateListener((now, before) -> log.info("command processor {}: {} -> {}", cfg.applicationId(), before, now));
    streams.setUncaughtExceptionHandler(e -> {
      log.error("command processor {}: stream thread failed; shutting the processor down", cfg.applicationId(), e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    metricsRefresh = new io.capstan.logschema.threads.ChoreScheduler("command processor metrics");
    streamsMetrics = new KafkaStreamsMetrics(streams, java.util.List.of(), metricsRefresh);
    streamsMetrics.bindTo(registry);
    KafkaStreams running = streams;
    lag = ConsumerLag.bind(registry, COMPONENT, CONSUMER, running::metrics);
    log.info("starting command processor: application id {}, {} stream thread(s), {} partitions of {}, state in {} ({}),"
            + " commit every {} ms (early when quiet for {} ms), watermark every {} ms",
        cfg.applicationId(), cfg.streamThreads(), partitions, cfg.layout().commands(), cfg.stateDir().toAbsolutePath(),
        cfg.inMemoryStores() ? "in-memory stores" : "RocksDB stores", cfg.commitIntervalMs(), cfg.earlyCommitQuietMs(),
        cfg.watermarkIntervalMs());
    // Stored custom objects may carry a schema from before their definition changed (or this restart).
    schemas = SchemaLogs.attach(cfg.kafka(), cfg.layout());
    streams.start();
  }

  /** Waits until every task is restored and processing; fails if the processor stops instead. */
  public void awaitRunning(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      KafkaStreams s;
      synchronized (this) {
        s = streams;
      }
      if (s == null) {
        throw new IllegalStateException("command processor " + cfg.applicationId() + " was not started");
      }
      KafkaStreams.State state = s.state();
      if (state == KafkaStreams.State.RUNNING) {
        return;
      }
      if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR
          || state == KafkaStreams.State.NOT_RUNNING || state == KafkaStreams.State.PENDING_SHUTDOWN) {
        throw new IllegalStateException("command processor " + cfg.applicationId() + " stopped while starting: " + state);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("command processor " + cfg.applicationId() + " not running after " + timeout
            + " (state " + state + ")");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the command processor", e);
      }
    }
  }

  /** Running or rebalancing (processing, or about to again). */
  public synchronized boolean isRunning() {
    return streams != null && streams.state().isRunningOrRebalancing();
  }

  @Override
  public synchronized void close() {
    if (streams != null) {
      log.info("stopping command processor {}", cfg.applicationId());
      lag.close();
      // Leave the group: otherwise Kafka Streams stays a member until session.timeout.ms
      // and a restarted processor waits that long in REBALANCING before it may take its tasks.
      streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
          .withTimeout(Duration.ofSeconds(30)));
      streamsMetrics.close();
      metricsRefresh.shutdownNow(); // ours: the binder leaves a scheduler it was given running
      streams = null;
      SchemaLogs.detach(schemas);
      schemas = null;
    }
  }

  /** Kafka Streams settings: ours first, then everything in {@code cfg.kafka()}, which wins. */
  static Properties streamsProperties(ProcessorConfig cfg) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, cfg.applicationId());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, cfg.streamThreads());
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, cfg.commitIntervalMs());
    p.put(StreamsConfig.STATE_DIR_CONFIG, cfg.stateDir().toAbsolutePath().toString());
    p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, io.capstan.stateviews.store.BoundedRocksDbMemory.class);
    // The namespace mirror has no processing that can fail; enabled as Kafka Streams recommends.
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    if (cfg.earlyCommitQuietMs() > 0) {
      // An idle thread must come back from poll() soon enough to notice the quiet and commit.
      p.put(StreamsConfig.POLL_MS_CONFIG, Math.max(1, Math.min(cfg.earlyCommitQuietMs(), 100)));
    }
    p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), PRODUCER_LINGER_MS);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), PRODUCER_BATCH_BYTES);
    // A transaction's first write to a partition whose previous transaction is still being
    // completed is refused with CONCURRENT_TRANSACTIONS and retried after this back-off; the
    // 100 ms default (growing to 1 s) would stall every commit that follows another closely.
    p.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), PRODUCER_RETRY_BACKOFF_MS);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG), PRODUCER_RETRY_BACKOFF_MAX_MS);
    p.put(StreamsConfig.globalConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), GLOBAL_FETCH_MAX_WAIT_MS);
    p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), SESSION_TIMEOUT_MS);
    p.putAll(cfg.kafka());
    return p;
  }
}
