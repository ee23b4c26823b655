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
}
