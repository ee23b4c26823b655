package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.security.AdminToken;
import io.capstan.gateway.testing.KafkaGatewayFixture;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Watches whose client handles events slowly (issue 22, item 3), with the fabric8 client over the
 * gateway on the real backbone: every change made after the watch was established arrives, in
 * order, one at a time, however long the client takes per event.
 *
 * <p>The command processor here emits watermarks every 3 s instead of 200 ms, as a busy
 * cluster's partitions send a quiet kind's watermark only every few ticks: a watch without a
 * resourceVersion waits that long for the consistent cut to pass this gateway's own writes, and
 * changes written meanwhile must still come as events, not folded into the initial ADDED.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SlowWatcherTest {
  @TempDir
  static Path dataDir;
  static KafkaGatewayFixture backend;
  static KubernetesClient client;

  @BeforeAll
  static void start() throws Exception {
    backend = KafkaGatewayFixture.start("slow-watchers", 4, WatchCacheConfig.defaults(),
        p -> p.withWatermarkIntervalMs(3_000));
    GatewayServer gateway = backend.startServer(dataDir);
    Config config = new ConfigBuilder(Config.empty())
        .withMasterUrl(gateway.url())
        .withCaCertFile(dataDir.resolve("pki").resolve("ca.crt").toString())
        .withOauthToken(AdminToken.ensure(dataDir.resolve("tokens.csv")))
        .withTrustCerts(false)
        .withRequestTimeout(30_000)
        .withRequestRetryBackoffLimit(0)
        .build();
    client = new KubernetesClientBuilder().withConfig(config).build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  /** A fabric8 Watcher that takes {@code millisPerEvent} over each event, and records them. */
  static final class SlowWatcher implements Watcher<ConfigMap> {
    final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    final long millisPerEvent;

    SlowWatcher(long millisPerEvent) {
      this.millisPerEvent = millisPerEvent;
    }

    @Override
    public void eventReceived(Action action, ConfigMap cm) {
      events.add(action + " " + (cm.getData() == null ? "{}" : new TreeMap<>(cm.getData())));
      try {
        Thread.sleep(millisPerEvent);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void onClose(WatcherException cause) {
      events.add("CLOSED " + cause.getMessage());
    }

    List<String> next(int n, long seconds) throws InterruptedException {
      List<String> got = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (got.size() < n) {
        String e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (e == null) {
          break;
        }
        got.add(e);
      }
      return got;
    }
  }

  @Test
  void patchesRightAfterTheWatchOpensArriveAsModifiedEventsOneAtATime() throws Exception {
    String ns = "slow-patches";
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    var cms = client.configMaps().inNamespace(ns);
    cms.resource(new ConfigMapBuilder().withNewMetadata().withName("s").endMetadata().withData(Map.of("v", "0"))
        .build()).create();
    SlowWatcher watcher = new SlowWatcher(2_000);
    Watch watch = cms.withName("s").watch(watcher);
    try {
      for (int i = 1; i <= 2; i++) {
        cms.withName("s").patch(PatchContext.of(PatchType.STRATEGIC_MERGE), "{\"data\":{\"v\":\"" + i + "\"}}");
      }
      assertEquals(List.of("ADDED {v=0}", "MODIFIED {v=1}", "MODIFIED {v=2}"), watcher.next(3, 30),
          "the state when the watch was established, then each patch");
      assertEquals(List.of(), watcher.next(1, 1), "nothing else");
    } finally {
      watch.close();
    }
  }
}
