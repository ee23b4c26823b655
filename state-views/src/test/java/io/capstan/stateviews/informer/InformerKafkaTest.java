package io.capstan.stateviews.informer;

import static io.capstan.stateviews.informer.TestObjects.configMap;
import static io.capstan.stateviews.informer.TestObjects.key;
import static io.capstan.stateviews.informer.TestObjects.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.Pod;
import io.capstan.api.Secret;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Informers against the real broker, fed with state-topic records written per the contract. */
class InformerKafkaTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private TopicLayout layout;
  private StateTopicWriter writer;

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private StateTopicWriter writer(int partitions) {
    layout = KafkaFixture.freshLayout(partitions);
    writer = new StateTopicWriter(KafkaFixture.clientConfig(), layout, partitions);
    toClose.add(writer);
    return writer;
  }

  private InformerConfig config() {
    return InformerConfig.defaults(KafkaFixture.clientConfig(), layout, "test");
  }

  private <T extends SpecificRecord> Informer<T> informer(io.capstan.logschema.kinds.Kind kind, Class<T> type,
      InformerConfig cfg) {
    Informer<T> i = new Informer<>(cfg, kind, type, registry);
    toClose.add(i);
    return i;
  }

  private Informer<ConfigMap> configMaps() {
    return informer(Kinds.CONFIG_MAP, ConfigMap.class, config());
  }

  /** A name in namespace ns whose ConfigMap key lives on the given partition. */
  private static String nameOn(int partition, int partitions, String prefix) {
    for (int i = 0; ; i++) {
      String name = prefix + i;
      if (ObjectPartitioner.partition("ConfigMap/ns/" + name, partitions) == partition) {
        return name;
      }
    }
  }

  private static String value(ConfigMap cm) {
    return cm.getData().get("value");
  }

  /** Records handler calls as text, e.g. "ADD ConfigMap/ns/a 1", "UPDATE ConfigMap/ns/a 1>2", "DELETE ConfigMap/ns/a 2". */
  private static final class Recorder implements ResourceEventHandler<ConfigMap> {
    final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    @Override
    public void onAdd(ConfigMap o) {
      events.add("ADD " + key(o) + " " + value(o));
    }

    @Override
    public void onUpdate(ConfigMap old, ConfigMap o) {
      events.add("UPDATE " + key(o) + " " + value(old) + ">" + value(o));
    }

    @Override
    public void onDelete(ConfigMap o) {
      events.add("DELETE " + key(o) + " " + value(o));
    }

    List<String> take(int n) throws InterruptedException {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String e = events.poll(30, TimeUnit.SECONDS);
        assertNotNull(e, "event " + (i + 1) + " of " + n + " did not come; got " + out);
        out.add(e);
      }
      return out;
    }

    /** The events of one key, in order. */
    static List<String> of(List<String> events, String key) {
      return events.stream().filter(e -> e.contains(" " + key + " ")).toList();
    }
  }

  @Test
  void listThenWatchDeliversAddsUpdatesAndDeletes() throws Exception {
    StateTopicWriter w = writer(2);
    String a = "ConfigMap/ns/a";
    String b = "ConfigMap/ns/b";
    w.put(configMap("ns", "a", "1"), 10);
    w.put(configMap("ns", "b", "1"), 11);
    w.put(configMap("ns", "a", "2"), 12);
    w.flush();

    Informer<ConfigMap> informer = configMaps();
    Recorder rec = new Recorder();
    informer.addHandler(rec);
    informer.start();
    assertTrue(informer.awaitSynced(WAIT));
    assertEquals(List.of("2", "1"), informer.list().stream().map(InformerKafkaTest::value).toList());
    List<String> listed = rec.take(3);
    assertEquals(List.of("ADD " + a + " 1", "UPDATE " + a + " 1>2"), Recorder.of(listed, a));
    assertEquals(List.of("ADD " + b + " 1"), Recorder.of(listed, b));

    w.put(configMap("ns", "c", "1"), 20);
    w.put(configMap("ns", "b", "2"), 21);
    int pa = w.delete(Kinds.CONFIG_MAP, a, 22);
    w.flush();
    List<String> watched = rec.take(3);
    assertEquals(List.of("DELETE " + a + " 2"), Recorder.of(watched, a), "a delete hands over the last known state");
    assertEquals(List.of("UPDATE " + b + " 1>2"), Recorder.of(watched, b));
    assertEquals(List.of("ADD ConfigMap/ns/c 1"), Recorder.of(watched, "ConfigMap/ns/c"));

    assertTrue(informer.get(a).isEmpty());
    assertEquals("2", value(informer.get("ns", "b").orElseThrow()));
    assertEquals(22, informer.appliedResourceVersion(pa), "a tombstone's rv comes from its capstan.rv header");
    assertEquals(2.0, registry.get(InformerMetrics.OBJECTS).gauge().value());

    // A late handler first hears about what is cached, as client-go's do.
    Recorder late = new Recorder();
    informer.addHandler(late);
    assertEquals(List.of("ADD ConfigMap/ns/b 2", "ADD ConfigMap/ns/c 1"), late.take(2));
  }

  @Test
  void indexesFollowTheWatch() throws Exception {
    StateTopicWriter w = writer(2);
    Pod p1 = pod("ns", "p1", "node-1");
    Pod p2 = pod("ns", "p2", null);
    Pod other = pod("other", "p3", "node-2");
    w.put(p1, 10);
    w.put(p2, 11);
    w.put(other, 12);
    w.flush();
    Informer<Pod> pods = informer(Kinds.POD, Pod.class, config());
    pods.start();
    assertTrue(pods.awaitSynced(WAIT));
    assertEquals(List.of(p1), pods.byIndex(Indexes.NODE_NAME, "node-1"));
    assertEquals(List.of(p1, p2), pods.list("ns"));
    assertEquals(List.of(other), pods.list("other"));

    Pod bound = pod("ns", "p2", "node-1");
    bound.getMetadata().setLabels(Map.of("app", "web"));
    int partition = w.put(bound, 20);
    w.flush();
    assertTrue(pods.awaitApplied(partition, 20, WAIT));
    assertEquals(List.of(p1, bound), pods.byIndex(Indexes.NODE_NAME, "node-1"));
    assertEquals(List.of(bound), pods.byIndex(Indexes.LABEL, Indexes.label("app", "web")));

    int p1Partition = w.delete(Kinds.POD, key(p1), 21);
    w.flush();
    assertTrue(pods.awaitApplied(p1Partition, 21, WAIT));
    assertEquals(List.of(bound), pods.byIndex(Indexes.NODE_NAME, "node-1"));

    // an index added while running indexes what is cached
    pods.addIndex("by-name", Indexes.field("metadata.name"));
    assertEquals(List.of(other), pods.byIndex("by-name", "p3"));
  }

  @Test
  void syncedMeansTheInitialListIsComplete() throws Exception {
    StateTopicWriter w = writer(3);
    int n = 3000;
    for (int i = 0; i < n; i++) {
      w.put(configMap("ns", "cm-" + i, Integer.toString(i)), 1000 + i);
    }
    w.flush();
    Informer<ConfigMap> informer = configMaps();
    assertFalse(informer.hasSynced());
    informer.start();
    assertTrue(informer.awaitSynced(WAIT));
    assertTrue(informer.hasSynced());
    assertEquals(n, informer.list().size(), "synced only after every record present at start is applied");

    // An empty topic syncs too.
    Informer<Secret> secrets = informer(Kinds.SECRET, Secret.class, config());
    secrets.start();
    assertTrue(secrets.awaitSynced(WAIT));
    assertEquals(0, secrets.list().size());
  }

  @Test
  void consistentCutAcrossThreePartitions() throws Exception {
    StateTopicWriter w = writer(3);
    String k0 = nameOn(0, 3, "zero-");
    String k1 = nameOn(1, 3, "one-");
    String k2 = nameOn(2, 3, "two-");
    w.put(configMap("ns", k0, "v"), 1000);
    w.put(configMap("ns", k1, "v"), 2000);
    w.flush();
    Informer<ConfigMap> informer = configMaps();
    informer.start();
    assertTrue(informer.awaitSynced(WAIT));
    assertEquals(1000, informer.closedResourceVersion(0));
    assertEquals(2000, informer.closedResourceVersion(1));
    assertEquals(0, informer.listResourceVersion(), "partition 2 has told nothing: no cut yet");
    assertTrue(Double.isNaN(registry.get(InformerMetrics.WATERMARK_LAG).gauge().value()));

    w.watermark(Kinds.CONFIG_MAP, 2, 1500);
    assertTrue(informer.awaitApplied(2, 1500, WAIT));
    assertEquals(1500, informer.appliedWatermark(2));
    assertEquals(1000, informer.listResourceVersion(), "now the slowest is partition 0");

    w.watermark(Kinds.CONFIG_MAP, 0, 3000);
    assertTrue(informer.awaitApplied(0, 3000, WAIT));
    assertEquals(1500, informer.listResourceVersion());

    w.put(configMap("ns", k2, "v"), 2600);
    w.flush();
    assertTrue(informer.awaitApplied(2, 2600, WAIT));
    assertEquals(2000, informer.listResourceVersion(), "partition 1 (closed at 2000) is the slowest");

    Snapshot<ConfigMap> s = informer.snapshot();
    assertEquals(2000, s.listResourceVersion());
    assertEquals(Map.of(0, 3000L, 1, 2000L, 2, 2600L), s.partitionVersions());
    assertEquals(3, s.objects().size());
    double lag = registry.get(InformerMetrics.WATERMARK_LAG).gauge().value();
    assertTrue(lag > 0, "rv 2000 µs is decades behind now: " + lag);
  }

  @Test
  void awaitAppliedGivesReadYourWrites() throws Exception {
    StateTopicWriter w = writer(2);
    Informer<ConfigMap> informer = configMaps();
    informer.start();
    assertTrue(informer.awaitSynced(WAIT));
    ConfigMap cm = configMap("ns", "mine", "1");
    int p = w.partitionOf(key(cm));
    assertFalse(informer.awaitApplied(p, 500, Duration.ofMillis(200)), "nothing written yet");

    CompletableFuture<Void> applied = informer.whenApplied(p, 500);
    CompletableFuture<Boolean> seenWhenApplied = applied.thenApply(v -> informer.get(key(cm)).isPresent());
    w.put(cm, 500);
    w.flush();
    assertTrue(informer.awaitApplied(p, 500, WAIT));
    assertTrue(informer.get(key(cm)).isPresent(), "once applied, the write is readable");
    assertTrue(seenWhenApplied.get(30, TimeUnit.SECONDS), "the cache is updated before waiters are told");
    assertTrue(informer.awaitApplied(p, 499, Duration.ZERO), "an older rv is applied at once");
    assertThrows(IllegalArgumentException.class, () -> informer.awaitApplied(7, 1, Duration.ZERO));
  }

  @Test
  void malformedRecordsAreSkippedAndCounted() throws Exception {
    StateTopicWriter w = writer(1);
    byte[] good = LogCodec.get().encode(configMap("ns", "ok", "1"));
    byte[] key = "ConfigMap/ns/bad".getBytes(StandardCharsets.UTF_8);
    w.raw(Kinds.CONFIG_MAP, 0, key, "not avro at all".getBytes(StandardCharsets.UTF_8), "5");
    w.raw(Kinds.CONFIG_MAP, 0, key, good, null);
    w.raw(Kinds.CONFIG_MAP, 0, "Pod/ns/bad".getBytes(StandardCharsets.UTF_8), good, "6");
    w.raw(Kinds.CONFIG_MAP, 0, key, LogCodec.get().encode(pod("ns", "bad", null)), "7");
    w.put(configMap("ns", "ok", "1"), 8);
    w.flush();
    Informer<ConfigMap> informer = configMaps();
    informer.start();
    assertTrue(informer.awaitSynced(WAIT));
    assertEquals(List.of("ConfigMap/ns/ok"), informer.keys());
    assertEquals(4.0, registry.get(InformerMetrics.SKIPPED).counter().count());
    assertEquals(8, informer.appliedResourceVersion(0), "skipped records do not count as applied");

    w.put(configMap("ns", "after", "1"), 9);
    w.flush();
    assertTrue(informer.awaitApplied(0, 9, WAIT), "the informer keeps going");
    assertEquals(2, informer.list().size());
  }

  @Test
  void abortedTransactionsAreNeverApplied() throws Exception {
    writer(1);
    Map<String, Object> p = new HashMap<>(KafkaFixture.clientConfig());
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "informer-test-" + layout.prefix());
    try (KafkaProducer<byte[], byte[]> tx = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      tx.initTransactions();
      tx.beginTransaction();
      tx.send(stateRecord("aborted", 10));
      tx.abortTransaction();
      tx.beginTransaction();
      tx.send(stateRecord("committed", 11));
      tx.commitTransaction();
    }
    Informer<ConfigMap> informer = configMaps();
    informer.start();
    assertTrue(informer.awaitSynced(WAIT));
    assertEquals(List.of("ConfigMap/ns/committed"), informer.keys());
    assertEquals(11, informer.appliedResourceVersion(0));
  }

  private ProducerRecord<byte[], byte[]> stateRecord(String name, long rv) {
    return new ProducerRecord<>(layout.state(Kinds.CONFIG_MAP), 0,
        ("ConfigMap/ns/" + name).getBytes(StandardCharsets.UTF_8), LogCodec.get().encode(configMap("ns", name, "1")),
        List.of(new RecordHeader(StateRecord.RV_HEADER, Long.toString(rv).getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void aSubscriptionContinuesItsSnapshotExactly() throws Exception {
    StateTopicWriter w = writer(1);
    w.put(configMap("ns", "a", "1"), 10);
    w.put(configMap("ns", "b", "1"), 11);
    w.flush();
    Informer<ConfigMap> informer = configMaps();
    // A failing handler is counted and does not stop delivery to others.
    informer.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(ConfigMap o) {
        throw new IllegalStateException("handler bug");
      }
    });
    informer.start();
    assertTrue(informer.awaitSynced(WAIT));

    BlockingQueue<Change<ConfigMap>> changes = new LinkedBlockingQueue<>();
    BlockingQueue<Long> progress = new LinkedBlockingQueue<>();
    Subscription<ConfigMap> sub = informer.subscribe(new StateListener<>() {
      @Override
      public void onChange(Change<ConfigMap> change) {
        changes.add(change);
      }

      @Override
      public void onProgress(int partition, long closed) {
        progress.add(closed);
      }
    });
    assertEquals(2, sub.snapshot().objects().size());
    assertEquals(Map.of(0, 11L), sub.snapshot().partitionVersions());
    assertTrue(changes.isEmpty(), "what the snapshot holds is not repeated");

    w.put(configMap("ns", "c", "1"), 20);
    w.put(configMap("ns", "a", "2"), 21);
    w.delete(Kinds.CONFIG_MAP, "ConfigMap/ns/b", 22);
    w.flush();
    w.watermark(Kinds.CONFIG_MAP, 0, 30);
    Change<ConfigMap> c1 = changes.poll(30, TimeUnit.SECONDS);
    Change<ConfigMap> c2 = changes.poll(30, TimeUnit.SECONDS);
    Change<ConfigMap> c3 = changes.poll(30, TimeUnit.SECONDS);
    assertEquals(new Change<>(ChangeType.ADDED, "ConfigMap/ns/c", configMap("ns", "c", "1"), null, 20, 0), c1);
    assertEquals(ChangeType.MODIFIED, c2.type());
    assertEquals("1", value(c2.previous()));
    assertEquals("2", value(c2.object()));
    assertEquals(21, c2.resourceVersion());
    assertEquals(ChangeType.DELETED, c3.type());
    assertEquals("ConfigMap/ns/b", c3.key());
    assertEquals(22, c3.resourceVersion());
    assertEquals(30L, progress.poll(30, TimeUnit.SECONDS), "a watermark is a bookmark");
    assertTrue(registry.get(InformerMetrics.HANDLER_ERRORS).counter().count() >= 3);

    sub.close();
    w.put(configMap("ns", "d", "1"), 40);
    w.flush();
    assertTrue(informer.awaitApplied(0, 40, WAIT));
    assertTrue(changes.isEmpty(), "no delivery after close");
  }

  @Test
  void aShardReadsOnlyItsPartitions() throws Exception {
    StateTopicWriter w = writer(3);
    for (int p = 0; p < 3; p++) {
      w.put(configMap("ns", nameOn(p, 3, "p" + p + "-"), "v"), 100 + p);
    }
    w.flush();
    Informer<ConfigMap> shard = informer(Kinds.CONFIG_MAP, ConfigMap.class, config().withPartitions(Set.of(1)));
    shard.start();
    assertTrue(shard.awaitSynced(WAIT));
    assertEquals(List.of("ConfigMap/ns/" + nameOn(1, 3, "p1-")), shard.keys());
    assertEquals(Set.of(1), shard.partitions());
    assertEquals(101, shard.listResourceVersion(), "the cut covers only the partitions read");

    Informer<ConfigMap> wrong = informer(Kinds.CONFIG_MAP, ConfigMap.class, config().withPartitions(Set.of(5)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, wrong::start);
    assertTrue(e.getMessage().contains("partition 5") && e.getMessage().contains("3 partitions"), e.getMessage());
  }

  @Test
  void sharedInformersHandOutOneInformerPerKind() throws Exception {
    StateTopicWriter w = writer(2);
    w.put(configMap("ns", "a", "1"), 10);
    w.flush();
    SharedInformers shared = new SharedInformers(config(), registry);
    toClose.add(shared);
    Informer<ConfigMap> first = shared.informerFor(Kinds.CONFIG_MAP, ConfigMap.class);
    assertSame(first, shared.informerFor(Kinds.CONFIG_MAP, ConfigMap.class));
    Informer<SpecificRecord> generic = shared.informerFor(Kinds.CONFIG_MAP, SpecificRecord.class);
    assertSame(first, (Object) generic);
    assertThrows(IllegalArgumentException.class, () -> shared.informerFor(Kinds.POD, ConfigMap.class));
    Informer<Pod> pods = shared.informerFor(Kinds.POD, Pod.class);
    shared.start();
    assertTrue(shared.awaitSynced(WAIT));
    assertEquals(1, first.list().size());
    assertTrue(pods.hasSynced());
    shared.close();
    assertTrue(first.whenApplied(0, Long.MAX_VALUE).isCompletedExceptionally(), "closed informers refuse waiters");
  }

  @Test
  void borrowedHandlesShareTheInformersAndLeaveClosingThemToTheOwner() throws Exception {
    StateTopicWriter w = writer(2);
    w.put(configMap("ns", "a", "1"), 10);
    w.flush();
    SharedInformers owner = new SharedInformers(config(), registry);
    toClose.add(owner);
    SharedInformers gateway = owner.borrow();
    SharedInformers controllers = owner.borrow();
    Informer<SpecificRecord> generic = gateway.informerFor(Kinds.CONFIG_MAP, SpecificRecord.class);
    gateway.informerFor(Kinds.POD, SpecificRecord.class);
    gateway.start();
    assertTrue(gateway.awaitSynced(WAIT));
    Informer<ConfigMap> typed = controllers.informerFor(Kinds.CONFIG_MAP, ConfigMap.class);
    assertSame(generic, (Object) typed, "one informer per kind for every handle");
    controllers.start(); // already started by the other handle: nothing to do, no "already started"
    assertEquals(Set.of("ConfigMap", "Pod"), owner.informers().keySet());
    BlockingQueue<String> seen = new LinkedBlockingQueue<>();
    typed.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(ConfigMap o) {
        seen.add(o.getMetadata().getName());
      }
    });
    assertEquals("a", seen.poll(10, TimeUnit.SECONDS), "a late handler gets what is cached as adds");

    controllers.close();
    assertThrows(IllegalStateException.class, () -> controllers.informerFor(Kinds.SECRET, Secret.class),
        "a closed handle refuses new informers");
    w.put(configMap("ns", "b", "2"), 11);
    w.flush();
    assertEquals("b", seen.poll(30, TimeUnit.SECONDS), "closing a handle leaves the informers running");
    gateway.informerFor(Kinds.SECRET, Secret.class); // the other handle still works

    owner.close();
    assertTrue(typed.whenApplied(0, Long.MAX_VALUE).isCompletedExceptionally(), "the owner closes the informers");
    assertThrows(IllegalStateException.class, () -> gateway.informerFor(Kinds.SECRET, Secret.class));
    assertThrows(IllegalStateException.class, owner::borrow);
  }

  /** Threads of this JVM whose name starts with {@code prefix}. */
  private static long threadsNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith(prefix)).count();
  }

  private static final class PodNames implements ResourceEventHandler<Pod> {
    final BlockingQueue<String> added = new LinkedBlockingQueue<>();

    @Override
    public void onAdd(Pod o) {
      added.add(o.getMetadata().getName());
    }
  }

  @Test
  void informersOfSeveralKindsReadThroughOneConsumer() throws Exception {
    StateTopicWriter w = writer(2);
    w.put(configMap("ns", "a", "1"), 10);
    w.put(pod("ns", "p1", "n1"), 11);
    w.flush();
    InformerConfig cfg = InformerConfig.defaults(KafkaFixture.clientConfig(), layout, "onefeed");
    SharedInformers shared = new SharedInformers(cfg, registry);
    toClose.add(shared);
    Informer<ConfigMap> cms = shared.informerFor(Kinds.CONFIG_MAP, ConfigMap.class);
    Informer<Pod> pods = shared.informerFor(Kinds.POD, Pod.class);
    Informer<Secret> secrets = shared.informerFor(Kinds.SECRET, Secret.class);
    shared.start();
    assertTrue(shared.awaitSynced(WAIT));
    assertEquals(Set.of(cms.topic(), pods.topic(), secrets.topic()), shared.feed().topics());
    assertEquals(1, Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("capstan-informers-onefeed")).count(),
        "one reading thread for three kinds");
    assertEquals(0, threadsNamed("capstan-informer-"), "no thread of any informer's own");
    assertEquals(1, cms.list().size());
    assertEquals(1, pods.list().size());
    assertEquals(0, secrets.list().size());

    Recorder seen = new Recorder();
    cms.addHandler(seen);
    PodNames podNames = new PodNames();
    pods.addHandler(podNames);
    assertEquals(List.of("ADD ConfigMap/ns/a 1"), seen.take(1));
    assertEquals("p1", podNames.added.poll(10, TimeUnit.SECONDS));
    w.put(pod("ns", "p2", "n1"), 20);
    w.put(configMap("ns", "a", "2"), 21);
    w.flush();
    assertEquals("p2", podNames.added.poll(30, TimeUnit.SECONDS), "each record reaches its kind's informer");
    assertEquals(List.of("UPDATE ConfigMap/ns/a 1>2"), seen.take(1));
    assertTrue(secrets.list().isEmpty(), "and no other");
    long deadline = System.nanoTime() + WAIT.toNanos(); // the lag's gauges follow the assignment within seconds
    while (registry.find("capstan.kafka.consumer.lag").tag("consumer", Informer.consumerName(Kinds.POD))
        .tag("topic", pods.topic()).tag("partition", "0").gauges().isEmpty()) {
      assertTrue(System.nanoTime() < deadline, "the lag keeps each informer's name, e.g. informer-pod");
      Thread.sleep(50);
    }
  }

  @Test
  void aKindStartedLaterCatchesUpWhileTheOthersReadOn() throws Exception {
    StateTopicWriter w = writer(2);
    w.put(configMap("ns", "a", "1"), 10);
    w.put(pod("ns", "p1", "n1"), 11);
    w.flush();
    SharedInformers shared = new SharedInformers(config(), registry);
    toClose.add(shared);
    Informer<ConfigMap> cms = shared.informerFor(Kinds.CONFIG_MAP, ConfigMap.class);
    shared.start();
    assertTrue(shared.awaitSynced(WAIT));
    Recorder seen = new Recorder();
    cms.addHandler(seen);
    assertEquals(List.of("ADD ConfigMap/ns/a 1"), seen.take(1));

    w.put(pod("ns", "p2", "n1"), 20);
    w.flush();
    Informer<Pod> pods = shared.informerFor(Kinds.POD, Pod.class);
    shared.start(); // starts only the new one
    assertTrue(pods.awaitSynced(WAIT));
    assertEquals(List.of("p1", "p2"), pods.list().stream().map(p -> p.getMetadata().getName()).sorted().toList(),
        "the late kind reads its topic from the beginning");
    w.put(configMap("ns", "a", "2"), 30);
    w.put(pod("ns", "p3", "n1"), 31);
    w.flush();
    assertEquals(List.of("UPDATE ConfigMap/ns/a 1>2"), seen.take(1),
        "the kind read before goes on from where it was: no replay, no gap");
    assertTrue(pods.awaitApplied(pods.partitionOf(key(pod("ns", "p3", "n1"))), 31, WAIT));
    assertNull(seen.events.poll(300, TimeUnit.MILLISECONDS), "nothing else reached the ConfigMap handler");
    assertEquals(31, pods.appliedResourceVersion(pods.partitionOf(key(pod("ns", "p3", "n1")))));
  }

  @Test
  void aClosedInformerStopsReadingAndTheOthersGoOn() throws Exception {
    StateTopicWriter w = writer(2);
    w.put(configMap("ns", "a", "1"), 10);
    w.flush();
    SharedInformers shared = new SharedInformers(config(), registry);
    toClose.add(shared);
    Informer<ConfigMap> cms = shared.informerFor(Kinds.CONFIG_MAP, ConfigMap.class);
    Informer<Pod> pods = shared.informerFor(Kinds.POD, Pod.class);
    shared.start();
    assertTrue(shared.awaitSynced(WAIT));
    CompletableFuture<Void> waiting = cms.whenApplied(0, Long.MAX_VALUE);
    cms.close();
    assertTrue(waiting.isCompletedExceptionally(), "its waiters fail");
    assertEquals(Set.of(pods.topic()), shared.feed().topics());
    w.put(configMap("ns", "a", "2"), 20);
    w.put(pod("ns", "p1", "n1"), 21);
    w.flush();
    assertTrue(pods.awaitApplied(pods.partitionOf(key(pod("ns", "p1", "n1"))), 21, WAIT), "the others read on");
    assertEquals("1", value(cms.get("ConfigMap/ns/a").orElseThrow()), "the closed cache stays as it was");
  }

  @Test
  void sharedInformersMadeAgainReadEverythingAgain() throws Exception {
    StateTopicWriter w = writer(2);
    w.put(configMap("ns", "a", "1"), 10);
    w.put(pod("ns", "p1", "n1"), 11);
    w.flush();
    SharedInformers first = new SharedInformers(config(), registry);
    first.informerFor(Kinds.CONFIG_MAP, ConfigMap.class);
    first.informerFor(Kinds.POD, Pod.class);
    first.start();
    assertTrue(first.awaitSynced(WAIT));
    first.close();
    assertTrue(first.feed().topics().isEmpty());
    assertThrows(IllegalStateException.class, () -> first.informerFor(Kinds.SECRET, Secret.class));

    w.put(pod("ns", "p2", "n1"), 20);
    w.flush();
    SharedInformers again = new SharedInformers(config(), new SimpleMeterRegistry());
    toClose.add(again);
    Informer<Pod> pods = again.informerFor(Kinds.POD, Pod.class);
    Informer<ConfigMap> cms = again.informerFor(Kinds.CONFIG_MAP, ConfigMap.class);
    again.start();
    assertTrue(again.awaitSynced(WAIT));
    assertEquals(2, pods.list().size());
    assertEquals(1, cms.list().size());
  }

  @Test
  void aMissingTopicIsNamed() {
    layout = new TopicLayout("absent.");
    Informer<ConfigMap> informer = configMaps();
    IllegalStateException e = assertThrows(IllegalStateException.class, informer::start);
    assertTrue(e.getMessage().contains("absent.state.configmap"), e.getMessage());
  }
}
