package io.capstan.stateviews.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.ObjectMeta;
import io.capstan.log.Event;
import io.capstan.log.EventOp;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.testing.KafkaFixture;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Replay against the real broker, with events and state records written as the processor writes them. */
class ReplayTest {

  private static ConfigMap configMap(String name, long rv, String value) {
    return ConfigMap.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(name).setNamespace("default")
            .setResourceVersion(Long.toString(rv)).setUid("uid-" + name).build())
        .setData(Map.of("k", value))
        .build();
  }

  /** Writes the same history (create a, b, c; update a; delete b) to events and state topics. */
  private static void writeHistory(TopicLayout layout, int partitions, boolean writeState) {
    Properties p = new Properties();
    p.putAll(KafkaFixture.clientConfig());
    LogCodec codec = LogCodec.get();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      long t = 1_000_000;
      Object[][] steps = {
        {EventOp.CREATED, "a", "1"}, {EventOp.CREATED, "b", "1"}, {EventOp.CREATED, "c", "1"},
        {EventOp.UPDATED, "a", "2"}, {EventOp.DELETED, "b", "1"},
      };
      long rv = 100;
      for (Object[] s : steps) {
        rv++;
        t += 1_000_000;
        String name = (String) s[1];
        ConfigMap cm = configMap(name, rv, (String) s[2]);
        String key = new ObjectKey("ConfigMap", "default", name).toString();
        int part = ObjectPartitioner.partition(key, partitions);
        Event e = Event.newBuilder().setOp((EventOp) s[0]).setKind("ConfigMap").setNamespace("default")
            .setName(name).setTimeMicros(t).setResourceVersion(rv)
            .setObject(ByteBuffer.wrap(codec.encode(cm))).build();
        producer.send(new ProducerRecord<>(layout.events(), part, key, codec.encode(e)));
        if (writeState) {
          ProducerRecord<String, byte[]> st = new ProducerRecord<>(layout.state(Kinds.CONFIG_MAP), part, key,
              s[0] == EventOp.DELETED ? null : codec.encode(cm));
          st.headers().add("capstan.rv", Long.toString(rv).getBytes(StandardCharsets.UTF_8));
          producer.send(st);
        }
      }
      producer.flush();
    }
  }

  @Test
  void aLiveVersionTheLogPassedThroughIsLaggingNotDifferent() {
    LogCodec codec = LogCodec.get();
    StateDigest replayed = new StateDigest();
    StateDigest live = new StateDigest();
    java.util.Map<String, java.util.Set<Long>> history = new java.util.HashMap<>();
    String a = "ConfigMap/default/a";
    String b = "ConfigMap/default/b";
    // a: the log went 1 -> 2 while the table (read first) still had 1; b: the table has a version the log never had
    for (String v : new String[] {"1", "2"}) {
      replayed.put(a, codec.encode(configMap("a", 100 + Integer.parseInt(v), v)));
      history.computeIfAbsent(a, k -> new java.util.HashSet<>()).add(Replay.fingerprint(replayed.objects().get(a)));
    }
    live.put(a, codec.encode(configMap("a", 101, "1")));
    replayed.put(b, codec.encode(configMap("b", 101, "1")));
    history.computeIfAbsent(b, k -> new java.util.HashSet<>()).add(Replay.fingerprint(replayed.objects().get(b)));
    live.put(b, codec.encode(configMap("b", 101, "forged")));

    Replay.Comparison cmp = Replay.compare(replayed, live, history);
    assertEquals(java.util.List.of(a), java.util.List.copyOf(cmp.lagging().keySet()));
    assertEquals(java.util.List.of(b), cmp.differing());
    assertFalse(cmp.matches());
    assertFalse(Replay.compare(replayed, live).lagging().containsKey(a), "without a history nothing is lagging");
  }

  @Test
  void digestIsIndependentOfPartitionCountAndVerifyMatchesLiveState() {
    TopicLayout two = KafkaFixture.freshLayout(2);
    TopicLayout three = KafkaFixture.freshLayout(3);
    writeHistory(two, 2, true);
    writeHistory(three, 3, false);

    Replay.Result a = Replay.fromEvents(KafkaFixture.clientConfig(), two, Long.MAX_VALUE);
    Replay.Result b = Replay.fromEvents(KafkaFixture.clientConfig(), three, Long.MAX_VALUE);
    assertEquals(2, a.state().size(), "a and c remain");
    assertEquals(5, a.events());
    assertEquals(a.state().hex(), b.state().hex());
    assertTrue(a.summary().matches("state digest: [0-9a-f]{64} objects=2 events=5"), a.summary());

    Replay.Comparison ok = Replay.compare(a.state(), Replay.liveState(KafkaFixture.clientConfig(), two));
    assertTrue(ok.matches(), ok.summary(10));

    // the layout without state records: everything is "only in replay"
    Replay.Comparison bad = Replay.compare(b.state(), Replay.liveState(KafkaFixture.clientConfig(), three));
    assertFalse(bad.matches());
    assertEquals(2, bad.onlyInReplay().size());
    assertTrue(bad.summary(10).contains("ConfigMap/default/a"), bad.summary(10));
  }

  @Test
  void untilShowsTheStateAsItWasAtThatTime() {
    TopicLayout layout = KafkaFixture.freshLayout(2);
    writeHistory(layout, 2, false);
    // after the three creates (t = 2s, 3s, 4s), before the update of a (5s) and the delete of b (6s)
    Replay.Result past = Replay.fromEvents(KafkaFixture.clientConfig(), layout, 4_000_000);
    Replay.Result now = Replay.fromEvents(KafkaFixture.clientConfig(), layout, Long.MAX_VALUE);
    assertEquals(3, past.state().size());
    assertEquals(3, past.events());
    assertNotEquals(past.state().hex(), now.state().hex());
  }
}
