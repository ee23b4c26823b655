package io.capstan.logschema.metrics;

import io.capstan.logschema.threads.Housekeeping;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports one Kafka consumer's lag per topic-partition as {@code capstan_kafka_consumer_lag}
 * with the tags {@code component}, {@code consumer}, {@code topic} and {@code partition}: the
 * records between the consumer's position and the end of the partition (the last stable offset
 * for a read_committed consumer), as the client measured it at its last fetch.
 *
 * <p>The figure is the client's own {@code records-lag} metric (group
 * {@code consumer-fetch-manager-metrics}), read from its {@code metrics()} map, so the same
 * binder serves a {@code KafkaConsumer} and a {@code KafkaStreams} (whose map holds all its
 * consumers: a partition read by several of them reports the largest lag). Partitions come and go
 * with assignments, so the set of gauges is refreshed every {@link #REFRESH} on one shared
 * daemon thread; the values themselves are read when the registry is scraped.
 *
 * <pre>
 *   ConsumerLag lag = ConsumerLag.bind(registry, "scheduler", "informer-pod", consumer::metrics);
 *   ...
 *   lag.close(); // removes the gauges
 * </pre>
 *
 * One binder per component and consumer name in a registry: a second one with the same names
 * would share the first one's gauges.
 */
public final class ConsumerLag implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConsumerLag.class);
  /** Prometheus: {@code capstan_kafka_consumer_lag}. */
  public static final String NAME = "capstan.kafka.consumer.lag";
  static final String GROUP = "consumer-fetch-manager-metrics";
  static final String METRIC = "records-lag";
  /**
   * How often assignments are looked at again; a new partition's gauge appears within this.
   * Assignments change at start and on rebalances only, while a look walks the client's whole
   * metrics map (a Kafka Streams client copies thousands of entries into a new map): at 2 s the
   * looks of an idle {@code capstan up} cost ~3 ms of CPU a second.
   */
  public static final Duration REFRESH = Duration.ofSeconds(10);

  private static final Housekeeping REFRESHER = Housekeeping.of("consumer lag gauges");

  private final MeterRegistry registry;
  private final String component;
  private final String consumer;
  /** The consumer tag of a topic's gauges: {@link #consumer} for all, or one name per topic. */
  private final Function<String, String> consumerOfTopic;
  private final Supplier<? extends Map<MetricName, ? extends Metric>> metrics;
  private final Map<TopicPartition, PartitionLag> partitions = new ConcurrentHashMap<>();
  private final ScheduledFuture<?> refresh;
  private boolean closed;
  private boolean warned;

  /** The lag gauge of one partition: the largest of the client metrics that measure it. */
  private static final class PartitionLag {
    volatile List<Metric> sources;
    Gauge gauge;

    double value() {
      double max = Double.NaN;
      for (Metric m : sources) {
        Object v = m.metricValue();
        if (v instanceof Number n && !Double.isNaN(n.doubleValue())) {
          max = Double.isNaN(max) ? n.doubleValue() : Math.max(max, n.doubleValue());
        }
      }
      return max;
    }
  }

  private ConsumerLag(MeterRegistry registry, String component, String consumer,
      Function<String, String> consumerOfTopic, Supplier<? extends Map<MetricName, ? extends Metric>> metrics) {
    this.registry = registry;
    this.component = component;
    this.consumer = consumer;
    this.consumerOfTopic = consumerOfTopic;
    this.metrics = metrics;
    refresh();
    this.refresh = REFRESHER.every(REFRESH, REFRESH, this::refresh);
  }

  /**
   * Starts exporting the lag of one consumer (or of every consumer of a Kafka Streams client).
   *
   * @param component the Capstan component that runs it, e.g. {@code scheduler}
   * @param consumer  which of the component's consumers, e.g. {@code informer-pod}
   * @param metrics   the client's {@code metrics()} (safe to call from another thread)
   */
  public static ConsumerLag bind(MeterRegistry registry, String component, String consumer,
      Supplier<? extends Map<MetricName, ? extends Metric>> metrics) {
    requireArguments(registry, component, consumer, metrics);
    return new ConsumerLag(registry, component, consumer, t -> consumer, metrics);
  }

  private static void requireArguments(MeterRegistry registry, String component, String consumer,
      Supplier<? extends Map<MetricName, ? extends Metric>> metrics) {
    if (registry == null || metrics == null || component == null || component.isBlank() || consumer == null
        || consumer.isBlank()) {
      throw new IllegalArgumentException("consumer lag needs a registry, a component, a consumer name and the"
          + " client's metrics; got component=" + component + ", consumer=" + consumer);
    }
  }

  /**
   * Starts exporting the lag of one consumer that reads for several readers, each its own
   * topics (the informers of a process share one consumer): a partition's gauge is tagged with
   * the consumer name of its topic, so each reader keeps the name it would have alone.
   *
   * @param consumer        names the binder in log messages, e.g. {@code informers}
   * @param consumerOfTopic the consumer tag of a topic's gauges, e.g. {@code informer-pod} for
   *                        {@code capstan.state.pod}; asked once per partition, when its gauge is made
   */
  public static ConsumerLag bindPerTopic(MeterRegistry registry, String component, String consumer,
      Function<String, String> consumerOfTopic, Supplier<? extends Map<MetricName, ? extends Metric>> metrics) {
    if (consumerOfTopic == null) {
      throw new IllegalArgumentException("consumer lag per topic needs the consumer name of each topic");
    }
    requireArguments(registry, component, consumer, metrics);
    return new ConsumerLag(registry, component, consumer, consumerOfTopic, metrics);
  }

  /** Looks at the client's metrics again: gauges for newly assigned partitions, none for revoked ones. */
  public synchronized void refresh() {
    if (closed) {
      return;
    }
    Map<TopicPartition, List<Metric>> now;
    try {
      now = lagMetrics(metrics.get());
    } catch (RuntimeException e) {
      if (!warned) { // e.g. a client closing under us; the next refresh tries again
        warned = true;
        log.warn("consumer lag of {}/{}: cannot read the client's metrics: {}", component, consumer, e.toString());
      }
      return;
    }
    for (Map.Entry<TopicPartition, List<Metric>> e : now.entrySet()) {
      PartitionLag p = partitions.get(e.getKey());
      if (p == null) {
        p = new PartitionLag();
        p.sources = e.getValue();
        p.gauge = Gauge.builder(NAME, p, PartitionLag::value)
            .description("Records a Kafka consumer is behind the end of a partition (last stable offset when read"
                + " committed), as the client measured at its last fetch")
            .tag("component", component).tag("consumer", consumerOfTopic.apply(e.getKey().topic()))
            .tag("topic", e.getKey().topic()).tag("partition", Integer.toString(e.getKey().partition()))
            .strongReference(true)
            .register(registry);
        partitions.put(e.getKey(), p);
      } else {
        p.sources = e.getValue();
      }
    }
    for (TopicPartition tp : List.copyOf(partitions.keySet())) {
      if (!now.containsKey(tp)) {
        registry.remove(partitions.remove(tp).gauge);
      }
    }
  }

  /** The partitions this binder has a gauge for now. */
  public Set<TopicPartition> partitions() {
    return Set.copyOf(partitions.keySet());
  }

  /**
   * The {@code records-lag} metrics by partition. Since KIP-1109 a client also reports each topic
   * whose name has a '.' a second time under the name with '_' instead (deprecated, kept for old
   * dashboards): that copy is dropped when the real name is there too.
   */
  static Map<TopicPartition, List<Metric>> lagMetrics(Map<MetricName, ? extends Metric> all) {
    Map<TopicPartition, List<Metric>> out = new HashMap<>();
    for (Map.Entry<MetricName, ? extends Metric> e : all.entrySet()) {
      MetricName n = e.getKey();
      if (!METRIC.equals(n.name()) || !GROUP.equals(n.group())) {
        continue;
      }
      String topic = n.tags().get("topic");
      String partition = n.tags().get("partition");
      if (topic == null || partition == null) {
        continue; // the client-level records-lag-max has no partition
      }
      int p;
      try {
        p = Integer.parseInt(partition);
      } catch (NumberFormatException ex) {
        continue;
      }
      out.computeIfAbsent(new TopicPartition(topic, p), k -> new ArrayList<>()).add(e.getValue());
    }
    Set<TopicPartition> underscored = new HashSet<>();
    for (TopicPartition tp : out.keySet()) {
      if (tp.topic().contains(".")) {
        underscored.add(new TopicPartition(tp.topic().replace('.', '_'), tp.partition()));
      }
    }
    out.keySet().removeAll(underscored);
    return out;
  }

  /** Stops refreshing and removes the gauges. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    refresh.cancel(false);
    partitions.values().forEach(p -> registry.remove(p.gauge));
    partitions.clear();
  }
}
