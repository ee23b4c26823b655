package io.capstan.gateway.protobuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.gateway.protobuf.FieldTable.Cardinality;
import io.capstan.gateway.protobuf.FieldTable.Field;
import io.capstan.gateway.protobuf.FieldTable.Message;
import io.capstan.gateway.protobuf.FieldTable.MessageRef;
import io.capstan.gateway.protobuf.FieldTable.Scalar;
import io.capstan.gateway.protobuf.FieldTable.WellKnown;
import io.capstan.gateway.protobuf.WireReader.Tag;
import io.capstan.logschema.json.KubeJson;
import java.math.BigInteger;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * One protobuf-encoded object to the JSON tree its JSON encoding would be, walking the
 * {@link FieldTable}. As Kubernetes' Go structs read it: fields the table does not know are
 * skipped (their paths are collected for fieldValidation), a repeated scalar may come packed or
 * not, a message field that occurs twice is merged, and a non-pointer scalar at its zero value
 * is left out (Go always writes those fields; its JSON encoding omits them as empty).
 */
final class MessageDecoder {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final DateTimeFormatter MICRO_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX").withZone(ZoneOffset.UTC);
  /** Nesting bound: a crafted body must not exhaust the stack (Kubernetes objects nest far less). */
  private static final int MAX_DEPTH = 64;

  private final FieldTable table;
  private final List<String> unknownFields = new ArrayList<>();

  MessageDecoder(FieldTable table) {
    this.table = table;
  }

  /** Paths of fields skipped because the table has no such number, e.g. {@code spec.template.<field 99>}. */
  List<String> unknownFields() {
    return List.copyOf(unknownFields);
  }

  ObjectNode decode(Message type, WireReader in) {
    ObjectNode out = NODES.objectNode();
    readInto(type, in, "", out, 0);
    return out;
  }

  private void readInto(Message type, WireReader in, String path, ObjectNode out, int depth) {
    if (depth > MAX_DEPTH) {
      throw new MalformedProtobufException("messages nested deeper than " + MAX_DEPTH + " levels at " + show(path));
    }
    while (!in.atEnd()) {
      Tag tag = in.tag();
      Field field = type.fields().get(tag.number());
      if (field == null) {
        unknownFields.add(join(path, "<protobuf field " + tag.number() + " of " + simpleName(type.name()) + ">"));
        in.skip(tag);
        continue;
      }
      String fieldPath = field.inline() ? path : join(path, field.jsonName());
      switch (field.cardinality()) {
        case OPTIONAL -> optional(field, tag, in, fieldPath, out, depth);
        case REPEATED -> repeated(field, tag, in, fieldPath, arrayAt(out, field.jsonName()), depth);
        case MAP -> mapEntry(field, tag, in, fieldPath, objectAt(out, field.jsonName()), depth);
        default -> throw new IllegalStateException(field.cardinality().toString());
      }
    }
  }

  private void optional(Field field, Tag tag, WireReader in, String path, ObjectNode out, int depth) {
    if (field.inline()) {
      expect(field, tag, WireReader.LENGTH_DELIMITED, path);
      readInto(message(field, path), in.delimited(), path, out, depth + 1);
      return;
    }
    JsonNode value = value(field, tag, in, path, depth);
    JsonNode previous = out.get(field.jsonName());
    if (value instanceof ObjectNode object && previous instanceof ObjectNode earlier) {
      earlier.setAll(object); // protobuf merges a repeated occurrence of a message field
      return;
    }
    if (value == null || (!field.pointer() && isZero(value))) {
      out.remove(field.jsonName()); // the last occurrence wins, and it says "unset"
      return;
    }
    out.set(field.jsonName(), value);
  }

  private void repeated(Field field, Tag tag, WireReader in, String path, ArrayNode out, int depth) {
    if (field.type() instanceof Scalar s && isNumeric(s) && tag.wireType() == WireReader.LENGTH_DELIMITED) {
      WireReader packed = in.delimited(); // packed encoding: the values back to back
      while (!packed.atEnd()) {
        out.add(scalar(s, packed, path));
      }
      return;
    }
    JsonNode value = value(field, tag, in, path + "[" + out.size() + "]", depth);
    out.add(value == null ? NODES.nullNode() : value);
  }

  /** A map entry is a message with the key as field 1 and the value as field 2. */
  private void mapEntry(Field field, Tag tag, WireReader in, String path, ObjectNode out, int depth) {
    expect(field, tag, WireReader.LENGTH_DELIMITED, path);
    WireReader entry = in.delimited();
    String key = "";
    JsonNode value = null;
    while (!entry.atEnd()) {
      Tag t = entry.tag();
      if (t.number() == 1) {
        if (t.wireType() != WireReader.LENGTH_DELIMITED) {
          throw new MalformedProtobufException("map key of " + show(path) + " has wire type " + t.wireType()
              + ", expected a string");
        }
        key = entry.delimited().utf8();
      } else if (t.number() == 2) {
        value = value(field, t, entry, path + "[" + key + "]", depth);
      } else {
        entry.skip(t);
      }
    }
    // An entry without a value holds the zero value of the map's value type.
    out.set(key, value != null ? value : zeroOf(field));
  }

  private JsonNode value(Field field, Tag tag, WireReader in, String path, int depth) {
    if (field.type() instanceof Scalar s) {
      expect(field, tag, wireType(s), path);
      return scalar(s, in, path);
    }
    expect(field, tag, WireReader.LENGTH_DELIMITED, path);
    WireReader inner = in.delimited();
    if (field.type() instanceof WellKnown w) {
      return wellKnown(w, inner, path, field.pointer() || field.cardinality() != Cardinality.OPTIONAL);
    }
    ObjectNode object = NODES.objectNode();
    readInto(message(field, path), inner, path, object, depth + 1);
    return object;
  }

  private Message message(Field field, String path) {
    String name = ((MessageRef) field.type()).name();
    return table.message(name).orElseThrow(() -> new IllegalStateException(
        "field table names message " + name + " (at " + show(path) + ") but does not define it"));
  }

  private static JsonNode scalar(Scalar s, WireReader in, String path) {
    return switch (s) {
      case STRING -> NODES.textNode(in.delimited().utf8());
      case BYTES -> NODES.textNode(Base64.getEncoder().encodeToString(in.delimited().remainingBytes()));
      case BOOL -> NODES.booleanNode(in.varint() != 0);
      case INT32 -> NODES.numberNode((int) in.varint());
      case INT64 -> NODES.numberNode(in.varint());
      case UINT32 -> NODES.numberNode(in.varint() & 0xffff_ffffL);
      case UINT64 -> unsigned(in.varint());
      case SINT32 -> NODES.numberNode((int) zigzag(in.varint()));
      case SINT64 -> NODES.numberNode(zigzag(in.varint()));
      case DOUBLE -> NODES.numberNode(Double.longBitsToDouble(in.fixed64()));
      case FLOAT -> NODES.numberNode(Float.intBitsToFloat(in.fixed32()));
      case FIXED32 -> NODES.numberNode(in.fixed32() & 0xffff_ffffL);
      case FIXED64 -> unsigned(in.fixed64());
      case SFIXED32 -> NODES.numberNode(in.fixed32());
      case SFIXED64 -> NODES.numberNode(in.fixed64());
    };
  }

  /**
   * The apimachinery types with a JSON form of their own. {@code keepZero}: a pointer, list
   * element or map value, where an empty message still means a value (a zero IntOrString is 0).
   */
  private static JsonNode wellKnown(WellKnown w, WireReader in, String path, boolean keepZero) {
    return switch (w) {
      case TIME, MICROTIME -> {
        long seconds = 0;
        int nanos = 0;
        boolean any = false;
        while (!in.atEnd()) {
          Tag t = in.tag();
          if (t.number() == 1 && t.wireType() == WireReader.VARINT) {
            seconds = in.varint();
            any = true;
          } else if (t.number() == 2 && t.wireType() == WireReader.VARINT) {
            nanos = (int) in.varint();
            any = true;
          } else {
            in.skip(t);
          }
        }
        // metav1.Time marshals the zero time as an empty message, its JSON is null.
        if (!any) {
          yield null;
        }
        if (nanos < 0 || nanos > 999_999_999) {
          throw new MalformedProtobufException("time at " + show(path) + " has nanos " + nanos + " out of range");
        }
        Instant instant;
        try {
          instant = Instant.ofEpochSecond(seconds, nanos);
        } catch (java.time.DateTimeException e) {
          throw new MalformedProtobufException("time at " + show(path) + " has seconds " + seconds + " out of range");
        }
        yield NODES.textNode(w == WellKnown.TIME
            ? DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(java.time.temporal.ChronoUnit.SECONDS))
            : MICRO_TIME.format(instant));
      }
      case DURATION -> {
        long nanos = 0;
        while (!in.atEnd()) {
          Tag t = in.tag();
          if (t.number() == 1 && t.wireType() == WireReader.VARINT) {
            nanos = in.varint();
          } else {
            in.skip(t);
          }
        }
        yield NODES.textNode(GoDuration.format(nanos));
      }
      case FIELDSV1, RAWEXTENSION -> {
        byte[] raw = new byte[0];
        while (!in.atEnd()) {
          Tag t = in.tag();
          if (t.number() == 1 && t.wireType() == WireReader.LENGTH_DELIMITED) {
            raw = in.delimited().remainingBytes();
          } else {
            in.skip(t);
          }
        }
        if (raw.length == 0) {
          yield null;
        }
        try {
          yield KubeJson.jsonMapper().readTree(raw);
        } catch (java.io.IOException | RuntimeException e) {
          throw new MalformedProtobufException("raw JSON at " + show(path) + " is not valid JSON");
        }
      }
      case QUANTITY -> {
        String text = "";
        while (!in.atEnd()) {
          Tag t = in.tag();
          if (t.number() == 1 && t.wireType() == WireReader.LENGTH_DELIMITED) {
            text = in.delimited().utf8();
          } else {
            in.skip(t);
          }
        }
        yield text.isEmpty() ? (keepZero ? NODES.textNode("0") : null) : NODES.textNode(text);
      }
      case INTORSTRING -> {
        long type = 0;
        int intVal = 0;
        String strVal = "";
        while (!in.atEnd()) {
          Tag t = in.tag();
          if (t.number() == 1 && t.wireType() == WireReader.VARINT) {
            type = in.varint();
          } else if (t.number() == 2 && t.wireType() == WireReader.VARINT) {
            intVal = (int) in.varint();
          } else if (t.number() == 3 && t.wireType() == WireReader.LENGTH_DELIMITED) {
            strVal = in.delimited().utf8();
          } else {
            in.skip(t);
          }
        }
        if (type == 1) {
          yield NODES.textNode(strVal);
        }
        if (type != 0) {
          throw new MalformedProtobufException("IntOrString at " + show(path) + " has type " + type
              + " (0 is an int, 1 a string)");
        }
        // A non-pointer IntOrString left at zero is unset (Service targetPort then defaults to port).
        yield intVal == 0 && !keepZero ? null : NODES.numberNode(intVal);
      }
    };
  }

  private static JsonNode zeroOf(Field field) {
    if (field.type() instanceof Scalar s) {
      return switch (s) {
        case STRING, BYTES -> NODES.textNode("");
        case BOOL -> NODES.booleanNode(false);
        default -> NODES.numberNode(0);
      };
    }
    if (field.type() == WellKnown.QUANTITY) {
      return NODES.textNode("0");
    }
    return field.type() instanceof MessageRef ? NODES.objectNode() : NODES.nullNode();
  }

  private static ArrayNode arrayAt(ObjectNode out, String name) {
    return out.get(name) instanceof ArrayNode a ? a : out.putArray(name);
  }

  private static ObjectNode objectAt(ObjectNode out, String name) {
    return out.get(name) instanceof ObjectNode o ? o : out.putObject(name);
  }

  private static boolean isZero(JsonNode value) {
    return (value.isTextual() && value.textValue().isEmpty())
        || (value.isNumber() && value.asDouble() == 0)
        || (value.isBoolean() && !value.booleanValue())
        || (value.isObject() && value.isEmpty());
  }

  private static boolean isNumeric(Scalar s) {
    return s != Scalar.STRING && s != Scalar.BYTES;
  }

  private static int wireType(Scalar s) {
    return switch (s) {
      case STRING, BYTES -> WireReader.LENGTH_DELIMITED;
      case DOUBLE, FIXED64, SFIXED64 -> WireReader.FIXED64;
      case FLOAT, FIXED32, SFIXED32 -> WireReader.FIXED32;
      default -> WireReader.VARINT;
    };
  }

  private static void expect(Field field, Tag tag, int wireType, String path) {
    if (tag.wireType() != wireType) {
      throw new MalformedProtobufException("field " + field.number() + " (" + show(path) + ") has wire type "
          + tag.wireType() + ", expected " + wireType);
    }
  }

  private static JsonNode unsigned(long v) {
    return v >= 0 ? NODES.numberNode(v) : NODES.numberNode(new BigInteger(Long.toUnsignedString(v)));
  }

  private static long zigzag(long v) {
    return (v >>> 1) ^ -(v & 1);
  }

  private static String join(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  private static String show(String path) {
    return path.isEmpty() ? "the object" : path;
  }

  private static String simpleName(String message) {
    return message.substring(message.lastIndexOf('.') + 1);
  }
}
