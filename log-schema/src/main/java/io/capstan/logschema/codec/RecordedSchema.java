package io.capstan.logschema.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Locale;
import org.apache.avro.Schema;

/**
 * One record of the schemas topic: a writer schema some record on the log uses, under its 64-bit
 * fingerprint, with the kind it belongs to. The key is the fingerprint as 16 lower-case hex digits;
 * the value is JSON ({@code {"kind":"Widget","group":"example.com","schema":{...}}}), so the topic
 * is readable without any Avro schema (it is what makes the others readable).
 */
public record RecordedSchema(long fingerprint, String kind, String group, Schema schema) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static RecordedSchema of(String kind, String group, Schema schema) {
    return new RecordedSchema(SchemaStore.fingerprint(schema), kind, group, schema);
  }

  /** The topic key of a fingerprint. */
  public static String key(long fingerprint) {
    return String.format(Locale.ROOT, "%016x", fingerprint);
  }

  public String key() {
    return key(fingerprint);
  }

  public String value() {
    try {
      ObjectNode n = JSON.createObjectNode();
      n.put("kind", kind);
      n.put("group", group);
      n.set("schema", JSON.readTree(schema.toString()));
      return JSON.writeValueAsString(n);
    } catch (IOException e) {
      throw new IllegalStateException("rendering the schema " + schema.getFullName(), e);
    }
  }

  /**
   * Reads a record of the schemas topic; an error names what is wrong (a key that is not a
   * fingerprint, a value that is not a schema, or a schema whose fingerprint is not its key).
   */
  public static RecordedSchema parse(String key, String value) {
    long fp;
    try {
      fp = Long.parseUnsignedLong(key, 16);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("schema record key \"" + key + "\" is not a 64-bit hex fingerprint");
    }
    JsonNode n;
    Schema schema;
    try {
      n = JSON.readTree(value);
      schema = new Schema.Parser().parse(n.path("schema").toString());
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("schema record " + key + " does not hold a schema: " + e.getMessage(), e);
    }
    long actual = SchemaStore.fingerprint(schema);
    if (actual != fp) {
      throw new IllegalArgumentException("schema record " + key + " holds a schema whose fingerprint is "
          + key(actual));
    }
    return new RecordedSchema(fp, n.path("kind").asText(""), n.path("group").asText(""), schema);
  }
}
