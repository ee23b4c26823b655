package io.capstan.stateviews.replay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a whole topic once, from the beginning to the end offsets seen when it starts
 * (committed records only), handing each record to a callback in per-partition order.
 */
final class LogReader {
  private static final Logger log = LoggerFactory.getLogger(LogReader.class);
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

  private LogReader() {}

  /** @return the number of records read */
  static long readAll(Map<String, Object> kafka, String topic, Consumer<ConsumerRecord<String, byte[]>> handler) {
    Properties p = new Properties();
    p.putAll(kafka);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "capstan-replay");
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("topic " + topic + " does not exist on " + kafka.get("bootstrap.servers"));
      }
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo i : infos) {
        parts.add(new TopicPartition(topic, i.partition()));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(parts, Duration.ofSeconds(30)));
      long total = 0;
      for (TopicPartition tp : parts) {
        total += end.get(tp) - consumer.beginningOffsets(List.of(tp)).get(tp);
      }
      long read = 0;
      long lastReport = System.nanoTime();
      while (!caughtUp(consumer, end)) {
        ConsumerRecords<String, byte[]> batch = consumer.poll(Duration.ofMillis(200));
        for (ConsumerRecord<String, byte[]> r : batch) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          if (r.offset() < end.get(tp)) {
            handler.accept(r);
            read++;
          }
        }
        if (System.nanoTime() - lastReport > PROGRESS_EVERY.toNanos()) {
          log.info("reading {}: {} of about {} records", topic, read, total);
          lastReport = System.nanoTime();
        }
      }
      return read;
    }
  }

  private static boolean caughtUp(KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      // position() skips over transaction markers and aborted records, so it reaches the end offset.
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}
