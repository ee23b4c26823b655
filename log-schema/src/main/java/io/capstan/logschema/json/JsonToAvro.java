package io.capstan.logschema.json;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.KubeField;
import io.capstan.logschema.kinds.TrustedModelClasses;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.JsonProperties;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;

/**
 * One walk of a JSON tree against an Avro schema, building specific records. Go's
 * encoding/json is the model: a field missing from the JSON (or JSON null) gets its schema
 * default or, for a required field without one, the zero value, so validation — not
 * decoding — reports it as required; a value of the wrong type is an error naming the path.
 */
final class JsonToAvro {
  static {
    TrustedModelClasses.install();
  }

  private static final List<String> TYPE_MEMBERS = List.of("apiVersion", "kind");

  private final List<String> unknownFields = new ArrayList<>();

  List<String> unknownFields() {
    return unknownFields;
  }

  /** Converts a record whose JSON object may carry extra top-level members to skip (apiVersion, kind). */
  IndexedRecord record(Schema schema, JsonNode node, String path, List<String> ignoredMembers) {
    if (!node.isObject()) {
      throw mismatch(path, "object", node);
    }
    IndexedRecord record = (IndexedRecord) SpecificData.get().newRecord(null, schema);
    boolean[] seen = new boolean[schema.getFields().size()];
    Iterator<Map.Entry<String, JsonNode>> members = node.fields();
    while (members.hasNext()) {
      Map.Entry<String, JsonNode> member = members.next();
      String name = member.getKey();
      Schema.Field field = schema.getField(name);
      String fieldPath = FieldPath.field(path, name);
      if (field == null) {
        if (!ignoredMembers.contains(name)) {
          unknownFields.add(fieldPath);
        }
        continue;
      }
      seen[field.pos()] = true;
      record.put(field.pos(), fieldValue(field, member.getValue(), fieldPath));
    }
    for (Schema.Field field : schema.getFields()) {
      if (!seen[field.pos()]) {
        record.put(field.pos(), absent(field));
      }
    }
    return record;
  }

  private Object fieldValue(Schema.Field field, JsonNode node, String path) {
    if (node.isNull()) {
      return absent(field);
    }
    return value(field.schema(), KubeField.of(field).format().orElse(null), node, path);
  }

  /** The value of a field the JSON leaves out: the schema default, else Go's zero value. */
  private static Object absent(Schema.Field field) {
    if (field.hasDefaultValue()) {
      Object dflt = field.defaultVal();
      if (dflt == JsonProperties.NULL_VALUE) {
        return null;
      }
      // A fresh copy: the default object is shared by every record of the schema.
      return SpecificData.get().deepCopy(field.schema(), SpecificData.get().getDefaultValue(field));
    }
    return zero(field.schema());
  }

  static Object zero(Schema schema) {
    return switch (schema.getType()) {
      case NULL, UNION -> KubeField.isNullable(schema) ? null : zero(schema.getTypes().get(0));
      case STRING -> "";
      case INT -> 0;
      case LONG -> 0L;
      case FLOAT -> 0f;
      case DOUBLE -> 0d;
      case BOOLEAN -> false;
      case BYTES -> ByteBuffer.allocate(0);
      case ARRAY -> new ArrayList<>();
      case MAP -> new LinkedHashMap<String, Object>();
      case ENUM -> SpecificData.get().createEnum(schema.getEnumSymbols().get(0), schema);
      case FIXED -> SpecificData.get().createFixed(null, new byte[schema.getFixedSize()], schema);
      case RECORD -> {
        IndexedRecord r = (IndexedRecord) SpecificData.get().newRecord(null, schema);
        for (Schema.Field f : schema.getFields()) {
          r.put(f.pos(), absent(f));
        }
        yield r;
      }
    };
  }

  /** A value of the given schema; {@code format} is the enclosing field's k8s.format, applied to leaves. */
  Object value(Schema schema, String format, JsonNode node, String path) {
    switch (schema.getType()) {
      case UNION:
        return unionValue(schema, format, node, path);
      case NULL:
        if (!node.isNull()) {
          throw mismatch(path, "null", node);
        }
        return null;
      case STRING:
        if (KubeField.FORMAT_JSON.equals(format)) {
          return node.toString(); // any JSON value, as compact text
        }
        if (node.isTextual()) {
          return node.textValue();
        }
        if (node.isNumber() && KubeField.FORMAT_QUANTITY.equals(format)) {
          return quantityText(node);
        }
        throw mismatch(path, "string", node);
      case INT:
        if (node.isIntegralNumber() && node.canConvertToInt()) {
          return node.intValue();
        }
        if (node.isIntegralNumber()) {
          throw new ConversionException(path, "value " + node.asText() + " is out of range for a 32-bit integer");
        }
        throw mismatch(path, "integer", node);
      case LONG:
        if (node.isIntegralNumber() && node.canConvertToLong()) {
          return node.longValue();
        }
        if (node.isIntegralNumber()) {
          throw new ConversionException(path, "value " + node.asText() + " is out of range for a 64-bit integer");
        }
        throw mismatch(path, "integer", node);
      case FLOAT:
        if (node.isNumber()) {
          return node.floatValue();
        }
        throw mismatch(path, "number", node);
      case DOUBLE:
        if (node.isNumber()) {
          return node.doubleValue();
        }
        throw mismatch(path, "number", node);
      case BOOLEAN:
        if (node.isBoolean()) {
          return node.booleanValue();
        }
        throw mismatch(path, "boolean", node);
      case BYTES:
        if (!node.isTextual()) {
          throw mismatch(path, "base64 string", node);
        }
        try {
          return ByteBuffer.wrap(Base64.getDecoder().decode(node.textValue()));
        } catch (IllegalArgumentException e) {
          throw new ConversionException(path, "illegal base64 data: " + e.getMessage(), e);
        }
      case ENUM:
        if (node.isTextual() && schema.hasEnumSymbol(node.textValue())) {
          return SpecificData.get().createEnum(node.textValue(), schema);
        }
        throw new ConversionException(path, "expected one of " + schema.getEnumSymbols() + ", got " + describe(node));
      case ARRAY: {
        if (!node.isArray()) {
          throw mismatch(path, "array", node);
        }
        List<Object> items = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
          JsonNode item = node.get(i);
          String itemPath = FieldPath.index(path, i);
          items.add(item.isNull() && !KubeField.isNullable(schema.getElementType())
              ? zero(schema.getElementType())
              : value(schema.getElementType(), format, item, itemPath));
        }
        return items;
      }
      case MAP: {
        if (!node.isObject()) {
          throw mismatch(path, "object", node);
        }
        Map<String, Object> map = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> entries = node.fields();
        while (entries.hasNext()) {
          Map.Entry<String, JsonNode> e = entries.next();
          String entryPath = FieldPath.key(path, e.getKey());
          JsonNode v = e.getValue();
          map.put(e.getKey(), v.isNull() && !KubeField.isNullable(schema.getValueType())
              ? zero(schema.getValueType())
              : value(schema.getValueType(), format, v, entryPath));
        }
        return map;
      }
      case RECORD:
        // A kind's object inside another (a StatefulSet's volumeClaimTemplates) may say what it is.
        return record(schema, node, path, Kinds.bySchema(schema).isPresent() ? TYPE_MEMBERS : Collections.emptyList());
      case FIXED:
      default:
        throw new ConversionException(path, "schema type " + schema.getType() + " is not supported in JSON");
    }
  }

  private Object unionValue(Schema union, String format, JsonNode node, String path) {
    if (node.isNull()) {
      if (KubeField.isNullable(union)) {
        return null;
      }
      throw mismatch(path, expected(union), node);
    }
    Schema nonNull = KubeField.nonNull(union);
    if (nonNull.getType() != Schema.Type.UNION) {
      return value(nonNull, format, node, path);
    }
    // Several branches (int-or-string): pick the one the JSON token's type names, as
    // intstr.IntOrString does: a JSON number is the int, a JSON string the string.
    for (Schema branch : nonNull.getTypes()) {
      if (accepts(branch, node)) {
        return value(branch, format, node, path);
      }
    }
    throw mismatch(path, expected(union), node);
  }

  private static boolean accepts(Schema branch, JsonNode node) {
    return switch (branch.getType()) {
      case STRING, BYTES, ENUM -> node.isTextual();
      case INT, LONG -> node.isIntegralNumber();
      case FLOAT, DOUBLE -> node.isNumber();
      case BOOLEAN -> node.isBoolean();
      case ARRAY -> node.isArray();
      case MAP, RECORD -> node.isObject();
      default -> false;
    };
  }

  private static String expected(Schema union) {
    List<String> names = new ArrayList<>();
    for (Schema s : union.getTypes()) {
      switch (s.getType()) {
        case NULL -> { }
        case INT, LONG -> names.add("integer");
        case STRING -> names.add("string");
        case BOOLEAN -> names.add("boolean");
        case ARRAY -> names.add("array");
        case MAP, RECORD -> names.add("object");
        default -> names.add(s.getType().getName());
      }
    }
    return String.join(" or ", names);
  }

  /**
   * A JSON number in a quantity field ({@code cpu: 1}, {@code cpu: 0.5}) is kept as its
   * plain decimal text ("1", "0.5"), which Kubernetes accepts as the same quantity. We do not
   * canonicalize (kube-apiserver would print 0.5 as "500m"): the stored object keeps what
   * the user wrote, and {@code Quantity.parse(..).canonical()} gives the canonical form.
   */
  private static String quantityText(JsonNode node) {
    if (node.isIntegralNumber()) {
      return node.bigIntegerValue().toString();
    }
    BigDecimal d = node.decimalValue().stripTrailingZeros();
    return d.scale() < 0 ? d.setScale(0).toPlainString() : d.toPlainString();
  }

  static ConversionException mismatch(String path, String expected, JsonNode node) {
    return new ConversionException(path, "expected " + expected + ", got " + describe(node));
  }

  static String describe(JsonNode node) {
    String text = node.toString();
    if (text.length() > 60) {
      text = text.substring(0, 57) + "...";
    }
    return switch (node.getNodeType()) {
      case STRING -> "string " + text;
      case NUMBER -> "number " + text;
      case BOOLEAN -> "boolean " + text;
      case ARRAY -> "array";
      case OBJECT, POJO -> "object";
      case NULL, MISSING -> "null";
      default -> node.getNodeType().name().toLowerCase();
    };
  }
}
