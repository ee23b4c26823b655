package io.capstan.nodeagent.runtime.runc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.format.DateTimeFormatter;

/**
 * Writes a container's output in the CRI log format kubelet reads ({@code
 * <RFC 3339 nano time> <stdout|stderr> <F|P> <line>}): one record per line; a line longer than
 * {@link #MAX_LINE} is split into partial ({@code P}) records ending with a full ({@code F}) one,
 * as containerd does. Both streams of a container share one writer (and one file), which may
 * be a {@link RotatingLogFile}.
 */
public final class CriLogWriter implements AutoCloseable {
  /** containerd's default max container log line size. */
  static final int MAX_LINE = 16 * 1024;

  private final OutputStream out;
  private final Clock clock;

  public CriLogWriter(OutputStream out, Clock clock) {
    this.out = out;
    this.clock = clock;
  }

  /** Copies {@code in} to the log until end of stream; returns the bytes read. */
  public long copy(String stream, InputStream in) throws IOException {
    byte[] buf = new byte[8192];
    byte[] line = new byte[MAX_LINE];
    int len = 0;
    long total = 0;
    int n;
    while ((n = in.read(buf)) > 0) {
      total += n;
      for (int i = 0; i < n; i++) {
        byte b = buf[i];
        if (b == '\n') {
          record(stream, 'F', line, len);
          len = 0;
        } else {
          line[len++] = b;
          if (len == MAX_LINE) {
            record(stream, 'P', line, len);
            len = 0;
          }
        }
      }
    }
    if (len > 0) {
      record(stream, 'F', line, len); // the last line had no newline: as containerd, still a full record
    }
    return total;
  }

  private synchronized void record(String stream, char tag, byte[] line, int len) throws IOException {
    String prefix = DateTimeFormatter.ISO_INSTANT.format(clock.instant()) + " " + stream + " " + tag + " ";
    out.write(prefix.getBytes(StandardCharsets.UTF_8));
    out.write(line, 0, len);
    out.write('\n');
    out.flush();
    if (out instanceof RotatingLogFile file) {
      file.recordEnded(); // rotation only between records, so no record is split across files
    }
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }
}
