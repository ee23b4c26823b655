package io.capstan.logschema.apply;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.KubeField;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/**
 * The field sets of {@link ObjectFieldSets}, read from the stored records themselves: what a
 * write's Update entry needs (the fields a create sets, the fields an update changes or removes)
 * without rendering the object as JSON. Subtrees that are equal are skipped whole.
 */
public final class RecordFieldSets {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private RecordFieldSets() {}

  /** What an update changed (set anew or to another value) and what it removed. */
  public record Diff(FieldSet changed, FieldSet removed) {
    public boolean isEmpty() {
      return changed.isEmpty() && removed.isEmpty();
    }
  }

  /** The fields {@code record} sets (the root itself is not a member). */
  public static FieldSet of(Shape shape, IndexedRecord record) {
    FieldSet set = new FieldSet();
    members(shape, record, set);
    return set;
  }

  /** The fields set or changed from {@code before} to {@code after}, and those removed. */
  public static Diff diff(Shape shape, IndexedRecord before, IndexedRecord after) {
    FieldSet changed = new FieldSet();
    FieldSet removed = new FieldSet();
    diffRecords(shape, before, after, changed, removed);
    return new Diff(changed, removed);
  }

  private static void members(Shape shape, IndexedRecord record, FieldSet at) {
    for (Schema.Field f : record.getSchema().getFields()) {
      Object v = record.get(f.pos());
      if (v != null) {
        value(shape.member(f.name()), f.schema(), v, at.child(PathElements.field(f.name())));
      }
    }
  }

  private static void value(Shape shape, Schema schema, Object v, FieldSet at) {
    Schema s = KubeField.nonNull(schema);
    boolean object = v instanceof IndexedRecord || v instanceof Map;
    boolean array = v instanceof Collection;
    switch (shape.form(object, array)) {
      case STRUCT -> {
        if (v instanceof IndexedRecord r) {
          members(shape, r, at);
        } else {
          sorted((Map<?, ?>) v).forEach((k, item) -> {
            if (item != null) {
              value(shape.member(k), s.getValueType(), item, at.child(PathElements.field(k)));
            }
          });
        }
        if (at.bare()) {
          at.member(true); // an empty struct or map is a field of its own
        }
      }
      case LIST_MAP -> {
        Collection<?> list = (Collection<?>) v;
        if (list.isEmpty()) {
          at.member(true);
        }
        for (Object e : list) {
          if (!(e instanceof IndexedRecord r)) {
            at.member(true);
            continue;
          }
          FieldSet item = at.child(key(r, shape));
          item.member(true);
          members(shape.element(), r, item);
        }
      }
      case LIST_SET -> {
        Collection<?> list = (Collection<?>) v;
        if (list.isEmpty()) {
          at.member(true);
        }
        for (Object e : list) {
          at.child(PathElements.value(KubeJson.valueToJson(s.getElementType(), e))).member(true);
        }
      }
      default -> at.member(true);
    }
  }

  private static void diffRecords(Shape shape, IndexedRecord a, IndexedRecord b, FieldSet changed, FieldSet removed) {
    for (Schema.Field f : b.getSchema().getFields()) {
      Schema.Field fa = a.getSchema().getField(f.name());
      Object va = fa == null ? null : a.get(fa.pos());
      Object vb = b.get(f.pos());
      String e = PathElements.field(f.name());
      diffValues(shape.member(f.name()), f.schema(), va, vb, e, changed, removed);
    }
  }

  private static void diffValues(Shape shape, Schema schema, Object a, Object b, String element, FieldSet changed,
      FieldSet removed) {
    if (Objects.equals(a, b)) {
      return;
    }
    if (b == null) {
      value(shape, schema, a, removed.child(element));
      return;
    }
    if (a == null) {
      value(shape, schema, b, changed.child(element));
      return;
    }
    Schema s = KubeField.nonNull(schema);
    boolean objects = (a instanceof IndexedRecord && b instanceof IndexedRecord) || (a instanceof Map && b instanceof Map);
    boolean arrays = a instanceof Collection && b instanceof Collection;
    Shape.Form form = shape.form(objects, arrays);
    FieldSet c = changed.child(element);
    FieldSet r = removed.child(element);
    switch (form) {
      case STRUCT -> {
        if (a instanceof IndexedRecord ra) {
          diffRecords(shape, ra, (IndexedRecord) b, c, r);
        } else {
          Map<String, Object> ma = sorted((Map<?, ?>) a);
          Map<String, Object> mb = sorted((Map<?, ?>) b);
          for (Map.Entry<String, Object> m : mb.entrySet()) {
            diffValues(shape.member(m.getKey()), s.getValueType(), ma.get(m.getKey()), m.getValue(),
                PathElements.field(m.getKey()), c, r);
          }
          for (Map.Entry<String, Object> m : ma.entrySet()) {
            if (!mb.containsKey(m.getKey()) && m.getValue() != null) {
              value(shape.member(m.getKey()), s.getValueType(), m.getValue(), r.child(PathElements.field(m.getKey())));
            }
          }
        }
        if (isEmpty(b)) {
          c.member(true); // emptied: the empty struct or map is a field of its own
        }
      }
      case LIST_MAP -> {
        Map<String, IndexedRecord> ea = elements((Collection<?>) a, shape);
        Map<String, IndexedRecord> eb = elements((Collection<?>) b, shape);
        if (ea == null || eb == null) {
          c.member(true); // not keyed records after all: the list as one field
          break;
        }
        for (Map.Entry<String, IndexedRecord> m : eb.entrySet()) {
          IndexedRecord was = ea.get(m.getKey());
          if (was == null) {
            FieldSet item = c.child(m.getKey());
            item.member(true);
            members(shape.element(), m.getValue(), item);
          } else if (!was.equals(m.getValue())) {
            diffRecords(shape.element(), was, m.getValue(), c.child(m.getKey()), r.child(m.getKey()));
          }
        }
        for (Map.Entry<String, IndexedRecord> m : ea.entrySet()) {
          if (!eb.containsKey(m.getKey())) {
            FieldSet item = r.child(m.getKey());
            item.member(true);
            members(shape.element(), m.getValue(), item);
          }
        }
        if (((Collection<?>) b).isEmpty()) {
          c.member(true);
        }
      }
      case LIST_SET -> {
        List<String> va = setValues(s, (Collection<?>) a);
        List<String> vb = setValues(s, (Collection<?>) b);
        vb.stream().filter(v -> !va.contains(v)).forEach(v -> c.child(v).member(true));
        va.stream().filter(v -> !vb.contains(v)).forEach(v -> r.child(v).member(true));
        if (vb.isEmpty()) {
          c.member(true);
        }
      }
      default -> c.member(true);
    }
    if (c.isEmpty()) {
      changed.children().remove(element);
    }
    if (r.isEmpty()) {
      removed.children().remove(element);
    }
  }

  private static boolean isEmpty(Object structOrMap) {
    if (structOrMap instanceof Map<?, ?> m) {
      return m.isEmpty();
    }
    IndexedRecord r = (IndexedRecord) structOrMap;
    for (int i = 0; i < r.getSchema().getFields().size(); i++) {
      if (r.get(i) != null) {
        return false;
      }
    }
    return true;
  }

  private static Map<String, IndexedRecord> elements(Collection<?> list, Shape keys) {
    Map<String, IndexedRecord> out = new LinkedHashMap<>();
    for (Object e : list) {
      if (!(e instanceof IndexedRecord r)) {
        return null;
      }
      out.put(key(r, keys), r);
    }
    return out;
  }

  private static List<String> setValues(Schema list, Collection<?> values) {
    List<String> out = new ArrayList<>(values.size());
    for (Object v : values) {
      out.add(PathElements.value(KubeJson.valueToJson(list.getElementType(), v)));
    }
    return out;
  }

  private static String key(IndexedRecord r, Shape keys) {
    ObjectNode k = NODES.objectNode();
    for (String name : keys.keys()) {
      Schema.Field f = r.getSchema().getField(name);
      Object v = f == null ? null : r.get(f.pos());
      if (v != null) {
        k.set(name, KubeJson.valueToJson(f.schema(), v));
      }
    }
    return PathElements.key(k, keys);
  }

  private static Map<String, Object> sorted(Map<?, ?> map) {
    Map<String, Object> out = new TreeMap<>();
    map.forEach((k, v) -> out.put(k.toString(), v));
    return out;
  }
}
