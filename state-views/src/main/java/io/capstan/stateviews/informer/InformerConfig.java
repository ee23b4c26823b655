package io.capstan.stateviews.informer;

import io.capstan.logschema.topics.TopicLayout;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * Settings of the informers of one component.
 *
 * @param kafka        Kafka client settings: {@code bootstrap.servers} plus any TLS/SASL settings;
 *                     consumer settings here override the informer's defaults
 * @param layout       the topic names
 * @param component    who reads (a metric tag and the Kafka client id prefix), e.g. {@code scheduler}
 * @param partitions   the partitions to read; empty for all of them (a shard reads a subset)
 * @param fetchMaxWait how long a fetch waits for new committed records before returning empty
 */
public record InformerConfig(
    Map<String, Object> kafka, TopicLayout layout, String component, Set<Integer> partitions, Duration fetchMaxWait) {

  /**
   * Kafka's default. A read_committed fetch is answered as soon as a commit marker moves the
   * partition's last stable offset, so the wait does not delay records (measured on a loaded
   * 2-core machine: commit to consumed p50 13-18 ms at 500 ms against 30-33 ms at 20 ms); it
   * only bounds how often an idle reader asks the broker, which at 20 ms cost an idle cluster
   * most of a core.
   */
  public static final Duration DEFAULT_FETCH_MAX_WAIT = Duration.ofMillis(500);

  public InformerConfig {
    if (kafka == null || kafka.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG) == null) {
      throw new IllegalArgumentException("informer config: kafka settings need bootstrap.servers, got " + kafka);
    }
    if (layout == null) {
      throw new IllegalArgumentException("informer config: layout is required");
    }
    if (component == null || component.isBlank()) {
      throw new IllegalArgumentException("informer config: component must not be empty");
    }
    if (partitions == null) {
      throw new IllegalArgumentException("informer config: partitions must not be null (empty means all)");
    }
    for (int p : partitions) {
      if (p < 0) {
        throw new IllegalArgumentException("informer config: partition numbers are not negative, got " + p);
      }
    }
    if (fetchMaxWait == null || fetchMaxWait.isNegative()) {
      throw new IllegalArgumentException("informer config: fetchMaxWait must not be negative, got " + fetchMaxWait);
    }
    kafka = Map.copyOf(kafka);
    partitions = Set.copyOf(new TreeSet<>(partitions));
  }

  /** Every partition, the default fetch wait. */
  public static InformerConfig defaults(Map<String, Object> kafka, TopicLayout layout, String component) {
    return new InformerConfig(kafka, layout, component, Set.of(), DEFAULT_FETCH_MAX_WAIT);
  }

  /** Only these partitions (a shard of the key space). */
  public InformerConfig withPartitions(Set<Integer> partitions) {
    return new InformerConfig(kafka, layout, component, partitions, fetchMaxWait);
  }

  public InformerConfig withFetchMaxWait(Duration fetchMaxWait) {
    return new InformerConfig(kafka, layout, component, partitions, fetchMaxWait);
  }
}
