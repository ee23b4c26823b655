package io.capstan.stateviews.informer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.Pod;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InformerConfigTest {
  private static final Map<String, Object> KAFKA = Map.of("bootstrap.servers", "127.0.0.1:9", "group.id", "g",
      "isolation.level", "read_uncommitted", "fetch.max.wait.ms", 5, "linger.ms", 3, "security.protocol", "SSL");

  @Test
  void badSettingsAreNamed() {
    TopicLayout l = TopicLayout.defaults();
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> InformerConfig.defaults(Map.of(), l, "x")).getMessage().contains("bootstrap.servers"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> InformerConfig.defaults(KAFKA, l, " ")).getMessage().contains("component"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> InformerConfig.defaults(KAFKA, l, "x").withPartitions(Set.of(-1))).getMessage().contains("-1"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> InformerConfig.defaults(KAFKA, l, "x").withFetchMaxWait(Duration.ofMillis(-1))).getMessage()
        .contains("fetchMaxWait"));
  }

  @Test
  void theConsumerReadsCommittedRecordsWithoutAGroup() {
    InformerConfig cfg = InformerConfig.defaults(KAFKA, TopicLayout.defaults(), "scheduler");
    try (Informer<Pod> pods = new Informer<>(cfg, Kinds.POD, Pod.class, new SimpleMeterRegistry())) {
      Map<String, Object> c = pods.consumerConfig();
      assertEquals("read_committed", c.get("isolation.level"));
      assertFalse(c.containsKey("group.id"));
      assertEquals(5, c.get("fetch.max.wait.ms"), "the user's setting wins over the default");
      assertEquals("SSL", c.get("security.protocol"), "TLS/SASL settings pass through");
      assertFalse(c.containsKey("linger.ms"), "producer settings stay out");
      assertEquals("scheduler-informer-pod", c.get("client.id"));
      assertTrue(pods.store().hasIndex(Indexes.NODE_NAME), "pods get the node index");
    }
    try (Informer<ConfigMap> cms = new Informer<>(cfg, Kinds.CONFIG_MAP, ConfigMap.class, new SimpleMeterRegistry())) {
      assertFalse(cms.store().hasIndex(Indexes.NODE_NAME), "kinds without spec.nodeName do not");
      assertTrue(cms.store().hasIndex(Indexes.LABEL));
      assertThrows(IllegalStateException.class, () -> cms.awaitApplied(0, 1, Duration.ZERO), "not started");
    }
    try (SharedInformers shared = new SharedInformers(cfg, new SimpleMeterRegistry())) {
      Map<String, Object> pods = shared.informerFor(Kinds.POD, Pod.class).consumerConfig();
      Map<String, Object> cms = shared.informerFor(Kinds.CONFIG_MAP, ConfigMap.class).consumerConfig();
      assertEquals("scheduler-informers", pods.get("client.id"), "shared informers read through one consumer");
      assertEquals(pods, cms);
      assertEquals("read_committed", pods.get("isolation.level"));
    }
  }

  @Test
  void anInformerRefusesATypeOfAnotherKind() {
    InformerConfig cfg = InformerConfig.defaults(KAFKA, TopicLayout.defaults(), "x");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Informer<>(cfg, Kinds.POD, ConfigMap.class, new SimpleMeterRegistry()));
    assertTrue(e.getMessage().contains("io.capstan.api.Pod"), e.getMessage());
  }
}
