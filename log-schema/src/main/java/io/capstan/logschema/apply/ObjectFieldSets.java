package io.capstan.logschema.apply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The fields an object's Kubernetes JSON sets, as a {@link FieldSet} by its {@link Shape}: every
 * leaf (a scalar, an atomic list or map, an empty struct or list), every associative-list element
 * by its keys (and its own fields below it), every set element by its value. Also finds the
 * value at a path and compares values as Kubernetes does (numbers by value).
 */
public final class ObjectFieldSets {
  /** Numbers compare by value (an int 3 equals a long 3), everything else as JSON. */
  static final Comparator<JsonNode> SAME = (a, b) -> {
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue());
    }
    return a.equals(b) ? 0 : 1;
  };

  private ObjectFieldSets() {}

  /** The fields {@code object} sets (the root itself is not a member). */
  public static FieldSet of(Shape shape, JsonNode object) {
    FieldSet set = new FieldSet();
    if (object != null && object.isObject()) {
      members(shape, (ObjectNode) object, set);
    }
    return set;
  }

  private static void members(Shape shape, ObjectNode object, FieldSet at) {
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> m = it.next();
      if (!m.getValue().isNull()) {
        value(shape.member(m.getKey()), m.getValue(), at.child(PathElements.field(m.getKey())));
      }
    }
  }

  private static void value(Shape shape, JsonNode value, FieldSet at) {
    switch (shape.form(value)) {
      case STRUCT -> {
        if (value.size() == 0) {
          at.member(true);
        } else {
          members(shape, (ObjectNode) value, at);
          if (at.isEmpty()) {
            at.member(true); // only nulls
          }
        }
      }
      case LIST_MAP -> {
        if (value.size() == 0) {
          at.member(true);
        }
        Shape element = shape.element();
        for (JsonNode e : value) {
          if (!e.isObject()) {
            at.member(true); // not an associative list after all: owned whole
            continue;
          }
          FieldSet item = at.child(PathElements.key(e, shape));
          item.member(true);
          members(element, (ObjectNode) e, item);
        }
      }
      case LIST_SET -> {
        if (value.size() == 0) {
          at.member(true);
        }
        for (JsonNode e : value) {
          at.child(PathElements.value(e)).member(true);
        }
      }
      default -> at.member(true);
    }
  }

  /** The value at {@code path} in {@code root}, or null when there is none. */
  public static JsonNode valueAt(Shape shape, JsonNode root, List<String> path) {
    JsonNode at = root;
    Shape s = shape;
    for (String e : path) {
      if (at == null) {
        return null;
      }
      String rest = e.substring(2);
      switch (e.charAt(0)) {
        case 'f' -> {
          at = at.isObject() ? at.get(rest) : null;
          s = s.member(rest);
        }
        case 'k' -> {
          at = at.isArray() ? find((ArrayNode) at, e, s) : null;
          s = s.element();
        }
        case 'v' -> {
          JsonNode wanted = parse(rest);
          JsonNode found = null;
          if (at.isArray()) {
            for (JsonNode v : at) {
              if (v.equals(SAME, wanted)) {
                found = v;
              }
            }
          }
          at = found;
          s = Shape.SCALAR;
        }
        case 'i' -> {
          at = at.isArray() ? at.get(Integer.parseInt(rest)) : null;
          s = s.element();
        }
        default -> {
          return null;
        }
      }
      if (at != null && at.isNull()) {
        return null;
      }
    }
    return at;
  }

  static int indexOf(ArrayNode list, String keyElement, Shape keys) {
    for (int i = 0; i < list.size(); i++) {
      JsonNode e = list.get(i);
      if (e.isObject() && PathElements.key(e, keys).equals(keyElement)) {
        return i;
      }
    }
    return -1;
  }

  private static JsonNode find(ArrayNode list, String keyElement, Shape keys) {
    int i = indexOf(list, keyElement, keys);
    return i < 0 ? null : list.get(i);
  }

  static JsonNode parse(String json) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + json, e);
    }
  }

  /** Every member path of {@code set}, copied. */
  static List<List<String>> paths(FieldSet set) {
    List<List<String>> out = new ArrayList<>();
    set.walk(new ArrayList<>(), (p, n) -> out.add(List.copyOf(p)));
    return out;
  }
}
