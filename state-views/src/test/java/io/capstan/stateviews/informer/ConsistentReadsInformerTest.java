package io.capstan.stateviews.informer;

import static io.capstan.stateviews.informer.TestObjects.configMap;
import static io.capstan.stateviews.informer.TestObjects.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Consistent reads against the real broker: {@link Informer#whenCaughtUp} completes only once
 * every record the topic held when it was called is applied, including records of transactions
 * still open then (committed or aborted later); concurrent callers share the end-offset lookups.
 */
class ConsistentReadsInformerTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private TopicLayout layout;

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private StateTopicWriter writer(int partitions) {
    layout = KafkaFixture.freshLayout(partitions);
    StateTopicWriter w = new StateTopicWriter(KafkaFixture.clientConfig(), layout, partitions);
    toClose.add(w);
    return w;
  }

  private Informer<ConfigMap> startedInformer() throws InterruptedException {
    Informer<ConfigMap> i = new Informer<>(InformerConfig.defaults(KafkaFixture.clientConfig(), layout, "test"),
        Kinds.CONFIG_MAP, ConfigMap.class, registry);
    toClose.add(i);
    i.start();
    assertTrue(i.awaitSynced(WAIT));
    return i;
  }

  private static void await(CompletableFuture<?> f) throws Exception {
    f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void aCaughtUpReadHasEveryRecordAcknowledgedBeforeIt() throws Exception {
    StateTopicWriter w = writer(3);
    Informer<ConfigMap> informer = startedInformer();
    for (int i = 1; i <= 30; i++) {
      ConfigMap cm = configMap("ns", "c" + i, Integer.toString(i));
      w.put(cm, 1000 + i);
      w.flush(); // acknowledged by the broker: below its high watermark
      await(informer.whenCaughtUp(List.of()));
      assertTrue(informer.get(key(cm)).isPresent(), "caught up right after the write of " + key(cm));
      int p = w.partitionOf(key(cm));
      ConfigMap other = configMap("ns", "d" + i, "x");
      w.put(other, 2000 + i);
      w.flush();
      await(informer.whenCaughtUp(List.of(w.partitionOf(key(other)))));
      assertTrue(informer.get(key(other)).isPresent(), "caught up on one partition " + p);
    }
    assertThrows(IllegalArgumentException.class, () -> informer.whenCaughtUp(List.of(7)));
  }

  @Test
  void anOpenTransactionHoldsTheReadUntilItEnds() throws Exception {
    writer(1);
    Informer<ConfigMap> informer = startedInformer();
    Map<String, Object> p = new HashMap<>(KafkaFixture.clientConfig());
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "caught-up-test-" + layout.prefix());
    try (KafkaProducer<byte[], byte[]> tx = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      tx.initTransactions();
      tx.beginTransaction();
      tx.send(stateRecord("committed", 10)).get();
      CompletableFuture<Void> read = informer.whenCaughtUp(List.of());
      // The high watermark is past the open transaction's record: the read waits for its end.
      assertThrows(TimeoutException.class, () -> read.get(500, TimeUnit.MILLISECONDS));
      tx.commitTransaction();
      await(read);
      assertTrue(informer.get("ConfigMap/ns/committed").isPresent(), "the transaction's record is in");

      tx.beginTransaction();
      tx.send(stateRecord("aborted", 11)).get();
      CompletableFuture<Void> afterAbort = informer.whenCaughtUp(List.of());
      long t0 = System.nanoTime();
      tx.abortTransaction();
      // Only markers and aborted records follow: no record ends the consumer's poll, yet the read ends soon.
      await(afterAbort);
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "the read ended within seconds of the abort");
      assertFalse(informer.get("ConfigMap/ns/aborted").isPresent(), "aborted records are never applied");
    }
  }

  @Test
  void concurrentReadsShareLookups() throws Exception {
    StateTopicWriter w = writer(2);
    LogEnds ends = new LogEnds(InformerConfig.defaults(KafkaFixture.clientConfig(), layout, "test"), "test-ends");
    toClose.add(ends);
    w.put(configMap("ns", "a", "1"), 5);
    w.put(configMap("ns", "b", "1"), 6);
    w.put(configMap("ns", "c", "1"), 7);
    w.flush();
    List<TopicPartition> tps = List.of(new TopicPartition(layout.state(Kinds.CONFIG_MAP), 0),
        new TopicPartition(layout.state(Kinds.CONFIG_MAP), 1));
    await(ends.of(tps)); // the consumer's metadata is known
    long before = ends.lookups();
    List<CompletableFuture<Map<TopicPartition, Long>>> all = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      all.add(ends.of(tps));
    }
    long total = 0;
    for (CompletableFuture<Map<TopicPartition, Long>> f : all) {
      Map<TopicPartition, Long> m = f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertEquals(2, m.size());
      total = m.values().stream().mapToLong(Long::longValue).sum();
      assertTrue(total >= 3, "the three records are below the end offsets: " + m);
    }
    long lookups = ends.lookups() - before;
    assertTrue(lookups >= 1 && lookups < 50, "200 concurrent requests shared " + lookups + " lookups");
    ends.close();
    assertThrows(ExecutionException.class, () -> ends.of(tps).get(5, TimeUnit.SECONDS));
  }

  private ProducerRecord<byte[], byte[]> stateRecord(String name, long rv) {
    return new ProducerRecord<>(layout.state(Kinds.CONFIG_MAP), 0,
        ("ConfigMap/ns/" + name).getBytes(StandardCharsets.UTF_8), LogCodec.get().encode(configMap("ns", name, "1")),
        List.of(new RecordHeader(StateRecord.RV_HEADER, Long.toString(rv).getBytes(StandardCharsets.UTF_8))));
  }
}
