package io.capstan.logschema.client;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Looks up a topic's partition count once, at a component's startup. Asks the admin API rather
 * than a consumer: a consumer waits its whole timeout for a topic that does not exist, the admin
 * API says so at once. A topic created a moment ago may be unknown to the broker for a moment,
 * so "unknown" is believed only after a short grace.
 */
public final class PartitionCount {
  /** How long a just-created topic may stay unknown to the broker's metadata. */
  static final Duration UNKNOWN_TOPIC_GRACE = Duration.ofSeconds(3);

  private PartitionCount() {}

  /**
   * @throws IllegalStateException naming the topic when it does not exist, or the bootstrap servers
   *     when Kafka cannot be asked within {@code timeout}
   */
  public static int of(Map<String, Object> kafka, String topic, Duration timeout) {
    Map<String, Object> a = new HashMap<>();
    kafka.forEach((k, v) -> {
      if (AdminClientConfig.configNames().contains(k)) {
        a.put(k, v);
      }
    });
    a.put(AdminClientConfig.CLIENT_ID_CONFIG, "capstan-partition-count");
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    try (Admin admin = Admin.create(a)) {
      while (true) {
        long left = Math.max(1, deadline - System.nanoTime());
        try {
          return admin.describeTopics(List.of(topic)).allTopicNames().get(left, TimeUnit.NANOSECONDS)
              .get(topic).partitions().size();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
            throw new IllegalStateException("describing topic " + topic + " on "
                + kafka.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG) + " failed: " + e.getCause(), e.getCause());
          }
          if (System.nanoTime() - start > UNKNOWN_TOPIC_GRACE.toNanos() || System.nanoTime() > deadline) {
            throw new IllegalStateException("topic " + topic + " does not exist; create Capstan's topics first"
                + " (TopicAdmin.ensureTopics, or start the cluster with `capstan up`)");
          }
          Thread.sleep(100);
        } catch (TimeoutException e) {
          throw new IllegalStateException("Kafka at " + kafka.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)
              + " did not describe topic " + topic + " within " + timeout, e);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing topic " + topic, e);
    }
  }
}
