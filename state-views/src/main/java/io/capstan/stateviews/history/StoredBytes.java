package io.capstan.stateviews.history;

/** An encoded object kept for a version: on the heap, or in a {@link SpillFile}. */
public sealed interface StoredBytes {
  byte[] bytes();

  int length();

  static StoredBytes of(byte[] bytes) {
    return new OnHeap(bytes);
  }

  /** Held on the heap. */
  record OnHeap(byte[] bytes) implements StoredBytes {
    @Override
    public int length() {
      return bytes.length;
    }
  }

  /** At {@code position} of a spill file: 32 bytes of heap whatever the object's size. */
  record Spilled(SpillFile file, long position, int length) implements StoredBytes {
    @Override
    public byte[] bytes() {
      return file.read(position, length);
    }
  }
}
