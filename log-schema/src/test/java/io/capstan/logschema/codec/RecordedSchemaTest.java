package io.capstan.logschema.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ObjectMeta;
import io.capstan.logschema.crd.CustomKindSchema;
import io.capstan.logschema.json.KubeJson;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

/** Records of the schemas topic, and a codec that finds writer schemas through a source. */
class RecordedSchemaTest {
  private static Schema widget(String specProperties) {
    return CustomKindSchema.derive("example.com", "Widget", KubeJson.parse(
        "{\"type\": \"object\", \"properties\": {\"spec\": {\"type\": \"object\", \"properties\": {"
            + specProperties + "}}}}"));
  }

  @Test
  void roundTripsThroughKeyAndJsonValue() {
    Schema s = widget("\"size\": {\"type\": \"integer\", \"format\": \"int32\"}");
    RecordedSchema r = RecordedSchema.of("Widget", "example.com", s);
    assertEquals(16, r.key().length());
    RecordedSchema back = RecordedSchema.parse(r.key(), r.value());
    assertEquals(r, back);
    assertEquals(SchemaStore.fingerprint(s), back.fingerprint());
  }

  @Test
  void badRecordsAreNamed() {
    Schema s = widget("\"size\": {\"type\": \"integer\"}");
    RecordedSchema r = RecordedSchema.of("Widget", "example.com", s);
    IllegalArgumentException key = assertThrows(IllegalArgumentException.class,
        () -> RecordedSchema.parse("not-hex", r.value()));
    assertTrue(key.getMessage().contains("\"not-hex\" is not a 64-bit hex fingerprint"), key.getMessage());
    IllegalArgumentException value = assertThrows(IllegalArgumentException.class,
        () -> RecordedSchema.parse(r.key(), "{\"kind\": \"Widget\"}"));
    assertTrue(value.getMessage().contains("does not hold a schema"), value.getMessage());
    String other = RecordedSchema.key(r.fingerprint() + 1);
    IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
        () -> RecordedSchema.parse(other, r.value()));
    assertTrue(mismatch.getMessage().contains("whose fingerprint is " + r.key()), mismatch.getMessage());
  }

  @Test
  void aCodecFindsAnUnknownWriterSchemaInItsSourceAndResolvesIntoTheCurrentOne() {
    Schema before = widget("\"size\": {\"type\": \"integer\", \"format\": \"int32\"}, \"color\": {\"type\": \"string\"}");
    Schema after = widget("\"size\": {\"type\": \"integer\"}, \"shape\": {\"type\": \"string\"}");
    GenericData.Record spec = new GenericData.Record(before.getField("spec").schema().getTypes().get(1));
    spec.put("size", 3);
    spec.put("color", "red");
    GenericData.Record old = new GenericData.Record(before);
    old.put("metadata", ObjectMeta.newBuilder().setName("w").build());
    old.put("spec", spec);
    byte[] bytes = LogCodec.builtInOnly().encode(old);

    LogCodec codec = LogCodec.builtInOnly();
    int[] asked = new int[1];
    codec.addSource(new SchemaSource() {
      @Override
      public Schema find(long fingerprint) {
        asked[0]++;
        return fingerprint == SchemaStore.fingerprint(before) ? before : null;
      }

      @Override
      public String describe() {
        return "a test source";
      }
    });
    // No current schema of the name: the record as written.
    GenericRecord asWritten = codec.decode(bytes);
    assertEquals(before, asWritten.getSchema());
    assertEquals(1, asked[0]);
    // With a current schema: resolved into it (int widened to long, color dropped, shape null).
    codec.setCurrent(after);
    GenericRecord resolved = codec.decode(bytes);
    assertEquals(after, resolved.getSchema());
    GenericRecord resolvedSpec = (GenericRecord) resolved.get("spec");
    assertEquals(3L, resolvedSpec.get("size"));
    assertEquals(null, resolvedSpec.get("shape"));
    assertEquals(1, asked[0], "a found schema is kept: the source is asked once");

    // A fingerprint no source knows names itself and the sources.
    bytes[4] ^= 0x11;
    MalformedRecordException e = assertThrows(MalformedRecordException.class, () -> codec.decode(bytes));
    assertTrue(e.getMessage().startsWith("unknown schema fingerprint "
        + RecordedSchema.key(LogCodec.fingerprintOf(bytes))), e.getMessage());
    assertTrue(e.getMessage().endsWith("nor in a test source"), e.getMessage());
  }
}
