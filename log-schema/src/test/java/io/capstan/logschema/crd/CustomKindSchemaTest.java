package io.capstan.logschema.crd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.api.CustomResourceDefinition;
import io.capstan.api.ObjectMeta;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.codec.SchemaStore;
import io.capstan.logschema.json.Converted;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.KubeField;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;

class CustomKindSchemaTest {
  private static final String WIDGET = """
      apiVersion: example.com/v1
      kind: Widget
      metadata: {name: w1, namespace: default, labels: {app: demo}}
      spec:
        size: small
        replicas: 3
        port: http
        labels: {tier: web}
        tags: [a, b]
        extra: {anything: [1, {deep: true}], n: null}
        template: {apiVersion: v1, kind: ConfigMap, metadata: {name: x}, data: {k: v}}
        createdAt: "2026-12-05T08:00:00Z"
      status: {replicas: 2, ready: true}
      """;

  @Test
  void derivesRecordsMapsArraysAndJsonFieldsFromTheOpenApiSchema() {
    Kind kind = CustomResourceDefinitions.kindOf(CrdFixtures.widgets());
    Schema schema = kind.schema();
    assertEquals("io.capstan.custom.example.com.Widget", schema.getFullName());
    assertEquals(ObjectMeta.getClassSchema(), schema.getField("metadata").schema());
    Schema spec = KubeField.nonNull(schema.getField("spec").schema());
    assertEquals(Schema.Type.RECORD, spec.getType());
    assertEquals(Schema.Type.STRING, KubeField.nonNull(spec.getField("size").schema()).getType());
    assertEquals(Schema.Type.LONG, KubeField.nonNull(spec.getField("replicas").schema()).getType());
    assertTrue(KubeField.of(spec.getField("port")).hasFormat(KubeField.FORMAT_INT_OR_STRING));
    assertEquals(Schema.Type.MAP, KubeField.nonNull(spec.getField("labels").schema()).getType());
    assertEquals(Schema.Type.ARRAY, KubeField.nonNull(spec.getField("tags").schema()).getType());
    assertTrue(KubeField.of(spec.getField("extra")).hasFormat(KubeField.FORMAT_JSON));
    assertTrue(KubeField.of(spec.getField("template")).hasFormat(KubeField.FORMAT_JSON));
    assertTrue(KubeField.of(spec.getField("createdAt")).hasFormat(KubeField.FORMAT_DATE_TIME));
    Schema status = KubeField.nonNull(schema.getField("status").schema());
    assertEquals(Schema.Type.INT, KubeField.nonNull(status.getField("replicas").schema()).getType());
    // Deterministic: the same definition gives the same fingerprint.
    assertEquals(SchemaStore.fingerprint(schema),
        SchemaStore.fingerprint(CustomResourceDefinitions.kindOf(CrdFixtures.widgets()).schema()));
    assertTrue(kind.custom());
    assertTrue(kind.namespaced());
    assertTrue(kind.hasStatus());
    assertEquals(".spec.replicas", kind.subresources().scale().specReplicasPath());
    assertEquals("widget", kind.singular());
    assertEquals("example.com/v1", kind.apiVersion());
  }

  @Test
  void aCustomObjectRoundTripsThroughJsonAndTheLogCodec() {
    Kind kind = CustomResourceDefinitions.kindOf(CrdFixtures.widgets());
    Converted<IndexedRecord> converted = KubeJson.fromText(kind, WIDGET);
    assertEquals(java.util.List.of(), converted.unknownFields());
    IndexedRecord widget = converted.object();
    assertInstanceOf(GenericData.Record.class, widget);
    assertInstanceOf(ObjectMeta.class, widget.get(0)); // metadata is the built-in record, whatever the kind
    JsonNode expected = KubeJson.parse(WIDGET);
    // Written back, JSON-carrying fields are JSON again (not strings), apiVersion and kind come first.
    assertEquals(expected, KubeJson.toJson(kind, "v1", widget));

    LogCodec codec = new LogCodec(storeWith(kind.schema()));
    IndexedRecord decoded = codec.decode(codec.encode(widget));
    assertEquals(expected, KubeJson.toJson(kind, "v1", decoded));
  }

  @Test
  void recordsWrittenBeforeASchemaChangeResolveIntoTheNewSchema() {
    CustomResourceDefinition v1 = CrdFixtures.widgets();
    Kind before = CustomResourceDefinitions.kindOf(v1);
    // The definition gains a field: old records decode into the new schema, the new field absent.
    CustomResourceDefinition v2 = CrdFixtures.crd(CrdFixtures.text("widgets.yaml").replace(
        "              ready:\n                type: boolean",
        "              ready:\n                type: boolean\n              message:\n                type: string"));
    Kind after = CustomResourceDefinitions.kindOf(v2);
    assertNotEquals(SchemaStore.fingerprint(before.schema()), SchemaStore.fingerprint(after.schema()));
    assertEquals(before.schema().getFullName(), after.schema().getFullName());

    SchemaStore store = storeWith(after.schema());
    store.addHistoric(before.schema());
    LogCodec codec = new LogCodec(store);
    byte[] old = codec.encode(KubeJson.<IndexedRecord>fromText(before, WIDGET).object());
    IndexedRecord decoded = codec.decode(old);
    assertEquals(after.schema(), decoded.getSchema());
    assertEquals(KubeJson.parse(WIDGET), KubeJson.toJson(after, "v1", decoded));
  }

  @Test
  void aPropertyAvroCannotNameKeepsItsObjectAsJson() {
    JsonNode openApi = KubeJson.parse("""
        {"type": "object", "properties": {"spec": {"type": "object", "properties": {
          "odd-name": {"type": "string"}, "$x": {"type": "integer"}}}}}""");
    Schema schema = CustomKindSchema.derive("my-group.example.com", "Gadget", openApi);
    assertEquals("io.capstan.custom.my_group.example.com.Gadget", schema.getFullName());
    assertTrue(KubeField.of(schema.getField("spec")).hasFormat(KubeField.FORMAT_JSON));
  }

  private static SchemaStore storeWith(Schema schema) {
    SchemaStore store = new SchemaStore();
    store.addCurrent(schema);
    return store;
  }
}
