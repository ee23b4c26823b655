package io.capstan.logschema.apply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.capstan.api.ObjectMeta;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.KubeField;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * The shapes of kinds: built-in kinds from their Avro schemas, whose {@code k8s.patchStrategy}
 * and {@code k8s.mergeKey} properties (the ones strategic merge patch reads) make a list
 * associative (merge key) or a set (merge without key), every other list atomic, except the lists
 * kube's OpenAPI keys by more fields than their merge key ({@code x-kubernetes-list-map-keys}, see
 * {@link #LIST_MAP_KEYS}); custom kinds
 * from their CRD's {@code x-kubernetes-list-type}, {@code x-kubernetes-list-map-keys} and
 * {@code x-kubernetes-map-type}.
 */
public final class Shapes {
  private static final Map<Schema, Shape> RECORDS = new ConcurrentHashMap<>();

  /**
   * The built-in lists kube's OpenAPI keys by more than their patch merge key (record.field to
   * {@code x-kubernetes-list-map-keys}); the other keyed lists' keys are their merge keys.
   */
  static final Map<String, List<String>> LIST_MAP_KEYS = Map.of(
      "Container.ports", List.of("containerPort", "protocol"),
      "EphemeralContainer.ports", List.of("containerPort", "protocol"),
      "ServiceSpec.ports", List.of("port", "protocol"),
      "PodSpec.topologySpreadConstraints", List.of("topologyKey", "whenUnsatisfiable"));

  /** Key fields an element may leave out, keyed by their OpenAPI default (a port's protocol is TCP). */
  private static final Map<String, JsonNode> KEY_DEFAULTS = Map.of("protocol", TextNode.valueOf("TCP"));

  private Shapes() {}

  public static Shape of(Kind kind) {
    if (kind.custom() && kind.openApiSchema() != null) {
      return ofOpenApi(kind.openApiSchema(), true);
    }
    return ofSchema(kind.schema());
  }

  /** The shape of a value of an Avro schema (a record's shape is built once and kept). */
  public static Shape ofSchema(Schema schema) {
    Schema s = KubeField.nonNull(schema);
    return switch (s.getType()) {
      case RECORD -> RECORDS.computeIfAbsent(s, Shapes::record);
      case MAP -> {
        Schema values = s.getValueType();
        yield Shape.struct(n -> ofSchema(values));
      }
      case ARRAY -> Shape.ATOMIC;
      default -> Shape.SCALAR;
    };
  }

  private static Shape record(Schema record) {
    Map<String, Shape> members = new ConcurrentHashMap<>();
    return Shape.struct(name -> {
      Shape known = members.get(name);
      if (known != null) {
        return known;
      }
      Schema.Field f = record.getField(name);
      if (f == null) {
        return null;
      }
      Shape made = ofField(record.getName(), f);
      members.put(name, made);
      return made;
    });
  }

  private static Shape ofField(String record, Schema.Field f) {
    KubeField kf = KubeField.of(f);
    if (kf.format().map(KubeField.FORMAT_JSON::equals).orElse(false)) {
      return Shape.ATOMIC;
    }
    Schema s = KubeField.nonNull(f.schema());
    if (s.getType() != Schema.Type.ARRAY) {
      return ofSchema(s);
    }
    boolean merge = kf.patchStrategy().map(p -> List.of(p.split(",")).contains("merge")).orElse(false);
    if (!merge) {
      return Shape.ATOMIC;
    }
    Schema element = s.getElementType();
    List<String> keys = LIST_MAP_KEYS.get(record + "." + f.name());
    if (keys != null) {
      Map<String, JsonNode> defaults = new java.util.HashMap<>();
      keys.stream().filter(KEY_DEFAULTS::containsKey).forEach(k -> defaults.put(k, KEY_DEFAULTS.get(k)));
      return Shape.listMap(keys, defaults, () -> ofSchema(element));
    }
    return kf.mergeKey().map(key -> Shape.listMap(List.of(key), () -> ofSchema(element))).orElse(Shape.SET);
  }

  /** The shape of an OpenAPI v3 (structural) schema; at a kind's root, metadata is ObjectMeta's. */
  public static Shape ofOpenApi(JsonNode schema, boolean root) {
    if (schema == null || !schema.isObject()) {
      return Shape.DEDUCED;
    }
    String type = schema.path("type").asText("");
    if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
      return Shape.SCALAR;
    }
    if (type.equals("array")) {
      String listType = schema.path("x-kubernetes-list-type").asText("atomic");
      JsonNode items = schema.get("items");
      if (listType.equals("set")) {
        return Shape.SET;
      }
      if (listType.equals("map")) {
        List<String> keys = new ArrayList<>();
        schema.path("x-kubernetes-list-map-keys").forEach(k -> keys.add(k.asText()));
        return Shape.listMap(keys, () -> ofOpenApi(items, false));
      }
      return Shape.ATOMIC;
    }
    if (type.equals("object") || (type.isEmpty() && (schema.has("properties") || schema.has("additionalProperties")))) {
      if (schema.path("x-kubernetes-map-type").asText("").equals("atomic")) {
        return Shape.ATOMIC;
      }
      JsonNode properties = schema.path("properties");
      JsonNode additional = schema.get("additionalProperties");
      if (!properties.isObject() && (additional == null || !additional.isObject())) {
        return Shape.DEDUCED; // x-kubernetes-preserve-unknown-fields, or an open object
      }
      return Shape.struct(name -> {
        if (root && name.equals("metadata")) {
          return ofSchema(ObjectMeta.getClassSchema());
        }
        JsonNode p = properties.get(name);
        if (p != null) {
          return ofOpenApi(p, false);
        }
        return additional != null && additional.isObject() ? ofOpenApi(additional, false) : null;
      });
    }
    return type.isEmpty() ? Shape.DEDUCED : Shape.SCALAR;
  }
}
