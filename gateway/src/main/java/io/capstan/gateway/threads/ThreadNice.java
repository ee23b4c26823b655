package io.capstan.gateway.threads;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sets the nice value of the calling thread alone (Linux keeps it per thread:
 * {@code setpriority(PRIO_PROCESS, tid, nice)}).
 *
 * <p>The gateway's event loops ask for a negative one. On a machine that also runs the broker, the
 * command processor and the controllers, a get otherwise waits for a CPU behind their batches: on
 * two cores that wait, not the work, was nearly all of a get's latency.
 *
 * <p>A new thread inherits the value of the thread that starts it, so threads an event loop starts
 * run ahead too (Vert.x's acceptor, its further loops). The gateway's own pools, whose threads
 * start on whichever thread submits first, {@linkplain #normalPriority reset it} on start: list
 * rendering and watch fan-out are bulk work.
 */
public final class ThreadNice {
  private static final int PRIO_PROCESS = 0;
  private static final int EPERM = 1;
  private static final int EACCES = 13;

  private ThreadNice() {
  }

  /** The C library's setpriority, loaded on first use. */
  private interface LibC extends Library {
    int setpriority(int which, int who, int prio) throws LastErrorException;
  }

  private static final class Holder {
    static final LibC LIBC = Native.load("c", LibC.class);
  }

  /**
   * Gives the calling thread this nice value (-20..19).
   *
   * @return null when done, else why not (e.g. raising priority needs root or CAP_SYS_NICE)
   */
  public static String apply(int nice) {
    if (nice < -20 || nice > 19) {
      throw new IllegalArgumentException("a nice value is -20..19, not " + nice);
    }
    int tid;
    try {
      tid = currentThreadId();
    } catch (IOException | RuntimeException e) {
      return "the thread's id is unknown (" + e.getMessage() + ")";
    }
    try {
      Holder.LIBC.setpriority(PRIO_PROCESS, tid, nice);
      return null;
    } catch (LastErrorException e) {
      return e.getErrorCode() == EPERM || e.getErrorCode() == EACCES
          ? "not permitted: a negative nice value needs root or CAP_SYS_NICE"
          : "setpriority failed with errno " + e.getErrorCode();
    } catch (LinkageError e) {
      return "no C library to call setpriority (" + e.getMessage() + ")";
    }
  }

  /**
   * Threads named {@code name-N}, daemons, that run at nice 0 whichever thread started them (else
   * a pool first used from an event loop would run all its work ahead of everything else).
   */
  public static ThreadFactory normalPriority(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(() -> {
        apply(0);
        r.run();
      }, name + "-" + n.getAndIncrement());
      t.setDaemon(true);
      return t;
    };
  }

  /** The kernel's id of the calling thread, from {@code /proc/thread-self -> PID/task/TID}. */
  public static int currentThreadId() throws IOException {
    return Integer.parseInt(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
  }

  /** The nice value of a thread of this process, from {@code /proc/self/task/TID/stat} (field 19). */
  public static int niceOf(int tid) throws IOException {
    String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Integer.parseInt(fields[16]); // fields after "(comm)": state is 3, nice is 19
  }
}
