package io.capstan.logschema.crd;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.logschema.validation.FieldError;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The structural-schema rules apiextensions.k8s.io/v1 requires of every version's OpenAPI v3
 * schema (Kubernetes "Specifying a structural schema"): a non-empty type everywhere a value is
 * specified (except where {@code x-kubernetes-int-or-string} or {@code
 * x-kubernetes-preserve-unknown-fields} leaves it open), arrays with items, objects with
 * properties or additionalProperties but not both, no {@code $ref}, and a {@code metadata} that
 * specifies nothing but name and generateName. Paths are written as Kubernetes writes them:
 * {@code ...openAPIV3Schema.properties[spec].type}.
 */
final class StructuralSchema {
  private static final Set<String> TYPES = Set.of("object", "array", "string", "integer", "number", "boolean");
  private static final List<String> TYPE_LIST = List.of("array", "boolean", "integer", "number", "object", "string");

  private StructuralSchema() {}

  static void check(JsonNode root, String path, List<FieldError> errors) {
    if (root == null || !root.isObject()) {
      errors.add(FieldError.invalid(path, "non-object", "must be a schema object"));
      return;
    }
    String type = root.path("type").asText("");
    if (type.isEmpty()) {
      errors.add(FieldError.required(path + ".type", "must not be empty at the root"));
    } else if (!type.equals("object")) {
      errors.add(FieldError.invalid(path + ".type", type, "must be object at the root"));
    }
    JsonNode metadata = root.path("properties").path("metadata");
    if (metadata.isObject()) {
      checkMetadata(metadata, path + ".properties[metadata]", errors);
    }
    node(root, path, true, "at the root", errors);
  }

  private static void checkMetadata(JsonNode metadata, String path, List<FieldError> errors) {
    for (Iterator<String> it = metadata.fieldNames(); it.hasNext(); ) {
      String member = it.next();
      if (!member.equals("type") && !member.equals("properties")) {
        errors.add(FieldError.forbidden(path, "must not specify anything other than name and generateName, but "
            + member + " is specified"));
        return;
      }
    }
    for (Iterator<String> it = metadata.path("properties").fieldNames(); it.hasNext(); ) {
      String p = it.next();
      if (!p.equals("name") && !p.equals("generateName")) {
        errors.add(FieldError.forbidden(path, "must not specify anything other than name and generateName, but "
            + "metadata." + p + " is specified"));
        return;
      }
    }
  }

  private static void node(JsonNode s, String path, boolean root, String where, List<FieldError> errors) {
    if (s.has("$ref")) {
      errors.add(FieldError.forbidden(path + ".$ref", "$ref is not supported"));
    }
    boolean intOrString = s.path("x-kubernetes-int-or-string").asBoolean(false);
    boolean preserve = s.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    boolean embedded = s.path("x-kubernetes-embedded-resource").asBoolean(false);
    String type = s.path("type").asText("");
    if (!root) {
      if (type.isEmpty() && !intOrString && !preserve) {
        errors.add(FieldError.required(path + ".type", "must not be empty for specified " + where));
      } else if (!type.isEmpty() && !TYPES.contains(type)) {
        errors.add(FieldError.notSupported(path + ".type", type, TYPE_LIST));
      }
    }
    if (intOrString && !type.isEmpty()) {
      errors.add(FieldError.invalid(path + ".type", type, "must be empty if x-kubernetes-int-or-string is true"));
    }
    if (embedded && !type.equals("object")) {
      errors.add(FieldError.invalid(path + ".type", type, "must be object if x-kubernetes-embedded-resource is true"));
    }
    if (s.has("properties") && s.has("additionalProperties")
        && !(s.get("additionalProperties").isBoolean() && !s.get("additionalProperties").asBoolean())) {
      errors.add(FieldError.forbidden(path + ".additionalProperties",
          "additionalProperties and properties are mutual exclusive"));
    }
    if ((s.has("properties") || s.has("additionalProperties")) && !type.equals("object") && !type.isEmpty()) {
      errors.add(FieldError.invalid(path + ".type", type, "must be object if properties or additionalProperties are given"));
    }
    listAndMapTypes(s, path, type, errors);
    if (type.equals("array")) {
      JsonNode items = s.get("items");
      if (items == null) {
        errors.add(FieldError.required(path + ".items", "must be specified"));
      } else if (!items.isObject()) {
        errors.add(FieldError.forbidden(path + ".items", "items must be a schema object and not an array"));
      } else {
        node(items, path + ".items", false, "array items", errors);
      }
    }
    JsonNode properties = s.get("properties");
    if (properties != null && properties.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> p = it.next();
        if (root && p.getKey().equals("metadata")) {
          continue; // checked on its own
        }
        if (!p.getValue().isObject()) {
          errors.add(FieldError.invalid(path + ".properties[" + p.getKey() + "]", "non-object", "must be a schema"));
          continue;
        }
        node(p.getValue(), path + ".properties[" + p.getKey() + "]", false, "object fields", errors);
      }
    }
    JsonNode additional = s.get("additionalProperties");
    if (additional != null && additional.isObject()) {
      node(additional, path + ".additionalProperties", false, "object fields", errors);
    }
    JsonNode dflt = s.get("default");
    if (dflt != null && root) {
      errors.add(FieldError.forbidden(path + ".default", "must not be set at the root"));
    } else if (dflt != null && !(dflt.isNull() && s.path("nullable").asBoolean(false))) {
      // A default must itself be valid (kube-apiserver validates it against its schema).
      errors.addAll(CustomObjects.validateValue(s, dflt, path + ".default"));
    }
  }

  /**
   * {@code x-kubernetes-list-type}, {@code x-kubernetes-list-map-keys} and {@code
   * x-kubernetes-map-type} as kube-apiserver checks them on a new definition: the types they apply
   * to, their values, map keys that are scalar properties of the items, required or defaulted and
   * not nullable, and items of set lists that are atomic and of set and map lists not nullable.
   */
  private static void listAndMapTypes(JsonNode s, String path, String type, List<FieldError> errors) {
    JsonNode mapType = s.get("x-kubernetes-map-type");
    if (mapType != null && !type.equals("object")) {
      errors.add(type.isEmpty() ? FieldError.required(path + ".type", "must be object if x-kubernetes-map-type is specified")
          : FieldError.invalid(path + ".type", type, "must be object if x-kubernetes-map-type is specified"));
    }
    if (mapType != null && !mapType.asText().equals("atomic") && !mapType.asText().equals("granular")) {
      errors.add(FieldError.notSupported(path + ".x-kubernetes-map-type", mapType.asText(), List.of("atomic", "granular")));
    }
    JsonNode listTypeNode = s.get("x-kubernetes-list-type");
    String listType = listTypeNode == null ? null : listTypeNode.asText();
    JsonNode items = s.get("items");
    if (listType != null && !type.equals("array")) {
      errors.add(type.isEmpty() ? FieldError.required(path + ".type", "must be array if x-kubernetes-list-type is specified")
          : FieldError.invalid(path + ".type", type, "must be array if x-kubernetes-list-type is specified"));
    } else if ("set".equals(listType) && items != null && items.isObject()) {
      String itemType = items.path("type").asText("");
      if (itemType.equals("array") && items.has("x-kubernetes-list-type")
          && !items.get("x-kubernetes-list-type").asText().equals("atomic")) {
        errors.add(FieldError.invalid(path + ".items.x-kubernetes-list-type", items.get("x-kubernetes-list-type").asText(),
            "must be atomic as item of a list with x-kubernetes-list-type=set"));
      } else if (itemType.equals("object") && !items.path("x-kubernetes-map-type").asText("").equals("atomic")) {
        errors.add(FieldError.invalid(path + ".items.x-kubernetes-map-type", items.path("x-kubernetes-map-type").asText(""),
            "must be atomic as item of a list with x-kubernetes-list-type=set"));
      }
    }
    if (listType != null && !List.of("atomic", "set", "map").contains(listType)) {
      errors.add(FieldError.notSupported(path + ".x-kubernetes-list-type", listType, List.of("atomic", "set", "map")));
    }
    JsonNode keys = s.get("x-kubernetes-list-map-keys");
    boolean hasKeys = keys != null && keys.isArray() && !keys.isEmpty();
    if (hasKeys && listType == null) {
      errors.add(FieldError.required(path + ".x-kubernetes-list-type", "must be map if x-kubernetes-list-map-keys is non-empty"));
    } else if (hasKeys && !listType.equals("map")) {
      errors.add(FieldError.invalid(path + ".x-kubernetes-list-type", listType,
          "must be map if x-kubernetes-list-map-keys is non-empty"));
    }
    if ("map".equals(listType)) {
      if (!hasKeys) {
        errors.add(FieldError.required(path + ".x-kubernetes-list-map-keys", "must not be empty if x-kubernetes-list-type is map"));
      }
      if (items == null) {
        errors.add(FieldError.required(path + ".items", "must have a schema if x-kubernetes-list-type is map"));
      } else if (items.isObject() && !items.path("type").asText("").equals("object")) {
        errors.add(FieldError.invalid(path + ".items.type", items.path("type").asText(""),
            "must be object if parent array's x-kubernetes-list-type is map"));
      } else if (items.isObject() && hasKeys) {
        Set<String> seen = new java.util.HashSet<>();
        List<String> required = new java.util.ArrayList<>();
        items.path("required").forEach(r -> required.add(r.asText()));
        for (JsonNode k : keys) {
          String key = k.asText();
          JsonNode p = items.path("properties").get(key);
          String at = path + ".items.properties[" + key + "]";
          if (p == null || !p.isObject()) {
            errors.add(invalidKeys(path, keys, "entries must all be names of item properties"));
          } else {
            String keyType = p.path("type").asText("");
            if (keyType.equals("array") || keyType.equals("object")) {
              errors.add(FieldError.invalid(at + ".type", keyType, "must be a scalar type if parent array's "
                  + "x-kubernetes-list-type is map"));
            }
            if (!required.contains(key) && !p.has("default")) {
              errors.add(FieldError.required(at + ".default", "this property is in x-kubernetes-list-map-keys, "
                  + "so it must have a default or be a required property"));
            }
            if (p.path("nullable").asBoolean(false)) {
              errors.add(FieldError.forbidden(at + ".nullable", "this property is in x-kubernetes-list-map-keys, "
                  + "so it cannot be nullable"));
            }
          }
          if (!seen.add(key)) {
            errors.add(invalidKeys(path, keys, "must not contain duplicate entries"));
          }
        }
      }
    }
    if (("set".equals(listType) || "map".equals(listType)) && items != null && items.path("nullable").asBoolean(false)) {
      errors.add(FieldError.forbidden(path + ".items.nullable", "cannot be nullable when x-kubernetes-list-type is "
          + listType));
    }
  }

  /** The map keys as Go prints a []string: {@code []string{"name", "name"}}. */
  private static FieldError invalidKeys(String path, JsonNode keys, String detail) {
    StringBuilder shown = new StringBuilder("[]string{");
    for (int i = 0; i < keys.size(); i++) {
      shown.append(i == 0 ? "" : ", ").append('"').append(keys.get(i).asText()).append('"');
    }
    return new FieldError(path + ".x-kubernetes-list-map-keys", "FieldValueInvalid",
        "Invalid value: " + shown.append('}') + ": " + detail);
  }
}
