package io.capstan.logschema.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.Metrics;
import org.junit.jupiter.api.Test;

/**
 * The binder over a real Kafka {@link Metrics} registry laid out as a consumer's fetch manager
 * lays out its metrics (the broker-backed test is in state-views, where the broker fixture is).
 */
class ConsumerLagBinderTest {

  private static MetricName lag(Metrics m, String topic, int partition) {
    return m.metricName("records-lag", ConsumerLag.GROUP, Map.of("client-id", "c1", "topic", topic,
        "partition", Integer.toString(partition)));
  }

  @Test
  void gaugesFollowTheAssignedPartitionsUnderTheRealTopicNames() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicLong behind = new AtomicLong(7);
    try (Metrics m = new Metrics()) {
      m.addMetric(lag(m, "capstan.commands", 0), (org.apache.kafka.common.metrics.Gauge<Double>) (c, now) ->
          (double) behind.get());
      // KIP-1109's deprecated copy of the same partition, and metrics that are not per-partition lag
      m.addMetric(lag(m, "capstan_commands", 0), (org.apache.kafka.common.metrics.Gauge<Double>) (c, now) -> 7.0);
      m.addMetric(m.metricName("records-lag-max", ConsumerLag.GROUP, Map.of("client-id", "c1")),
          (org.apache.kafka.common.metrics.Gauge<Double>) (c, now) -> 9.0);
      m.addMetric(m.metricName("records-lag", "some-other-group", Map.of("topic", "x", "partition", "0")),
          (org.apache.kafka.common.metrics.Gauge<Double>) (c, now) -> 9.0);
      try (ConsumerLag binder = ConsumerLag.bind(registry, "state-views", "processor", m::metrics)) {
        assertEquals(Set.of(new TopicPartition("capstan.commands", 0)), binder.partitions());
        Gauge g = Search.in(registry).name(ConsumerLag.NAME).tag("component", "state-views").tag("consumer", "processor")
            .tag("topic", "capstan.commands").tag("partition", "0").gauge();
        assertEquals(7.0, g.value());
        behind.set(0);
        assertEquals(0.0, g.value(), "read when scraped");

        m.addMetric(lag(m, "capstan.commands", 1), (org.apache.kafka.common.metrics.Gauge<Double>) (c, now) -> 3.0);
        binder.refresh();
        assertEquals(2, Search.in(registry).name(ConsumerLag.NAME).gauges().size(), "a newly assigned partition");
        m.removeMetric(lag(m, "capstan.commands", 0)); // revoked: the client drops both names of its lag
        m.removeMetric(lag(m, "capstan_commands", 0));
        binder.refresh();
        assertEquals(Set.of(new TopicPartition("capstan.commands", 1)), binder.partitions(), "a revoked one goes");
        assertEquals(1, Search.in(registry).name(ConsumerLag.NAME).gauges().size());
      }
      assertTrue(Search.in(registry).name(ConsumerLag.NAME).gauges().isEmpty(), "close removes the gauges");
    }
  }

  @Test
  void aSharedConsumerTagsEachTopicWithItsReadersName() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (Metrics m = new Metrics()) {
      m.addMetric(lag(m, "capstan.state.pod", 0), (org.apache.kafka.common.metrics.Gauge<Double>) (c, now) -> 1.0);
      m.addMetric(lag(m, "capstan.state.node", 0), (org.apache.kafka.common.metrics.Gauge<Double>) (c, now) -> 2.0);
      try (ConsumerLag binder = ConsumerLag.bindPerTopic(registry, "up", "informers",
          t -> "informer-" + t.substring(t.lastIndexOf('.') + 1), m::metrics)) {
        assertEquals(2, binder.partitions().size());
        assertEquals(1.0, Search.in(registry).name(ConsumerLag.NAME).tag("consumer", "informer-pod")
            .tag("topic", "capstan.state.pod").gauge().value());
        assertEquals(2.0, Search.in(registry).name(ConsumerLag.NAME).tag("consumer", "informer-node")
            .tag("topic", "capstan.state.node").gauge().value());
      }
    }
    assertThrows(IllegalArgumentException.class, () -> ConsumerLag.bindPerTopic(registry, "x", "y", null, Map::of));
  }

  @Test
  void aBinderNeedsItsNames() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    assertThrows(IllegalArgumentException.class, () -> ConsumerLag.bind(registry, "", "x", Map::of));
    assertThrows(IllegalArgumentException.class, () -> ConsumerLag.bind(registry, "x", null, Map::of));
  }
}
