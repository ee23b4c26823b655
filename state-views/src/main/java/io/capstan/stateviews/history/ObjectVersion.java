package io.capstan.stateviews.history;

import io.capstan.log.EventOp;

/**
 * One version of an object, as an event of the log made it: who changed it, when, how, and the
 * object after the change (its single-object encoding, for a delete the last state; null when the
 * event carries none).
 *
 * @param partition the event's partition of the event log
 * @param offset    the event's offset there
 */
public record ObjectVersion(String key, long resourceVersion, long timeMicros, EventOp op, String actor, String uid,
    StoredBytes stored, int partition, long offset) {

  /** A version whose object is held on the heap. */
  public ObjectVersion(String key, long resourceVersion, long timeMicros, EventOp op, String actor, String uid,
      byte[] object, int partition, long offset) {
    this(key, resourceVersion, timeMicros, op, actor, uid, object == null ? null : StoredBytes.of(object), partition,
        offset);
  }

  /** The encoded object, or null. */
  public byte[] object() {
    return stored == null ? null : stored.bytes();
  }

  /** Whether the object is gone after this change. */
  public boolean removes() {
    return op == EventOp.DELETED;
  }
}
