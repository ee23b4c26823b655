package io.capstan.nodeagent.image;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a tar stream (POSIX ustar with pax extended headers, and GNU long names), as image
 * layers and {@code docker save} archives are written. One entry at a time: {@link #next()}
 * skips whatever of the previous entry's content was not read.
 */
final class TarReader {
  private static final int BLOCK = 512;

  /** The kinds of entry that matter for a root filesystem. */
  enum Type { FILE, HARD_LINK, SYMLINK, CHAR_DEVICE, BLOCK_DEVICE, DIRECTORY, FIFO }

  /**
   * @param name     the path inside the archive, as written (may start with {@code ./})
   * @param linkName the target of a link
   */
  record Entry(String name, Type type, int mode, long uid, long gid, long size, long mtimeSeconds, String linkName,
      int devMajor, int devMinor) {}

  private final InputStream in;
  private long offset;
  private long remaining;
  private long padding;

  TarReader(InputStream in) {
    this.in = in;
  }

  /** The next entry, or null at the end of the archive. */
  Entry next() throws IOException {
    skip(remaining + padding);
    remaining = 0;
    padding = 0;
    Map<String, String> pax = new HashMap<>();
    String longName = null;
    String longLink = null;
    while (true) {
      byte[] h = new byte[BLOCK];
      if (!readBlock(h)) {
        return null;
      }
      if (allZero(h)) {
        return null;
      }
      long headerAt = offset - BLOCK;
      verifyChecksum(h, headerAt);
      char flag = (char) h[156];
      long size = number(h, 124, 12, headerAt);
      if (flag == 'x' || flag == 'g' || flag == 'L' || flag == 'K') {
        byte[] data = readContent(size);
        if (flag == 'x') {
          pax.putAll(parsePax(data, headerAt));
        } else if (flag == 'L') {
          longName = cString(data, 0, data.length);
        } else if (flag == 'K') {
          longLink = cString(data, 0, data.length);
        }
        continue; // 'g' (global pax) carries nothing a root filesystem needs
      }
      String name = cString(h, 0, 100);
      if ("ustar".equals(cString(h, 257, 6).trim())) {
        String prefix = cString(h, 345, 155);
        if (!prefix.isEmpty()) {
          name = prefix + "/" + name;
        }
      }
      name = pax.getOrDefault("path", longName != null ? longName : name);
      String link = pax.getOrDefault("linkpath", longLink != null ? longLink : cString(h, 157, 100));
      if (pax.containsKey("size")) {
        size = parseLong(pax.get("size"), "pax size", headerAt);
      }
      Type type = switch (flag) {
        case '0', '\0', '7' -> Type.FILE;
        case '1' -> Type.HARD_LINK;
        case '2' -> Type.SYMLINK;
        case '3' -> Type.CHAR_DEVICE;
        case '4' -> Type.BLOCK_DEVICE;
        case '5' -> Type.DIRECTORY;
        case '6' -> Type.FIFO;
        default -> throw new IOException("tar entry " + name + " at offset " + headerAt + " has unsupported type '"
            + flag + "'");
      };
      if (type != Type.FILE) {
        size = type == Type.HARD_LINK || type == Type.SYMLINK || type == Type.DIRECTORY ? 0 : size;
      }
      long uid = pax.containsKey("uid") ? parseLong(pax.get("uid"), "pax uid", headerAt) : number(h, 108, 8, headerAt);
      long gid = pax.containsKey("gid") ? parseLong(pax.get("gid"), "pax gid", headerAt) : number(h, 116, 8, headerAt);
      long mtime = pax.containsKey("mtime")
          ? (long) Double.parseDouble(pax.get("mtime")) : number(h, 136, 12, headerAt);
      remaining = size;
      padding = (BLOCK - size % BLOCK) % BLOCK;
      return new Entry(name, type, (int) number(h, 100, 8, headerAt), uid, gid, size, mtime, link,
          (int) number(h, 329, 8, headerAt), (int) number(h, 337, 8, headerAt));
    }
  }

  /** The current entry's content; reading past its end returns -1. */
  InputStream content() {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (remaining <= 0) {
          return -1;
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
          throw new EOFException("tar archive ends inside an entry, " + remaining + " bytes short");
        }
        remaining -= n;
        offset += n;
        return n;
      }
    };
  }

  private byte[] readContent(long size) throws IOException {
    if (size > 1 << 20) {
      throw new IOException("tar extended header of " + size + " bytes at offset " + offset + " is too large");
    }
    remaining = size;
    byte[] data = content().readAllBytes();
    skip((BLOCK - size % BLOCK) % BLOCK);
    remaining = 0;
    return data;
  }

  private boolean readBlock(byte[] h) throws IOException {
    int got = in.readNBytes(h, 0, BLOCK);
    offset += got;
    if (got == 0) {
      return false; // an archive without its two end blocks still ends here
    }
    if (got < BLOCK) {
      throw new EOFException("tar archive truncated at offset " + (offset - got) + " (a header needs 512 bytes, "
          + got + " left)");
    }
    return true;
  }

  /** Reads (not skips) past {@code n} bytes, so a digesting stream underneath sees all of them. */
  private void skip(long n) throws IOException {
    byte[] buf = new byte[8192];
    while (n > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, n));
      if (r < 0) {
        throw new EOFException("tar archive ends inside an entry, " + n + " bytes short");
      }
      n -= r;
      offset += r;
    }
  }

  private static void verifyChecksum(byte[] h, long at) throws IOException {
    long stored = number(h, 148, 8, at);
    long sum = 0;
    for (int i = 0; i < BLOCK; i++) {
      sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
    }
    if (sum != stored) {
      throw new IOException("not a tar archive, or a corrupt one: the header at offset " + at
          + " fails its checksum");
    }
  }

  /** An octal field, or GNU base-256 when the top bit of its first byte is set. */
  private static long number(byte[] h, int off, int len, long at) throws IOException {
    if ((h[off] & 0x80) != 0) {
      long v = h[off] & 0x7f;
      for (int i = 1; i < len; i++) {
        v = (v << 8) | (h[off + i] & 0xff);
      }
      return v;
    }
    String s = cString(h, off, len).trim();
    if (s.isEmpty()) {
      return 0;
    }
    try {
      return Long.parseLong(s, 8);
    } catch (NumberFormatException e) {
      throw new IOException("tar header at offset " + at + " has a bad number field \"" + s + "\"");
    }
  }

  private static Map<String, String> parsePax(byte[] data, long at) throws IOException {
    Map<String, String> out = new HashMap<>();
    int i = 0;
    while (i < data.length) {
      int space = i;
      while (space < data.length && data[space] != ' ') {
        space++;
      }
      int len = (int) parseLong(new String(data, i, space - i, StandardCharsets.UTF_8), "pax record length", at);
      if (len <= 0 || i + len > data.length || space >= i + len) {
        throw new IOException("tar pax header at offset " + at + " is malformed");
      }
      String record = new String(data, space + 1, i + len - space - 2, StandardCharsets.UTF_8);
      int eq = record.indexOf('=');
      if (eq > 0) {
        out.put(record.substring(0, eq), record.substring(eq + 1));
      }
      i += len;
    }
    return out;
  }

  private static long parseLong(String s, String what, long at) throws IOException {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      throw new IOException("tar header at offset " + at + " has a bad " + what + " \"" + s + "\"");
    }
  }

  private static String cString(byte[] b, int off, int len) {
    int end = off;
    while (end < off + len && b[end] != 0) {
      end++;
    }
    return new String(b, off, end - off, StandardCharsets.UTF_8);
  }

  private static boolean allZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  /** Reads a whole stream into memory (small files such as manifests). */
  static byte[] readSmall(InputStream in, String what) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    int n;
    while ((n = in.read(buf)) >= 0) {
      out.write(buf, 0, n);
      if (out.size() > 16 << 20) {
        throw new IOException(what + " is larger than 16 MiB");
      }
    }
    return out.toByteArray();
  }
}
