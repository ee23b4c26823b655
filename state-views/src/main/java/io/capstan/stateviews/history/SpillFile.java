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
 * come from the file or, for what is still buffered, from the buffer. A temporary file is deleted
 * when closed (or when the process ends); a kept one ({@link #kept}) stays for the next process,
 * which keeps of it what a saved index points into. Thread-safe.
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

  /**
   * The spill file at {@code path}, kept when closed: made when missing; appends go after what it
   * holds until {@link #keepOnly} cuts it to what a saved index points into.
   */
  public static SpillFile kept(Path path) {
    try {
      FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      SpillFile f = new SpillFile(path, channel);
      f.written = channel.size();
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the spill file " + path, e);
    }
  }

  /**
   * Cuts the file to its first {@code bytes}, dropping what is buffered.
   *
   * @throws IllegalStateException when it holds fewer
   */
  public synchronized void keepOnly(long bytes) {
    if (size() < bytes) {
      throw new IllegalStateException("the spill file " + path + " holds " + size() + " bytes, not " + bytes);
    }
    flush();
    try {
      channel.truncate(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot cut the spill file " + path, e);
    }
    written = bytes;
  }

  /** Writes out what is buffered and forces the file to the disk. */
  public synchronized void force() {
    flush();
    try {
      channel.force(false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the spill file " + path, e);
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
