package io.capstan.logschema.codec;

import io.capstan.logschema.topics.TopicLayout;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schemas topic ({@link TopicLayout#schemas()}) as a {@link SchemaSource}: read to its end when
 * opened, and read on from where it stopped when asked for a fingerprint it does not hold yet. A
 * record on the log is committed in the same transaction as its schema's record (or after it), so
 * reading the topic (read_committed) to its end finds the schema of every record already read; a
 * fingerprint that is still missing is waited for a bounded time and then reported as unknown.
 * A fingerprint found missing once is not waited for again (only caught up), so a log full of
 * unreadable records does not wait once per record.
 */
public final class SchemaLog implements SchemaSource, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SchemaLog.class);
  /** How long a miss waits for its schema to appear (a writer whose transaction is still committing). */
  public static final Duration DEFAULT_MISS_WAIT = Duration.ofSeconds(2);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

  private final String topic;
  private final Duration missWait;
  private final KafkaConsumer<String, String> consumer;
  private final Map<Long, RecordedSchema> known = new ConcurrentHashMap<>();
  private final Set<Long> missed = new HashSet<>();
  private List<TopicPartition> partitions = List.of();

  private SchemaLog(Map<String, Object> kafka, String topic, Duration missWait) {
    this.topic = topic;
    this.missWait = missWait;
    Properties p = new Properties();
    p.putAll(kafka);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "capstan-schema-log-" + Integer.toHexString(System.identityHashCode(this)));
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
  }

  /** Opens the schemas topic of a layout and reads it to its end. */
  public static SchemaLog open(Map<String, Object> kafka, TopicLayout layout) {
    return open(kafka, layout, DEFAULT_MISS_WAIT);
  }

  public static SchemaLog open(Map<String, Object> kafka, TopicLayout layout, Duration missWait) {
    SchemaLog s = new SchemaLog(kafka, layout.schemas(), missWait);
    try {
      synchronized (s) {
        s.catchUp();
      }
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  /** How many schemas it has read. */
  public int size() {
    return known.size();
  }

  public RecordedSchema recorded(long fingerprint) {
    return known.get(fingerprint);
  }

  @Override
  public synchronized Schema find(long fingerprint) {
    RecordedSchema r = known.get(fingerprint);
    if (r != null) {
      return r.schema();
    }
    long deadline = System.nanoTime() + (missed.contains(fingerprint) ? 0 : missWait.toNanos());
    while (true) {
      catchUp();
      r = known.get(fingerprint);
      if (r != null) {
        missed.remove(fingerprint);
        return r.schema();
      }
      if (System.nanoTime() >= deadline) {
        missed.add(fingerprint);
        return null;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
  }

  @Override
  public String describe() {
    return "the schemas topic " + topic + " (" + known.size() + " schemas, read to its end"
        + (missWait.isZero() ? "" : ", waited " + missWait.toMillis() + " ms") + ")";
  }

  /** Reads what was committed to the topic since the last read, up to its end as of now. */
  private void catchUp() {
    if (partitions.isEmpty()) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, REQUEST_TIMEOUT);
      if (infos == null || infos.isEmpty()) {
        return; // no such topic (a cluster made before it existed): nothing recorded yet
      }
      partitions = infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
    }
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions, REQUEST_TIMEOUT);
    long deadline = System.nanoTime() + REQUEST_TIMEOUT.toNanos();
    while (!reached(end)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("reading " + topic + " to its end took longer than " + REQUEST_TIMEOUT);
      }
      for (ConsumerRecord<String, String> rec : consumer.poll(Duration.ofMillis(100))) {
        take(rec);
      }
    }
  }

  private boolean reached(Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey(), REQUEST_TIMEOUT) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private void take(ConsumerRecord<String, String> rec) {
    if (rec.key() == null || rec.value() == null) {
      return;
    }
    try {
      RecordedSchema r = RecordedSchema.parse(rec.key(), rec.value());
      known.put(r.fingerprint(), r);
    } catch (IllegalArgumentException e) {
      log.warn("skipping the record at {}-{}@{}: {}", rec.topic(), rec.partition(), rec.offset(), e.getMessage());
    }
  }

  @Override
  public synchronized void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
