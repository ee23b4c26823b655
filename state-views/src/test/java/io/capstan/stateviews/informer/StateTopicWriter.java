package io.capstan.stateviews.informer;

import io.capstan.api.ObjectMeta;
import io.capstan.log.Watermark;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes state-topic records exactly as the contract defines them (what the command processor
 * writes), with resourceVersions chosen by the test, so informer tests control every rv. Object
 * records are sent asynchronously (in order per partition): call {@link #flush()}; watermarks and
 * raw records are sent synchronously.
 */
final class StateTopicWriter implements AutoCloseable {
  private final KafkaProducer<byte[], byte[]> producer;
  private final TopicLayout layout;
  private final int partitions;

  StateTopicWriter(Map<String, Object> kafka, TopicLayout layout, int partitions) {
    Map<String, Object> p = new HashMap<>(kafka);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    this.layout = layout;
    this.partitions = partitions;
    awaitPartitionsOpen(kafka, layout, partitions);
  }

  /**
   * Returns once the broker serves ListOffsets for every state partition, i.e. has opened them:
   * producing to a partition it is still opening can wedge an idempotent producer for two minutes
   * (KAFKA-15591), and fresh topics are what every test starts with.
   */
  static void awaitPartitionsOpen(Map<String, Object> kafka, TopicLayout layout, int partitions) {
    List<org.apache.kafka.common.TopicPartition> tps = new java.util.ArrayList<>();
    for (Kind k : Kinds.all()) {
      for (int i = 0; i < partitions; i++) {
        tps.add(new org.apache.kafka.common.TopicPartition(layout.state(k), i));
      }
    }
    try (var c = new org.apache.kafka.clients.consumer.KafkaConsumer<>(kafka,
        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      c.endOffsets(tps, Duration.ofSeconds(30));
    }
  }

  static String keyOf(SpecificRecord object) {
    Kind kind = Kinds.bySchema(object.getSchema()).orElseThrow();
    ObjectMeta m = (ObjectMeta) object.get(object.getSchema().getField("metadata").pos());
    return kind.kind() + "/" + (m.getNamespace() == null ? "" : m.getNamespace()) + "/" + m.getName();
  }

  int partitionOf(String key) {
    return ObjectPartitioner.partition(key, partitions);
  }

  /** The object's current state at rv; returns its partition. */
  int put(SpecificRecord object, long rv) {
    String key = keyOf(object);
    Kind kind = Kinds.bySchema(object.getSchema()).orElseThrow();
    return send(kind, partitionOf(key), key, LogCodec.get().encode(object), rv);
  }

  /** A tombstone at rv; returns the partition. */
  int delete(Kind kind, String key, long rv) {
    return send(kind, partitionOf(key), key, null, rv);
  }

  void watermark(Kind kind, int partition, long rv) {
    byte[] w = LogCodec.get().encode(Watermark.newBuilder().setPartition(partition).setResourceVersion(rv)
        .setTimeMicros(System.currentTimeMillis() * 1000).build());
    await(producer.send(new ProducerRecord<>(layout.state(kind), partition,
        ObjectPartitioner.watermarkKey(partition).getBytes(StandardCharsets.UTF_8), w)));
  }

  /** Anything at all, for malformed-record tests. */
  void raw(Kind kind, int partition, byte[] key, byte[] value, String rvHeader) {
    ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(layout.state(kind), partition, key, value);
    if (rvHeader != null) {
      r.headers().add(StateRecord.RV_HEADER, rvHeader.getBytes(StandardCharsets.UTF_8));
    }
    await(producer.send(r));
  }

  private int send(Kind kind, int partition, String key, byte[] value, long rv) {
    ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(layout.state(kind), partition,
        key.getBytes(StandardCharsets.UTF_8), value,
        List.of(new RecordHeader(StateRecord.RV_HEADER, Long.toString(rv).getBytes(StandardCharsets.UTF_8))));
    producer.send(r);
    return partition;
  }

  /** Waits until everything written so far is acknowledged. */
  void flush() {
    producer.flush();
  }

  private static <V> V await(java.util.concurrent.Future<V> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
