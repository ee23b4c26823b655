package io.capstan.logschema.json;

import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.KubeField;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.IndexedRecord;

/**
 * Avro values to Kubernetes JSON: null optional fields are omitted, map keys are sorted
 * (as Go's encoding/json does, so output is deterministic whatever map the record holds),
 * bytes are base64, and numbers use the node type Jackson itself would parse them into
 * (an int-sized long is an IntNode), so a JSON text and its round trip compare equal.
 */
final class AvroToJson {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private AvroToJson() {}

  static ObjectNode record(IndexedRecord record, ObjectNode into) {
    for (Schema.Field field : record.getSchema().getFields()) {
      Object v = record.get(field.pos());
      if (v != null) {
        into.set(field.name(), value(field.schema(), KubeField.of(field).format().orElse(null), v));
      }
    }
    return into;
  }

  static JsonNode value(Schema schema, Object v) {
    return value(schema, null, v);
  }

  /** @param format the enclosing field's k8s.format: {@code json} strings are JSON text, written as the value they hold */
  static JsonNode value(Schema schema, String format, Object v) {
    if (v == null) {
      return NODES.nullNode();
    }
    switch (schema.getType()) {
      case UNION:
        return value(schema.getTypes().get(GenericData.get().resolveUnion(schema, v)), format, v);
      case STRING:
        if (KubeField.FORMAT_JSON.equals(format)) {
          return jsonText(v.toString());
        }
        return NODES.textNode(v.toString());
      case ENUM:
        return NODES.textNode(v.toString());
      case INT:
        return NODES.numberNode(((Number) v).intValue());
      case LONG: {
        long l = ((Number) v).longValue();
        return l == (int) l ? NODES.numberNode((int) l) : NODES.numberNode(l);
      }
      case FLOAT:
        return NODES.numberNode(((Number) v).floatValue());
      case DOUBLE:
        return NODES.numberNode(((Number) v).doubleValue());
      case BOOLEAN:
        return NODES.booleanNode((Boolean) v);
      case BYTES: {
        ByteBuffer b = ((ByteBuffer) v).duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return NODES.textNode(Base64.getEncoder().encodeToString(bytes));
      }
      case FIXED:
        return NODES.textNode(Base64.getEncoder().encodeToString(((GenericData.Fixed) v).bytes()));
      case ARRAY: {
        ArrayNode array = NODES.arrayNode();
        for (Object item : (Collection<?>) v) {
          array.add(value(schema.getElementType(), format, item));
        }
        return array;
      }
      case MAP: {
        ObjectNode object = NODES.objectNode();
        Map<?, ?> map = (Map<?, ?>) v;
        List<String> keys = new ArrayList<>(map.size());
        for (Object k : map.keySet()) {
          keys.add(k.toString());
        }
        keys.sort(null);
        // Keys may be Utf8 or String depending on who built the map; look up by either.
        for (String k : keys) {
          Object item = map.containsKey(k) ? map.get(k) : map.get(new org.apache.avro.util.Utf8(k));
          object.set(k, value(schema.getValueType(), format, item));
        }
        return object;
      }
      case RECORD: {
        // A kind's object inside another says what it is, as kube-apiserver writes a StatefulSet's
        // volumeClaimTemplates (apiVersion v1, kind PersistentVolumeClaim).
        ObjectNode object = NODES.objectNode();
        Kinds.bySchema(schema).ifPresent(k -> {
          object.put("apiVersion", k.apiVersion());
          object.put("kind", k.kind());
        });
        return record((IndexedRecord) v, object);
      }
      case NULL:
      default:
        return NODES.nullNode();
    }
  }

  private static JsonNode jsonText(String text) {
    try {
      return KubeJson.jsonMapper().readTree(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a json-format field holds text that is not JSON: " + e.getOriginalMessage(), e);
    }
  }
}
