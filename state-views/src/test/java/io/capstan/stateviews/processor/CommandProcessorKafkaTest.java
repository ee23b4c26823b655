package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.CODEC;
import static io.capstan.stateviews.processor.ProcessorHarness.configMap;
import static io.capstan.stateviews.processor.ProcessorHarness.namespace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.Event;
import io.capstan.log.EventOp;
import io.capstan.log.Reply;
import io.capstan.log.Watermark;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/** The processor against the real broker: what a client and a reader see, exactly once. */
class CommandProcessorKafkaTest {
  private static final int PARTITIONS = 3;
  private final String clientId = "it-" + UUID.randomUUID();

  @Test
  void commandsBecomeRepliesEventsAndStateRecordsOnTheRealBroker() throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(PARTITIONS);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ProcessorConfig cfg = ProcessorConfig.defaults(KafkaFixture.clientConfig(), layout, KafkaFixture.tempDir("proc-e2e"));
    try (CommandProcessor processor = new CommandProcessor(cfg, registry);
        KafkaProducer<String, byte[]> producer = KafkaLogs.producer()) {
      processor.start();
      processor.awaitRunning(Duration.ofSeconds(60));
      assertTrue(processor.isRunning());

      Reply ns = call(producer, layout, create(namespace("e2e")));
      assertTrue(ns.getAccepted(), () -> String.valueOf(ns.getStatus()));
      // The namespace may live on another partition: its table reaches the other tasks one commit later.
      Reply created = callUntilAccepted(producer, layout, () -> create(configMap("e2e", "cfg", Map.of("v", "1"))));
      ConfigMap cm = CODEC.decode(ProcessorHarness.bytes(created.getObject()));
      int partition = ObjectPartitioner.partition("ConfigMap/e2e/cfg", PARTITIONS);
      assertEquals(partition, created.getPartition());

      ConfigMap next = configMap("e2e", "cfg", Map.of("v", "2"));
      next.getMetadata().setResourceVersion(cm.getMetadata().getResourceVersion());
      Reply updated = call(producer, layout, withObject(CommandOp.UPDATE, next));
      assertTrue(updated.getAccepted(), () -> String.valueOf(updated.getStatus()));
      Reply conflict = call(producer, layout, withObject(CommandOp.UPDATE, next));
      assertEquals(409, conflict.getStatus().getCode());
      Reply deleted = call(producer, layout, command(CommandOp.DELETE, Kinds.CONFIG_MAP, "e2e", "cfg").build());
      assertTrue(deleted.getDeleted());

      // Events: exactly the three accepted changes of the ConfigMap, in order, rvs growing.
      List<Event> events = KafkaLogs.read(layout.events(), true, r -> r.size() >= 3 + 1, Duration.ofSeconds(20))
          .stream().map(r -> CODEC.decode(r.value(), Event.class)).filter(e -> e.getKind().equals("ConfigMap")).toList();
      assertEquals(List.of(EventOp.CREATED, EventOp.UPDATED, EventOp.DELETED), events.stream().map(Event::getOp).toList());
      assertEquals(created.getResourceVersion(), events.get(0).getResourceVersion());
      assertEquals(updated.getResourceVersion(), events.get(1).getResourceVersion());
      assertEquals(deleted.getResourceVersion(), events.get(2).getResourceVersion());

      // State: two versions then a tombstone, each with its rv header; watermarks on every partition.
      List<ConsumerRecord<String, byte[]>> state = KafkaLogs.read(layout.state(Kinds.CONFIG_MAP), true,
          r -> r.stream().filter(x -> x.key().startsWith("ConfigMap/")).count() >= 3
              && watermarkPartitions(r).size() == PARTITIONS
              && watermarkFollowsLastObjectRecord(r, "ConfigMap/e2e/cfg", partition), Duration.ofSeconds(20));
      List<ConsumerRecord<String, byte[]>> objectRecords = state.stream().filter(x -> x.key().equals("ConfigMap/e2e/cfg")).toList();
      assertEquals(3, objectRecords.size());
      for (ConsumerRecord<String, byte[]> r : objectRecords) {
        assertEquals(partition, r.partition(), "state lives on the object's partition");
      }
      assertEquals(Long.toString(updated.getResourceVersion()), header(objectRecords.get(1)));
      assertNull(objectRecords.get(2).value());
      assertEquals(Long.toString(deleted.getResourceVersion()), header(objectRecords.get(2)));
      assertEquals(Map.of(0, 0, 1, 1, 2, 2), watermarkPartitions(state), "watermark P on partition P");
      for (Kind k : Kinds.all()) {
        List<ConsumerRecord<String, byte[]>> any = KafkaLogs.read(layout.state(k), true,
            r -> watermarkPartitions(r).size() == PARTITIONS, Duration.ofSeconds(10));
        assertEquals(PARTITIONS, watermarkPartitions(any).size(), "watermarks on every partition of " + layout.state(k));
      }
      // Watermarks on the object's partition that follow its records promise more than their rvs.
      long lastWatermarkAfterDelete = state.stream()
          .filter(r -> r.partition() == partition && ObjectPartitioner.isWatermarkKey(r.key())
              && r.offset() > objectRecords.get(2).offset())
          .mapToLong(r -> CODEC.decode(r.value(), Watermark.class).getResourceVersion()).max().orElseThrow();
      assertTrue(lastWatermarkAfterDelete >= deleted.getResourceVersion());

      String scrape = registry.scrape();
      assertTrue(scrape.contains("capstan_processor_commands_total{kind=\"ConfigMap\",op=\"UPDATE\",result=\"Conflict\"} 1.0"), scrape);
      assertTrue(scrape.contains("kafka_stream"), "Kafka Streams' own metrics are bound");
    }
  }

  // ---- helpers ----

  /** Whether a watermark on the object's partition was written after the object's last record. */
  private static boolean watermarkFollowsLastObjectRecord(List<ConsumerRecord<String, byte[]>> records, String key, int partition) {
    long last = records.stream().filter(x -> x.key().equals(key)).mapToLong(ConsumerRecord::offset).max().orElse(Long.MAX_VALUE);
    return records.stream().anyMatch(x -> x.partition() == partition && ObjectPartitioner.isWatermarkKey(x.key()) && x.offset() > last);
  }

  private static Map<Integer, Integer> watermarkPartitions(List<ConsumerRecord<String, byte[]>> records) {
    Map<Integer, Integer> out = new HashMap<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      if (ObjectPartitioner.isWatermarkKey(r.key())) {
        out.put(r.partition(), CODEC.decode(r.value(), Watermark.class).getPartition());
      }
    }
    return out;
  }

  private static String header(ConsumerRecord<String, byte[]> r) {
    Header h = r.headers().lastHeader(CommandApplier.RV_HEADER);
    assertNotNull(h, "state records carry " + CommandApplier.RV_HEADER);
    return new String(h.value(), StandardCharsets.UTF_8);
  }

  private Command.Builder command(CommandOp op, Kind kind, String namespace, String name) {
    return Command.newBuilder().setRequestId(UUID.randomUUID().toString()).setClientId(clientId)
        .setOp(op).setKind(kind.kind()).setNamespace(namespace).setName(name).setActor("it")
        .setSentAtMicros(System.currentTimeMillis() * 1000);
  }

  private Command create(IndexedRecord object) {
    return withObject(CommandOp.CREATE, object);
  }

  private Command withObject(CommandOp op, IndexedRecord object) {
    Kind kind = Kinds.bySchema(object.getSchema()).orElseThrow();
    var meta = io.capstan.stateviews.processor.rules.ObjectFields.meta(object);
    return command(op, kind, meta.getNamespace() == null ? "" : meta.getNamespace(), meta.getName())
        .setObject(ByteBuffer.wrap(CODEC.encode(object))).build();
  }

  /** Sends a command and waits for its reply (read committed, as clients read them). */
  private Reply call(KafkaProducer<String, byte[]> producer, TopicLayout layout, Command cmd) throws Exception {
    String key = new ObjectKey(cmd.getKind(), cmd.getNamespace(), cmd.getName()).toString();
    producer.send(new ProducerRecord<>(layout.commands(), key, CODEC.encode(cmd))).get();
    List<ConsumerRecord<String, byte[]>> replies = KafkaLogs.read(layout.replies(), true,
        r -> r.stream().anyMatch(x -> isReplyTo(x, cmd)), Duration.ofSeconds(30));
    return replies.stream().filter(x -> isReplyTo(x, cmd)).map(x -> CODEC.decode(x.value(), Reply.class))
        .findFirst().orElseThrow(() -> new AssertionError("no reply to " + cmd.getOp() + " " + key));
  }

  private Reply callUntilAccepted(KafkaProducer<String, byte[]> producer, TopicLayout layout,
      java.util.function.Supplier<Command> attempt) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      Reply r = call(producer, layout, attempt.get());
      if (r.getAccepted() || System.nanoTime() > deadline || r.getStatus().getCode() != 404) {
        return r;
      }
    }
  }

  private boolean isReplyTo(ConsumerRecord<String, byte[]> r, Command cmd) {
    return clientId.equals(r.key()) && CODEC.decode(r.value(), Reply.class).getRequestId().equals(cmd.getRequestId());
  }
}
