package io.capstan.nodeagent.runtime.runc;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A pseudo-terminal for {@code runc exec -t}: runc, given the slave as its standard streams,
 * relays between it and the container's own terminal, and on {@code SIGWINCH} copies the slave's
 * size onto the container's (as a terminal emulator makes a shell see its window's size). The
 * master side is read and written here, through JNA (Java has no pty API).
 */
final class Pty implements AutoCloseable {
  private static final int O_RDWR = 2;
  private static final int O_NOCTTY = 0x100;
  private static final int EIO = 5;
  private static final int EINTR = 4;
  /** ioctl request setting a terminal's window size (Linux, the same on x86-64 and arm64). */
  private static final long TIOCSWINSZ = 0x5414;

  interface Calls extends Library {
    Calls INSTANCE = Native.load("c", Calls.class);

    int posix_openpt(int flags) throws LastErrorException;

    int grantpt(int fd) throws LastErrorException;

    int unlockpt(int fd) throws LastErrorException;

    int ptsname_r(int fd, byte[] buf, long size) throws LastErrorException;

    /** {@code ws}: struct winsize, four unsigned shorts (rows, columns, x and y pixels). */
    int ioctl(int fd, long request, short[] ws) throws LastErrorException;

    long read(int fd, byte[] buf, long count) throws LastErrorException;

    long write(int fd, byte[] buf, long count) throws LastErrorException;

    int close(int fd) throws LastErrorException;
  }

  private final int master;
  private final String slavePath;
  private volatile boolean closed;

  private Pty(int master, String slavePath) {
    this.master = master;
    this.slavePath = slavePath;
  }

  static Pty open() {
    int fd;
    try {
      fd = Calls.INSTANCE.posix_openpt(O_RDWR | O_NOCTTY);
    } catch (LastErrorException e) {
      throw new IllegalStateException("cannot open a pseudo-terminal (posix_openpt): " + e.getMessage(), e);
    }
    try {
      Calls.INSTANCE.grantpt(fd);
      Calls.INSTANCE.unlockpt(fd);
      byte[] name = new byte[128];
      Calls.INSTANCE.ptsname_r(fd, name, name.length);
      int len = 0;
      while (len < name.length && name[len] != 0) {
        len++;
      }
      return new Pty(fd, new String(name, 0, len, StandardCharsets.US_ASCII));
    } catch (LastErrorException e) {
      Calls.INSTANCE.close(fd);
      throw new IllegalStateException("cannot set up a pseudo-terminal: " + e.getMessage(), e);
    }
  }

  /** The slave's device path ({@code /dev/pts/N}), which the child opens as its streams. */
  String slavePath() {
    return slavePath;
  }

  /** Sets the terminal's size; a zero or negative dimension leaves it as it is. */
  void resize(int width, int height) {
    if (width <= 0 || height <= 0 || closed) {
      return;
    }
    try {
      Calls.INSTANCE.ioctl(master, TIOCSWINSZ, new short[] {(short) height, (short) width, 0, 0});
    } catch (LastErrorException e) {
      // the terminal is going away
    }
  }

  /** What the terminal shows; ends when no process holds the slave any more. */
  InputStream output() {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
          return 0;
        }
        byte[] buf = off == 0 ? b : new byte[len];
        while (true) {
          if (closed) {
            return -1;
          }
          try {
            long n = Calls.INSTANCE.read(master, buf, len);
            if (n <= 0) {
              return -1;
            }
            if (buf != b) {
              System.arraycopy(buf, 0, b, off, (int) n);
            }
            return (int) n;
          } catch (LastErrorException e) {
            if (e.getErrorCode() == EINTR) {
              continue;
            }
            if (e.getErrorCode() == EIO) {
              return -1; // every slave descriptor is closed: the command and runc are gone
            }
            throw new IOException("reading the terminal: " + e.getMessage(), e);
          }
        }
      }
    };
  }

  /** What is typed into the terminal. */
  OutputStream input() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        byte[] buf = off == 0 ? b : java.util.Arrays.copyOfRange(b, off, off + len);
        int done = 0;
        while (done < len) {
          if (closed) {
            throw new IOException("the terminal is closed");
          }
          byte[] rest = done == 0 ? buf : java.util.Arrays.copyOfRange(buf, done, len);
          try {
            done += (int) Calls.INSTANCE.write(master, rest, len - done);
          } catch (LastErrorException e) {
            if (e.getErrorCode() != EINTR) {
              throw new IOException("writing to the terminal: " + e.getMessage(), e);
            }
          }
        }
      }

      @Override
      public void close() {
        // The end of input on a terminal is the EOF character (^D) typed by the user; nothing to close.
      }
    };
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      try {
        Calls.INSTANCE.close(master);
      } catch (LastErrorException ignored) {
        // already gone
      }
    }
  }
}
