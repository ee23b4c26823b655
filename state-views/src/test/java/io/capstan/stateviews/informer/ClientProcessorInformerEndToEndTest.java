package io.capstan.stateviews.informer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The whole loop on the real broker: CommandClient -> command processor -> state topic ->
 * Informer, with read-your-writes through the reply's partition and resourceVersion.
 */
class ClientProcessorInformerEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static ConfigMap configMap(String value, String resourceVersion) {
    return ConfigMap.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("e2e").setName("settings")
            .setResourceVersion(resourceVersion).build())
        .setData(Map.of("value", value))
        .build();
  }

  @Test
  void createUpdateDeleteThroughTheClientAreSeenByAnInformer() throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(3);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    ProcessorConfig pc = ProcessorConfig.defaults(kafka, layout, KafkaFixture.tempDir("e2e-informer"));
    try (CommandProcessor processor = new CommandProcessor(pc, registry);
        SharedInformers informers = new SharedInformers(InformerConfig.defaults(kafka, layout, "e2e"), registry);
        CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "e2e"), registry)) {
      processor.start();
      processor.awaitRunning(Duration.ofSeconds(60));
      Informer<ConfigMap> configMaps = informers.informerFor(Kinds.CONFIG_MAP, ConfigMap.class);
      BlockingQueue<String> seen = new LinkedBlockingQueue<>();
      configMaps.addHandler(new ResourceEventHandler<>() {
        @Override
        public void onAdd(ConfigMap o) {
          seen.add("ADD " + o.getData().get("value"));
        }

        @Override
        public void onUpdate(ConfigMap old, ConfigMap o) {
          seen.add("UPDATE " + old.getData().get("value") + ">" + o.getData().get("value"));
        }

        @Override
        public void onDelete(ConfigMap o) {
          seen.add("DELETE " + o.getData().get("value"));
        }
      });
      informers.start();
      assertTrue(informers.awaitSynced(WAIT));

      Namespace ns = Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("e2e").build()).build();
      assertInstanceOf(CommandResult.Accepted.class, client.create(ns).get(30, TimeUnit.SECONDS));

      // The namespace may live on another partition; its table reaches the others a commit later.
      CommandResult.Accepted created = null;
      for (int i = 0; i < 40 && created == null; i++) {
        CommandResult r = client.create(configMap("1", null)).get(30, TimeUnit.SECONDS);
        if (r instanceof CommandResult.Accepted a) {
          created = a;
        } else {
          Thread.sleep(250);
        }
      }
      assertNotNull(created, "the ConfigMap was never accepted");
      assertTrue(configMaps.awaitApplied(created.partition(), created.resourceVersion(), WAIT));
      ConfigMap cached = configMaps.get("e2e", "settings").orElseThrow(() -> new AssertionError("not cached after applied"));
      assertEquals(Long.toString(created.resourceVersion()), cached.getMetadata().getResourceVersion());
      assertEquals(created.object(), cached, "the cache holds what the reply returned");
      assertEquals("ADD 1", seen.poll(30, TimeUnit.SECONDS));

      String rv1 = cached.getMetadata().getResourceVersion();
      CommandResult.Accepted updated = assertInstanceOf(CommandResult.Accepted.class,
          client.update(configMap("2", rv1)).get(30, TimeUnit.SECONDS));
      assertTrue(configMaps.awaitApplied(updated.partition(), updated.resourceVersion(), WAIT));
      assertEquals("2", configMaps.get("e2e", "settings").orElseThrow().getData().get("value"));
      assertEquals("UPDATE 1>2", seen.poll(30, TimeUnit.SECONDS));

      CommandResult.Rejected stale = assertInstanceOf(CommandResult.Rejected.class,
          client.update(configMap("3", rv1)).get(30, TimeUnit.SECONDS));
      assertEquals(409, stale.status().getCode());

      CommandResult.Accepted deleted = assertInstanceOf(CommandResult.Accepted.class,
          client.delete(Kinds.CONFIG_MAP, "e2e", "settings", null).get(30, TimeUnit.SECONDS));
      assertTrue(deleted.deleted());
      assertTrue(configMaps.awaitApplied(deleted.partition(), deleted.resourceVersion(), WAIT));
      assertFalse(configMaps.get("e2e", "settings").isPresent());
      assertEquals("DELETE 2", seen.poll(30, TimeUnit.SECONDS));

      // Quiet partitions send no watermark by themselves: asked, they close, so the consistent
      // cut passes the delete.
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!configMaps.listReached(deleted.resourceVersion()) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      Snapshot<ConfigMap> s = configMaps.snapshot();
      assertTrue(s.listResourceVersion() >= deleted.resourceVersion(), "list rv " + s.listResourceVersion());
      assertTrue(s.objects().isEmpty());
      assertTrue(seen.isEmpty(), "no other events: " + seen);

      // The series dashboards and alerts are written against, under their Prometheus names.
      String scrape = registry.scrape();
      for (String series : new String[] {
          "capstan_client_commands_total{kind=\"ConfigMap\",op=\"CREATE\",result=\"accepted\"}",
          "capstan_client_commands_total{kind=\"ConfigMap\",op=\"UPDATE\",result=\"rejected\"} 1.0",
          "capstan_client_command_seconds_count{op=\"DELETE\"} 1",
          "capstan_client_retries_total",
          "capstan_client_commands_in_flight{client=",
          "capstan_informer_objects{component=\"e2e\",kind=\"ConfigMap\"} 0.0",
          "capstan_informer_watermark_lag_seconds{component=\"e2e\",kind=\"ConfigMap\"}",
          "capstan_informer_consumer_lag_records{component=\"e2e\",kind=\"ConfigMap\"}",
          "capstan_informer_records_skipped_total{kind=\"ConfigMap\"} 0.0",
          "capstan_informer_records_applied_total{kind=\"ConfigMap\"}"}) {
        assertTrue(scrape.contains(series), "missing " + series + " in\n" + scrape);
      }
    }
  }
}
