package io.capstan.gateway.protobuf;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;

/**
 * Reads the protobuf wire format (varint, 64-bit, length-delimited, 32-bit) from a byte range.
 * Every read checks the range, so a truncated or malformed body is a {@link MalformedProtobufException}
 * naming the byte offset, never an index error.
 */
final class WireReader {
  static final int VARINT = 0;
  static final int FIXED64 = 1;
  static final int LENGTH_DELIMITED = 2;
  static final int START_GROUP = 3;
  static final int END_GROUP = 4;
  static final int FIXED32 = 5;

  private final byte[] bytes;
  private final int limit;
  private int pos;

  WireReader(byte[] bytes, int offset, int limit) {
    this.bytes = bytes;
    this.pos = offset;
    this.limit = limit;
  }

  WireReader(byte[] bytes) {
    this(bytes, 0, bytes.length);
  }

  boolean atEnd() {
    return pos >= limit;
  }

  int position() {
    return pos;
  }

  /** A field's key: number in the high bits, wire type in the low three. */
  record Tag(int number, int wireType) { }

  Tag tag() {
    int at = pos;
    long key = varint();
    int number = (int) (key >>> 3);
    if (number <= 0 || key >>> 3 > 536_870_911L) {
      throw malformed(at, "invalid field number " + (key >>> 3));
    }
    int wireType = (int) (key & 7);
    if (wireType > FIXED32) {
      throw malformed(at, "invalid wire type " + wireType + " for field " + number);
    }
    return new Tag(number, wireType);
  }

  long varint() {
    int at = pos;
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= limit) {
        throw malformed(at, "truncated varint");
      }
      byte b = bytes[pos++];
      value |= (long) (b & 0x7f) << shift;
      if (b >= 0) {
        return value;
      }
    }
    throw malformed(at, "varint longer than 10 bytes");
  }

  long fixed64() {
    need(8, "fixed64");
    long value = 0;
    for (int i = 7; i >= 0; i--) {
      value = (value << 8) | (bytes[pos + i] & 0xffL);
    }
    pos += 8;
    return value;
  }

  int fixed32() {
    need(4, "fixed32");
    int value = 0;
    for (int i = 3; i >= 0; i--) {
      value = (value << 8) | (bytes[pos + i] & 0xff);
    }
    pos += 4;
    return value;
  }

  /** A length-delimited field's contents as a reader of its own range. */
  WireReader delimited() {
    int at = pos;
    long length = varint();
    if (length < 0 || length > limit - pos) {
      throw malformed(at, "length " + length + " runs past the end of the enclosing message ("
          + (limit - pos) + " bytes left)");
    }
    WireReader inner = new WireReader(bytes, pos, pos + (int) length);
    pos += (int) length;
    return inner;
  }

  byte[] remainingBytes() {
    byte[] out = new byte[limit - pos];
    System.arraycopy(bytes, pos, out, 0, out.length);
    pos = limit;
    return out;
  }

  /** The whole range as UTF-8 text; invalid UTF-8 is malformed input, as Go's decoder of a string field says. */
  String utf8() {
    int at = pos;
    try {
      String s = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, pos, limit - pos)).toString();
      pos = limit;
      return s;
    } catch (CharacterCodingException e) {
      throw malformed(at, "string field is not valid UTF-8");
    }
  }

  /** Skips a field's value of a wire type this reader does not decode (an unknown field). */
  void skip(Tag tag) {
    switch (tag.wireType()) {
      case VARINT -> varint();
      case FIXED64 -> fixed64();
      case LENGTH_DELIMITED -> delimited();
      case FIXED32 -> fixed32();
      // Groups are a proto1 relic no Kubernetes message uses.
      default -> throw malformed(pos, "unexpected group (wire type " + tag.wireType() + ") in field " + tag.number());
    }
  }

  private void need(int n, String what) {
    if (limit - pos < n) {
      throw malformed(pos, "truncated " + what);
    }
  }

  static MalformedProtobufException malformed(int offset, String why) {
    return new MalformedProtobufException(why + " at byte " + offset);
  }
}
