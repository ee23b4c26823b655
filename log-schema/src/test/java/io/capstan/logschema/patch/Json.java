package io.capstan.logschema.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.json.KubeJson;

/** Test JSON written with single quotes for readability. */
final class Json {
  private Json() {}

  static JsonNode of(String singleQuoted) {
    try {
      return KubeJson.jsonMapper().readTree(singleQuoted.replace('\'', '"'));
    } catch (Exception e) {
      throw new IllegalArgumentException(singleQuoted, e);
    }
  }

  static ObjectNode obj(String singleQuoted) {
    return (ObjectNode) of(singleQuoted);
  }
}
