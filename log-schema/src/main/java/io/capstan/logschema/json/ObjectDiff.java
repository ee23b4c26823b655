package io.capstan.logschema.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.IndexedRecord;

/**
 * What changed between two versions of an object, computed on their Kubernetes JSON
 * ({@link KubeJson#toJson}): the paths of changed fields and an RFC 7386 merge patch from
 * before to after. Deterministic: {@code toJson} orders record fields by schema and map keys
 * alphabetically, and the walk follows that order.
 */
public final class ObjectDiff {
  private ObjectDiff() {}

  /**
   * @param changedPaths paths of the changed fields, leaf-ish: the deepest object member that
   *                     differs ({@code spec.replicas}, {@code metadata.labels.app}); list
   *                     elements by index when a list keeps its length
   *                     ({@code spec.containers[0].image}), the whole list when it does not
   * @param mergePatch   RFC 7386 merge patch (compact JSON) turning before into after; {@code "{}"}
   *                     when nothing changed; null when either side is missing (create, delete)
   */
  public record Diff(List<String> changedPaths, String mergePatch) {
    public Diff {
      changedPaths = List.copyOf(changedPaths);
    }

    public boolean isEmpty() {
      return changedPaths.isEmpty();
    }
  }

  public static Diff diff(IndexedRecord before, IndexedRecord after) {
    if (before == null || after == null) {
      return new Diff(List.of(), null);
    }
    return diff(KubeJson.toJson(before), KubeJson.toJson(after));
  }

  /** The same diff on two JSON objects. */
  public static Diff diff(ObjectNode before, ObjectNode after) {
    List<String> paths = new ArrayList<>();
    changedPaths(before, after, "", paths);
    ObjectNode patch = mergePatch(before, after);
    try {
      return new Diff(paths, KubeJson.jsonMapper().writeValueAsString(patch));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("serializing a JSON tree cannot fail", e);
    }
  }

  /** RFC 7386: members removed become null, changed objects recurse, anything else is replaced whole. */
  public static ObjectNode mergePatch(ObjectNode before, ObjectNode after) {
    ObjectNode patch = JsonNodeFactory.instance.objectNode();
    Iterator<Map.Entry<String, JsonNode>> members = after.fields();
    while (members.hasNext()) {
      Map.Entry<String, JsonNode> m = members.next();
      JsonNode old = before.get(m.getKey());
      JsonNode now = m.getValue();
      if (old == null || !old.isObject() || !now.isObject()) {
        if (!now.equals(old)) {
          patch.set(m.getKey(), now);
        }
      } else {
        ObjectNode nested = mergePatch((ObjectNode) old, (ObjectNode) now);
        if (!nested.isEmpty()) {
          patch.set(m.getKey(), nested);
        }
      }
    }
    Iterator<String> names = before.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!after.has(name)) {
        patch.putNull(name);
      }
    }
    return patch;
  }

  private static void changedPaths(JsonNode before, JsonNode after, String path, List<String> out) {
    if (before.equals(after)) {
      return;
    }
    if (before.isObject() && after.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> members = after.fields();
      while (members.hasNext()) {
        Map.Entry<String, JsonNode> m = members.next();
        JsonNode old = before.get(m.getKey());
        String childPath = FieldPath.key(path, m.getKey());
        if (old == null) {
          out.add(childPath);
        } else {
          changedPaths(old, m.getValue(), childPath, out);
        }
      }
      Iterator<String> names = before.fieldNames();
      while (names.hasNext()) {
        String name = names.next();
        if (!after.has(name)) {
          out.add(FieldPath.key(path, name));
        }
      }
    } else if (before.isArray() && after.isArray() && before.size() == after.size()) {
      for (int i = 0; i < after.size(); i++) {
        changedPaths(before.get(i), after.get(i), FieldPath.index(path, i), out);
      }
    } else {
      out.add(path);
    }
  }
}
