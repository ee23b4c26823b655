package io.capstan.logschema.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * RFC 6902 JSON patch: a list of {@code add}, {@code remove}, {@code replace}, {@code move},
 * {@code copy} and {@code test} operations on RFC 6901 pointers, applied in order to a copy of
 * the target. The whole patch applies or nothing does: a failing operation throws and the
 * input is untouched. Errors name the operation by index and its path.
 */
public final class JsonPatch {
  private JsonPatch() {}

  public static JsonNode apply(JsonNode target, JsonNode patch) {
    if (patch == null || !patch.isArray()) {
      throw PatchException.malformed("a JSON patch must be a JSON array of operations, got "
          + (patch == null ? "nothing" : patch.getNodeType().toString().toLowerCase()));
    }
    JsonNode doc = target.deepCopy();
    for (int i = 0; i < patch.size(); i++) {
      doc = applyOne(doc, patch.get(i), i);
    }
    return doc;
  }

  private static JsonNode applyOne(JsonNode doc, JsonNode op, int index) {
    if (!op.isObject()) {
      throw PatchException.malformed("operation " + index + ": must be an object");
    }
    String name = requiredText(op, "op", index);
    String path = requiredText(op, "path", index);
    List<String> pointer = parsePointer(path, index);
    String where = "operation " + index + " (" + name + " " + path + ")";
    switch (name) {
      case "add" -> {
        return add(doc, pointer, requiredValue(op, index), where);
      }
      case "remove" -> {
        return remove(doc, pointer, where);
      }
      case "replace" -> {
        JsonNode value = requiredValue(op, index);
        remove(doc, pointer, where);
        return add(doc, pointer, value, where);
      }
      case "move" -> {
        String from = requiredText(op, "from", index);
        List<String> fromPointer = parsePointer(from, index);
        if (pointer.size() > fromPointer.size() && pointer.subList(0, fromPointer.size()).equals(fromPointer)) {
          throw PatchException.cannotApply(where + ": cannot move \"" + from + "\" into one of its own children");
        }
        JsonNode value = get(doc, fromPointer, where);
        doc = remove(doc, fromPointer, where);
        return add(doc, pointer, value, where);
      }
      case "copy" -> {
        String from = requiredText(op, "from", index);
        JsonNode value = get(doc, parsePointer(from, index), where).deepCopy();
        return add(doc, pointer, value, where);
      }
      case "test" -> {
        JsonNode expected = requiredValue(op, index);
        JsonNode actual = get(doc, pointer, where);
        if (!numericAwareEquals(actual, expected)) {
          throw PatchException.cannotApply(where + ": test failed: value is " + actual + ", expected " + expected);
        }
        return doc;
      }
      default -> throw PatchException.malformed("operation " + index + ": unknown op \"" + name
          + "\"; expected one of add, remove, replace, move, copy, test");
    }
  }

  private static String requiredText(JsonNode op, String member, int index) {
    JsonNode v = op.get(member);
    if (v == null || !v.isTextual()) {
      throw PatchException.malformed("operation " + index + ": missing string member \"" + member + "\"");
    }
    return v.textValue();
  }

  private static JsonNode requiredValue(JsonNode op, int index) {
    if (!op.has("value")) {
      throw PatchException.malformed("operation " + index + ": missing member \"value\"");
    }
    return op.get("value").deepCopy();
  }

  /** RFC 6901: "" is the whole document; "/a/b" with ~1 for "/" and ~0 for "~". */
  static List<String> parsePointer(String path, int index) {
    List<String> tokens = new ArrayList<>();
    if (path.isEmpty()) {
      return tokens;
    }
    if (!path.startsWith("/")) {
      throw PatchException.malformed("operation " + index + ": path \"" + path + "\" must be empty or start with /");
    }
    for (String raw : path.substring(1).split("/", -1)) {
      tokens.add(raw.replace("~1", "/").replace("~0", "~"));
    }
    return tokens;
  }

  private static JsonNode get(JsonNode doc, List<String> pointer, String where) {
    JsonNode node = doc;
    for (String token : pointer) {
      node = child(node, token, where);
    }
    return node;
  }

  private static JsonNode child(JsonNode node, String token, String where) {
    if (node.isObject()) {
      JsonNode c = node.get(token);
      if (c == null) {
        throw PatchException.cannotApply(where + ": no member \"" + token + "\"");
      }
      return c;
    }
    if (node.isArray()) {
      int i = arrayIndex(token, node.size() - 1, where);
      return node.get(i);
    }
    throw PatchException.cannotApply(where + ": cannot descend into a " + node.getNodeType().toString().toLowerCase()
        + " with \"" + token + "\"");
  }

  private static int arrayIndex(String token, int max, String where) {
    if (!token.matches("0|[1-9][0-9]{0,8}")) {
      throw PatchException.cannotApply(where + ": \"" + token + "\" is not a list index");
    }
    int i = Integer.parseInt(token);
    if (i > max) {
      throw PatchException.cannotApply(where + ": index " + i + " is out of range (list has " + (max + 1) + " elements)");
    }
    return i;
  }

  private static JsonNode add(JsonNode doc, List<String> pointer, JsonNode value, String where) {
    if (pointer.isEmpty()) {
      return value;
    }
    JsonNode parent = get(doc, pointer.subList(0, pointer.size() - 1), where);
    String last = pointer.get(pointer.size() - 1);
    if (parent.isObject()) {
      ((ObjectNode) parent).set(last, value);
    } else if (parent.isArray()) {
      ArrayNode list = (ArrayNode) parent;
      if (last.equals("-")) {
        list.add(value);
      } else {
        list.insert(arrayIndex(last, list.size(), where), value);
      }
    } else {
      throw PatchException.cannotApply(where + ": parent is a " + parent.getNodeType().toString().toLowerCase()
          + ", not an object or list");
    }
    return doc;
  }

  private static JsonNode remove(JsonNode doc, List<String> pointer, String where) {
    if (pointer.isEmpty()) {
      throw PatchException.cannotApply(where + ": cannot remove the whole document");
    }
    JsonNode parent = get(doc, pointer.subList(0, pointer.size() - 1), where);
    String last = pointer.get(pointer.size() - 1);
    if (parent.isObject()) {
      if (((ObjectNode) parent).remove(last) == null) {
        throw PatchException.cannotApply(where + ": no member \"" + last + "\" to remove");
      }
    } else if (parent.isArray()) {
      ((ArrayNode) parent).remove(arrayIndex(last, parent.size() - 1, where));
    } else {
      throw PatchException.cannotApply(where + ": parent is a " + parent.getNodeType().toString().toLowerCase());
    }
    return doc;
  }

  /** JSON equality where 1 and 1.0 are the same number, as RFC 6902 section 4.6 asks. */
  private static boolean numericAwareEquals(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue()) == 0;
    }
    if (a.isArray() && b.isArray()) {
      if (a.size() != b.size()) {
        return false;
      }
      for (int i = 0; i < a.size(); i++) {
        if (!numericAwareEquals(a.get(i), b.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (a.isObject() && b.isObject()) {
      if (a.size() != b.size()) {
        return false;
      }
      for (var it = a.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!b.has(f) || !numericAwareEquals(a.get(f), b.get(f))) {
          return false;
        }
      }
      return true;
    }
    return a.equals(b);
  }
}
