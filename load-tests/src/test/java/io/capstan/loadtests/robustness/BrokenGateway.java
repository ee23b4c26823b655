package io.capstan.loadtests.robustness;

import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.server.GatewayConfig;
import io.capstan.gateway.server.GatewayServer;
import io.capstan.gateway.store.KafkaResourceStore;
import io.capstan.logschema.topics.TopicLayout;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A deliberately broken gateway process, for tests only: {@code capstan gateway} as the robustness
 * cluster runs it (the same arguments), but serving through {@link BrokenStores#droppingWrites}, so
 * every {@value #EVERY}th update of the run's ConfigMaps is acknowledged and never written. The
 * cluster-mode checker must catch it.
 */
public final class BrokenGateway {
  static final int EVERY = 5;

  private BrokenGateway() {
  }

  /** {@code gateway --kafka B --data-dir D --port P …} (other flags ignored). */
  public static void main(String[] args) throws Exception {
    Map<String, String> flags = new HashMap<>();
    List<String> list = List.of(args);
    for (int i = 1; i + 1 < list.size(); i++) {
      if (list.get(i).startsWith("--")) {
        flags.put(list.get(i), list.get(i + 1));
      }
    }
    Map<String, Object> kafka = Map.of("bootstrap.servers", flags.get("--kafka"));
    Path dataDir = Path.of(flags.get("--data-dir"));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    KafkaResourceStore store = KafkaResourceStore.connect(kafka, TopicLayout.defaults(), "gateway",
        WatchCacheConfig.defaults(), registry);
    GatewayServer server = GatewayServer.prepare(GatewayConfig.defaults(dataDir)
        .withPort(Integer.parseInt(flags.get("--port"))), BrokenStores.droppingWrites(store, EVERY), registry);
    Vertx vertx = GatewayServer.newVertx();
    vertx.deployVerticle(server).toCompletionStage().toCompletableFuture().get(5, TimeUnit.MINUTES);
    System.out.println("gateway ready: api=" + server.url() + " kubeconfig=" + server.kubeconfig() + " (broken: drops"
        + " every " + EVERY + "th update)");
    new CountDownLatch(1).await(); // until killed
  }
}
