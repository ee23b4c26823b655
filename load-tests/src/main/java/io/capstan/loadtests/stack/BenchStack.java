package io.capstan.loadtests.stack;

import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.kafka.EmbeddedKafkaBroker;
import io.capstan.stateviews.kafka.TopicAdmin;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * The write path a bench drives: a fresh embedded KRaft broker in a temp dir (or an existing Kafka
 * when a bootstrap is given), Capstan's topics under a prefix, and the command processor in this
 * process with the production defaults (RocksDB stores unless {@code inMemoryStores}). Closing
 * it stops the processor and the broker and removes the temp dir.
 */
public final class BenchStack implements AutoCloseable {
  /** How long the processor may take to get its partitions on a busy machine. */
  public static final Duration START_TIMEOUT = Duration.ofMinutes(2);

  /**
   * @param kafka          bootstrap servers of an existing Kafka, or null for a fresh embedded broker
   * @param kafkaExtra     further client settings (TLS, SASL), for every client
   * @param topicPrefix    prefix of every topic name (and of the processor's application id)
   * @param partitions     partitions when creating topics
   * @param inMemoryStores in-memory processor stores instead of RocksDB
   */
  public record Settings(String kafka, Map<String, Object> kafkaExtra, String topicPrefix, int partitions,
      boolean inMemoryStores) {
    public Settings {
      if (partitions <= 0) {
        throw new IllegalArgumentException("--partitions must be positive, got " + partitions);
      }
      if (topicPrefix == null) {
        throw new IllegalArgumentException("the topic prefix must not be null (use \"\" for none)");
      }
      kafkaExtra = Map.copyOf(kafkaExtra);
    }
  }

  private final Path tmp;
  private final EmbeddedKafkaBroker broker;
  private final CommandProcessor processor;
  private final Map<String, Object> kafka;
  private final TopicLayout layout;
  private final int partitions;

  private BenchStack(Path tmp, EmbeddedKafkaBroker broker, CommandProcessor processor, Map<String, Object> kafka,
      TopicLayout layout, int partitions) {
    this.tmp = tmp;
    this.broker = broker;
    this.processor = processor;
    this.kafka = kafka;
    this.layout = layout;
    this.partitions = partitions;
  }

  /** Starts what is missing and waits until the processor runs; progress lines go to {@code progress}. */
  public static BenchStack start(Settings s, MeterRegistry registry, PrintStream progress) {
    Path tmp;
    try {
      tmp = Files.createTempDirectory("capstan-bench-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    EmbeddedKafkaBroker broker = null;
    CommandProcessor processor = null;
    try {
      Map<String, Object> kafka = new HashMap<>(s.kafkaExtra());
      if (s.kafka() == null) {
        progress.println("bench: starting a fresh embedded Kafka broker in " + tmp);
        broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.of(tmp.resolve("kafka"), 0));
        kafka.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
      } else {
        kafka.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, s.kafka());
      }
      TopicLayout layout = new TopicLayout(s.topicPrefix());
      int partitions = TopicAdmin.ensureTopics(kafka, layout, s.partitions(), (short) 1);
      progress.printf("bench: starting the command processor (topics %s*, %d partitions, %s stores)%n",
          s.topicPrefix(), partitions, s.inMemoryStores() ? "in-memory" : "RocksDB");
      processor = new CommandProcessor(ProcessorConfig.defaults(kafka, layout, tmp.resolve("state"))
          .withInMemoryStores(s.inMemoryStores()), registry);
      processor.start();
      processor.awaitRunning(START_TIMEOUT);
      return new BenchStack(tmp, broker, processor, Map.copyOf(kafka), layout, partitions);
    } catch (RuntimeException | Error e) {
      closeAll(processor, broker, tmp);
      throw e;
    }
  }

  /** Client settings for the bench's own clients: bootstrap servers plus the extra settings. */
  public Map<String, Object> kafka() {
    return kafka;
  }

  public TopicLayout layout() {
    return layout;
  }

  /** The partition count in force (an existing topic's, if there was one). */
  public int partitions() {
    return partitions;
  }

  /** Whether the broker is the bench's own embedded one. */
  public boolean embeddedBroker() {
    return broker != null;
  }

  @Override
  public void close() {
    closeAll(processor, broker, tmp);
  }

  private static void closeAll(CommandProcessor processor, EmbeddedKafkaBroker broker, Path tmp) {
    try {
      if (processor != null) {
        processor.close();
      }
    } finally {
      try {
        if (broker != null) {
          broker.close();
        }
      } finally {
        deleteTree(tmp);
      }
    }
  }

  /** Removes a temp tree, best effort (a file still held open is left to the OS). */
  public static void deleteTree(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // temp dir; best effort
    }
  }
}
