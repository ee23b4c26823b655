package io.capstan.logschema.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.kinds.KubeField;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;

/**
 * Kubernetes strategic merge patch, with list behaviour taken from the schema's field
 * properties the way k8s.io/apimachinery's strategicpatch takes it from Go struct tags:
 *
 * <ul>
 *   <li>Objects merge member by member; {@code null} deletes a member (as in RFC 7386).</li>
 *   <li>A list whose field has {@code k8s.patchStrategy} "merge" and a {@code k8s.mergeKey} merges
 *       element by element, matched on the merge key (containers by {@code name}, ports by
 *       {@code containerPort}); new elements are appended. A merged list of scalars
 *       (finalizers) is a set union. Any other list (tolerations, args) is replaced whole.</li>
 *   <li>Directives: {@code $patch: replace} on an object replaces it, as a list element replaces
 *       the whole list; {@code $patch: delete} on an object deletes it, as a list element deletes
 *       the element with that merge key; {@code $patch: merge} is the default.
 *       {@code $retainKeys: [..]} drops every member of the original not named (the
 *       "retainKeys" strategy of Deployment.spec.strategy and pod volumes).
 *       {@code $deleteFromPrimitiveList/<field>: [..]} removes values from a merged scalar list;
 *       {@code $setElementOrder/<field>: [..]} orders a merged list (as kubectl apply sends it).</li>
 * </ul>
 *
 * Fields the schema does not know are treated like plain fields (lists replaced), so the
 * result can still be checked by the JSON conversion, which reports them.
 */
public final class StrategicMergePatch {
  static final String PATCH = "$patch";
  static final String RETAIN_KEYS = "$retainKeys";
  static final String DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/";
  static final String SET_ELEMENT_ORDER = "$setElementOrder/";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private StrategicMergePatch() {}

  /**
   * Applies {@code patch} to a copy of {@code original}, the Kubernetes JSON of an object whose
   * record schema is {@code schema} (a kind's schema, or any nested record of the model).
   */
  public static ObjectNode apply(Schema schema, ObjectNode original, JsonNode patch) {
    if (patch == null || !patch.isObject()) {
      throw PatchException.malformed("a strategic merge patch must be a JSON object, got "
          + (patch == null ? "nothing" : patch.getNodeType().toString().toLowerCase()));
    }
    ObjectNode merged = mergeObject(original.deepCopy(), (ObjectNode) patch, schema, "");
    if (merged == null) {
      throw PatchException.cannotApply("$patch: delete cannot delete the whole object; use DELETE");
    }
    return merged;
  }

  /** Merges into {@code original} (owned, modified in place); null means "delete this object". */
  private static ObjectNode mergeObject(ObjectNode original, ObjectNode patch, Schema schema, String path) {
    JsonNode directive = patch.get(PATCH);
    if (directive != null) {
      String d = directive.isTextual() ? directive.textValue() : directive.toString();
      switch (d) {
        case "replace" -> {
          return withoutDirectives(patch);
        }
        case "delete" -> {
          return null;
        }
        case "merge" -> { }
        default -> throw PatchException.malformed(at(path, PATCH) + ": unknown directive \"" + d
            + "\"; expected replace, delete or merge");
      }
    }
    JsonNode retainKeys = patch.get(RETAIN_KEYS);
    if (retainKeys != null) {
      Set<String> keep = stringSet(retainKeys, at(path, RETAIN_KEYS));
      for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
        String key = it.next().getKey();
        if (!key.startsWith("$") && !keep.contains(key)) {
          throw PatchException.malformed(at(path, RETAIN_KEYS) + ": \"" + key
              + "\" is patched but not listed in $retainKeys");
        }
      }
      original.retain(keep);
    }
    Map<String, JsonNode> deleteFromLists = new LinkedHashMap<>();
    Map<String, JsonNode> elementOrders = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> member = it.next();
      String key = member.getKey();
      JsonNode value = member.getValue();
      if (key.equals(PATCH) || key.equals(RETAIN_KEYS)) {
        continue;
      }
      if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
        deleteFromLists.put(key.substring(DELETE_FROM_PRIMITIVE_LIST.length()), value);
        continue;
      }
      if (key.startsWith(SET_ELEMENT_ORDER)) {
        elementOrders.put(key.substring(SET_ELEMENT_ORDER.length()), value);
        continue;
      }
      if (key.startsWith("$")) {
        throw PatchException.malformed(at(path, key) + ": unknown directive; expected $patch, $retainKeys, "
            + "$deleteFromPrimitiveList/<field> or $setElementOrder/<field>");
      }
      String childPath = at(path, key);
      if (value.isNull()) {
        original.remove(key);
        continue;
      }
      Schema.Field field = field(schema, key);
      Schema childSchema = childSchema(schema, key);
      JsonNode current = original.get(key);
      if (value.isObject()) {
        ObjectNode base = current != null && current.isObject() ? (ObjectNode) current : NODES.objectNode();
        ObjectNode merged = mergeObject(base, (ObjectNode) value, childSchema, childPath);
        if (merged == null) {
          original.remove(key);
        } else {
          original.set(key, merged);
        }
      } else if (value.isArray()) {
        if (field != null && isMergeList(field)) {
          ArrayNode base = current != null && current.isArray() ? (ArrayNode) current : NODES.arrayNode();
          Schema element = childSchema != null && childSchema.getType() == Schema.Type.ARRAY
              ? KubeField.nonNull(childSchema.getElementType()) : null;
          original.set(key, mergeList(base, (ArrayNode) value, element,
              KubeField.of(field).mergeKey().orElse(null), childPath));
        } else {
          original.set(key, replacedList((ArrayNode) value, childPath));
        }
      } else {
        original.set(key, value.deepCopy());
      }
    }
    for (Map.Entry<String, JsonNode> e : deleteFromLists.entrySet()) {
      deleteFromPrimitiveList(original, e.getKey(), e.getValue(), path);
    }
    for (Map.Entry<String, JsonNode> e : elementOrders.entrySet()) {
      Schema.Field field = field(schema, e.getKey());
      setElementOrder(original, e.getKey(), e.getValue(),
          field == null ? null : KubeField.of(field).mergeKey().orElse(null), path);
    }
    return original;
  }

  private static ArrayNode mergeList(ArrayNode original, ArrayNode patch, Schema element, String mergeKey,
      String path) {
    // A {"$patch": "replace"} element replaces the whole list with the other elements.
    for (JsonNode item : patch) {
      if (item.isObject() && "replace".equals(item.path(PATCH).asText(null)) && item.size() == 1) {
        ArrayNode replaced = NODES.arrayNode();
        for (JsonNode other : patch) {
          if (other != item) {
            replaced.add(other.isObject() ? withoutDirectives((ObjectNode) other) : other.deepCopy());
          }
        }
        return replaced;
      }
    }
    ArrayNode result = original.deepCopy();
    if (mergeKey == null) {
      // A merged list of scalars is a set: append what is not already there.
      for (JsonNode item : patch) {
        if (item.isObject() || item.isArray()) {
          throw PatchException.malformed(path + ": this list merges scalar values; got " + item);
        }
        if (!contains(result, item)) {
          result.add(item.deepCopy());
        }
      }
      return result;
    }
    for (int i = 0; i < patch.size(); i++) {
      JsonNode item = patch.get(i);
      String itemPath = path + "[" + i + "]";
      if (!item.isObject()) {
        throw PatchException.malformed(itemPath + ": expected an object with merge key \"" + mergeKey
            + "\", got " + item);
      }
      JsonNode key = item.get(mergeKey);
      if (key == null || key.isNull()) {
        throw PatchException.malformed(itemPath + ": does not contain declared merge key \"" + mergeKey + "\"");
      }
      int at = indexOf(result, mergeKey, key);
      String d = item.path(PATCH).asText("merge");
      if (d.equals("delete")) {
        while (at >= 0) {
          result.remove(at);
          at = indexOf(result, mergeKey, key);
        }
        continue;
      }
      ObjectNode base = at >= 0 && result.get(at).isObject() ? (ObjectNode) result.get(at) : NODES.objectNode();
      ObjectNode merged = mergeObject(base, (ObjectNode) item, element, itemPath);
      if (at >= 0) {
        result.set(at, merged);
      } else {
        result.add(merged);
      }
    }
    return result;
  }

  private static ArrayNode replacedList(ArrayNode patch, String path) {
    ArrayNode out = NODES.arrayNode();
    for (JsonNode item : patch) {
      out.add(item.isObject() ? withoutDirectives((ObjectNode) item) : item.deepCopy());
    }
    return out;
  }

  private static void deleteFromPrimitiveList(ObjectNode target, String field, JsonNode values, String path) {
    String where = at(path, DELETE_FROM_PRIMITIVE_LIST + field);
    if (!values.isArray()) {
      throw PatchException.malformed(where + ": expected a list of values to delete");
    }
    JsonNode list = target.get(field);
    if (list == null || !list.isArray()) {
      return;
    }
    ArrayNode kept = NODES.arrayNode();
    for (JsonNode v : list) {
      if (!contains((ArrayNode) values, v)) {
        kept.add(v);
      }
    }
    target.set(field, kept);
  }

  /**
   * Orders the list named in {@code $setElementOrder/<field>}: listed elements first in the
   * given order, then the others in their current order.
   */
  private static void setElementOrder(ObjectNode target, String field, JsonNode order, String mergeKey,
      String path) {
    String where = at(path, SET_ELEMENT_ORDER + field);
    if (!order.isArray()) {
      throw PatchException.malformed(where + ": expected a list");
    }
    JsonNode list = target.get(field);
    if (list == null || !list.isArray()) {
      return;
    }
    List<JsonNode> remaining = new ArrayList<>();
    list.forEach(remaining::add);
    ArrayNode ordered = NODES.arrayNode();
    for (JsonNode wanted : order) {
      JsonNode key = mergeKey != null && wanted.isObject() ? wanted.get(mergeKey) : wanted;
      if (key == null) {
        throw PatchException.malformed(where + ": element " + wanted + " lacks merge key \"" + mergeKey + "\"");
      }
      for (Iterator<JsonNode> it = remaining.iterator(); it.hasNext(); ) {
        JsonNode candidate = it.next();
        JsonNode candidateKey = mergeKey != null && candidate.isObject() ? candidate.get(mergeKey) : candidate;
        if (key.equals(candidateKey)) {
          ordered.add(candidate);
          it.remove();
          break;
        }
      }
    }
    remaining.forEach(ordered::add);
    target.set(field, ordered);
  }

  private static boolean isMergeList(Schema.Field field) {
    return KubeField.of(field).patchStrategy().map(s -> List.of(s.split(",")).contains("merge")).orElse(false);
  }

  private static Schema.Field field(Schema schema, String name) {
    return schema != null && schema.getType() == Schema.Type.RECORD ? schema.getField(name) : null;
  }

  /** The schema of a member: a record's field, a map's value; null when unknown. */
  private static Schema childSchema(Schema schema, String name) {
    if (schema == null) {
      return null;
    }
    return switch (schema.getType()) {
      case RECORD -> {
        Schema.Field f = schema.getField(name);
        yield f == null ? null : KubeField.nonNull(f.schema());
      }
      case MAP -> KubeField.nonNull(schema.getValueType());
      default -> null;
    };
  }

  private static ObjectNode withoutDirectives(ObjectNode node) {
    ObjectNode copy = node.deepCopy();
    copy.remove(PATCH);
    copy.remove(RETAIN_KEYS);
    List<String> directives = new ArrayList<>();
    copy.fieldNames().forEachRemaining(n -> {
      if (n.startsWith(DELETE_FROM_PRIMITIVE_LIST) || n.startsWith(SET_ELEMENT_ORDER)) {
        directives.add(n);
      }
    });
    copy.remove(directives);
    return copy;
  }

  private static int indexOf(ArrayNode list, String mergeKey, JsonNode key) {
    for (int i = 0; i < list.size(); i++) {
      if (key.equals(list.get(i).get(mergeKey))) {
        return i;
      }
    }
    return -1;
  }

  private static boolean contains(ArrayNode list, JsonNode value) {
    for (JsonNode v : list) {
      if (v.equals(value)) {
        return true;
      }
    }
    return false;
  }

  private static Set<String> stringSet(JsonNode list, String where) {
    if (!list.isArray()) {
      throw PatchException.malformed(where + ": expected a list of field names");
    }
    Set<String> out = new HashSet<>();
    for (JsonNode n : list) {
      if (!n.isTextual()) {
        throw PatchException.malformed(where + ": expected field names, got " + n);
      }
      out.add(n.textValue());
    }
    return out;
  }

  private static String at(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }
}
