package io.capstan.stateviews.history;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The field-level difference between two versions of an object (as Kubernetes JSON): each leaf
 * or subtree that was added, removed or replaced, with its path in the audit trail's spelling
 * ({@code spec.replicas}, {@code spec.containers[0].image}, {@code metadata.labels["app.kubernetes.io/name"]}).
 * {@code metadata.resourceVersion} and {@code metadata.managedFields} change with every write and
 * say nothing of what the write did: they are left out.
 */
public final class VersionDiff {
  private VersionDiff() {}

  /** One changed field; {@code from} is null when it was added, {@code to} when it was removed. */
  public record Change(String path, String op, JsonNode from, JsonNode to) {}

  public static List<Change> between(JsonNode before, JsonNode after) {
    List<Change> out = new ArrayList<>();
    walk("", before, after, out);
    return out;
  }

  private static void walk(String path, JsonNode a, JsonNode b, List<Change> out) {
    if (ignored(path)) {
      return;
    }
    boolean hasA = a != null && !a.isMissingNode() && !a.isNull();
    boolean hasB = b != null && !b.isMissingNode() && !b.isNull();
    if (!hasA && !hasB) {
      return;
    }
    if (!hasA) {
      out.add(new Change(path, "add", null, b));
    } else if (!hasB) {
      out.add(new Change(path, "remove", a, null));
    } else if (a.isObject() && b.isObject()) {
      TreeSet<String> fields = new TreeSet<>();
      a.fieldNames().forEachRemaining(fields::add);
      b.fieldNames().forEachRemaining(fields::add);
      for (String f : fields) {
        walk(child(path, f), a.get(f), b.get(f), out);
      }
    } else if (a.isArray() && b.isArray()) {
      for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
        walk(path + "[" + i + "]", a.get(i), b.get(i), out);
      }
    } else if (!a.equals(b)) {
      out.add(new Change(path, "replace", a, b));
    }
  }

  private static boolean ignored(String path) {
    return path.equals("metadata.resourceVersion") || path.equals("metadata.managedFields");
  }

  private static String child(String path, String field) {
    boolean plain = field.matches("[A-Za-z_$][A-Za-z0-9_$-]*");
    if (!plain) {
      return path + "[\"" + field.replace("\\", "\\\\").replace("\"", "\\\"") + "\"]";
    }
    return path.isEmpty() ? field : path + "." + field;
  }

  /** The changes as JSON: {@code [{"path": …, "op": …, "from": …, "to": …}]}. */
  public static void write(List<Change> changes, com.fasterxml.jackson.databind.node.ArrayNode into) {
    for (Change c : changes) {
      ObjectNode n = into.addObject();
      n.put("path", c.path()).put("op", c.op());
      if (c.from() != null) {
        n.set("from", c.from());
      }
      if (c.to() != null) {
        n.set("to", c.to());
      }
    }
  }
}
