package io.capstan.logschema.apply;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * How a value merges and is owned, as structured-merge-diff's schema says it: a struct or
 * granular map merges member by member; an associative list ({@code x-kubernetes-list-type: map})
 * element by element matched on its keys; a set ({@code set}) value by value; anything atomic
 * (scalars, {@code atomic} lists and maps) is replaced whole and owned as one field.
 */
public final class Shape {
  /** The merge behaviour of a value. */
  public enum Form { SCALAR, STRUCT, ATOMIC, LIST_MAP, LIST_SET }

  /**
   * A value the schema does not describe (unknown or preserved fields): objects are granular and
   * lists atomic, as structured-merge-diff's deduced type.
   */
  public static final Shape DEDUCED = new Shape(null, n -> null, () -> null, List.of(), Map.of());
  public static final Shape SCALAR = new Shape(Form.SCALAR, n -> DEDUCED, () -> DEDUCED, List.of(), Map.of());
  public static final Shape ATOMIC = new Shape(Form.ATOMIC, n -> DEDUCED, () -> DEDUCED, List.of(), Map.of());
  public static final Shape SET = new Shape(Form.LIST_SET, n -> DEDUCED, () -> SCALAR, List.of(), Map.of());

  private final Form form;
  private final Function<String, Shape> members;
  private final Supplier<Shape> element;
  private final List<String> keys;
  private final Map<String, JsonNode> keyDefaults;

  private Shape(Form form, Function<String, Shape> members, Supplier<Shape> element, List<String> keys,
      Map<String, JsonNode> keyDefaults) {
    this.form = form;
    this.members = members;
    this.element = element;
    this.keys = keys;
    this.keyDefaults = keyDefaults;
  }

  /** A struct or granular map; {@code members} gives a member's shape (null when unknown). */
  public static Shape struct(Function<String, Shape> members) {
    return new Shape(Form.STRUCT, members, () -> DEDUCED, List.of(), Map.of());
  }

  /** An associative list of {@code element}s keyed by {@code keys}. */
  public static Shape listMap(List<String> keys, Supplier<Shape> element) {
    return listMap(keys, Map.of(), element);
  }

  /**
   * An associative list whose elements without some key fields are keyed by those fields'
   * defaults (kube's {@code protocol: TCP} of ports), as structured-merge-diff keys them.
   */
  public static Shape listMap(List<String> keys, Map<String, JsonNode> keyDefaults, Supplier<Shape> element) {
    return new Shape(Form.LIST_MAP, n -> DEDUCED, element, List.copyOf(keys), Map.copyOf(keyDefaults));
  }

  /** The form this shape gives {@code value}; a value of another JSON type than declared is atomic. */
  public Form form(JsonNode value) {
    return form(value.isObject(), value.isArray());
  }

  /** The form this shape gives a value that is an object (record, map) or an array, or neither. */
  public Form form(boolean object, boolean array) {
    if (form == null) {
      return object ? Form.STRUCT : array ? Form.ATOMIC : Form.SCALAR;
    }
    return switch (form) {
      case STRUCT -> object ? Form.STRUCT : Form.ATOMIC;
      case LIST_MAP, LIST_SET -> array ? form : Form.ATOMIC;
      default -> form;
    };
  }

  public Shape member(String name) {
    if (form == null) {
      return DEDUCED;
    }
    Shape s = members.apply(name);
    return s == null ? DEDUCED : s;
  }

  public Shape element() {
    Shape s = element.get();
    return s == null ? DEDUCED : s;
  }

  public List<String> keys() {
    return keys;
  }

  /** The value a key field of an element takes when the element leaves it out; null when none. */
  public JsonNode keyDefault(String key) {
    return keyDefaults.get(key);
  }
}
