package io.capstan.logschema.validation;

import io.capstan.logschema.json.FieldPath;
import io.capstan.logschema.kinds.KubeField;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.IndexedRecord;

/**
 * The rules the schema itself states, checked by walking it: fields marked
 * {@code k8s.required} are set (non-null, non-empty), quantities parse, timestamps are
 * RFC 3339. Kind-specific rules build on this.
 */
final class SchemaRules {
  /**
   * Per record schema, the fields worth a look: required, formatted, or holding such fields
   * further down. Worked out once per schema, so validating an object costs a walk over what
   * the schema constrains, not over every field (the command processor validates every write).
   */
  private static final Map<Schema, List<CheckedField>> CHECKED = new ConcurrentHashMap<>();

  private record CheckedField(Schema.Field field, boolean required, String format) {}

  private SchemaRules() {}

  static void check(IndexedRecord record, String path, FieldErrors errors) {
    for (CheckedField cf : checkedFields(record.getSchema())) {
      Schema.Field field = cf.field();
      Object value = record.get(field.pos());
      if (cf.required() && isUnset(value)) {
        errors.add(FieldError.required(FieldPath.field(path, field.name())));
        continue;
      }
      if (value != null) {
        checkValue(field.schema(), cf.format(), value, FieldPath.field(path, field.name()), errors);
      }
    }
  }

  private static List<CheckedField> checkedFields(Schema recordSchema) {
    List<CheckedField> known = CHECKED.get(recordSchema);
    if (known != null) {
      return known;
    }
    List<CheckedField> fields = new ArrayList<>();
    for (Schema.Field field : recordSchema.getFields()) {
      KubeField kf = KubeField.of(field);
      String format = kf.format().orElse(null);
      if (kf.required() || format != null || constrains(field.schema(), new HashSet<>())) {
        fields.add(new CheckedField(field, kf.required(), format));
      }
    }
    List<CheckedField> result = List.copyOf(fields);
    CHECKED.put(recordSchema, result);
    return result;
  }

  /** Whether any field below this schema is required or formatted. */
  private static boolean constrains(Schema schema, Set<String> seen) {
    return switch (schema.getType()) {
      case UNION -> schema.getTypes().stream().anyMatch(t -> constrains(t, seen));
      case ARRAY -> constrains(schema.getElementType(), seen);
      case MAP -> constrains(schema.getValueType(), seen);
      case RECORD -> seen.add(schema.getFullName()) && schema.getFields().stream().anyMatch(f -> {
        KubeField kf = KubeField.of(f);
        return kf.required() || kf.format().isPresent() || constrains(f.schema(), seen);
      });
      default -> false;
    };
  }

  private static boolean isUnset(Object value) {
    return value == null
        || (value instanceof CharSequence s && s.length() == 0)
        || (value instanceof Collection<?> c && c.isEmpty());
  }

  private static void checkValue(Schema schema, String format, Object value, String path, FieldErrors errors) {
    if (value == null) {
      return;
    }
    switch (schema.getType()) {
      case UNION -> checkValue(schema.getTypes().get(GenericData.get().resolveUnion(schema, value)), format, value,
          path, errors);
      case RECORD -> check((IndexedRecord) value, path, errors);
      case ARRAY -> {
        int i = 0;
        for (Object item : (Collection<?>) value) {
          checkValue(schema.getElementType(), format, item, FieldPath.index(path, i++), errors);
        }
      }
      case MAP -> {
        for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
          checkValue(schema.getValueType(), format, e.getValue(), FieldPath.key(path, e.getKey().toString()), errors);
        }
      }
      case STRING -> checkString(format, value.toString(), path, errors);
      default -> { }
    }
  }

  private static void checkString(String format, String value, String path, FieldErrors errors) {
    if (format == null) {
      return;
    }
    switch (format) {
      case KubeField.FORMAT_QUANTITY -> errors.quantity(path, value);
      case KubeField.FORMAT_DATE_TIME -> {
        if (!isPlainUtcTimestamp(value)) {
          try {
            OffsetDateTime.parse(value);
          } catch (DateTimeParseException e) {
            errors.add(FieldError.invalid(path, value, "must be an RFC 3339 date-time (e.g. 2024-05-01T12:00:00Z)"));
          }
        }
      }
      default -> { }
    }
  }

  /**
   * The form every stored timestamp has ({@code 2026-11-27T04:10:09Z}), recognised without a
   * parser; anything else (fractions, offsets) goes to the full RFC 3339 parse.
   */
  static boolean isPlainUtcTimestamp(String v) {
    if (v.length() != 20 || v.charAt(4) != '-' || v.charAt(7) != '-' || v.charAt(10) != 'T'
        || v.charAt(13) != ':' || v.charAt(16) != ':' || v.charAt(19) != 'Z') {
      return false;
    }
    for (int i : new int[] {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18}) {
      if (v.charAt(i) < '0' || v.charAt(i) > '9') {
        return false;
      }
    }
    int month = (v.charAt(5) - '0') * 10 + (v.charAt(6) - '0');
    int day = (v.charAt(8) - '0') * 10 + (v.charAt(9) - '0');
    int hour = (v.charAt(11) - '0') * 10 + (v.charAt(12) - '0');
    int minute = (v.charAt(14) - '0') * 10 + (v.charAt(15) - '0');
    int second = (v.charAt(17) - '0') * 10 + (v.charAt(18) - '0');
    // day-of-month against the month's length is left to the full parse
    return month >= 1 && month <= 12 && day >= 1 && day <= 28 && hour <= 23 && minute <= 59 && second <= 59;
  }
}
