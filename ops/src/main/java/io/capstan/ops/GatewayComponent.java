package io.capstan.ops;

import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.server.GatewayConfig;
import io.capstan.gateway.server.GatewayServer;
import io.capstan.gateway.store.KafkaResourceStore;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Kubernetes API gateway: a watch cache over every state topic and the command client
 * ({@link KafkaResourceStore}), served by the Vert.x {@link GatewayServer}. On first start it
 * generates the CA and serving certificate ({@code DATA_DIR/pki}) and the admin token
 * ({@code DATA_DIR/tokens.csv}); once listening it writes {@code DATA_DIR/kubeconfig}.
 */
final class GatewayComponent implements Component {
  /** The name in the gateway's Kafka client ids and metric tags. */
  static final String COMPONENT = "gateway";

  private final Map<String, Object> kafka;
  private final TopicLayout layout;
  private final GatewayConfig config;
  private final MeterRegistry registry;
  private final SharedInformers shared;
  private KafkaResourceStore store;
  private Vertx vertx;
  private GatewayServer server;
  private CompletableFuture<String> deployed;
  private io.capstan.gateway.security.AuthorizationMode authorization =
      io.capstan.gateway.security.AuthorizationMode.RBAC;

  /** @param shared the process's informers for the watch cache to read through, or null for its own */
  GatewayComponent(Map<String, Object> kafka, TopicLayout layout, GatewayConfig config, SharedInformers shared,
      MeterRegistry registry) {
    this.kafka = kafka;
    this.layout = layout;
    this.config = config;
    this.shared = shared;
    this.registry = registry;
  }

  /** With this authorization mode (default RBAC); before {@link #start}. */
  GatewayComponent authorizing(io.capstan.gateway.security.AuthorizationMode mode) {
    this.authorization = mode;
    return this;
  }

  @Override
  public String name() {
    return "gateway";
  }

  @Override
  public void start() {
    try {
      store = KafkaResourceStore.connect(kafka, layout, COMPONENT, shared, WatchCacheConfig.defaults(), registry);
      store.keepHistoryIn(config.dataDir().resolve("history"));
      server = GatewayServer.prepare(config, store, registry, authorization);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while loading the watch cache", e);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot prepare certificates and tokens under " + config.dataDir() + ": "
          + e.getMessage(), e);
    }
    vertx = GatewayServer.newVertx(config.eventLoops());
    deployed = vertx.deployVerticle(server).toCompletionStage().toCompletableFuture();
  }

  @Override
  public void awaitReady(Duration timeout) {
    try {
      deployed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot serve the API on " + config.host() + ":" + config.port() + ": "
          + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("the API server did not start within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the API server", e);
    }
  }

  @Override
  public String readyLine() {
    return "api ready: " + url() + (config.insecureHttp() ? "" : " (kubeconfig " + kubeconfig() + ")");
  }

  /** The process's one Vert.x (after {@link #start}): the node agent's log server serves on it too. */
  Vertx vertx() {
    return vertx;
  }

  String url() {
    return server.url();
  }

  /** The port the API is served on (the one picked, for --api-port 0). */
  int port() {
    return server.port();
  }

  Path kubeconfig() {
    return config.kubeconfig();
  }

  @Override
  public void close() {
    try {
      if (vertx != null) {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      Thread.currentThread().interrupt();
    } finally {
      if (store != null) {
        store.close();
      }
    }
  }
}
