package io.capstan.logschema.apply;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Path elements as {@code fieldsV1} writes them, and paths as structured-merge-diff prints them. */
public final class PathElements {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PathElements() {}

  public static String field(String name) {
    return "f:" + name;
  }

  /**
   * An element of the associative list {@code list} by its key fields (written sorted by name, as
   * fieldsV1 does); a key field the element leaves out by its default, if it has one.
   */
  public static String key(JsonNode element, Shape list) {
    TreeMap<String, JsonNode> sorted = new TreeMap<>();
    for (String k : list.keys()) {
      JsonNode v = element.get(k);
      if (v == null || v.isNull()) {
        v = list.keyDefault(k);
      }
      if (v != null && !v.isNull()) {
        sorted.put(k, v);
      }
    }
    ObjectNode out = JSON.createObjectNode();
    sorted.forEach(out::set);
    return "k:" + write(out);
  }

  public static String value(JsonNode value) {
    return "v:" + write(value);
  }

  public static String index(int i) {
    return "i:" + i;
  }

  /** A path as structured-merge-diff prints it: {@code .spec.containers[name="app"].image}. */
  public static String describe(List<String> path) {
    StringBuilder out = new StringBuilder();
    for (String e : path) {
      String rest = e.substring(2);
      switch (e.charAt(0)) {
        case 'f' -> out.append('.').append(rest);
        case 'i' -> out.append('[').append(rest).append(']');
        case 'v' -> out.append("[=").append(rest).append(']');
        case 'k' -> {
          out.append('[');
          try {
            JsonNode keys = JSON.readTree(rest);
            boolean first = true;
            for (Iterator<Map.Entry<String, JsonNode>> it = keys.fields(); it.hasNext(); ) {
              Map.Entry<String, JsonNode> k = it.next();
              out.append(first ? "" : ",").append(k.getKey()).append('=').append(write(k.getValue()));
              first = false;
            }
          } catch (JsonProcessingException ex) {
            out.append(rest);
          }
          out.append(']');
        }
        default -> out.append(e);
      }
    }
    return out.toString();
  }

  static String write(JsonNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
