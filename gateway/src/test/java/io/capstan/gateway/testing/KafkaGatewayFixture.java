package io.capstan.gateway.testing;

import io.capstan.api.ConfigMap;
import io.capstan.api.ObjectMeta;
import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.server.GatewayConfig;
import io.capstan.gateway.server.GatewayServer;
import io.capstan.gateway.store.KafkaResourceStore;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.bootstrap.SystemNamespaces;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The gateway on the real backbone, for tests: a fresh topic layout on the shared embedded broker
 * ({@link KafkaFixture}), a real {@link CommandProcessor}, the system namespaces, and a
 * {@link KafkaResourceStore} whose watch cache has loaded every table; {@link #startServer} adds
 * the HTTPS {@link GatewayServer} on a free port with its kubeconfig. One per test class:
 * <pre>{@code
 * static KafkaGatewayFixture backend = KafkaGatewayFixture.start("kubectl", WatchCacheConfig.defaults());
 * GatewayServer gateway = backend.startServer(dataDir);   // kubeconfig at gateway.kubeconfig()
 * ...
 * backend.close();
 * }</pre>
 */
public final class KafkaGatewayFixture implements AutoCloseable {
  private static final Duration READY = Duration.ofSeconds(60);

  private final TopicLayout layout;
  private final PrometheusMeterRegistry registry;
  private final CommandProcessor processor;
  private final KafkaResourceStore store;
  private Vertx vertx;
  private GatewayServer server;

  private KafkaGatewayFixture(TopicLayout layout, PrometheusMeterRegistry registry, CommandProcessor processor,
      KafkaResourceStore store) {
    this.layout = layout;
    this.registry = registry;
    this.processor = processor;
    this.store = store;
  }

  /** Two partitions, so consistent cuts and per-partition waits are exercised. */
  public static KafkaGatewayFixture start(String name, WatchCacheConfig cacheConfig) throws Exception {
    return start(name, 2, cacheConfig);
  }

  public static KafkaGatewayFixture start(String name, int partitions, WatchCacheConfig cacheConfig) throws Exception {
    return start(name, partitions, cacheConfig, UnaryOperator.identity());
  }

  /** With the command processor's settings changed, e.g. a longer watermark interval. */
  public static KafkaGatewayFixture start(String name, int partitions, WatchCacheConfig cacheConfig,
      UnaryOperator<ProcessorConfig> processorSettings) throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(partitions);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    CommandProcessor processor = new CommandProcessor(processorSettings.apply(
        ProcessorConfig.defaults(kafka, layout, KafkaFixture.tempDir("gw-" + name)).withInMemoryStores(true)), registry);
    KafkaResourceStore store = null;
    try {
      processor.start();
      processor.awaitRunning(READY);
      try (CommandClient bootstrap = new CommandClient(CommandClientConfig.defaults(kafka, layout, "gw-test-bootstrap"),
          registry)) {
        SystemNamespaces.ensure(bootstrap, READY);
        io.capstan.stateviews.bootstrap.DefaultRoles.ensure(bootstrap, READY);
        awaitNamespaceOnEveryPartition(bootstrap, partitions);
      }
      store = KafkaResourceStore.connect(kafka, layout, "gateway-" + name, cacheConfig, registry);
      return new KafkaGatewayFixture(layout, registry, processor, store);
    } catch (Exception | Error e) {
      if (store != null) {
        store.close();
      }
      processor.close();
      throw e;
    }
  }

  /**
   * The processor checks a namespaced object's namespace in a table every partition mirrors a
   * commit after the namespace is written: probe until "default" is known on every partition.
   */
  private static void awaitNamespaceOnEveryPartition(CommandClient client, int partitions) throws Exception {
    BitSet ok = new BitSet(partitions);
    long deadline = System.nanoTime() + READY.toNanos();
    for (int i = 0; ok.cardinality() < partitions; i++) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("namespace default not usable on every partition within " + READY);
      }
      String name = "probe-" + i;
      int p = client.partitionOf("ConfigMap/default/" + name);
      if (ok.get(p)) {
        continue;
      }
      ConfigMap cm = ConfigMap.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name).build()).build();
      CommandResult r = client.create(cm).get(30, TimeUnit.SECONDS);
      if (r instanceof CommandResult.Accepted) {
        ok.set(p);
        client.delete(Kinds.CONFIG_MAP, "default", name, null).get(30, TimeUnit.SECONDS);
      } else {
        Thread.sleep(100);
      }
    }
  }

  public KafkaResourceStore store() {
    return store;
  }

  public TopicLayout layout() {
    return layout;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public CommandProcessor processor() {
    return processor;
  }

  /** Starts the HTTPS gateway on a free port over this store; writes {@code dataDir/kubeconfig}. */
  public synchronized GatewayServer startServer(Path dataDir) throws Exception {
    if (server != null) {
      throw new IllegalStateException("the gateway server is already running at " + server.url());
    }
    vertx = Vertx.vertx();
    server = GatewayServer.prepare(GatewayConfig.defaults(dataDir).withPort(0), store, registry);
    vertx.deployVerticle(server).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return server;
  }

  @Override
  public synchronized void close() throws Exception {
    try {
      if (vertx != null) {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    } finally {
      store.close();
      processor.close();
    }
  }
}
