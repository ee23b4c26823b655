package io.capstan.logschema.validation;

import io.capstan.logschema.json.FieldPath;
import io.capstan.logschema.kinds.KubeField;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.IndexedRecord;

/**
 * The rules the schema itself states, checked by walking it: fields marked
 * {@code k8s.required} are set (non-null, non-empty), quantities parse, timestamps are
 * RFC 3339. Kind-specific rules build on this.
 */
final class SchemaRules {
  private SchemaRules() {}

  static void check(IndexedRecord record, String path, FieldErrors errors) {
    for (Schema.Field field : record.getSchema().getFields()) {
      KubeField kf = KubeField.of(field);
      Object value = record.get(field.pos());
      String fieldPath = FieldPath.field(path, field.name());
      if (kf.required() && isUnset(value)) {
        errors.add(FieldError.required(fieldPath));
        continue;
      }
      if (value != null) {
        checkValue(field.schema(), kf.format().orElse(null), value, fieldPath, errors);
      }
    }
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
        try {
          OffsetDateTime.parse(value);
        } catch (DateTimeParseException e) {
          errors.add(FieldError.invalid(path, value, "must be an RFC 3339 date-time (e.g. 2024-05-01T12:00:00Z)"));
        }
      }
      default -> { }
    }
  }
}
