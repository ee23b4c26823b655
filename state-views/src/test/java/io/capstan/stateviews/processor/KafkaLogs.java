package io.capstan.stateviews.processor;

import io.capstan.stateviews.testing.KafkaFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Plain Kafka clients on the test broker: a command producer and whole-topic readers. */
final class KafkaLogs {
  private KafkaLogs() {}

  /** An idempotent producer with Kafka's default partitioner (the object-key partitioner's twin). */
  static KafkaProducer<String, byte[]> producer() {
    Map<String, Object> p = new HashMap<>(KafkaFixture.clientConfig());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 2);
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  /** A consumer assigned every partition of the topic, positioned at the beginning. */
  private static KafkaConsumer<String, byte[]> fromBeginning(String topic, boolean committedOnly) {
    Map<String, Object> c = new HashMap<>(KafkaFixture.clientConfig());
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, committedOnly ? "read_committed" : "read_uncommitted");
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
    KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
        .map(pi -> new TopicPartition(topic, pi.partition())).toList();
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
    return consumer;
  }

  /**
   * Reads a topic from the beginning, all partitions, until {@code done} holds for what was
   * read or the timeout passes; returns what was read either way.
   */
  static List<ConsumerRecord<String, byte[]>> read(String topic, boolean committedOnly,
      Predicate<List<ConsumerRecord<String, byte[]>>> done, Duration timeout) {
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = fromBeginning(topic, committedOnly)) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!done.test(out) && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(100)).forEach(out::add);
      }
    }
    return out;
  }

  /** Everything currently readable: reads until a poll after the end offsets returns nothing new. */
  static List<ConsumerRecord<String, byte[]>> readToEnd(String topic, boolean committedOnly) {
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = fromBeginning(topic, committedOnly)) {
      List<TopicPartition> parts = List.copyOf(consumer.assignment());
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(100)).forEach(out::add);
        boolean atEnd = parts.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
        if (atEnd) {
          break;
        }
      }
    }
    return out;
  }
}
