package io.capstan.gateway.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.api.ConfigMap;
import io.capstan.api.ObjectMeta;
import io.capstan.gateway.cache.WatchCache;
import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.paging.ContinueToken;
import io.capstan.gateway.selection.FieldSelector;
import io.capstan.gateway.selection.LabelSelector;
import io.capstan.gateway.testing.KafkaGatewayFixture;
import io.capstan.log.Event;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link KafkaResourceStore} on the real backbone: embedded Kafka, a real command processor, the
 * store's watch cache over the state topics. Each test works on ConfigMaps of its own (a label of
 * its own) in namespace {@code default}.
 */
class KafkaResourceStoreTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static KafkaGatewayFixture backend;
  private static KafkaResourceStore store;

  @BeforeAll
  static void start() throws Exception {
    backend = KafkaGatewayFixture.start("store", WatchCacheConfig.defaults());
    store = backend.store();
  }

  @AfterAll
  static void stop() throws Exception {
    if (backend != null) {
      backend.close();
    }
  }

  private static ConfigMap cm(String name, String test, String value) {
    return ConfigMap.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name).setLabels(Map.of("test", test)).build())
        .setData(Map.of("v", value)).build();
  }

  private static WriteOptions as(String user) {
    return new WriteOptions(user, false, null);
  }

  private static <T> T done(CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static ApiStatus failure(CompletionStage<?> s) throws Exception {
    try {
      Object r = s.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      fail("expected a failure, got " + r);
      return null;
    } catch (ExecutionException e) {
      return assertInstanceOf(ApiException.class, e.getCause(), "fails with an ApiException").status();
    }
  }

  private static ListOptions byLabel(String test) {
    return new ListOptions("default", LabelSelector.parse("test=" + test), FieldSelector.EVERYTHING, 0, null, null, null);
  }

  private static String v(StoredObject s) {
    return ((ConfigMap) s.object()).getData().get("v");
  }

  private static String name(IndexedRecord o) {
    return ((ConfigMap) o).getMetadata().getName();
  }

  private static String unique() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  void createGetUpdateConflictDelete() throws Exception {
    String t = "crud-" + unique();
    StoredObject created = done(store.create(Kinds.CONFIG_MAP, cm("a-" + t, t, "1"), as("alice")));
    ConfigMap c = (ConfigMap) created.object();
    assertTrue(c.getMetadata().getUid().length() > 10, "uid set by the processor");
    assertEquals(Long.toString(created.resourceVersion()), c.getMetadata().getResourceVersion());

    StoredObject got = done(store.get(Kinds.CONFIG_MAP, "default", "a-" + t));
    assertEquals(created.resourceVersion(), got.resourceVersion(), "read-your-writes: the get sees the create");
    assertEquals(c, got.object());

    assertEquals("AlreadyExists", failure(store.create(Kinds.CONFIG_MAP, cm("a-" + t, t, "x"), as("alice"))).reason());

    ConfigMap changed = ConfigMap.newBuilder(c).setData(Map.of("v", "2")).build();
    StoredObject updated = done(store.update(Kinds.CONFIG_MAP, changed, as("bob")));
    assertTrue(updated.resourceVersion() > created.resourceVersion());
    assertEquals("2", v(done(store.get(Kinds.CONFIG_MAP, "default", "a-" + t))));

    ApiStatus conflict = failure(store.update(Kinds.CONFIG_MAP,
        ConfigMap.newBuilder(c).setData(Map.of("v", "stale")).build(), as("bob")));
    assertEquals(409, conflict.code());
    assertEquals("Conflict", conflict.reason());
    assertTrue(conflict.message().contains("the object has been modified"), conflict.message());
    assertEquals("configmaps", conflict.details().kind());
    assertEquals("a-" + t, conflict.details().name());

    StoredObject deleted = done(store.delete(Kinds.CONFIG_MAP, "default", "a-" + t, DeleteRequest.byDefault("carol")));
    assertEquals("2", v(deleted), "the delete answers with the object it removed");
    assertTrue(deleted.resourceVersion() > updated.resourceVersion(), "at the delete's resourceVersion");
    ApiStatus gone = failure(store.get(Kinds.CONFIG_MAP, "default", "a-" + t));
    assertEquals(404, gone.code());
    assertEquals("NotFound", gone.reason());
    assertEquals("NotFound", failure(store.delete(Kinds.CONFIG_MAP, "default", "a-" + t,
        DeleteRequest.byDefault("carol"))).reason());

    // Each write's user is the actor its event records.
    Map<String, String> actors = eventActors("a-" + t, 3);
    assertEquals(Map.of("CREATED", "alice", "UPDATED", "bob", "DELETED", "carol"), actors);
  }

  @Test
  void dryRunStoresNothing() throws Exception {
    String t = "dry-" + unique();
    StoredObject preview = done(store.create(Kinds.CONFIG_MAP, cm("d-" + t, t, "1"), new WriteOptions("alice", true, null)));
    assertEquals("d-" + t, name(preview.object()));
    assertEquals(404, failure(store.get(Kinds.CONFIG_MAP, "default", "d-" + t)).code());
  }

  @Test
  void readYourWritesOnGetsAndLists() throws Exception {
    String t = "ryw-" + unique();
    for (int i = 0; i < 8; i++) {
      StoredObject s = done(store.create(Kinds.CONFIG_MAP, cm("r" + i + "-" + t, t, "v" + i), as("alice")));
      // no waiting of our own: the store waits for the cache to have this write
      assertEquals(s.resourceVersion(), done(store.get(Kinds.CONFIG_MAP, "default", "r" + i + "-" + t)).resourceVersion());
      ListResult l = done(store.list(Kinds.CONFIG_MAP, byLabel(t)));
      assertEquals(i + 1, l.items().size(), "the list right after create " + i + " has it: " + l.items());
      assertTrue(l.resourceVersion() >= s.resourceVersion(), "listed at or after the write");
    }
  }

  @Test
  void paginatedListIsConsistentAtTheFirstChunksVersion() throws Exception {
    String t = "page-" + unique();
    List<StoredObject> made = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      made.add(done(store.create(Kinds.CONFIG_MAP, cm("p" + i + "-" + t, t, "1"), as("alice"))));
    }
    ListOptions first = new ListOptions("default", LabelSelector.parse("test=" + t), FieldSelector.EVERYTHING, 2,
        null, null, null);
    ListResult page1 = done(store.list(Kinds.CONFIG_MAP, first));
    assertEquals(List.of("p0-" + t, "p1-" + t), page1.items().stream().map(s -> name(s.object())).toList());
    assertEquals(3L, page1.remainingItems());
    assertNotNull(page1.continueToken());

    // Changes after the first chunk do not show in the later ones.
    done(store.delete(Kinds.CONFIG_MAP, "default", "p3-" + t, DeleteRequest.byDefault("alice")));
    done(store.create(Kinds.CONFIG_MAP, cm("p9-" + t, t, "1"), as("alice")));
    ConfigMap p4 = (ConfigMap) made.get(4).object();
    done(store.update(Kinds.CONFIG_MAP, ConfigMap.newBuilder(p4).setData(Map.of("v", "2")).build(), as("alice")));

    List<StoredObject> rest = new ArrayList<>();
    String token = page1.continueToken();
    while (token != null) {
      ListResult next = done(store.list(Kinds.CONFIG_MAP, new ListOptions("default", LabelSelector.parse("test=" + t),
          FieldSelector.EVERYTHING, 2, ContinueToken.decode(token), null, null)));
      assertEquals(page1.resourceVersion(), next.resourceVersion(), "every chunk at the first chunk's version");
      rest.addAll(next.items());
      token = next.continueToken();
    }
    assertEquals(List.of("p2-" + t, "p3-" + t, "p4-" + t), rest.stream().map(s -> name(s.object())).toList());
    assertEquals("1", v(rest.get(2)), "p4 as it was at the first chunk's version");

    // The same version, asked for exactly, gives the same list; the current list has the changes.
    ListResult exact = done(store.list(Kinds.CONFIG_MAP, new ListOptions("default", LabelSelector.parse("test=" + t),
        FieldSelector.EVERYTHING, 0, null, Long.toString(page1.resourceVersion()), "Exact")));
    assertEquals(List.of("p0-" + t, "p1-" + t, "p2-" + t, "p3-" + t, "p4-" + t),
        exact.items().stream().map(s -> name(s.object())).toList());
    ListResult now = done(store.list(Kinds.CONFIG_MAP, byLabel(t)));
    assertEquals(List.of("p0-" + t, "p1-" + t, "p2-" + t, "p4-" + t, "p9-" + t),
        now.items().stream().map(s -> name(s.object())).toList());
    ListResult any = done(store.list(Kinds.CONFIG_MAP, new ListOptions("default", LabelSelector.parse("test=" + t),
        FieldSelector.EVERYTHING, 0, null, "0", null)));
    assertEquals(5, any.items().size(), "resourceVersion=0: whatever the cache has, at once");
  }

  @Test
  void versionsOutsideTheCacheAreExpiredTooLargeOrBad() throws Exception {
    ApiStatus old = failure(store.list(Kinds.CONFIG_MAP, new ListOptions("default", LabelSelector.EVERYTHING,
        FieldSelector.EVERYTHING, 0, null, "1", "Exact")));
    assertEquals(410, old.code());
    assertEquals("Expired", old.reason());
    ApiStatus oldToken = failure(store.list(Kinds.CONFIG_MAP, new ListOptions("default", LabelSelector.EVERYTHING,
        FieldSelector.EVERYTHING, 2, new ContinueToken(1, "ConfigMap/default/a"), null, null)));
    assertEquals(410, oldToken.code());
    assertTrue(oldToken.message().contains("continue parameter is too old"), oldToken.message());

    WatchCacheConfig quick = WatchCacheConfig.defaults().withReadWait(Duration.ofMillis(300));
    try (WatchCache cache = new WatchCache(InformerConfig.defaults(KafkaFixture.clientConfig(), backend.layout(),
        "gateway-quick"), quick, new SimpleMeterRegistry()).start();
        CommandClient client = new CommandClient(CommandClientConfig.defaults(KafkaFixture.clientConfig(),
            backend.layout(), "gateway-quick"), new SimpleMeterRegistry());
        KafkaResourceStore quickStore = new KafkaResourceStore(client, cache)) {
      long future = (System.currentTimeMillis() + 3_600_000L) * 1000;
      ApiStatus tooLarge = failure(quickStore.list(Kinds.CONFIG_MAP, new ListOptions("default", LabelSelector.EVERYTHING,
          FieldSelector.EVERYTHING, 0, null, Long.toString(future), null)));
      assertEquals(504, tooLarge.code());
      assertEquals("Timeout", tooLarge.reason());
      assertTrue(tooLarge.message().startsWith("Too large resource version: " + future), tooLarge.message());
      assertEquals("ResourceVersionTooLarge", tooLarge.details().causes().get(0).reason());
    }
    assertEquals(400, failure(store.list(Kinds.CONFIG_MAP, new ListOptions("default", LabelSelector.EVERYTHING,
        FieldSelector.EVERYTHING, 0, null, "abc", null))).code());
    assertEquals(400, failure(store.list(Kinds.CONFIG_MAP, new ListOptions("default", LabelSelector.EVERYTHING,
        FieldSelector.EVERYTHING, 0, null, "0", "Exact"))).code());
    assertEquals(400, failure(store.list(Kinds.CONFIG_MAP, new ListOptions("default", LabelSelector.EVERYTHING,
        FieldSelector.EVERYTHING, 0, null, null, "NotOlderThan"))).code());
  }

  @Test
  void watchFromAVersionReplaysExactlyTheLaterChangesThenGoesLive() throws Exception {
    String t = "watch-" + unique();
    StoredObject a = done(store.create(Kinds.CONFIG_MAP, cm("a-" + t, t, "1"), as("alice")));
    long from = a.resourceVersion();
    StoredObject a2 = done(store.update(Kinds.CONFIG_MAP,
        ConfigMap.newBuilder((ConfigMap) a.object()).setData(Map.of("v", "2")).build(), as("alice")));
    StoredObject b = done(store.create(Kinds.CONFIG_MAP, cm("b-" + t, t, "1"), as("alice")));
    StoredObject aGone = done(store.delete(Kinds.CONFIG_MAP, "default", "a-" + t, DeleteRequest.byDefault("alice")));

    BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
    try (WatchHandle h = store.watch(Kinds.CONFIG_MAP, new WatchOptions("default", LabelSelector.parse("test=" + t),
        FieldSelector.EVERYTHING, Long.toString(from), false, false), events::add)) {
      WatchEvent e1 = next(events);
      assertEquals(a2.resourceVersion(), assertInstanceOf(WatchEvent.Modified.class, e1).object().resourceVersion());
      assertEquals("2", v(((WatchEvent.Modified) e1).object()));
      WatchEvent e2 = next(events);
      assertEquals(b.resourceVersion(), assertInstanceOf(WatchEvent.Added.class, e2).object().resourceVersion());
      WatchEvent e3 = next(events);
      WatchEvent.Deleted d = assertInstanceOf(WatchEvent.Deleted.class, e3);
      assertEquals(aGone.resourceVersion(), d.object().resourceVersion());
      assertEquals(Long.toString(aGone.resourceVersion()),
          ((ConfigMap) d.object().object()).getMetadata().getResourceVersion(), "DELETED carries the delete's version");
      assertNull(events.poll(300, TimeUnit.MILLISECONDS), "nothing else was replayed");

      StoredObject c = done(store.create(Kinds.CONFIG_MAP, cm("c-" + t, t, "1"), as("alice")));
      done(store.create(Kinds.CONFIG_MAP, cm("other-" + t, "not-" + t, "1"), as("alice")));
      ConfigMap b2 = ConfigMap.newBuilder((ConfigMap) b.object()).setMetadata(ObjectMeta.newBuilder(
          ((ConfigMap) b.object()).getMetadata()).setLabels(Map.of("test", "moved")).build()).build();
      StoredObject bMoved = done(store.update(Kinds.CONFIG_MAP, b2, as("alice")));
      assertEquals(c.resourceVersion(), assertInstanceOf(WatchEvent.Added.class, next(events)).object().resourceVersion());
      WatchEvent.Deleted left = assertInstanceOf(WatchEvent.Deleted.class, next(events),
          "an object that stops matching the selector is DELETED for this watch");
      assertEquals(bMoved.resourceVersion(), left.object().resourceVersion());
      assertNull(events.poll(300, TimeUnit.MILLISECONDS), "the other label's object is not in this watch");
    }
  }

  @Test
  void watchFromAVersionOlderThanTheCacheIsGone() throws Exception {
    BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
    store.watch(Kinds.CONFIG_MAP, new WatchOptions("default", LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, "1",
        false, true), events::add);
    WatchEvent.Error e = assertInstanceOf(WatchEvent.Error.class, next(events));
    assertEquals(410, e.status().code());
    assertEquals("Gone", e.status().reason());
    assertTrue(e.status().message().startsWith("too old resource version: 1 ("), e.status().message());
  }

  @Test
  void sendInitialEventsEndsTheStateWithAnAnnotatedBookmarkThenBookmarksFollow() throws Exception {
    String t = "init-" + unique();
    for (int i = 0; i < 3; i++) {
      done(store.create(Kinds.CONFIG_MAP, cm("i" + i + "-" + t, t, "1"), as("alice")));
    }
    BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
    try (WatchHandle h = store.watch(Kinds.CONFIG_MAP, new WatchOptions("default", LabelSelector.parse("test=" + t),
        FieldSelector.EVERYTHING, null, true, true), events::add)) {
      List<String> added = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        added.add(name(assertInstanceOf(WatchEvent.Added.class, next(events)).object().object()));
      }
      assertEquals(List.of("i0-" + t, "i1-" + t, "i2-" + t), added, "every object written before the watch");
      WatchEvent.Bookmark end = assertInstanceOf(WatchEvent.Bookmark.class, next(events));
      assertTrue(end.initialEventsEnd(), "the initial-events-end bookmark");
      StoredObject later = done(store.create(Kinds.CONFIG_MAP, cm("i9-" + t, t, "1"), as("alice")));
      WatchEvent live = next(events);
      while (live instanceof WatchEvent.Bookmark) {
        live = next(events);
      }
      assertEquals(later.resourceVersion(), assertInstanceOf(WatchEvent.Added.class, live).object().resourceVersion());
      WatchEvent.Bookmark progress = null;
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (progress == null && System.nanoTime() < deadline) {
        if (next(events) instanceof WatchEvent.Bookmark b) {
          progress = b;
        }
      }
      assertNotNull(progress, "watermarks bring bookmarks");
      assertFalse(progress.initialEventsEnd());
      assertTrue(progress.resourceVersion() >= later.resourceVersion(), "a bookmark past the last change");
    }
  }

  @Test
  void bindSetsTheNodeOnceThenConflicts() throws Exception {
    String name = "web-" + unique();
    io.capstan.api.Pod pod = io.capstan.api.Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name).build())
        .setSpec(io.capstan.api.PodSpec.newBuilder().setContainers(List.of(io.capstan.api.Container.newBuilder()
            .setName("main").setImage("capstan.local/busybox").build())).build())
        .build();
    done(store.create(Kinds.POD, pod, as("alice")));
    StoredObject bound = done(store.bind("default", name, "node-1", as("system:capstan:scheduler")));
    assertEquals("node-1", ((io.capstan.api.Pod) bound.object()).getSpec().getNodeName());
    assertEquals("node-1", ((io.capstan.api.Pod) done(store.get(Kinds.POD, "default", name)).object()).getSpec()
        .getNodeName(), "read-your-writes after a bind");
    ApiStatus again = failure(store.bind("default", name, "node-2", as("system:capstan:scheduler")));
    assertEquals(409, again.code(), again.toString());
  }

  @Test
  void rejectedCommandsKeepTheirStatus() throws Exception {
    ApiStatus invalid = failure(store.create(Kinds.CONFIG_MAP, cm("Not_A_Name", "bad", "1"), as("alice")));
    assertEquals(422, invalid.code(), invalid.toString());
    assertEquals("Invalid", invalid.reason());
    assertEquals("metadata.name", invalid.details().causes().get(0).field(), invalid.toString());

    ConfigMap elsewhere = ConfigMap.newBuilder(cm("x-" + unique(), "bad", "1"))
        .setMetadata(ObjectMeta.newBuilder().setNamespace("no-such-ns").setName("x").build()).build();
    ApiStatus noNamespace = failure(store.create(Kinds.CONFIG_MAP, elsewhere, as("alice")));
    assertEquals(404, noNamespace.code());
    assertEquals("namespaces \"no-such-ns\" not found", noNamespace.message());
  }

  @Test
  void aCommandWithoutAProcessorIs504AndAFullWatchIsClosed() throws Exception {
    TopicLayout idle = KafkaFixture.freshLayout(1); // topics, but no command processor reading them
    WatchCacheConfig tiny = WatchCacheConfig.defaults().withWatchBuffer(2);
    SimpleMeterRegistry tinyMetrics = new SimpleMeterRegistry();
    try (CommandClient client = new CommandClient(new CommandClientConfig(KafkaFixture.clientConfig(), idle,
        "gw-timeout-" + unique(), "", Duration.ofMillis(300), 1), new SimpleMeterRegistry());
        WatchCache cache = new WatchCache(InformerConfig.defaults(KafkaFixture.clientConfig(), backend.layout(),
            "gateway-tiny"), tiny, tinyMetrics).start();
        KafkaResourceStore noProcessor = new KafkaResourceStore(client, cache)) {
      ApiStatus timeout = failure(noProcessor.create(Kinds.CONFIG_MAP, cm("t-" + unique(), "t", "1"), as("alice")));
      assertEquals(504, timeout.code());
      assertEquals("Timeout", timeout.reason());

      // A watch whose client does not keep up is ended, not buffered without end: as kube-apiserver's
      // cacher, a change that finds its buffer full waits a little (the dispatch budget), then the
      // buffered events are dropped and the stream ends; the client resumes from its last version.
      String t = "slow-" + unique();
      CountDownLatch stuck = new CountDownLatch(1);
      BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
      noProcessor.watch(Kinds.CONFIG_MAP, new WatchOptions("default", LabelSelector.parse("test=" + t),
          FieldSelector.EVERYTHING, "0", false, false), e -> {
            try {
              stuck.await();
            } catch (InterruptedException ex) {
              Thread.currentThread().interrupt();
            }
            events.add(e);
          });
      StoredObject last = null;
      for (int i = 0; i < 6; i++) {
        last = done(store.create(Kinds.CONFIG_MAP, cm("s" + i + "-" + t, t, "1"), as("alice")));
      }
      var tinyConfigMaps = cache.of(Kinds.CONFIG_MAP);
      // watches are sent a change once the consistent cut passes it (one order across partitions)
      tinyConfigMaps.whenReached(-1, last.resourceVersion()).get(30, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (tinyMetrics.find("capstan.gateway.watches.closed").tag("kind", "ConfigMap").tag("reason", "overflow")
          .counter().count() < 1) {
        assertTrue(System.nanoTime() < deadline, "the watch that does not keep up is ended");
        Thread.sleep(10);
      }
      stuck.countDown();
      List<WatchEvent> got = new ArrayList<>();
      for (WatchEvent e = events.poll(10, TimeUnit.SECONDS); e != null; e = events.poll(1, TimeUnit.SECONDS)) {
        got.add(e);
      }
      assertEquals(2, got.size(), "the one in the sink, then the end (the two buffered dropped): " + got);
      assertInstanceOf(WatchEvent.Added.class, got.get(0));
      assertInstanceOf(WatchEvent.End.class, got.get(1), "the overflowing watch just ends");
    }
  }

  @Test
  void metricsShowWatchesAndCacheLag() throws Exception {
    BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
    try (WatchHandle h = store.watch(Kinds.SECRET, new WatchOptions("default", LabelSelector.EVERYTHING,
        FieldSelector.EVERYTHING, "0", false, false), events::add)) {
      String scrape = backend.registry().scrape();
      assertTrue(scrape.contains("capstan_apiserver_registered_watchers{kind=\"Secret\"} 1.0"), scrape);
      assertTrue(scrape.contains("capstan_gateway_watch_cache_lag_seconds{kind=\"ConfigMap\"}"), scrape);
      assertTrue(scrape.contains("capstan_gateway_watch_cache_window_events{kind=\"ConfigMap\"}"), scrape);
    }
    String after = backend.registry().scrape();
    assertTrue(after.contains("capstan_apiserver_registered_watchers{kind=\"Secret\"} 0.0"), after);
    assertTrue(after.contains("capstan_gateway_watches_closed_total{kind=\"Secret\",reason=\"client\"} 1.0"), after);
  }

  private static WatchEvent next(BlockingQueue<WatchEvent> events) throws InterruptedException {
    WatchEvent e = events.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    if (e == null) {
      fail("no watch event within " + WAIT);
    }
    return e;
  }

  /** The actor of each event of an object in capstan.events, by event op. */
  private static Map<String, String> eventActors(String name, int expected) throws Exception {
    Map<String, Object> cfg = new HashMap<>(KafkaFixture.clientConfig());
    cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Map<String, String> actors = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cfg, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> tps = c.partitionsFor(backend.layout().events()).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      c.assign(tps);
      c.seekToBeginning(tps);
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (actors.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          Event e = LogCodec.get().decode(r.value(), Event.class);
          if (e.getName().equals(name)) {
            actors.put(e.getOp().name(), e.getActor());
          }
        }
      }
    }
    return actors;
  }
}
