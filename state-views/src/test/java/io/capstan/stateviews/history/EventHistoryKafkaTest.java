package io.capstan.stateviews.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Secret;
import io.capstan.log.Event;
import io.capstan.log.EventOp;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.secrets.SecretSealing;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.testing.KafkaFixture;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** {@link EventHistory} on the real broker: read from the start, read on, and a log trimmed by retention. */
class EventHistoryKafkaTest {
  private static ConfigMap configMap(String name, String mode, long rv) {
    return ConfigMap.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name)
        .setResourceVersion(Long.toString(rv)).build()).setData(Map.of("mode", mode)).build();
  }

  private static void send(KafkaProducer<String, byte[]> producer, TopicLayout layout, EventOp op, IndexedRecord o,
      String kind, String name, long rv) throws Exception {
    Event e = Event.newBuilder().setOp(op).setKind(kind).setNamespace("default").setName(name).setUid("u-" + name)
        .setActor("alice").setTimeMicros(rv * 1000).setResourceVersion(rv)
        .setObject(o == null ? null : ByteBuffer.wrap(LogCodec.get().encode(o))).build();
    producer.send(new ProducerRecord<>(layout.events(), 0, kind + "/default/" + name, LogCodec.get().encode(e))).get();
  }

  private static KafkaProducer<String, byte[]> producer() {
    Properties p = new Properties();
    p.putAll(KafkaFixture.clientConfig());
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  @Test
  void readsTheLogOnceThenOnlyWhatFollowsAndRefusesPointsBeforeItsRetainedStart() throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(1);
    try (KafkaProducer<String, byte[]> producer = producer();
        EventHistory history = new EventHistory(KafkaFixture.clientConfig(), layout, "history-test")) {
      send(producer, layout, EventOp.CREATED, configMap("x", "slow", 10), "ConfigMap", "x", 10);
      send(producer, layout, EventOp.UPDATED, configMap("x", "fast", 20), "ConfigMap", "x", 20);
      VersionedObjects objects = history.catchUp();
      assertEquals(2, objects.versions());
      ConfigMap at15 = (ConfigMap) HistoricalObjects.object(objects.at("ConfigMap/default/x", new AsOf.Time(15_000))
          .orElseThrow(), LogCodec.get());
      assertEquals("slow", at15.getData().get("mode"));
      assertTrue(objects.at("ConfigMap/default/x", new AsOf.Time(9_999)).isEmpty(), "not made yet");
      history.checkRetained(new AsOf.Time(0)); // the whole log is kept: every point is known

      send(producer, layout, EventOp.DELETED, configMap("x", "fast", 30), "ConfigMap", "x", 30);
      Secret secret = Secret.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("s")
          .setResourceVersion("40").build()).setData(Map.of("password", ByteBuffer.wrap("hunter2".getBytes(
              StandardCharsets.UTF_8)))).build();
      send(producer, layout, EventOp.CREATED, secret, "Secret", "s", 40);
      Secret changed = Secret.newBuilder(secret).setData(Map.of("password", ByteBuffer.wrap("swordfish".getBytes(
          StandardCharsets.UTF_8)))).build();
      send(producer, layout, EventOp.UPDATED, changed, "Secret", "s", 50);
      objects = history.catchUp();
      assertEquals(5, objects.versions(), "read on from where it stopped, nothing twice");
      assertTrue(objects.at("ConfigMap/default/x", new AsOf.Version(30)).isEmpty(), "deleted");
      assertEquals(20, objects.at("ConfigMap/default/x", new AsOf.Version(29)).orElseThrow().resourceVersion());

      Secret shown = (Secret) HistoricalObjects.object(objects.at("Secret/default/s", new AsOf.Version(40))
          .orElseThrow(), LogCodec.get());
      assertNull(shown.getData(), "a Secret's values never appear in a historical read");
      assertEquals(HistoricalObjects.SECRET_VALUES_HIDDEN,
          shown.getMetadata().getAnnotations().get(SecretSealing.ENCRYPTION_ANNOTATION));
      List<HistoricalObjects.HistoryEntry> secretHistory =
          HistoricalObjects.history(objects.versions("Secret/default/s"), LogCodec.get());
      assertEquals(List.of("data"), secretHistory.get(1).change().changedPaths(), "the values changed, unshown");
      assertNull(secretHistory.get(1).diff().get(0).to());

      List<HistoricalObjects.HistoryEntry> x = HistoricalObjects.history(objects.versions("ConfigMap/default/x"),
          LogCodec.get());
      assertEquals(List.of("CREATED", "UPDATED", "DELETED"), x.stream().map(h -> h.change().op()).toList());
      assertEquals(List.of(), x.get(0).diff(), "a create is the object itself");
      assertEquals(List.of("data.mode"), x.get(1).change().changedPaths());
      assertEquals("fast", x.get(1).diff().get(0).to().asText());
      assertEquals("alice", x.get(1).change().actor());
      assertEquals(java.time.Instant.ofEpochMilli(20), x.get(1).change().time());

      // Retention (or an operator) removes the first three events: what was before the fourth is gone.
      try (Admin admin = Admin.create(KafkaFixture.clientConfig())) {
        admin.deleteRecords(Map.of(new TopicPartition(layout.events(), 0), RecordsToDelete.beforeOffset(3)))
            .all().get(30, TimeUnit.SECONDS);
      }
      history.catchUp();
      EventHistory.Gone gone = assertThrows(EventHistory.Gone.class, () -> history.checkRetained(new AsOf.Time(39_999)));
      assertTrue(gone.getMessage().contains("asOf 1970-01-01T00:00:00.039999Z is before the retained start of the "
          + "event log (1970-01-01T00:00:00.040Z, resourceVersion 40)"), gone.getMessage());
      assertThrows(EventHistory.Gone.class, () -> history.checkRetained(new AsOf.Version(39)));
      history.checkRetained(new AsOf.Version(40));
      history.checkRetained(new AsOf.Time(40_000));
    }
  }

  @Test
  void aSavedIndexIsLoadedAndOnlyTheLogAfterItIsReadAgain(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(1);
    java.util.Set<String> marked = java.util.Set.of("Secret");
    try (KafkaProducer<String, byte[]> producer = producer()) {
      send(producer, layout, EventOp.CREATED, configMap("x", "slow", 10), "ConfigMap", "x", 10);
      send(producer, layout, EventOp.UPDATED, configMap("x", "fast", 20), "ConfigMap", "x", 20);
      send(producer, layout, EventOp.CREATED, configMap("y", "calm", 30), "ConfigMap", "y", 30);
      try (EventHistory first = new EventHistory(KafkaFixture.clientConfig(), layout, "saved-1", dir, marked)) {
        assertEquals(3, first.catchUp().versions());
        assertEquals(3, first.eventsRead());
      } // saved on its first catch-up, and on close

      send(producer, layout, EventOp.DELETED, configMap("x", "fast", 40), "ConfigMap", "x", 40);
      Secret secret = Secret.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("s")
          .setResourceVersion("50").build()).setData(Map.of("k", ByteBuffer.wrap(new byte[] {1}))).build();
      send(producer, layout, EventOp.CREATED, secret, "Secret", "s", 50);
      try (EventHistory second = new EventHistory(KafkaFixture.clientConfig(), layout, "saved-2", dir, marked)) {
        VersionedObjects objects = second.catchUp();
        assertEquals(5, objects.versions(), "three loaded, two read");
        assertEquals(2, second.eventsRead(), "only what follows the snapshot is read from the log");
        assertEquals("slow", ((ConfigMap) HistoricalObjects.object(objects.at("ConfigMap/default/x",
            new AsOf.Version(15)).orElseThrow(), LogCodec.get())).getData().get("mode"), "a loaded version's object");
        assertTrue(objects.at("ConfigMap/default/x", new AsOf.Version(40)).isEmpty());
        assertEquals(List.of("alice"), objects.versions("ConfigMap/default/x").stream().map(ObjectVersion::actor)
            .distinct().toList());
        assertEquals(1, objects.timeline(0, 1_000_000, 1, 10).marked().size(), "the marks rebuilt");

        // the directory is held: a second history on it keeps its own in memory, from the whole log
        try (EventHistory meanwhile = new EventHistory(KafkaFixture.clientConfig(), layout, "saved-3", dir, marked)) {
          assertEquals(5, meanwhile.catchUp().versions());
          assertEquals(5, meanwhile.eventsRead());
        }
      }

      // A save torn by a crash: the last snapshot whole on the disk is loaded, the rest read again
      java.nio.file.Path index = dir.resolve(SavedHistory.INDEX);
      long size = java.nio.file.Files.size(index);
      try (java.nio.channels.FileChannel f = java.nio.channels.FileChannel.open(index,
          java.nio.file.StandardOpenOption.WRITE)) {
        f.truncate(size - 3);
      }
      try (EventHistory torn = new EventHistory(KafkaFixture.clientConfig(), layout, "saved-4", dir, marked)) {
        assertEquals(5, torn.catchUp().versions(), "nothing lost, nothing twice");
        assertEquals(2, torn.eventsRead(), "the first save's snapshot, then the log after it");
        assertEquals(30, torn.objects().at("ConfigMap/default/y", new AsOf.Version(60)).orElseThrow()
            .resourceVersion());
      }
      try (EventHistory whole = new EventHistory(KafkaFixture.clientConfig(), layout, "saved-5", dir, marked)) {
        assertEquals(5, whole.catchUp().versions());
        assertEquals(0, whole.eventsRead(), "the torn save was made again whole");
      }

      // An index of another log (a topic of another name, or the same name made again) is not read
      TopicLayout other = KafkaFixture.freshLayout(1);
      send(producer, other, EventOp.CREATED, configMap("z", "new", 10), "ConfigMap", "z", 10);
      try (EventHistory elsewhere = new EventHistory(KafkaFixture.clientConfig(), other, "saved-6", dir, marked)) {
        VersionedObjects objects = elsewhere.catchUp();
        assertEquals(1, objects.versions());
        assertTrue(objects.at("ConfigMap/default/x", new AsOf.Version(15)).isEmpty(), "nothing of the other log");
      }
    }
  }

  @Test
  void whatATrimmedLogLetGoIsDroppedFromTheSavedHistoryAndStaysGone(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(1);
    try (KafkaProducer<String, byte[]> producer = producer()) {
      // offsets 0..7
      send(producer, layout, EventOp.CREATED, configMap("x", "a", 10), "ConfigMap", "x", 10);
      send(producer, layout, EventOp.UPDATED, configMap("x", "b", 20), "ConfigMap", "x", 20);
      send(producer, layout, EventOp.CREATED, configMap("y", "a", 30), "ConfigMap", "y", 30);
      send(producer, layout, EventOp.UPDATED, configMap("x", "c", 40), "ConfigMap", "x", 40);
      send(producer, layout, EventOp.CREATED, configMap("z", "a", 50), "ConfigMap", "z", 50);
      send(producer, layout, EventOp.DELETED, configMap("z", "a", 60), "ConfigMap", "z", 60);
      send(producer, layout, EventOp.CREATED, configMap("w", "a", 70), "ConfigMap", "w", 70);
      send(producer, layout, EventOp.UPDATED, configMap("x", "d", 80), "ConfigMap", "x", 80);
      try (EventHistory first = history(layout, dir, "trim-1")) {
        assertEquals(8, first.catchUp().versions());
      }

      deleteBefore(layout, 6); // the log keeps w's create and x's last update
      try (EventHistory second = history(layout, dir, "trim-2")) {
        VersionedObjects objects = second.catchUp();
        assertEquals(0, second.eventsRead());
        assertEquals(List.of(40L, 80L), rvs(objects.versions("ConfigMap/default/x")), "x as at 70, and after");
        assertEquals(List.of(30L), rvs(objects.versions("ConfigMap/default/y")), "y's only version, in effect at 70");
        assertEquals(List.of(), rvs(objects.versions("ConfigMap/default/z")), "z was deleted before 70");
        assertEquals(4, objects.versions());
        assertEquals("c", mode(objects, "x", 75));
        assertEquals("a", mode(objects, "y", 75));
        assertTrue(objects.at("ConfigMap/default/z", new AsOf.Version(75)).isEmpty());
        assertThrows(EventHistory.Gone.class, () -> second.checkRetained(new AsOf.Version(69)));
        second.checkRetained(new AsOf.Version(70));
      }
      try (var files = java.nio.file.Files.list(dir)) {
        assertEquals(List.of("index", "lock", "objects-1"), files.map(f -> f.getFileName().toString()).sorted()
            .toList(), "the rewritten index and objects, the old objects file deleted");
      }

      // The partition's last events are a create and delete; then the log is trimmed to its end
      send(producer, layout, EventOp.CREATED, configMap("v", "a", 90), "ConfigMap", "v", 90);
      send(producer, layout, EventOp.DELETED, configMap("v", "a", 100), "ConfigMap", "v", 100);
      try (EventHistory third = history(layout, dir, "trim-3")) {
        assertEquals(6, third.catchUp().versions());
        assertEquals("a", mode(third.objects(), "v", 95));
      }
      deleteBefore(layout, 10);
      try (EventHistory fourth = history(layout, dir, "trim-4")) {
        VersionedObjects objects = fourth.catchUp();
        assertEquals(List.of(80L), rvs(objects.versions("ConfigMap/default/x")));
        assertEquals(List.of(), rvs(objects.versions("ConfigMap/default/v")));
        // nothing kept is newer than x's 80, yet v lived at 95: the history before 101 stays gone
        assertThrows(EventHistory.Gone.class, () -> fourth.checkRetained(new AsOf.Version(95)));
        fourth.checkRetained(new AsOf.Version(101));
      }
      try (EventHistory fifth = history(layout, dir, "trim-5")) {
        VersionedObjects objects = fifth.catchUp();
        assertEquals(3, objects.versions(), "x, y and w as the log left them, loaded");
        assertEquals(0, fifth.eventsRead());
        assertThrows(EventHistory.Gone.class, () -> fifth.checkRetained(new AsOf.Version(95)), "after a restart too");
        assertEquals("d", mode(objects, "x", 101));
      }
    }
  }

  private static EventHistory history(TopicLayout layout, java.nio.file.Path dir, String id) {
    return new EventHistory(KafkaFixture.clientConfig(), layout, id, dir, java.util.Set.of());
  }

  private static List<Long> rvs(List<ObjectVersion> versions) {
    return versions.stream().map(ObjectVersion::resourceVersion).toList();
  }

  private static String mode(VersionedObjects objects, String name, long rv) {
    return ((ConfigMap) HistoricalObjects.object(objects.at("ConfigMap/default/" + name, new AsOf.Version(rv))
        .orElseThrow(), LogCodec.get())).getData().get("mode");
  }

  private static void deleteBefore(TopicLayout layout, long offset) throws Exception {
    try (Admin admin = Admin.create(KafkaFixture.clientConfig())) {
      admin.deleteRecords(Map.of(new TopicPartition(layout.events(), 0), RecordsToDelete.beforeOffset(offset)))
          .all().get(30, TimeUnit.SECONDS);
    }
  }
}
