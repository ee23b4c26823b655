package io.capstan.gateway.server;

import io.capstan.gateway.security.AdminToken;
import io.capstan.gateway.store.InMemoryResourceStore;
import io.capstan.gateway.store.ResourceStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A gateway on a free port for the client tests (kubectl, fabric8, bad input): the one place
 * that decides which {@link ResourceStore} they run against. Today that is the in-memory
 * double; to run every client test against the Kafka-backed store, change {@link #newStore()}
 * (and close what it starts in {@link #close()}).
 */
public final class GatewayTestServer implements AutoCloseable {
  private final Vertx vertx;
  private final GatewayServer gateway;
  private final ResourceStore store;
  private final PrometheusMeterRegistry registry;
  private final GatewayConfig config;

  private GatewayTestServer(Vertx vertx, GatewayServer gateway, ResourceStore store, PrometheusMeterRegistry registry,
      GatewayConfig config) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.store = store;
    this.registry = registry;
    this.config = config;
  }

  /** The store the client tests use. */
  static ResourceStore newStore() {
    return new InMemoryResourceStore();
  }

  /** HTTPS with a fresh CA, admin token and kubeconfig under {@code dataDir}. */
  public static GatewayTestServer start(Path dataDir) throws Exception {
    return start(GatewayConfig.defaults(dataDir).withPort(0));
  }

  public static GatewayTestServer start(GatewayConfig config) throws Exception {
    return start(config, newStore());
  }

  /** A gateway on a given store: for tests of behaviour one store shows on purpose (e.g. a tiny watch window). */
  public static GatewayTestServer start(GatewayConfig config, ResourceStore store) throws Exception {
    Vertx vertx = Vertx.vertx();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    GatewayServer gateway = GatewayServer.prepare(config, store, registry);
    vertx.deployVerticle(gateway).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return new GatewayTestServer(vertx, gateway, store, registry, config);
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
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
