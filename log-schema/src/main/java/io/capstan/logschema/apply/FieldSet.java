package io.capstan.logschema.apply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A set of field paths, as a tree whose edges are path elements written the way {@code fieldsV1}
 * writes them: {@code f:<name>} a field or map key, {@code k:<json>} a list element by its key
 * fields, {@code v:<json>} a set element by its value, {@code i:<n>} a list element by index. A
 * node is in the set itself when it is a leaf, or when it carries the {@code "."} member.
 * Mutable; the operations that combine sets return new ones.
 */
public final class FieldSet {
  static final String SELF = ".";
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private boolean member;
  private final Map<String, FieldSet> children = new LinkedHashMap<>(4);

  public FieldSet() {}

  /** Adds the path (its elements as encoded) to the set. */
  public FieldSet add(List<String> path) {
    FieldSet at = this;
    for (String element : path) {
      at = at.child(element);
    }
    at.member = true;
    return this;
  }

  FieldSet child(String element) {
    return children.computeIfAbsent(element, e -> new FieldSet());
  }

  FieldSet get(String element) {
    return children.get(element);
  }

  Map<String, FieldSet> children() {
    return children;
  }

  boolean member() {
    return member;
  }

  void member(boolean member) {
    this.member = member;
  }

  public boolean isEmpty() {
    if (member) {
      return false;
    }
    for (FieldSet c : children.values()) {
      if (!c.isEmpty()) {
        return false;
      }
    }
    return true;
  }

  /** Whether this node holds nothing itself (its children, if any, are looked at by {@link #isEmpty}). */
  boolean bare() {
    return !member && children.isEmpty();
  }

  public boolean contains(List<String> path) {
    FieldSet at = this;
    for (String element : path) {
      at = at.children.get(element);
      if (at == null) {
        return false;
      }
    }
    return at.member;
  }

  /** Every path in the set, parents before their children. */
  public List<List<String>> paths() {
    List<List<String>> out = new ArrayList<>();
    walk(new ArrayList<>(), (path, node) -> out.add(List.copyOf(path)));
    return out;
  }

  /** Calls {@code visit} with each member's path (a reused list: copy it to keep it). */
  void walk(List<String> prefix, BiConsumer<List<String>, FieldSet> visit) {
    if (member) {
      visit.accept(prefix, this);
    }
    for (Map.Entry<String, FieldSet> e : children.entrySet()) {
      prefix.add(e.getKey());
      e.getValue().walk(prefix, visit);
      prefix.remove(prefix.size() - 1);
    }
  }

  public int size() {
    int n = member ? 1 : 0;
    for (FieldSet c : children.values()) {
      n += c.size();
    }
    return n;
  }

  public FieldSet copy() {
    FieldSet out = new FieldSet();
    out.member = member;
    children.forEach((k, v) -> out.children.put(k, v.copy()));
    return out;
  }

  /** The paths in this set or {@code other}. */
  public FieldSet union(FieldSet other) {
    FieldSet out = copy();
    out.addAll(other);
    return out;
  }

  void addAll(FieldSet other) {
    member |= other.member;
    other.children.forEach((k, v) -> child(k).addAll(v));
  }

  /** The paths in this set and not in {@code other}. */
  public FieldSet minus(FieldSet other) {
    FieldSet out = new FieldSet();
    out.member = member && (other == null || !other.member);
    children.forEach((k, v) -> {
      FieldSet rest = v.minus(other == null ? null : other.children.get(k));
      if (!rest.isEmpty()) {
        out.children.put(k, rest);
      }
    });
    return out;
  }

  /** The paths in both sets. */
  public FieldSet intersect(FieldSet other) {
    FieldSet out = new FieldSet();
    out.member = member && other.member;
    children.forEach((k, v) -> {
      FieldSet theirs = other.children.get(k);
      if (theirs != null) {
        FieldSet both = v.intersect(theirs);
        if (!both.isEmpty()) {
          out.children.put(k, both);
        }
      }
    });
    return out;
  }

  // ---- fieldsV1 ----

  /** The set as {@code fieldsV1} JSON. */
  public ObjectNode toFieldsV1() {
    ObjectNode out = NODES.objectNode();
    if (member && !children.isEmpty()) {
      out.putObject(SELF);
    }
    children.forEach((k, v) -> {
      if (!v.isEmpty()) {
        out.set(k, v.toFieldsV1());
      }
    });
    return out;
  }

  /**
   * The set as {@code fieldsV1} JSON text, written directly (what every write that records
   * ownership stores): the same text as {@code toFieldsV1().toString()}.
   */
  public String toFieldsV1Text() {
    StringBuilder out = new StringBuilder(256);
    writeText(out);
    return out.toString();
  }

  private void writeText(StringBuilder out) {
    out.append('{');
    boolean first = true;
    if (member && !children.isEmpty()) {
      out.append("\".\":{}");
      first = false;
    }
    for (Map.Entry<String, FieldSet> e : children.entrySet()) {
      if (e.getValue().isEmpty()) {
        continue;
      }
      if (!first) {
        out.append(',');
      }
      first = false;
      out.append('"');
      com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(e.getKey(), out);
      out.append("\":");
      e.getValue().writeText(out);
    }
    out.append('}');
  }

  /** Reads {@code fieldsV1} JSON; {@link IllegalArgumentException} naming what is wrong. */
  public static FieldSet fromFieldsV1(JsonNode json) {
    if (json == null || json.isNull()) {
      return new FieldSet();
    }
    if (!json.isObject()) {
      throw new IllegalArgumentException("fieldsV1 must be an object, got " + json.getNodeType().toString().toLowerCase());
    }
    FieldSet root = new FieldSet();
    read(root, json, true);
    return root;
  }

  private static void read(FieldSet node, JsonNode json, boolean root) {
    if (json.size() == 0 && !root) {
      node.member = true;
      return;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      if (!e.getValue().isObject()) {
        throw new IllegalArgumentException("fieldsV1: the value of \"" + key + "\" must be an object");
      }
      if (key.equals(SELF)) {
        node.member = true;
        continue;
      }
      if (key.length() < 3 || key.charAt(1) != ':' || "fkvi".indexOf(key.charAt(0)) < 0) {
        throw new IllegalArgumentException("fieldsV1: \"" + key + "\" is not a path element (f:, k:, v: or i:)");
      }
      read(node.child(key), e.getValue(), false);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FieldSet other && toFieldsV1().equals(other.toFieldsV1());
  }

  @Override
  public int hashCode() {
    return toFieldsV1().hashCode();
  }

  @Override
  public String toString() {
    return toFieldsV1().toString();
  }
}
