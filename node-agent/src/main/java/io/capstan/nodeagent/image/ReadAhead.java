package io.capstan.nodeagent.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A stream read ahead by a thread of its own: while the reader unpacks (gunzip, the content's
 * digest, writing files), the thread takes the next chunks off the network and through whatever
 * the source does per byte (the blob's digest), so one layer keeps two cores busy instead of one.
 * At most {@link #CHUNKS} chunks of {@link #CHUNK} bytes wait. A failure of the source reaches the
 * reader at the point it happened; closing the stream stops the thread and closes the source.
 */
final class ReadAhead extends InputStream {
  static final int CHUNK = 1 << 18;
  static final int CHUNKS = 8;
  private static final byte[] END = new byte[0];

  private final InputStream source;
  private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(CHUNKS);
  private final Thread reader;
  private volatile IOException failure;
  private byte[] current = new byte[0];
  private int pos;
  private boolean ended;

  ReadAhead(InputStream source, String threadName) {
    this.source = source;
    this.reader = new Thread(this::fill, threadName);
    reader.setDaemon(true);
    reader.start();
  }

  private void fill() {
    try {
      boolean more = true;
      while (more) {
        byte[] chunk = new byte[CHUNK];
        int n = 0;
        try {
          for (int k; n < CHUNK && (k = source.read(chunk, n, CHUNK - n)) >= 0; ) {
            n += k;
          }
          more = n == CHUNK;
        } catch (IOException e) {
          failure = e; // after the bytes this chunk got
          more = false;
        }
        if (n > 0) {
          chunks.put(n == CHUNK ? chunk : java.util.Arrays.copyOf(chunk, n));
        }
      }
    } catch (InterruptedException e) {
      return; // closed by the reader: nobody waits for the end
    }
    try {
      chunks.put(END);
    } catch (InterruptedException e) {
      // closed meanwhile
    }
  }

  /** The next chunk, or false at the end; a source's failure is thrown here, after the chunks before it. */
  private boolean next() throws IOException {
    if (ended) {
      return false;
    }
    byte[] c;
    try {
      c = chunks.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading ahead");
    }
    if (c == END) {
      ended = true;
      if (failure != null) {
        throw failure;
      }
      return false;
    }
    current = c;
    pos = 0;
    return true;
  }

  @Override
  public int read() throws IOException {
    while (pos == current.length) {
      if (!next()) {
        return -1;
      }
    }
    return current[pos++] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (pos == current.length) {
      if (!next()) {
        return -1;
      }
    }
    int n = Math.min(len, current.length - pos);
    System.arraycopy(current, pos, b, off, n);
    pos += n;
    return n;
  }

  @Override
  public int available() {
    return current.length - pos;
  }

  @Override
  public void close() throws IOException {
    reader.interrupt(); // a thread waiting for room in the queue
    try {
      source.close(); // a thread waiting for the network
    } finally {
      try {
        reader.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Whether the reading thread still runs (for tests). */
  boolean reading() {
    return reader.isAlive();
  }
}
