package io.capstan.loadtests.api;

import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.server.GatewayConfig;
import io.capstan.gateway.server.GatewayServer;
import io.capstan.gateway.store.KafkaResourceStore;
import io.capstan.gateway.store.ResourceStore;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.bootstrap.SystemNamespaces;
import io.capstan.stateviews.kafka.EmbeddedKafkaBroker;
import io.capstan.stateviews.kafka.TopicAdmin;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * What the API benchmarks measure when no kubeconfig is given: an embedded broker, the topics, the
 * command processor and the gateway in this JVM, on free ports and a temp dir (removed on close).
 */
public final class InProcessStack implements AutoCloseable {
  private final Path dir;
  private EmbeddedKafkaBroker broker;
  private CommandProcessor processor;
  private KafkaResourceStore store;
  private Vertx vertx;
  private GatewayServer gateway;
  private Map<String, Object> kafka;
  private TopicLayout layout;

  /** The bench's user outside system:masters. */
  public static final String BENCH_USER = "bench-user";
  private String benchUserToken;

  private InProcessStack(Path dir) {
    this.dir = dir;
  }

  public static InProcessStack start(int partitions, int eventLoops, PrintStream progress) throws Exception {
    return start(partitions, eventLoops, progress, UnaryOperator.identity());
  }

  /**
   * As {@link #start(int, int, PrintStream)}, the gateway serving through {@code storeWrapper}'s
   * store around the real one (a test's deliberately broken store, for a checker that must catch it).
   */
  public static InProcessStack start(int partitions, int eventLoops, PrintStream progress,
      UnaryOperator<ResourceStore> storeWrapper) throws Exception {
    return start(partitions, eventLoops, progress, storeWrapper, (kafka, layout) -> {});
  }

  /** Records a bench writes straight into the topics, before the command processor and the gateway start. */
  @FunctionalInterface
  public interface Seed {
    void write(Map<String, Object> kafka, TopicLayout layout) throws Exception;
  }

  /**
   * As {@link #start(int, int, PrintStream)}, {@code seed} writing into the new topics first: the
   * processor then starts on them (its clock above every resourceVersion there, its first
   * watermarks closing them) and the gateway's caches read them as any state.
   */
  public static InProcessStack start(int partitions, int eventLoops, PrintStream progress, Seed seed)
      throws Exception {
    return start(partitions, eventLoops, progress, UnaryOperator.identity(), seed);
  }

  private static InProcessStack start(int partitions, int eventLoops, PrintStream progress,
      UnaryOperator<ResourceStore> storeWrapper, Seed seed) throws Exception {
    InProcessStack st = new InProcessStack(Files.createTempDirectory("capstan-api-bench-"));
    try {
      progress.println("bench: starting an embedded broker, the command processor and the gateway in " + st.dir);
      st.broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.of(st.dir.resolve("kafka"), 0));
      Map<String, Object> kafka = Map.of("bootstrap.servers", st.broker.bootstrap());
      TopicLayout layout = TopicLayout.defaults();
      st.kafka = kafka;
      st.layout = layout;
      TopicAdmin.ensureTopics(kafka, layout, partitions, (short) 1);
      seed.write(kafka, layout);
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      st.processor = new CommandProcessor(ProcessorConfig.defaults(kafka, layout, st.dir.resolve("state")), registry);
      st.processor.start();
      st.processor.awaitRunning(Duration.ofMinutes(2));
      try (CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "bench-bootstrap"),
          registry)) {
        SystemNamespaces.ensure(client, Duration.ofMinutes(1));
        io.capstan.stateviews.bootstrap.DefaultRoles.ensure(client, Duration.ofMinutes(1));
        io.capstan.stateviews.bootstrap.SystemPriorityClasses.ensure(client, Duration.ofMinutes(1)); // system-node-critical, ...
        io.capstan.stateviews.bootstrap.DefaultStorageClass.ensure(client, Duration.ofMinutes(1)); // local-path
      }
      st.store = KafkaResourceStore.connect(kafka, layout, "gateway", WatchCacheConfig.defaults(), registry);
      st.store.keepHistoryIn(st.dir.resolve("gateway").resolve("history")); // as the gateway of `up` does
      st.vertx = GatewayServer.newVertx();
      Path gatewayDir = st.dir.resolve("gateway");
      Files.createDirectories(gatewayDir);
      st.benchUserToken = java.util.HexFormat.of().formatHex(java.security.SecureRandom.getSeed(16));
      Path tokens = gatewayDir.resolve("tokens.csv");
      Files.writeString(tokens, st.benchUserToken + "," + BENCH_USER + "," + BENCH_USER + "\n");
      Files.setPosixFilePermissions(tokens, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      st.gateway = GatewayServer.prepare(GatewayConfig.defaults(st.dir.resolve("gateway")).withPort(0)
          .withEventLoops(eventLoops), storeWrapper.apply(st.store), registry);
      st.vertx.deployVerticle(st.gateway).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      return st;
    } catch (Exception | Error e) {
      st.close();
      throw e;
    }
  }

  /** The gateway's store. */
  public KafkaResourceStore store() {
    return store;
  }

  /** The token of {@link #BENCH_USER}, a user outside system:masters with no roles until the bench binds some. */
  public String benchUserToken() {
    return benchUserToken;
  }

  public Path kubeconfig() {
    return gateway.kubeconfig();
  }

  /** The embedded broker's client settings, for further components of the bench (a node agent). */
  public Map<String, Object> kafka() {
    return kafka;
  }

  public TopicLayout layout() {
    return layout;
  }

  /** The gateway's port (HTTPS). */
  public int apiPort() {
    return gateway.port();
  }

  /** The gateway's certificates: its CA (which node agents trust for clients) and the admin's client certificate. */
  public Path pkiDir() {
    return dir.resolve("gateway").resolve("pki");
  }

  /** The stack's temp dir (removed on close), where a bench may keep more. */
  public Path dir() {
    return dir;
  }

  @Override
  public void close() {
    try {
      if (vertx != null) {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      // stopping anyway
    }
    if (store != null) {
      store.close();
    }
    if (processor != null) {
      processor.close();
    }
    if (broker != null) {
      broker.close();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // temp dir; best effort
    }
  }
}
