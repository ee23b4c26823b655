package io.capstan.controllers.runtime;

/**
 * A monotonic nanosecond clock. The work queue, its rate limiters and the expectations read time
 * through it, so their tests can move time by hand instead of sleeping.
 */
@FunctionalInterface
public interface Ticker {
  long nanos();

  static Ticker system() {
    return System::nanoTime;
  }
}
