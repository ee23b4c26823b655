package io.capstan.gateway.table;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.InvalidPathException;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider;
import com.jayway.jsonpath.spi.mapper.JacksonMappingProvider;
import io.capstan.logschema.kinds.Kind;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Table columns of a custom kind, as apiextensions-apiserver's table convertor makes them from
 * a version's {@code additionalPrinterColumns}: Name first, then each column read by its JSONPath
 * (a missing value is an empty cell, which kubectl prints as {@code <none>}); {@code integer},
 * {@code number} and {@code boolean} cells are JSON values, {@code date} cells a human age, other
 * types the value's text. A version without columns gets Age, as Kubernetes serves it.
 */
final class CustomColumns {
  private static final Configuration JSON = Configuration.builder()
      .jsonProvider(new JacksonJsonNodeJsonProvider()).mappingProvider(new JacksonMappingProvider())
      .options(Option.SUPPRESS_EXCEPTIONS, Option.ALWAYS_RETURN_LIST).build();
  private static final Map<String, JsonPath> COMPILED = new ConcurrentHashMap<>();
  static final Kind.PrinterColumn AGE = new Kind.PrinterColumn("Age", "date", null,
      "CreationTimestamp is a timestamp representing the server time when this object was created.", 0,
      ".metadata.creationTimestamp");

  private CustomColumns() {}

  /** The printer columns of the kind in this version (Age when it declares none). */
  static List<Kind.PrinterColumn> of(Kind kind, String version) {
    List<Kind.PrinterColumn> declared = kind.details(version == null ? kind.version() : version)
        .or(() -> kind.details(kind.version())).map(Kind.VersionDetails::printerColumns).orElse(List.of());
    return declared.isEmpty() ? List.of(AGE) : declared;
  }

  /** One cell: the column's value in the object, typed as the column says. */
  static JsonNode cell(Kind.PrinterColumn column, JsonNode object, Instant now) {
    JsonNode found = first(column.jsonPath(), object);
    if (found == null || found.isNull() || found.isMissingNode()) {
      return NullNode.getInstance();
    }
    var nodes = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
    switch (column.type()) {
      case "integer" -> {
        return found.isNumber() ? nodes.numberNode(found.asLong()) : NullNode.getInstance();
      }
      case "number" -> {
        return found.isNumber() ? nodes.numberNode(found.asDouble()) : NullNode.getInstance();
      }
      case "boolean" -> {
        return found.isBoolean() ? found : NullNode.getInstance();
      }
      case "date" -> {
        if (!found.isTextual()) {
          return NullNode.getInstance();
        }
        try {
          return nodes.textNode(HumanDuration.format(Duration.between(Instant.parse(found.asText()), now)));
        } catch (DateTimeParseException e) {
          return NullNode.getInstance();
        }
      }
      default -> {
        return nodes.textNode(found.isValueNode() ? found.asText() : found.toString());
      }
    }
  }

  /** The first result of a Kubernetes JSONPath ({@code .status.conditions[?(@.type=="Ready")].status}). */
  static JsonNode first(String jsonPath, JsonNode object) {
    JsonPath path;
    try {
      path = COMPILED.computeIfAbsent(jsonPath, p -> JsonPath.compile(toJayway(p)));
    } catch (InvalidPathException e) {
      return null;
    }
    Object result = path.read(object, JSON);
    if (result instanceof ArrayNode a) {
      return a.isEmpty() ? null : a.get(0);
    }
    return result instanceof JsonNode n ? n : null;
  }

  /** Kubernetes writes {@code .a.b} or {@code {.a.b}}; Jayway wants {@code $.a.b}. */
  static String toJayway(String k8s) {
    String p = k8s.trim();
    if (p.startsWith("{") && p.endsWith("}")) {
      p = p.substring(1, p.length() - 1).trim();
    }
    if (p.startsWith("$")) {
      return p;
    }
    return p.startsWith(".") || p.startsWith("[") ? "$" + p : "$." + p;
  }
}
