package io.capstan.logschema.crd;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.api.ObjectMeta;
import io.capstan.logschema.kinds.KubeField;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.avro.Schema;

/**
 * The Avro schema a custom kind's objects are kept in, derived from the OpenAPI v3 schema of
 * its CRD's storage version:
 * <ul>
 *   <li>{@code metadata} is the ObjectMeta record every kind has; {@code apiVersion} and {@code kind}
 *       are not stored (the kind says them);
 *   <li>an object with {@code properties} is a record, one with {@code additionalProperties} a map;
 *   <li>arrays are arrays of their {@code items}; string, integer (int32 or int64), number, boolean map to
 *       their Avro types, with {@code format: date-time} kept as a field property;
 *   <li>{@code x-kubernetes-int-or-string} is {@code union {null, int, string}} as intstr.IntOrString is
 *       in the built-in kinds;
 *   <li>what the schema leaves open ({@code x-kubernetes-preserve-unknown-fields}, {@code
 *       x-kubernetes-embedded-resource}, a value without a type, a property name Avro cannot spell) is
 *       kept as JSON text, field format {@link KubeField#FORMAT_JSON};
 *   <li>every field is nullable with a null default: absent and empty stay apart, required fields are
 *       checked by validation (as for the built-in kinds), and any change of the CRD's schema that
 *       keeps a field's type resolves old records into the new schema.
 * </ul>
 * The record's full name depends on the group and kind only ({@code io.capstan.custom.<group>.<Kind>}),
 * never on the version or the schema, so records written before a schema change resolve into the
 * current schema by Avro's schema resolution. The derivation is deterministic: the same OpenAPI
 * schema always gives the same Avro schema and fingerprint.
 */
public final class CustomKindSchema {
  /** Namespace of every custom kind's records, followed by the kind's group. */
  public static final String NAMESPACE_PREFIX = "io.capstan.custom.";
  private static final Pattern AVRO_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Set<String> TYPE_MEMBERS = Set.of("apiVersion", "kind");

  private final Set<String> recordNames = new HashSet<>();
  private final String namespace;

  private CustomKindSchema(String namespace) {
    this.namespace = namespace;
  }

  /**
   * The Avro schema of a custom kind.
   *
   * @param openApi the storage version's {@code openAPIV3Schema}: an object schema
   */
  public static Schema derive(String group, String kind, JsonNode openApi) {
    CustomKindSchema d = new CustomKindSchema(namespaceOf(group));
    String name = avroName(kind);
    d.recordNames.add(name);
    List<Schema.Field> fields = new ArrayList<>();
    fields.add(new Schema.Field("metadata", ObjectMeta.getClassSchema(), null, (Object) null));
    JsonNode properties = openApi.path("properties");
    for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> p = it.next();
      if (TYPE_MEMBERS.contains(p.getKey()) || p.getKey().equals("metadata")) {
        continue;
      }
      if (!AVRO_NAME.matcher(p.getKey()).matches()) {
        throw new IllegalArgumentException("top-level property \"" + p.getKey() + "\" is not a valid field name");
      }
      fields.add(d.field(p.getKey(), p.getValue(), name + "_" + p.getKey()));
    }
    return Schema.createRecord(name, "custom kind " + kind + " of group " + group, d.namespace, false, fields);
  }

  /** The Avro namespace of a group's custom kinds: each DNS label made a valid Avro name. */
  public static String namespaceOf(String group) {
    List<String> parts = new ArrayList<>();
    for (String label : group.toLowerCase(Locale.ROOT).split("\\.")) {
      parts.add(avroName(label));
    }
    return NAMESPACE_PREFIX + String.join(".", parts);
  }

  /** A DNS label or kind name as an Avro name ('-' is '_', which DNS names never hold, so names stay distinct). */
  static String avroName(String s) {
    String n = s.replace('-', '_').replaceAll("[^A-Za-z0-9_]", "_");
    return n.isEmpty() || Character.isDigit(n.charAt(0)) ? "_" + n : n;
  }

  private record Derived(Schema schema, String format) {}

  private Schema.Field field(String name, JsonNode s, String recordName) {
    Derived d = value(s, recordName);
    Schema nullable = nullable(d.schema());
    Schema.Field f = new Schema.Field(name, nullable, null, Schema.Field.NULL_DEFAULT_VALUE);
    if (d.format() != null) {
      f.addProp(KubeField.FORMAT, d.format());
    }
    return f;
  }

  private static Schema nullable(Schema s) {
    if (s.getType() == Schema.Type.UNION) {
      List<Schema> branches = new ArrayList<>();
      branches.add(Schema.create(Schema.Type.NULL));
      branches.addAll(s.getTypes());
      return Schema.createUnion(branches);
    }
    return Schema.createUnion(Schema.create(Schema.Type.NULL), s);
  }

  private static Derived json() {
    return new Derived(Schema.create(Schema.Type.STRING), KubeField.FORMAT_JSON);
  }

  private Derived value(JsonNode s, String recordName) {
    if (s.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)
        || s.path("x-kubernetes-embedded-resource").asBoolean(false)) {
      return json();
    }
    if (s.path("x-kubernetes-int-or-string").asBoolean(false)) {
      return new Derived(Schema.createUnion(Schema.create(Schema.Type.INT), Schema.create(Schema.Type.STRING)),
          KubeField.FORMAT_INT_OR_STRING);
    }
    String type = s.path("type").asText("");
    String format = s.path("format").asText("");
    switch (type) {
      case "string":
        return new Derived(Schema.create(Schema.Type.STRING),
            format.equals("date-time") ? KubeField.FORMAT_DATE_TIME : null);
      case "integer":
        return new Derived(Schema.create(format.equals("int32") ? Schema.Type.INT : Schema.Type.LONG), null);
      case "number":
        return new Derived(Schema.create(Schema.Type.DOUBLE), null);
      case "boolean":
        return new Derived(Schema.create(Schema.Type.BOOLEAN), null);
      case "array": {
        JsonNode items = s.get("items");
        if (items == null || !items.isObject()) {
          return json();
        }
        Derived item = value(items, recordName + "_item");
        Schema element = items.path("nullable").asBoolean(false) ? nullable(item.schema()) : item.schema();
        return new Derived(Schema.createArray(element), item.format());
      }
      case "object":
        return object(s, recordName);
      default:
        return json();
    }
  }

  private Derived object(JsonNode s, String recordName) {
    JsonNode properties = s.get("properties");
    JsonNode additional = s.get("additionalProperties");
    if (properties != null && properties.isObject() && properties.size() > 0) {
      for (Iterator<String> names = properties.fieldNames(); names.hasNext(); ) {
        if (!AVRO_NAME.matcher(names.next()).matches()) {
          return json(); // a property Avro cannot name: the object is kept as JSON
        }
      }
      String name = uniqueName(recordName);
      List<Schema.Field> fields = new ArrayList<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> p = it.next();
        fields.add(field(p.getKey(), p.getValue(), name + "_" + p.getKey()));
      }
      return new Derived(Schema.createRecord(name, null, namespace, false, fields), null);
    }
    if (additional != null && additional.isObject()) {
      Derived v = value(additional, recordName + "_value");
      Schema valueSchema = additional.path("nullable").asBoolean(false) ? nullable(v.schema()) : v.schema();
      return new Derived(Schema.createMap(valueSchema), v.format());
    }
    if (additional != null && additional.asBoolean(false)) {
      return new Derived(Schema.createMap(Schema.create(Schema.Type.STRING)), KubeField.FORMAT_JSON);
    }
    // An object schema without properties: every member is unknown and pruned, as Kubernetes does.
    return new Derived(Schema.createRecord(uniqueName(recordName), null, namespace, false, List.of()), null);
  }

  private String uniqueName(String wanted) {
    String base = avroName(wanted);
    String name = base;
    for (int i = 2; !recordNames.add(name); i++) {
      name = base + "_" + i;
    }
    return name;
  }
}
