package io.capstan.stateviews.informer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/**
 * Reads fields of any kind's record by JSON path, through the Avro schema: every kind shares
 * {@code metadata} (ObjectMeta), so the built-in indexes work for kinds that exist only as
 * schemas. Paths that a kind does not have read as absent.
 */
final class ObjectFields {
  private ObjectFields() {}

  /** The value at a dotted path ({@code spec.nodeName}), or null when any step is absent. */
  static Object at(IndexedRecord record, String[] path) {
    Object cur = record;
    for (String step : path) {
      if (!(cur instanceof IndexedRecord r)) {
        return null;
      }
      Schema.Field f = r.getSchema().getField(step);
      if (f == null) {
        return null;
      }
      cur = r.get(f.pos());
    }
    return cur;
  }

  /** Scalars as one string, lists as one string per element; maps and records are not index values. */
  static Collection<String> strings(Object value) {
    if (value == null || value instanceof Map || value instanceof IndexedRecord) {
      return List.of();
    }
    if (value instanceof Collection<?> c) {
      List<String> out = new ArrayList<>(c.size());
      for (Object o : c) {
        if (o != null && !(o instanceof Map) && !(o instanceof IndexedRecord)) {
          out.add(o.toString());
        }
      }
      return out;
    }
    return List.of(value.toString());
  }

  static String string(IndexedRecord record, String[] path) {
    Object v = at(record, path);
    return v == null ? null : v.toString();
  }

  @SuppressWarnings("unchecked")
  static Map<? extends CharSequence, ? extends CharSequence> map(IndexedRecord record, String[] path) {
    Object v = at(record, path);
    return v instanceof Map ? (Map<? extends CharSequence, ? extends CharSequence>) v : Map.of();
  }

  static List<?> list(IndexedRecord record, String[] path) {
    Object v = at(record, path);
    return v instanceof List<?> l ? l : List.of();
  }

  static String[] path(String dotted) {
    if (dotted == null || dotted.isEmpty() || dotted.startsWith(".") || dotted.endsWith(".") || dotted.contains("..")) {
      throw new IllegalArgumentException("not a field path (like spec.nodeName): \"" + dotted + "\"");
    }
    return dotted.split("\\.");
  }
}
