package io.capstan.stateviews.processor;

import java.nio.ByteBuffer;

/**
 * One partition's resourceVersion clock, a hybrid logical clock in microseconds:
 * {@code rv = max(last + 1, now, lastWatermark + 1)}. It never goes backwards (not across wall
 * clock steps, not across restarts: its state lives in the clock store) and every rv is above
 * every watermark already promised. Not thread-safe: one per stream task.
 */
final class HybridClock {
  private static final byte FORMAT = 1;
  private static final int ENCODED_SIZE = 1 + 8 + 8;

  private long lastRv;
  private long lastWatermark;

  HybridClock(long lastRv, long lastWatermark) {
    this.lastRv = lastRv;
    this.lastWatermark = lastWatermark;
  }

  static HybridClock decode(byte[] bytes) {
    if (bytes == null) {
      return new HybridClock(0, 0);
    }
    if (bytes.length != ENCODED_SIZE || bytes[0] != FORMAT) {
      throw new IllegalStateException("clock store holds " + bytes.length + " bytes of format " + (bytes.length > 0 ? bytes[0] : -1)
          + "; expected " + ENCODED_SIZE + " bytes of format " + FORMAT);
    }
    ByteBuffer b = ByteBuffer.wrap(bytes, 1, 16);
    return new HybridClock(b.getLong(), b.getLong());
  }

  byte[] encode() {
    return ByteBuffer.allocate(ENCODED_SIZE).put(FORMAT).putLong(lastRv).putLong(lastWatermark).array();
  }

  /** The resourceVersion of the next write. */
  long next(long nowMicros) {
    lastRv = Math.max(Math.max(lastRv + 1, nowMicros), lastWatermark + 1);
    return lastRv;
  }

  /**
   * Promises that no later write carries an rv at or below the returned watermark:
   * {@code max(previous watermark, last rv, now - 1)}.
   */
  long watermark(long nowMicros) {
    lastWatermark = Math.max(lastWatermark, Math.max(lastRv, nowMicros - 1));
    return lastWatermark;
  }

  long lastRv() {
    return lastRv;
  }

  long lastWatermark() {
    return lastWatermark;
  }
}
