package io.capstan.logschema.crd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.validation.FieldError;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Defaulting, list types and formats of custom objects, with Kubernetes' paths and messages. */
class CustomObjectsTest {
  private static final JsonNode SCHEMA = KubeJson.parse("""
      {"type": "object", "properties": {
        "spec": {"type": "object", "default": {}, "properties": {
          "size": {"type": "string", "default": "small"},
          "replicas": {"type": "integer", "default": 1},
          "maybe": {"type": "string", "nullable": true, "default": "x"},
          "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
          "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name", "protocol"],
            "items": {"type": "object", "properties": {
              "name": {"type": "string"}, "protocol": {"type": "string", "default": "TCP"}, "port": {"type": "integer"}}}},
          "id": {"type": "string", "format": "uuid"},
          "when": {"type": "string", "format": "date-time"},
          "ip": {"type": "string", "format": "ipv4"}}}}}
      """);

  private static List<String> errors(String json) {
    JsonNode o = KubeJson.parse(json);
    CustomObjects.applyDefaults(SCHEMA, o);
    return CustomObjects.validate(SCHEMA, o).stream().map(FieldError::toString).toList();
  }

  @Test
  void defaultsFillAbsentFieldsAtEveryLevelThatExists() {
    JsonNode o = KubeJson.parse("{\"metadata\": {\"name\": \"a\"}}");
    CustomObjects.applyDefaults(SCHEMA, o);
    assertEquals("{\"size\":\"small\",\"replicas\":1,\"maybe\":\"x\"}", o.path("spec").toString());

    o = KubeJson.parse("{\"spec\": {\"size\": \"large\", \"maybe\": null, \"replicas\": null,"
        + " \"ports\": [{\"name\": \"http\", \"port\": 80}]}}");
    CustomObjects.applyDefaults(SCHEMA, o);
    assertEquals("large", o.at("/spec/size").asText(), "a value given is kept");
    assertTrue(o.at("/spec/maybe").isNull(), "null stays where the schema allows it");
    assertEquals(1, o.at("/spec/replicas").asInt(), "null is defaulted where it is not allowed");
    assertEquals("TCP", o.at("/spec/ports/0/protocol").asText(), "items are defaulted too");
    assertTrue(CustomObjects.hasDefaults(SCHEMA));
    assertFalse(CustomObjects.hasDefaults(KubeJson.parse("{\"type\": \"object\"}")));
  }

  @Test
  void setsAndMapsHoldNoDuplicates() {
    assertEquals(List.of("spec.tags[2]: Duplicate value: \"a\""),
        errors("{\"spec\": {\"tags\": [\"a\", \"b\", \"a\"]}}"));
    assertEquals(List.of("spec.ports[1]: Duplicate value: map[string]interface {}{\"name\":\"http\", \"protocol\":\"TCP\"}"),
        errors("{\"spec\": {\"ports\": [{\"name\": \"http\", \"port\": 80}, {\"name\": \"http\", \"port\": 81}]}}"));
    assertEquals(List.of(), errors("{\"spec\": {\"ports\": [{\"name\": \"http\"}, {\"name\": \"http\", \"protocol\": \"UDP\"}]}}"));
  }

  @Test
  void formatsAreChecked() {
    assertEquals(List.of(), errors("{\"spec\": {\"id\": \"123e4567-e89b-12d3-a456-426614174000\","
        + " \"when\": \"2026-01-02T03:04:05Z\", \"ip\": \"10.0.0.1\"}}"));
    assertEquals(List.of(
        "spec.id: Invalid value: \"nope\": spec.id in body must be of type uuid: \"nope\"",
        "spec.when: Invalid value: \"yesterday\": spec.when in body must be of type date-time: \"yesterday\"",
        "spec.ip: Invalid value: \"10.0.0.300\": spec.ip in body must be of type ipv4: \"10.0.0.300\""),
        errors("{\"spec\": {\"id\": \"nope\", \"when\": \"yesterday\", \"ip\": \"10.0.0.300\"}}"));
  }
}
