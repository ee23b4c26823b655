package io.capstan.gateway.server;

import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.testing.KafkaGatewayFixture;

import io.capstan.gateway.security.AdminToken;
import io.capstan.gateway.store.ResourceStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A gateway on a free port for the client tests (kubectl, fabric8, bad input): the one place
 * that decides which {@link ResourceStore} they run against. That is the real backbone: a
 * {@link KafkaGatewayFixture} (embedded broker, command processor, Kafka-backed store with its
 * watch cache). Tests of behaviour one store shows on purpose pass their own store.
 */
public final class GatewayTestServer implements AutoCloseable {
  private final Vertx vertx;
  private final GatewayServer gateway;
  private final ResourceStore store;
  private final PrometheusMeterRegistry registry;
  private final GatewayConfig config;
  private final AutoCloseable backend;

  private GatewayTestServer(Vertx vertx, GatewayServer gateway, ResourceStore store, PrometheusMeterRegistry registry,
      GatewayConfig config, AutoCloseable backend) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.store = store;
    this.registry = registry;
    this.config = config;
    this.backend = backend;
  }

  /** HTTPS with a fresh CA, admin token and kubeconfig under {@code dataDir}. */
  public static GatewayTestServer start(Path dataDir) throws Exception {
    return start(GatewayConfig.defaults(dataDir).withPort(0));
  }

  /** The gateway on the real backbone (a fresh topic layout on the shared embedded broker). */
  public static GatewayTestServer start(GatewayConfig config) throws Exception {
    KafkaGatewayFixture backend = KafkaGatewayFixture.start(
        config.dataDir().getFileName().toString(), WatchCacheConfig.defaults());
    try {
      return start(config, backend.store(), backend.registry(), backend);
    } catch (Exception | Error e) {
      backend.close();
      throw e;
    }
  }

  /** A gateway on a given store: for tests of behaviour one store shows on purpose (e.g. a tiny watch window). */
  public static GatewayTestServer start(GatewayConfig config, ResourceStore store) throws Exception {
    return start(config, store, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), () -> { });
  }

  private static GatewayTestServer start(GatewayConfig config, ResourceStore store, PrometheusMeterRegistry registry,
      AutoCloseable backend) throws Exception {
    Vertx vertx = Vertx.vertx();
    GatewayServer gateway = GatewayServer.prepare(config, store, registry);
    try {
      vertx.deployVerticle(gateway).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      throw e;
    }
    return new GatewayTestServer(vertx, gateway, store, registry, config, backend);
  }

  public GatewayServer gateway() {
    return gateway;
  }

  public ResourceStore store() {
    return store;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public String url() {
    return gateway.url();
  }

  public Path kubeconfig() {
    return gateway.kubeconfig();
  }

  /** The CA certificate clients trust (PEM). */
  public Path caCert() {
    return config.pkiDir().resolve("ca.crt");
  }

  /** The admin's bearer token (system:masters). */
  public String adminToken() throws java.io.IOException {
    return AdminToken.ensure(config.tokenFile());
  }

  @Override
  public void close() throws Exception {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } finally {
      backend.close();
    }
  }
}
