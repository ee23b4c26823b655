package io.capstan.stateviews.informer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.log.Watermark;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.codec.MalformedRecordException;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.ObjectPartitioner;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class StateRecordTest {
  private static final ConfigMap CM = TestObjects.configMap("ns", "a", "1");

  private static ConsumerRecord<byte[], byte[]> record(int partition, String key, byte[] value, String rv) {
    RecordHeaders h = new RecordHeaders();
    if (rv != null) {
      h.add(StateRecord.RV_HEADER, rv.getBytes(StandardCharsets.UTF_8));
    }
    return new ConsumerRecord<>("t.state.configmap", partition, 0L, 0L, TimestampType.CREATE_TIME,
        -1, -1, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value, h, Optional.empty());
  }

  private static String malformed(ConsumerRecord<byte[], byte[]> r) {
    return assertThrows(MalformedRecordException.class, () -> StateRecord.decode(Kinds.CONFIG_MAP, r)).getMessage();
  }

  @Test
  void objectsTombstonesAndWatermarks() {
    StateRecord.ObjectStored s = assertInstanceOf(StateRecord.ObjectStored.class,
        StateRecord.decode(Kinds.CONFIG_MAP, record(0, "ConfigMap/ns/a", LogCodec.get().encode(CM), "42")));
    assertEquals(CM, s.object());
    assertEquals(42, s.resourceVersion());
    assertEquals("ConfigMap/ns/a", s.key());

    assertEquals(new StateRecord.ObjectRemoved("ConfigMap/ns/a", 43),
        StateRecord.decode(Kinds.CONFIG_MAP, record(0, "ConfigMap/ns/a", null, "43")));

    byte[] wm = LogCodec.get().encode(Watermark.newBuilder().setPartition(2).setResourceVersion(99).setTimeMicros(5).build());
    assertEquals(new StateRecord.WatermarkReached(2, 99, 5),
        StateRecord.decode(Kinds.CONFIG_MAP, record(2, ObjectPartitioner.watermarkKey(2), wm, null)));
  }

  /** A Secret is sealed in the state topic; readers get its values (with the process's keys). */
  @Test
  void secretsAreOpenedForReaders() {
    io.capstan.logschema.secrets.EncryptionConfig keys = io.capstan.logschema.secrets.EncryptionConfig.generate();
    io.capstan.logschema.secrets.SecretKeys.install(keys);
    io.capstan.api.Secret clear = io.capstan.api.Secret.newBuilder()
        .setMetadata(io.capstan.api.ObjectMeta.newBuilder().setName("db").setNamespace("ns").build())
        .setData(java.util.Map.of("password", java.nio.ByteBuffer.wrap("s3cr3t".getBytes(StandardCharsets.UTF_8))))
        .build();
    byte[] sealed = LogCodec.get().encode(io.capstan.logschema.secrets.SecretSealing.seal(clear, keys));
    assertTrue(!new String(sealed, StandardCharsets.ISO_8859_1).contains("s3cr3t"), "sealed on the topic");
    RecordHeaders h = new RecordHeaders();
    h.add(StateRecord.RV_HEADER, "9".getBytes(StandardCharsets.UTF_8));
    var r = new ConsumerRecord<>("t.state.secret", 0, 0L, 0L, TimestampType.CREATE_TIME, -1, -1,
        "Secret/ns/db".getBytes(StandardCharsets.UTF_8), sealed, h, Optional.<Integer>empty());
    StateRecord.ObjectStored s = assertInstanceOf(StateRecord.ObjectStored.class, StateRecord.decode(Kinds.SECRET, r));
    assertEquals(clear, s.object());
  }

  @Test
  void clusterScopedKeysHaveAnEmptyNamespace() {
    byte[] ns = LogCodec.get().encode(io.capstan.api.Namespace.newBuilder()
        .setMetadata(io.capstan.api.ObjectMeta.newBuilder().setName("team-a").build()).build());
    RecordHeaders h = new RecordHeaders();
    h.add(StateRecord.RV_HEADER, "7".getBytes(StandardCharsets.UTF_8));
    var r = new ConsumerRecord<>("t.state.namespace", 0, 0L, 0L, TimestampType.CREATE_TIME, -1, -1,
        "Namespace//team-a".getBytes(StandardCharsets.UTF_8), ns, h, Optional.<Integer>empty());
    assertInstanceOf(StateRecord.ObjectStored.class, StateRecord.decode(Kinds.NAMESPACE, r));
  }

  @Test
  void whatIsWrongIsNamed() {
    byte[] value = LogCodec.get().encode(CM);
    assertTrue(malformed(record(0, null, value, "1")).contains("without a key"));
    assertTrue(malformed(record(0, "Pod/ns/a", value, "1")).contains("not a ConfigMap object key"));
    assertTrue(malformed(record(0, "ConfigMap/ns", value, "1")).contains("not a ConfigMap object key"));
    assertTrue(malformed(record(0, "ConfigMap/ns/a", value, null)).contains("no capstan.rv header"));
    assertTrue(malformed(record(0, "ConfigMap/ns/a", value, "twelve")).contains("not a decimal number"));
    assertTrue(malformed(record(0, "ConfigMap/ns/a", value, "-3")).contains("not positive"));
    assertTrue(malformed(record(0, "ConfigMap/ns/a", "garbage!!!!!".getBytes(StandardCharsets.UTF_8), "1"))
        .contains("C3 01"));
    byte[] pod = LogCodec.get().encode(TestObjects.pod("ns", "a", null));
    assertTrue(malformed(record(0, "ConfigMap/ns/a", pod, "1")).contains("not a io.capstan.api.ConfigMap"));
    byte[] wm = LogCodec.get().encode(Watermark.newBuilder().setPartition(1).setResourceVersion(9).setTimeMicros(0).build());
    assertTrue(malformed(record(0, ObjectPartitioner.watermarkKey(0), wm, null)).contains("watermark of partition 1 on partition 0"));
  }
}
