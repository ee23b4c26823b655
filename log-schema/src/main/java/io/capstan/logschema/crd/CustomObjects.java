package io.capstan.logschema.crd;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.logschema.json.FieldPath;
import io.capstan.logschema.validation.FieldError;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Validation of a custom object against its kind's OpenAPI v3 schema, as kube-apiserver's
 * schema validation reports it: {@code spec.replicas: Invalid value: "string": spec.replicas in
 * body must be of type integer: "string"}, {@code spec.size: Required value}, {@code spec.color:
 * Unsupported value: "pink": supported values: "red", "blue"}. Checks type, required, enum,
 * nullable, minimum/maximum (with exclusive), minLength/maxLength, pattern, minItems/maxItems.
 * {@code metadata}, {@code apiVersion} and {@code kind} are checked elsewhere.
 */
public final class CustomObjects {
  private CustomObjects() {}

  /** Every violation in the object's JSON ({@code apiVersion}, {@code kind}, {@code metadata} skipped). */
  public static List<FieldError> validate(JsonNode schema, JsonNode object) {
    List<FieldError> errors = new ArrayList<>();
    if (schema == null || !object.isObject()) {
      return errors;
    }
    JsonNode properties = schema.path("properties");
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> member = it.next();
      String name = member.getKey();
      if (name.equals("apiVersion") || name.equals("kind") || name.equals("metadata")) {
        continue;
      }
      JsonNode s = properties.get(name);
      if (s != null) {
        value(s, member.getValue(), name, errors);
      }
    }
    required(schema, object, "", errors);
    return errors;
  }

  private static final java.util.Map<JsonNode, Boolean> HAS_DEFAULTS =
      java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

  /** Whether any schema node under this one has a {@code default} (remembered per schema instance). */
  public static boolean hasDefaults(JsonNode schema) {
    if (schema == null) {
      return false;
    }
    return HAS_DEFAULTS.computeIfAbsent(schema, s -> !s.findValues("default").isEmpty());
  }

  /**
   * Applies the schema's {@code default}s to the object (in place), as kube-apiserver defaults a
   * custom resource when it decodes a request and when it reads one from storage: a property
   * that is absent (or null and not nullable) in an object that is present gets its default; the
   * walk goes into properties, additionalProperties and array items. {@code metadata},
   * {@code apiVersion} and {@code kind} are left alone.
   */
  public static void applyDefaults(JsonNode schema, JsonNode object) {
    if (schema == null || !object.isObject()) {
      return;
    }
    defaults(schema, object, true);
  }

  private static void defaults(JsonNode s, JsonNode v, boolean root) {
    if (v == null || v.isNull()) {
      return;
    }
    if (v.isObject()) {
      com.fasterxml.jackson.databind.node.ObjectNode o = (com.fasterxml.jackson.databind.node.ObjectNode) v;
      JsonNode properties = s.get("properties");
      if (properties != null) {
        for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> p = it.next();
          String name = p.getKey();
          if (root && (name.equals("apiVersion") || name.equals("kind") || name.equals("metadata"))) {
            continue;
          }
          JsonNode ps = p.getValue();
          JsonNode current = o.get(name);
          if (ps.has("default") && (current == null
              || (current.isNull() && !ps.path("nullable").asBoolean(false)))) {
            o.set(name, ps.get("default").deepCopy());
          }
          defaults(ps, o.get(name), false);
        }
      }
      JsonNode additional = s.get("additionalProperties");
      if (additional != null && additional.isObject()) {
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> m = it.next();
          if (properties == null || !properties.has(m.getKey())) {
            defaults(additional, m.getValue(), false);
          }
        }
      }
    } else if (v.isArray() && s.get("items") != null && s.get("items").isObject()) {
      for (JsonNode item : v) {
        defaults(s.get("items"), item, false);
      }
    }
  }

  /** Every violation of one value against its schema, reported at {@code path} (e.g. a CRD's default). */
  public static List<FieldError> validateValue(JsonNode schema, JsonNode value, String path) {
    List<FieldError> errors = new ArrayList<>();
    value(schema, value, path, errors);
    return errors;
  }

  private static void required(JsonNode schema, JsonNode object, String path, List<FieldError> errors) {
    for (JsonNode r : schema.path("required")) {
      String name = r.asText();
      if (!object.has(name) || (object.get(name).isNull() && !schema.path("properties").path(name)
          .path("nullable").asBoolean(false))) {
        errors.add(FieldError.required(FieldPath.field(path, name)));
      }
    }
  }

  private static void value(JsonNode s, JsonNode v, String path, List<FieldError> errors) {
    if (v.isNull()) {
      if (!s.path("nullable").asBoolean(false)) {
        errors.add(new FieldError(path, "FieldValueTypeInvalid", "Invalid value: \"null\": " + path
            + " in body must be of type " + typeName(s) + ": \"null\""));
      }
      return;
    }
    if (s.path("x-kubernetes-preserve-unknown-fields").asBoolean(false) && !s.has("type")) {
      return;
    }
    if (s.path("x-kubernetes-int-or-string").asBoolean(false)) {
      if (!v.isIntegralNumber() && !v.isTextual()) {
        typeError(path, v, "integer or string", errors);
      }
      return;
    }
    String type = s.path("type").asText("");
    boolean ok = switch (type) {
      case "object" -> v.isObject();
      case "array" -> v.isArray();
      case "string" -> v.isTextual();
      case "integer" -> v.isIntegralNumber() || (v.isNumber() && v.decimalValue().stripTrailingZeros().scale() <= 0);
      case "number" -> v.isNumber();
      case "boolean" -> v.isBoolean();
      default -> true;
    };
    if (!ok) {
      typeError(path, v, type, errors);
      return;
    }
    enumeration(s, v, path, errors);
    switch (type) {
      case "object" -> object(s, v, path, errors);
      case "array" -> array(s, v, path, errors);
      case "string" -> string(s, v.textValue(), path, errors);
      case "integer", "number" -> number(s, v.decimalValue(), v, path, errors);
      default -> { }
    }
  }

  private static void object(JsonNode s, JsonNode v, String path, List<FieldError> errors) {
    JsonNode properties = s.get("properties");
    JsonNode additional = s.get("additionalProperties");
    for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> m = it.next();
      JsonNode ms = properties == null ? null : properties.get(m.getKey());
      if (ms == null && additional != null && additional.isObject()) {
        ms = additional;
      }
      if (ms != null) {
        value(ms, m.getValue(), FieldPath.field(path, m.getKey()), errors);
      }
    }
    required(s, v, path, errors);
  }

  private static void array(JsonNode s, JsonNode v, String path, List<FieldError> errors) {
    if (s.has("maxItems") && v.size() > s.get("maxItems").asLong()) {
      errors.add(new FieldError(path, "FieldValueTooMany", "Too many: " + v.size() + ": must have at most "
          + s.get("maxItems").asLong() + " items"));
    }
    if (s.has("minItems") && v.size() < s.get("minItems").asLong()) {
      errors.add(FieldError.invalid(path, v.size(), "should have at least " + s.get("minItems").asLong() + " items"));
    }
    JsonNode items = s.get("items");
    if (items != null && items.isObject()) {
      for (int i = 0; i < v.size(); i++) {
        value(items, v.get(i), FieldPath.index(path, i), errors);
      }
    }
    listType(s, v, path, errors);
  }

  /**
   * {@code x-kubernetes-list-type}: a {@code set} holds no value twice; a {@code map} no two items
   * with the same {@code x-kubernetes-list-map-keys} (Kubernetes' "Duplicate value" errors).
   */
  private static void listType(JsonNode s, JsonNode v, String path, List<FieldError> errors) {
    String listType = s.path("x-kubernetes-list-type").asText("atomic");
    if (listType.equals("set")) {
      java.util.Set<JsonNode> seen = new java.util.HashSet<>();
      for (int i = 0; i < v.size(); i++) {
        if (!seen.add(v.get(i))) {
          errors.add(new FieldError(FieldPath.index(path, i), "FieldValueDuplicate",
              "Duplicate value: " + goValue(v.get(i))));
        }
      }
    } else if (listType.equals("map")) {
      List<String> keys = new ArrayList<>();
      s.path("x-kubernetes-list-map-keys").forEach(k -> keys.add(k.asText()));
      java.util.Set<List<JsonNode>> seen = new java.util.HashSet<>();
      for (int i = 0; i < v.size(); i++) {
        JsonNode item = v.get(i);
        if (!item.isObject()) {
          continue;
        }
        List<JsonNode> key = new ArrayList<>();
        for (String k : keys) {
          key.add(item.has(k) ? item.get(k) : com.fasterxml.jackson.databind.node.NullNode.getInstance());
        }
        if (!seen.add(key)) {
          StringBuilder shown = new StringBuilder("map[string]interface {}{");
          for (int k = 0; k < keys.size(); k++) {
            shown.append(k == 0 ? "" : ", ").append('"').append(keys.get(k)).append("\":").append(goValue(key.get(k)));
          }
          errors.add(new FieldError(FieldPath.index(path, i), "FieldValueDuplicate",
              "Duplicate value: " + shown.append('}')));
        }
      }
    }
  }

  /** A value as Go's %#v prints it in Kubernetes' messages: strings quoted, numbers and booleans bare. */
  private static String goValue(JsonNode v) {
    return v.isTextual() ? "\"" + v.textValue() + "\"" : v.toString();
  }

  /** The formats Kubernetes checks for custom resources (its strfmt registry), by name. */
  private static final Map<String, java.util.function.Predicate<String>> FORMATS = Map.ofEntries(
      Map.entry("date-time", v -> parses(() -> java.time.OffsetDateTime.parse(v))),
      Map.entry("date", v -> parses(() -> java.time.LocalDate.parse(v))),
      Map.entry("uuid", v -> v.matches("(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")),
      Map.entry("ipv4", v -> v.matches("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)")),
      // literals only (a colon and hex digits): never a name lookup
      Map.entry("ipv6", v -> v.contains(":") && v.matches("[0-9a-fA-F:.]+") && parses(() -> java.net.InetAddress.getByName(v))),
      Map.entry("cidr", v -> v.matches("([0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*)/\\d{1,3}")
          && parses(() -> java.net.InetAddress.getByName(v.substring(0, v.indexOf('/'))))),
      Map.entry("mac", v -> v.matches("(?i)([0-9a-f]{2}[:-]){5}[0-9a-f]{2}")),
      Map.entry("hostname", v -> v.length() <= 253 && v.matches("(?i)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")),
      Map.entry("email", v -> v.matches("[^@\\s]+@[^@\\s]+\\.[^@\\s]+")),
      Map.entry("byte", v -> parses(() -> java.util.Base64.getDecoder().decode(v))),
      Map.entry("uri", v -> parses(() -> new java.net.URI(v)) && v.contains(":")));

  private interface Attempt {
    Object run() throws Exception;
  }

  private static boolean parses(Attempt a) {
    try {
      a.run();
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  private static void string(JsonNode s, String v, String path, List<FieldError> errors) {
    String format = s.path("format").asText("");
    if (FORMATS.containsKey(format) && !FORMATS.get(format).test(v)) {
      errors.add(new FieldError(path, "FieldValueInvalid", "Invalid value: \"" + v + "\": " + path
          + " in body must be of type " + format + ": \"" + v + "\""));
    }
    int length = v.codePointCount(0, v.length());
    if (s.has("maxLength") && length > s.get("maxLength").asLong()) {
      errors.add(new FieldError(path, "FieldValueTooLong", "Too long: may not be more than "
          + s.get("maxLength").asLong() + " bytes"));
    }
    if (s.has("minLength") && length < s.get("minLength").asLong()) {
      errors.add(FieldError.invalid(path, v, path + " in body should be at least " + s.get("minLength").asLong()
          + " chars long"));
    }
    if (s.has("pattern")) {
      String pattern = s.get("pattern").asText();
      try {
        if (!Pattern.compile(pattern).matcher(v).find()) {
          errors.add(FieldError.invalid(path, v, path + " in body should match '" + pattern + "'"));
        }
      } catch (PatternSyntaxException e) {
        errors.add(FieldError.invalid(path, v, "the schema's pattern does not compile: " + e.getDescription()));
      }
    }
  }

  private static void number(JsonNode s, BigDecimal v, JsonNode raw, String path, List<FieldError> errors) {
    if (s.has("minimum")) {
      BigDecimal min = s.get("minimum").decimalValue();
      boolean exclusive = s.path("exclusiveMinimum").asBoolean(false);
      if (exclusive ? v.compareTo(min) <= 0 : v.compareTo(min) < 0) {
        errors.add(FieldError.invalid(path, raw.numberValue(), path + " in body should be greater than "
            + (exclusive ? "" : "or equal to ") + min.toPlainString()));
      }
    }
    if (s.has("maximum")) {
      BigDecimal max = s.get("maximum").decimalValue();
      boolean exclusive = s.path("exclusiveMaximum").asBoolean(false);
      if (exclusive ? v.compareTo(max) >= 0 : v.compareTo(max) > 0) {
        errors.add(FieldError.invalid(path, raw.numberValue(), path + " in body should be less than "
            + (exclusive ? "" : "or equal to ") + max.toPlainString()));
      }
    }
  }

  private static void enumeration(JsonNode s, JsonNode v, String path, List<FieldError> errors) {
    JsonNode values = s.get("enum");
    if (values == null || !values.isArray()) {
      return;
    }
    for (JsonNode allowed : values) {
      if (allowed.equals(v) || (allowed.isNumber() && v.isNumber()
          && allowed.decimalValue().compareTo(v.decimalValue()) == 0)) {
        return;
      }
    }
    List<String> supported = new ArrayList<>();
    values.forEach(a -> supported.add(a.isTextual() ? a.textValue() : a.toString()));
    errors.add(FieldError.notSupported(path, v.isTextual() ? v.textValue() : v.toString(), supported));
  }

  private static void typeError(String path, JsonNode v, String type, List<FieldError> errors) {
    String shown = v.isTextual() ? v.textValue() : v.isContainerNode() ? (v.isArray() ? "array" : "object") : v.toString();
    errors.add(new FieldError(path, "FieldValueTypeInvalid", "Invalid value: \"" + shown + "\": " + path
        + " in body must be of type " + type + ": \"" + shown + "\""));
  }

  private static String typeName(JsonNode s) {
    if (s.path("x-kubernetes-int-or-string").asBoolean(false)) {
      return "integer or string";
    }
    return s.path("type").asText("any");
  }
}
