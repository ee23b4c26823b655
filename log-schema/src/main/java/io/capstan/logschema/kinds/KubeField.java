package io.capstan.logschema.kinds;

import java.util.Optional;
import org.apache.avro.Schema;

/**
 * The Kubernetes meaning the resource schemas attach to an Avro field through field
 * properties (see api.avdl): value format, strategic-merge-patch strategy and merge key,
 * and whether validation requires a value. Every schema-walking tool (JSON conversion,
 * validation, patch, OpenAPI) reads them through this one view.
 */
public record KubeField(Schema.Field field) {
  public static final String FORMAT = "k8s.format";
  public static final String PATCH_STRATEGY = "k8s.patchStrategy";
  public static final String MERGE_KEY = "k8s.mergeKey";
  public static final String REQUIRED = "k8s.required";

  public static final String FORMAT_QUANTITY = "quantity";
  public static final String FORMAT_DATE_TIME = "date-time";
  public static final String FORMAT_INT_OR_STRING = "int-or-string";
  public static final String FORMAT_BYTE = "byte";
  /**
   * Any JSON value, kept as its compact JSON text in an Avro string: what a schema leaves open
   * (a CRD's {@code x-kubernetes-preserve-unknown-fields}, an embedded resource, the OpenAPI
   * schema inside a CRD itself). In Kubernetes JSON it is the value itself, not a string.
   */
  public static final String FORMAT_JSON = "json";

  public static KubeField of(Schema.Field field) {
    return new KubeField(field);
  }

  public String name() {
    return field.name();
  }

  /** quantity, date-time, int-or-string, byte or json; for a list or map it describes the values. */
  public Optional<String> format() {
    return Optional.ofNullable(field.getProp(FORMAT));
  }

  public boolean hasFormat(String format) {
    return format.equals(field.getProp(FORMAT));
  }

  /** merge, retainKeys or "merge,retainKeys"; empty for atomic lists and plain fields. */
  public Optional<String> patchStrategy() {
    return Optional.ofNullable(field.getProp(PATCH_STRATEGY));
  }

  /** The field identifying list elements in a strategic merge (e.g. {@code name} for containers). */
  public Optional<String> mergeKey() {
    return Optional.ofNullable(field.getProp(MERGE_KEY));
  }

  public boolean required() {
    return Boolean.TRUE.equals(field.getObjectProp(REQUIRED));
  }

  /** Whether JSON may omit the field: it is a union with null. */
  public boolean nullable() {
    return isNullable(field.schema());
  }

  /** The field's schema without the null branch: the record, list, map or scalar it holds. */
  public Schema valueSchema() {
    return nonNull(field.schema());
  }

  public static boolean isNullable(Schema schema) {
    return schema.getType() == Schema.Type.UNION
        && schema.getTypes().stream().anyMatch(s -> s.getType() == Schema.Type.NULL);
  }

  /**
   * The schema without its null branch. A union of several non-null branches (int-or-string)
   * is returned as a union of those branches.
   */
  public static Schema nonNull(Schema schema) {
    if (schema.getType() != Schema.Type.UNION) {
      return schema;
    }
    var branches = schema.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).toList();
    return branches.size() == 1 ? branches.get(0) : Schema.createUnion(branches);
  }
}
