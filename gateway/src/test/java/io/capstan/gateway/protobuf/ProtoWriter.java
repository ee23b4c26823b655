package io.capstan.gateway.protobuf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A tiny protobuf encoder for tests, writing the fields the way Go's generated marshallers do
 * (each field with its own key; maps as repeated key = 1 / value = 2 entry messages), plus the
 * {@code k8s\0} + runtime.Unknown envelope of client-go's protobuf serializer.
 */
public final class ProtoWriter {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  public static ProtoWriter message() {
    return new ProtoWriter();
  }

  public ProtoWriter varint(int field, long value) {
    key(field, 0);
    rawVarint(value);
    return this;
  }

  public ProtoWriter bool(int field, boolean value) {
    return varint(field, value ? 1 : 0);
  }

  public ProtoWriter string(int field, String value) {
    return bytes(field, value.getBytes(StandardCharsets.UTF_8));
  }

  public ProtoWriter bytes(int field, byte[] value) {
    key(field, 2);
    rawVarint(value.length);
    out.writeBytes(value);
    return this;
  }

  public ProtoWriter message(int field, ProtoWriter value) {
    return bytes(field, value.toBytes());
  }

  public ProtoWriter fixed64(int field, long value) {
    key(field, 1);
    for (int i = 0; i < 8; i++) {
      out.write((int) (value >>> (8 * i)));
    }
    return this;
  }

  /** A map entry of a map<string, string>. */
  public ProtoWriter entry(int field, String key, String value) {
    return message(field, message().string(1, key).string(2, value));
  }

  /** A map entry whose value is bytes or a message. */
  public ProtoWriter entry(int field, String key, byte[] value) {
    return message(field, message().string(1, key).bytes(2, value));
  }

  /** A repeated varint field in packed form. */
  public ProtoWriter packed(int field, long... values) {
    ProtoWriter body = message();
    for (long v : values) {
      body.rawVarint(v);
    }
    return bytes(field, body.toBytes());
  }

  /** Raw bytes appended as they are (for malformed input). */
  public ProtoWriter raw(byte... bytes) {
    out.writeBytes(bytes);
    return this;
  }

  public byte[] toBytes() {
    return out.toByteArray();
  }

  public static ProtoWriter quantity(String value) {
    return message().string(1, value);
  }

  public static ProtoWriter intOrString(int value) {
    return message().varint(1, 0).varint(2, value);
  }

  public static ProtoWriter intOrString(String value) {
    return message().varint(1, 1).string(3, value);
  }

  /** client-go's protobuf serializer output: magic, then runtime.Unknown{typeMeta, raw, contentEncoding, contentType}. */
  public static byte[] envelope(String apiVersion, String kind, ProtoWriter object) {
    ProtoWriter unknown = message()
        .message(1, message().string(1, apiVersion).string(2, kind))
        .message(2, object)
        .string(3, "")
        .string(4, "");
    ProtoWriter all = message().raw((byte) 'k', (byte) '8', (byte) 's', (byte) 0);
    all.out.writeBytes(unknown.toBytes());
    return all.toBytes();
  }

  /**
   * ObjectMeta as Go writes it for a new object: every non-pointer field, empty ones included, and
   * the zero creationTimestamp as an empty message.
   */
  public static ProtoWriter newObjectMeta(String name, String... labels) {
    ProtoWriter meta = message().string(1, name).string(2, "").string(3, "").string(4, "").string(5, "")
        .string(6, "").varint(7, 0).message(8, message());
    for (int i = 0; i < labels.length; i += 2) {
      meta.entry(11, labels[i], labels[i + 1]);
    }
    return meta;
  }

  private void key(int field, int wireType) {
    rawVarint(((long) field << 3) | wireType);
  }

  private void rawVarint(long value) {
    while ((value & ~0x7fL) != 0) {
      out.write((int) ((value & 0x7f) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }
}
