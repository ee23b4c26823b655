package io.capstan.stateviews.processor;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The last few request ids applied to one object key, each with the exact Reply it got, so a
 * client retrying after a timeout gets the original answer instead of a second write. Oldest
 * first; bounded by a count per key. Stored in a compact binary form of our own (the store is
 * internal: it is never on a Capstan topic).
 *
 * <p>A reply whose object is the one stored under the key right now is kept without those bytes
 * (they are in the object store already) and marked with the object's resourceVersion; before
 * the stored object changes, such replies get their object back ({@link #materialize}). That
 * keeps the common case, a create, from writing the object twice more to the changelog.
 */
final class RecentRequests {
  /** Format 3: the newest entry's time comes first, so pruning reads 8 bytes, not the list. */
  private static final byte FORMAT = 3;
  /** An entry whose reply bytes are complete. */
  static final long COMPLETE = -1;
  /**
   * An entry without a reply yet: a create routed to quota admission, whose charged create is to
   * come back here. Only a charged create that finds its request pending may be applied: one
   * arriving after its request was forgotten, or after the object it made was deleted, would
   * otherwise make the object again under the uid it was charged with (a uid given twice).
   */
  static final long PENDING = -2;
  private static final int HEADER = 1 + 8 + 4;

  /**
   * One remembered request: its id, when it was answered, and the encoded Reply; when
   * {@code storedObjectRv} is not {@link #COMPLETE}, the reply lacks its object, which is the
   * object stored under the key at that resourceVersion.
   */
  record Entry(String requestId, long timeMicros, byte[] reply, long storedObjectRv) {}

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
      long objectRv = b.getLong();
      byte[] reply = new byte[b.getInt()];
      b.get(reply);
      entries.add(new Entry(new String(id, StandardCharsets.UTF_8), time, reply, objectRv));
    }
    return new RecentRequests(entries);
  }

  /** The entry of a request id, or null when it is not among the remembered ones. */
  Entry find(String requestId) {
    for (int i = entries.size() - 1; i >= 0; i--) {
      if (entries.get(i).requestId().equals(requestId)) {
        return entries.get(i);
      }
    }
    return null;
  }

  /** Remembers a request (in place of its pending entry), forgetting the oldest beyond {@code limit}. */
  RecentRequests remember(String requestId, long timeMicros, byte[] reply, long storedObjectRv, int limit) {
    entries.removeIf(e -> e.storedObjectRv() == PENDING && e.requestId().equals(requestId));
    entries.add(new Entry(requestId, timeMicros, reply, storedObjectRv));
    while (entries.size() > limit) {
      entries.remove(0);
    }
    return this;
  }

  /** Remembers that a create is waiting for its quota charges (see {@link #PENDING}). */
  RecentRequests pending(String requestId, long timeMicros, int limit) {
    if (find(requestId) == null) {
      remember(requestId, timeMicros, new byte[0], PENDING, limit);
    }
    return this;
  }

  /** The answered entry of a request id, or null when it is not remembered or still pending. */
  Entry answered(String requestId) {
    Entry e = find(requestId);
    return e == null || e.storedObjectRv() == PENDING ? null : e;
  }

  /** Gives every reply that leans on the stored object its own copy, before that object changes. */
  void materialize(UnaryOperator<byte[]> attachStoredObject) {
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      if (e.storedObjectRv() != COMPLETE && e.storedObjectRv() != PENDING) {
        entries.set(i, new Entry(e.requestId(), e.timeMicros(), attachStoredObject.apply(e.reply()), COMPLETE));
      }
    }
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

  /**
   * Encoded, forgetting the oldest entries while they take more than {@code maxBytes}; the newest
   * entry is always kept, whatever its size.
   */
  byte[] encode(int maxBytes) {
    int size = encodedSize();
    while (size > maxBytes && entries.size() > 1) {
      size -= entrySize(entries.remove(0));
    }
    return encode();
  }

  private int encodedSize() {
    int size = HEADER;
    for (Entry e : entries) {
      size += entrySize(e);
    }
    return size;
  }

  private static int entrySize(Entry e) {
    return 4 + e.requestId().getBytes(StandardCharsets.UTF_8).length + 8 + 8 + 4 + e.reply().length;
  }

  byte[] encode() {
    int size = HEADER;
    List<byte[]> ids = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      byte[] id = e.requestId().getBytes(StandardCharsets.UTF_8);
      ids.add(id);
      size += 4 + id.length + 8 + 8 + 4 + e.reply().length;
    }
    ByteBuffer b = ByteBuffer.allocate(size).put(FORMAT).putLong(newestMicros()).putInt(entries.size());
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      b.putInt(ids.get(i).length).put(ids.get(i)).putLong(e.timeMicros()).putLong(e.storedObjectRv())
          .putInt(e.reply().length).put(e.reply());
    }
    return b.array();
  }
}
