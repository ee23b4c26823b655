package io.capstan.logschema.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.capstan.logschema.kinds.Conversions;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/**
 * Kubernetes JSON / YAML ⇄ the Avro record of a kind, by walking the kind's schema.
 *
 * <ul>
 *   <li>{@code apiVersion} and {@code kind} are checked against the Kind (a mismatch is a
 *       {@link ConversionException}) and not stored; {@link #toJson} writes them back first.</li>
 *   <li>Unknown fields are skipped and reported by path in {@link Converted#unknownFields()}.</li>
 *   <li>Wrong types fail with a {@link ConversionException} naming the path.</li>
 *   <li>int-or-string: a JSON number is the int branch, a JSON string the string branch.</li>
 *   <li>Quantities: strings are kept as written; a JSON number becomes its plain decimal
 *       text ({@code cpu: 0.5} is "0.5"), see {@code Quantity#canonical()} for Kubernetes' form.</li>
 *   <li>Bytes (Secret data, ConfigMap binaryData) are base64 in JSON.</li>
 * </ul>
 *
 * Thread-safe; every method is static.
 */
public final class KubeJson {
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final YAMLMapper YAML = YAMLMapper.builder(
          YAMLFactory.builder()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
              // "3", "0", "True" stay strings when read back.
              .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
              .build())
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .build();
  private static final com.fasterxml.jackson.databind.ObjectReader ONE_JSON_VALUE = JSON.reader()
      .with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final List<String> TYPE_MEMBERS = List.of("apiVersion", "kind");

  private KubeJson() {}

  /** The shared JSON mapper (strict about duplicate keys), for callers that read or write JSON text. */
  public static ObjectMapper jsonMapper() {
    return JSON;
  }

  // ---- JSON / YAML text ----

  /**
   * Parses one JSON or YAML document. A YAML stream with several documents is an error here;
   * use {@link #parseAll}.
   */
  public static JsonNode parse(String text) {
    List<JsonNode> docs = parseAll(text);
    if (docs.size() != 1) {
      throw new ConversionException("", "expected exactly one document, found " + docs.size());
    }
    return docs.get(0);
  }

  /**
   * Parses JSON or a multi-document YAML stream ({@code ---} separated), skipping empty
   * documents as kubectl does.
   */
  public static List<JsonNode> parseAll(String text) {
    String trimmed = text.stripLeading();
    try {
      if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
        // One value and nothing after it, as Go's json.Unmarshal: "{...}}" is not a document.
        return List.of(ONE_JSON_VALUE.readTree(text));
      }
      List<JsonNode> docs = new ArrayList<>();
      try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(text)) {
        while (it.hasNextValue()) {
          JsonNode doc = it.nextValue();
          boolean empty = doc == null || doc.isNull() || doc.isMissingNode()
              || (doc.isTextual() && doc.textValue().isEmpty());
          if (!empty) {
            docs.add(doc);
          }
        }
      }
      return docs;
    } catch (JsonProcessingException e) {
      throw new ConversionException("", "cannot parse document: " + e.getOriginalMessage(), e);
    } catch (IOException | RuntimeException e) {
      throw new ConversionException("", "cannot parse document: " + e.getMessage(), e);
    }
  }

  // ---- finding the kind ----

  /** The kind a manifest's apiVersion and kind name, if Capstan serves it. */
  public static Optional<Kind> findKind(JsonNode manifest) {
    JsonNode apiVersion = manifest.get("apiVersion");
    JsonNode kind = manifest.get("kind");
    if (apiVersion == null || kind == null || !apiVersion.isTextual() || !kind.isTextual()) {
      return Optional.empty();
    }
    return Kinds.byApiVersionAndKind(apiVersion.textValue(), kind.textValue());
  }

  /** The kind a manifest names, or a {@link ConversionException} saying what is missing or unknown. */
  public static Kind kindOf(JsonNode manifest) {
    if (!manifest.isObject()) {
      throw JsonToAvro.mismatch("", "object", manifest);
    }
    JsonNode apiVersion = manifest.get("apiVersion");
    JsonNode kind = manifest.get("kind");
    if (apiVersion == null || !apiVersion.isTextual() || apiVersion.textValue().isEmpty()) {
      throw new ConversionException("apiVersion", "Required value: apiVersion must be set");
    }
    if (kind == null || !kind.isTextual() || kind.textValue().isEmpty()) {
      throw new ConversionException("kind", "Required value: kind must be set");
    }
    return findKind(manifest).orElseThrow(() -> new ConversionException("",
        "no kind \"" + kind.textValue() + "\" is registered for version \"" + apiVersion.textValue() + "\""));
  }

  // ---- JSON -> Avro ----

  /** Converts a manifest whose apiVersion and kind say what it is. */
  public static <T extends IndexedRecord> Converted<T> fromJson(JsonNode manifest) {
    return fromJson(kindOf(manifest), manifest);
  }

  /**
   * Converts JSON to the record of {@code kind}: the specific class of a built-in kind, a generic
   * record of a custom kind. apiVersion and kind may be absent (the URL says what it is) but must
   * match when present; any version the kind is served in matches, and an object in a version
   * shaped unlike the storage version is converted to it first ({@link Conversions}).
   */
  @SuppressWarnings("unchecked")
  public static <T extends IndexedRecord> Converted<T> fromJson(Kind kind, JsonNode json) {
    if (!json.isObject()) {
      throw JsonToAvro.mismatch("", "object", json);
    }
    checkApiVersion(json, kind);
    checkMember(json, "kind", kind.kind());
    List<String> unknown = new ArrayList<>();
    Optional<Conversions.Conversion> conversion = Conversions.ofObject(kind, json);
    if (conversion.isPresent()) { // an object in a version shaped unlike the stored one (autoscaling/v1)
      unknown.addAll(conversion.get().unknownFields(json));
      json = conversion.get().toStorage(json);
    }
    JsonToAvro walk = new JsonToAvro();
    IndexedRecord record = walk.record(kind.schema(), json, "", TYPE_MEMBERS);
    unknown.addAll(walk.unknownFields());
    return new Converted<>((T) record, unknown);
  }

  /** Parses text (JSON or one YAML document) and converts it to the record of {@code kind}. */
  public static <T extends IndexedRecord> Converted<T> fromText(Kind kind, String text) {
    return fromJson(kind, parse(text));
  }

  /**
   * Converts any JSON value against any schema of the model (a nested record, a list of
   * containers, ...), e.g. for patch engines working on a part of an object. Paths in
   * errors and unknown fields start at {@code path}.
   */
  public static Converted<Object> valueFromJson(Schema schema, JsonNode json, String path) {
    JsonToAvro walk = new JsonToAvro();
    Object value = walk.value(schema, null, json, path);
    return new Converted<>(value, walk.unknownFields());
  }

  private static void checkApiVersion(JsonNode json, Kind kind) {
    JsonNode actual = json.get("apiVersion");
    if (actual != null && actual.isTextual() && kind.servedVersions().size() > 1
        && kind.servedVersions().stream().anyMatch(v -> kind.apiVersion(v).equals(actual.textValue()))) {
      return;
    }
    checkMember(json, "apiVersion", kind.apiVersion());
  }

  private static void checkMember(JsonNode json, String member, String expected) {
    JsonNode actual = json.get(member);
    if (actual == null || actual.isNull()) {
      return;
    }
    if (!actual.isTextual() || !actual.textValue().equals(expected)) {
      throw new ConversionException(member, "expected \"" + expected + "\", got " + JsonToAvro.describe(actual));
    }
  }

  // ---- Avro -> JSON ----

  /**
   * The Kubernetes JSON of a record: apiVersion and kind first when the record is a kind's
   * object, then the fields in schema order (metadata, spec, status), null fields omitted.
   */
  public static ObjectNode toJson(IndexedRecord record) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    Kinds.bySchema(record.getSchema()).ifPresent(k -> {
      out.put("apiVersion", k.apiVersion());
      out.put("kind", k.kind());
    });
    return AvroToJson.record(record, out);
  }

  /**
   * The Kubernetes JSON of an object of {@code kind} in one of its served versions: apiVersion
   * names that version (conversion strategy None: the object is the same in every version).
   */
  public static ObjectNode toJson(Kind kind, String version, IndexedRecord record) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.put("apiVersion", kind.apiVersion(version));
    out.put("kind", kind.kind());
    return AvroToJson.record(record, out);
  }

  /** The JSON of any value of the model under its schema. */
  public static JsonNode valueToJson(Schema schema, Object value) {
    return AvroToJson.value(schema, value);
  }

  /** Compact JSON text of a record, deterministic for equal records. */
  public static String toJsonString(IndexedRecord record) {
    try {
      return JSON.writeValueAsString(toJson(record));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("serializing a JSON tree cannot fail", e);
    }
  }

  /** YAML text of a record, as {@code kubectl get -o yaml} would show it. */
  public static String toYamlString(IndexedRecord record) {
    try {
      return YAML.writeValueAsString(toJson(record));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("serializing a JSON tree cannot fail", e);
    }
  }
}
