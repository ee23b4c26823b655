package io.capstan.logschema.client;

import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.ErrorStatus;
import io.capstan.log.Reply;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * TEST DOUBLE of the command processor's reply path, for testing the command client before
 * (and independently of) the real processor: reads capstan.commands, answers each command on
 * capstan.replies per the reply contract (keyed and partitioned by client id, rv from a
 * per-partition hybrid logical clock), and answers a repeated request id with the original
 * reply. It stores nothing and validates nothing. Names steer it:
 * <ul>
 *   <li>{@code drop-first-*}: apply, but lose the first reply (a retry gets the original one);
 *   <li>{@code silent-*}: never answer;
 *   <li>{@code conflict-*}: reject with 409 Conflict.
 * </ul>
 */
final class FakeReplier implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> producer;
  private final String repliesTopic;
  private final int replyPartitions;
  private final Map<String, Reply> answered = new HashMap<>();
  private final long[] lastRv;
  private final Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
  final List<Command> received = new CopyOnWriteArrayList<>();
  private final Thread loop;
  private volatile boolean running = true;

  FakeReplier(Map<String, Object> kafka, TopicLayout layout) {
    Map<String, Object> c = new HashMap<>(kafka);
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    Map<String, Object> p = new HashMap<>(kafka);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    repliesTopic = layout.replies();
    replyPartitions = PartitionCount.of(kafka, repliesTopic, Duration.ofSeconds(30));
    List<TopicPartition> parts = new ArrayList<>();
    for (int i = PartitionCount.of(kafka, layout.commands(), Duration.ofSeconds(30)) - 1; i >= 0; i--) {
      parts.add(new TopicPartition(layout.commands(), i));
    }
    lastRv = new long[parts.size()];
    // Wait until the broker has opened the replies partitions: producing to a partition it is
    // still opening can wedge an idempotent producer for two minutes (KAFKA-15591).
    List<TopicPartition> replyParts = new ArrayList<>();
    for (int i = 0; i < replyPartitions; i++) {
      replyParts.add(new TopicPartition(repliesTopic, i));
    }
    consumer.endOffsets(replyParts, Duration.ofSeconds(30));
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
    loop = new Thread(this::run, "fake-replier");
    loop.setDaemon(true);
    loop.start();
  }

  /** How many times a request id arrived. */
  int timesSeen(String requestId) {
    AtomicInteger n = seen.get(requestId);
    return n == null ? 0 : n.get();
  }

  private void run() {
    while (running) {
      try {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          answer(r.partition(), LogCodec.get().decode(r.value(), Command.class));
        }
        producer.flush();
      } catch (WakeupException e) {
        // closing
      }
    }
  }

  private void answer(int partition, Command cmd) {
    received.add(cmd);
    int times = seen.computeIfAbsent(cmd.getRequestId(), k -> new AtomicInteger()).incrementAndGet();
    String name = cmd.getName();
    if (name.startsWith("silent-")) {
      return;
    }
    Reply reply = answered.get(cmd.getRequestId());
    if (reply == null) {
      reply = decide(partition, cmd);
      answered.put(cmd.getRequestId(), reply);
    }
    if (name.startsWith("drop-first-") && times == 1) {
      return; // applied, but the reply is lost
    }
    byte[] key = cmd.getClientId().getBytes(StandardCharsets.UTF_8);
    int replyPartition = ObjectPartitioner.partition(cmd.getClientId(), replyPartitions);
    producer.send(new ProducerRecord<>(repliesTopic, replyPartition, key, LogCodec.get().encode(reply)));
  }

  private Reply decide(int partition, Command cmd) {
    Reply.Builder b = Reply.newBuilder().setRequestId(cmd.getRequestId()).setClientId(cmd.getClientId());
    if (cmd.getName().startsWith("conflict-")) {
      return b.setAccepted(false).setStatus(ErrorStatus.newBuilder().setCode(409).setReason("Conflict")
          .setMessage("the object has been modified").setKind(cmd.getKind()).setName(cmd.getName()).build()).build();
    }
    long now = System.currentTimeMillis() * 1000;
    lastRv[partition] = Math.max(lastRv[partition] + 1, now);
    boolean delete = cmd.getOp() == CommandOp.DELETE;
    return b.setAccepted(true).setObject(delete ? null : cmd.getObject()).setResourceVersion(lastRv[partition])
        .setPartition(partition).setDeleted(delete).build();
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    consumer.wakeup();
    loop.join(5_000);
    consumer.close();
    producer.close();
  }
}
