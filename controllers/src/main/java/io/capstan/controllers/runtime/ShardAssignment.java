package io.capstan.controllers.runtime;

import io.capstan.logschema.client.PartitionCount;
import io.capstan.logschema.topics.ObjectPartitioner;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which object keys this controller-manager reconciles: the partitions Kafka's consumer group
 * assigns it on the primary topic. Every object-keyed topic shares the partition count and
 * partitioner, so a partition number names the same keys for every kind. The consumer reads
 * nothing (its partitions are paused); it only holds the membership, and Kafka moves a dead
 * member's partitions to the others after the session timeout.
 *
 * <p>Handing over is clean: before a partition is given up, {@link #onRevoke} callbacks run on
 * the poll thread and the rebalance waits for them, so the controllers finish the reconciles
 * they have in flight for it before anyone else may start one.
 */
public final class ShardAssignment implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ShardAssignment.class);
  /** Short, so a crashed instance's share moves within seconds (the broker's minimum is 6 s). */
  public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);
  /** Rebalances and heartbeats are handled within poll; close() wakes it. */
  private static final Duration POLL = Duration.ofSeconds(1);

  private final String topic;
  private final String group;
  private final int partitions;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final List<Consumer<Set<Integer>>> gainedListeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<Set<Integer>>> revokeListeners = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> firstAssignment = new CompletableFuture<>();
  private final Thread loop;
  private volatile Set<Integer> owned = Set.of();
  private volatile boolean closed;
  private boolean started;

  public ShardAssignment(Map<String, Object> kafka, String topic, String group, String member, Duration sessionTimeout) {
    this.topic = topic;
    this.group = group;
    this.partitions = PartitionCount.of(kafka, topic, Duration.ofSeconds(30));
    Map<String, Object> c = new HashMap<>();
    kafka.forEach((k, v) -> {
      if (ConsumerConfig.configNames().contains(k)) {
        c.put(k, v);
      }
    });
    c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, member + "-shard");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) sessionTimeout.toMillis());
    c.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(500, sessionTimeout.toMillis() / 5));
    c.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    // Incremental rebalancing: a member joining or leaving moves only the partitions that change hands.
    c.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        org.apache.kafka.clients.consumer.CooperativeStickyAssignor.class.getName());
    this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.loop = new Thread(this::run, "capstan-shard-" + member);
    this.loop.setDaemon(true);
  }

  /** Runs {@code gained} with newly assigned partitions (on the poll thread; keep it short). */
  public void onGained(Consumer<Set<Integer>> gained) {
    gainedListeners.add(gained);
  }

  /** Runs {@code revoked} before partitions are given up; the rebalance waits for it. */
  public void onRevoke(Consumer<Set<Integer>> revoked) {
    revokeListeners.add(revoked);
  }

  public synchronized void start() {
    started = true;
    consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
      @Override
      public void onPartitionsRevoked(Collection<TopicPartition> tps) {
        Set<Integer> lost = numbers(tps);
        if (lost.isEmpty()) {
          return;
        }
        Set<Integer> now = new TreeSet<>(owned);
        now.removeAll(lost);
        owned = java.util.Collections.unmodifiableSet(now); // stop taking new keys of these partitions first
        revokeListeners.forEach(l -> l.accept(lost));
        log.info("shard of group {}: gave up partitions {}, now {}", group, lost, owned);
      }

      @Override
      public void onPartitionsLost(Collection<TopicPartition> tps) {
        onPartitionsRevoked(tps);
      }

      @Override
      public void onPartitionsAssigned(Collection<TopicPartition> tps) {
        consumer.pause(tps); // membership only: nothing to read
        Set<Integer> gained = numbers(tps);
        Set<Integer> now = new TreeSet<>(owned);
        now.addAll(gained);
        owned = java.util.Collections.unmodifiableSet(now);
        log.info("shard of group {}: assigned partitions {}, now {} of {}", group, gained, owned, partitions);
        if (!gained.isEmpty()) {
          gainedListeners.forEach(l -> l.accept(gained));
        }
        firstAssignment.complete(null);
      }
    });
    loop.start();
  }

  private static Set<Integer> numbers(Collection<TopicPartition> tps) {
    Set<Integer> s = new TreeSet<>();
    tps.forEach(tp -> s.add(tp.partition()));
    return s;
  }

  private void run() {
    try {
      while (!closed) {
        try {
          consumer.poll(POLL);
        } catch (WakeupException e) {
          // close() woke us
        } catch (KafkaException e) {
          log.warn("shard of group {}: poll failed, retrying: {}", group, e.toString());
        }
      }
    } finally {
      consumer.close(Duration.ofSeconds(10)); // leaves the group: the others take over at once
    }
  }

  /** Waits for the first assignment (which may be empty when there are more members than partitions). */
  public boolean awaitAssignment(Duration timeout) throws InterruptedException {
    try {
      firstAssignment.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      return false;
    }
  }

  public Set<Integer> owned() {
    return owned;
  }

  public int partitionOf(String key) {
    return ObjectPartitioner.partition(key, partitions);
  }

  public boolean owns(String key) {
    return owned.contains(partitionOf(key));
  }

  public int partitionCount() {
    return partitions;
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (!started) {
      consumer.close(Duration.ZERO);
      return;
    }
    consumer.wakeup();
    try {
      loop.join(15_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
