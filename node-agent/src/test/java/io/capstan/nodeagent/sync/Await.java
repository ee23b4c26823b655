package io.capstan.nodeagent.sync;

import java.time.Duration;

/** Waiting in tests for a condition that other threads or processes make true. */
final class Await {
  private Await() {}

  /** A condition that may throw while it is not yet true (a process not up, a file not written). */
  interface Check {
    boolean ok() throws Exception;
  }

  /** Polls {@code check} every {@code every} until it holds; fails naming {@code what} after {@code wait}. */
  static void until(Duration wait, Duration every, Check check, String what) throws Exception {
    long deadline = System.nanoTime() + wait.toNanos();
    while (System.nanoTime() < deadline) {
      if (check.ok()) {
        return;
      }
      Thread.sleep(every.toMillis());
    }
    throw new AssertionError(what + ": not within " + wait);
  }
}
