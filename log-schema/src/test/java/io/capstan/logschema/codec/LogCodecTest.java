package io.capstan.logschema.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Pod;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.Watermark;
import io.capstan.logschema.Manifests;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LogCodecTest {
  private final LogCodec codec = LogCodec.get();

  private static Pod pod() {
    return KubeJson.<Pod>fromJson(Kinds.POD, Manifests.json("pod-busybox-init.yaml")).object();
  }

  @Test
  void roundTripsKindsAndEnvelopes() {
    Pod pod = pod();
    byte[] podBytes = codec.encode(pod);
    assertEquals(pod, codec.decode(podBytes, Pod.class));
    assertEquals(SchemaStore.fingerprint(Pod.getClassSchema()), LogCodec.fingerprintOf(podBytes));

    Command cmd = Command.newBuilder().setRequestId("r1").setClientId("c1").setOp(CommandOp.CREATE)
        .setKind("Pod").setNamespace("default").setName("busybox-init").setObject(ByteBuffer.wrap(podBytes)).build();
    Command decoded = codec.decode(codec.encode(cmd), Command.class);
    assertEquals(cmd, decoded);
    byte[] inner = new byte[decoded.getObject().remaining()];
    decoded.getObject().duplicate().get(inner);
    assertEquals(pod, codec.decode(inner));

    Watermark w = Watermark.newBuilder().setPartition(3).setResourceVersion(42).setTimeMicros(7).build();
    assertEquals(w, codec.decode(codec.encode(w)));
  }

  @Test
  void rejectsAMissingMarker() {
    byte[] bytes = codec.encode(pod());
    bytes[0] = 0x00;
    MalformedRecordException e = assertThrows(MalformedRecordException.class, () -> codec.decode(bytes));
    assertTrue(e.getMessage().contains("C3 01"), e.getMessage());
    assertThrows(MalformedRecordException.class, () -> codec.decode(new byte[] {(byte) 0xC3, 0x01, 1}));
    assertThrows(MalformedRecordException.class, () -> codec.decode(null));
  }

  @Test
  void rejectsAnUnknownFingerprint() {
    byte[] bytes = codec.encode(pod());
    bytes[5] ^= 0x5A;
    MalformedRecordException e = assertThrows(MalformedRecordException.class, () -> codec.decode(bytes));
    assertTrue(e.getMessage().startsWith("unknown schema fingerprint"), e.getMessage());
  }

  @Test
  void rejectsATruncatedBody() {
    byte[] bytes = codec.encode(pod());
    byte[] truncated = Arrays.copyOf(bytes, bytes.length / 2);
    MalformedRecordException e = assertThrows(MalformedRecordException.class, () -> codec.decode(truncated));
    assertTrue(e.getMessage().startsWith("corrupt record body"), e.getMessage());
  }

  @Test
  void rejectsTheWrongRecordType() {
    byte[] bytes = codec.encode(pod());
    assertThrows(MalformedRecordException.class, () -> codec.decode(bytes, Command.class));
  }
}
