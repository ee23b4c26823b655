package io.capstan.stateviews.testing;

import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.kafka.EmbeddedKafkaBroker;
import io.capstan.stateviews.kafka.TopicAdmin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * The Kafka every integration test talks to, one per test JVM:
 * <ul>
 *   <li>default: the embedded single-node KRaft broker in a temp dir;
 *   <li>{@code CAPSTAN_TEST_KAFKA=host:port}: an external cluster;
 *   <li>{@code CAPSTAN_TEST_KAFKA=testcontainers}: Testcontainers' Kafka module (needs a Docker engine).
 * </ul>
 * Tests isolate themselves with {@link #freshLayout()}: a unique topic prefix per test.
 */
public final class KafkaFixture {
  private static String bootstrap;
  private static EmbeddedKafkaBroker embedded;
  private static Path embeddedDir;

  private KafkaFixture() {}

  public static synchronized String bootstrap() {
    if (bootstrap == null) {
      String mode = System.getenv().getOrDefault("CAPSTAN_TEST_KAFKA", "");
      if (mode.isEmpty() || mode.equals("embedded")) {
        startEmbedded();
      } else if (mode.equals("testcontainers")) {
        bootstrap = TestcontainersKafka.start();
      } else {
        bootstrap = mode;
      }
    }
    return bootstrap;
  }

  /** The embedded broker, for tests that restart it; fails when an external Kafka is in use. */
  public static synchronized EmbeddedKafkaBroker embeddedBroker() {
    bootstrap();
    if (embedded == null) {
      throw new IllegalStateException("this test restarts the broker and needs the embedded one (unset CAPSTAN_TEST_KAFKA)");
    }
    return embedded;
  }

  public static Map<String, Object> clientConfig() {
    return Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
  }

  /** A topic layout with a prefix of its own, its topics created with {@code partitions} partitions. */
  public static TopicLayout freshLayout(int partitions) {
    TopicLayout layout = new TopicLayout("t" + UUID.randomUUID().toString().substring(0, 8) + ".");
    TopicAdmin.ensureTopics(clientConfig(), layout, partitions, (short) 1);
    return layout;
  }

  public static TopicLayout freshLayout() {
    return freshLayout(2);
  }

  /** A temp directory removed when the JVM exits. */
  public static Path tempDir(String name) {
    Path dir = createTempDir(name);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
    return dir;
  }

  private static Path createTempDir(String name) {
    try {
      return Files.createTempDirectory("capstan-" + name + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void startEmbedded() {
    embeddedDir = createTempDir("test-kafka");
    embedded = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.of(embeddedDir, 0));
    bootstrap = embedded.bootstrap();
    // One hook, in order: shutdown hooks run side by side, and a log dir deleted under a running
    // broker fails it, and a broker whose every log dir failed halts the JVM with status 1
    // (surefire then reports "Error occurred in starting fork" after all tests passed).
    Path dir = embeddedDir;
    EmbeddedKafkaBroker broker = embedded;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      broker.close();
      deleteTree(dir);
    }, "capstan-test-kafka-stop"));
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort at exit
    }
  }
}
