package io.capstan.stateviews.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a topic once, up to the end offsets seen when it starts (committed records only),
 * handing each record to a callback in per-partition order. Replay reads whole topics; audit
 * queries read only the partitions and the time range they can match.
 */
public final class LogReader {
  private static final Logger log = LoggerFactory.getLogger(LogReader.class);
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);
  private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(30);

  /** Which part of a topic to read: the partitions, and the first record time (ms, 0 = from the start). */
  public record Range(IntPredicate partitions, long fromTimestampMs) {
    public static final Range ALL = new Range(p -> true, 0);
  }

  private LogReader() {}

  /** Reads the whole topic. @return the number of records read */
  public static long readAll(Map<String, Object> kafka, String topic, Consumer<ConsumerRecord<String, byte[]>> handler) {
    return read(kafka, topic, Range.ALL, handler);
  }

  /** Reads the given range of the topic. @return the number of records read */
  public static long read(Map<String, Object> kafka, String topic, Range range,
      Consumer<ConsumerRecord<String, byte[]>> handler) {
    Properties p = new Properties();
    p.putAll(kafka);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "capstan-log-reader");
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, METADATA_TIMEOUT);
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("topic " + topic + " does not exist on " + kafka.get("bootstrap.servers"));
      }
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo i : infos) {
        if (range.partitions().test(i.partition())) {
          parts.add(new TopicPartition(topic, i.partition()));
        }
      }
      if (parts.isEmpty()) {
        return 0;
      }
      consumer.assign(parts);
      Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(parts, METADATA_TIMEOUT));
      Map<TopicPartition, Long> start = startOffsets(consumer, parts, end, range.fromTimestampMs());
      start.forEach(consumer::seek);
      long total = 0;
      for (TopicPartition tp : parts) {
        total += end.get(tp) - start.get(tp);
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

  /** The first offset at or after {@code fromMs} per partition (the end when no record is that late). */
  private static Map<TopicPartition, Long> startOffsets(KafkaConsumer<String, byte[]> consumer,
      List<TopicPartition> parts, Map<TopicPartition, Long> end, long fromMs) {
    Map<TopicPartition, Long> start = new HashMap<>(consumer.beginningOffsets(parts, METADATA_TIMEOUT));
    if (fromMs <= 0) {
      return start;
    }
    Map<TopicPartition, Long> query = new HashMap<>();
    parts.forEach(tp -> query.put(tp, fromMs));
    Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, METADATA_TIMEOUT);
    for (TopicPartition tp : parts) {
      OffsetAndTimestamp at = found.get(tp);
      start.put(tp, at == null ? end.get(tp) : Math.max(at.offset(), start.get(tp)));
    }
    return start;
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
