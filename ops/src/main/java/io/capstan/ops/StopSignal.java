package io.capstan.ops;

import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Turns SIGINT and SIGTERM into an orderly stop on the main thread: the first signal releases
 * {@link #await()}, the process closes its components and exits 0. Handling the signal (rather
 * than a shutdown hook) keeps logging alive during shutdown and gives a clean exit status.
 * A second signal while stopping halts at once, with the shell's 128+signal status.
 */
final class StopSignal {
  private static final Logger log = LoggerFactory.getLogger(StopSignal.class);

  private final CountDownLatch stop = new CountDownLatch(1);
  private volatile String received;

  private StopSignal() {}

  static StopSignal install() {
    StopSignal s = new StopSignal();
    for (String name : new String[] {"INT", "TERM"}) {
      try {
        Signal.handle(new Signal(name), s::onSignal);
      } catch (IllegalArgumentException e) {
        // e.g. the JVM runs with -Xrs: the shutdown hook of ComponentStack still closes things.
        log.warn("cannot handle SIG{} ({}); relying on the JVM's shutdown hooks", name, e.getMessage());
      }
    }
    return s;
  }

  private void onSignal(Signal signal) {
    if (received == null) {
      received = signal.getName();
      stop.countDown();
    } else {
      System.err.println("second SIG" + signal.getName() + " while stopping: exiting without a clean shutdown");
      Runtime.getRuntime().halt(128 + signal.getNumber());
    }
  }

  /** Blocks until SIGINT or SIGTERM arrives; returns its name, e.g. {@code TERM}. */
  String await() throws InterruptedException {
    stop.await();
    return received;
  }
}
