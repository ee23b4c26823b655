package io.capstan.stateviews.processor;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The last few request ids applied to one object key, each with the exact Reply it got, so a
 * client retrying after a timeout gets the original answer instead of a second write. Oldest
 * first; bounded by a count per key. Stored in a compact binary form of our own (the store is
 * internal: it is never on a Capstan topic).
 */
final class RecentRequests {
  /** Format 2: the newest entry's time comes first, so pruning reads 8 bytes, not the list. */
  private static final byte FORMAT = 2;
  private static final int HEADER = 1 + 8 + 4;

  /** One remembered request: its id, when it was answered, and the encoded Reply. */
  record Entry(String requestId, long timeMicros, byte[] reply) {}

  private final List<Entry> entries;

  private RecentRequests(List<Entry> entries) {
    this.entries = entries;
  }

  static RecentRequests empty() {
    return new RecentRequests(new ArrayList<>(1));
  }

  static RecentRequests decode(byte[] bytes) {
    if (bytes == null) {
      return empty();
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    checkFormat(bytes);
    b.position(1 + 8);
    int n = b.getInt();
    List<Entry> entries = new ArrayList<>(n + 1);
    for (int i = 0; i < n; i++) {
      byte[] id = new byte[b.getInt()];
      b.get(id);
      long time = b.getLong();
      byte[] reply = new byte[b.getInt()];
      b.get(reply);
      entries.add(new Entry(new String(id, StandardCharsets.UTF_8), time, reply));
    }
    return new RecentRequests(entries);
  }

  /** The reply a request id got, or null when it is not among the remembered ones. */
  byte[] replyTo(String requestId) {
    for (int i = entries.size() - 1; i >= 0; i--) {
      if (entries.get(i).requestId().equals(requestId)) {
        return entries.get(i).reply();
      }
    }
    return null;
  }

  /** Remembers a request, forgetting the oldest beyond {@code limit}. */
  RecentRequests remember(String requestId, long timeMicros, byte[] reply, int limit) {
    entries.add(new Entry(requestId, timeMicros, reply));
    while (entries.size() > limit) {
      entries.remove(0);
    }
    return this;
  }

  /** When the newest request was answered, or 0 when there is none. */
  long newestMicros() {
    return entries.isEmpty() ? 0 : entries.get(entries.size() - 1).timeMicros();
  }

  /** {@link #newestMicros()} of an encoded list, without decoding it. */
  static long newestMicros(byte[] bytes) {
    checkFormat(bytes);
    return ByteBuffer.wrap(bytes, 1, 8).getLong();
  }

  private static void checkFormat(byte[] bytes) {
    if (bytes.length < HEADER || bytes[0] != FORMAT) {
      throw new IllegalStateException("request-id store entry of " + bytes.length + " bytes has format "
          + (bytes.length > 0 ? bytes[0] : -1) + "; expected format " + FORMAT);
    }
  }

  int size() {
    return entries.size();
  }

  byte[] encode() {
    int size = HEADER;
    List<byte[]> ids = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      byte[] id = e.requestId().getBytes(StandardCharsets.UTF_8);
      ids.add(id);
      size += 4 + id.length + 8 + 4 + e.reply().length;
    }
    ByteBuffer b = ByteBuffer.allocate(size).put(FORMAT).putLong(newestMicros()).putInt(entries.size());
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      b.putInt(ids.get(i).length).put(ids.get(i)).putLong(e.timeMicros()).putInt(e.reply().length).put(e.reply());
    }
    return b.array();
  }
}
