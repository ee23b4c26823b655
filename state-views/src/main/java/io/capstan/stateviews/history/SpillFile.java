package io.capstan.stateviews.history;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An append-only file of encoded objects, so the history of a large log costs disk (and page
 * cache) rather than heap. Appends go through a buffer written out when full; reads at a position
 * come from the file or, for what is still buffered, from the buffer. The file is a temporary one,
 * deleted when closed (or when the process ends). Thread-safe.
 */
public final class SpillFile implements AutoCloseable {
  private static final int BUFFER = 1 << 20;

  private final Path path;
  private final FileChannel channel;
  private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
  /** Bytes in the file; what the buffer holds follows them. */
  private long written;

  private SpillFile(Path path, FileChannel channel) {
    this.path = path;
    this.channel = channel;
  }

  /** A new spill file in the temporary directory. */
  public static SpillFile temporary(String prefix) {
    try {
      Path path = Files.createTempFile(prefix, ".spill");
      path.toFile().deleteOnExit();
      return new SpillFile(path, FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
          StandardOpenOption.DELETE_ON_CLOSE));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a spill file for the history of the event log", e);
    }
  }

  /** Appends {@code bytes}; @return where they can be read back */
  public synchronized StoredBytes append(byte[] bytes) {
    long position = written + buffer.position();
    if (bytes.length > buffer.remaining()) {
      flush();
    }
    if (bytes.length > buffer.capacity()) {
      write(ByteBuffer.wrap(bytes));
    } else {
      buffer.put(bytes);
    }
    return new StoredBytes.Spilled(this, position, bytes.length);
  }

  synchronized byte[] read(long position, int length) {
    byte[] out = new byte[length];
    if (position >= written) {
      System.arraycopy(buffer.array(), (int) (position - written), out, 0, length);
      return out;
    }
    ByteBuffer into = ByteBuffer.wrap(out);
    try {
      while (into.hasRemaining()) {
        if (channel.read(into, position + into.position()) < 0) {
          throw new IllegalStateException("the spill file " + path + " ends before " + (position + length));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the spill file " + path, e);
    }
    return out;
  }

  /** Bytes appended. */
  public synchronized long size() {
    return written + buffer.position();
  }

  private void flush() {
    buffer.flip();
    write(buffer);
    buffer.clear();
  }

  private void write(ByteBuffer b) {
    try {
      while (b.hasRemaining()) {
        written += channel.write(b, written);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the spill file " + path, e);
    }
  }

  @Override
  public synchronized void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close the spill file " + path, e);
    }
  }
}
