package io.capstan.controllers.runtime;

import java.time.Duration;

/**
 * What one reconcile of a key asks of the work queue (controller-runtime's Result, the Java
 * Operator SDK's UpdateControl): nothing more, another run after a delay, or a retry with the
 * key's exponential backoff.
 */
public sealed interface ReconcileResult {

  /** Converged (for now): forget the key's failures; a later change will queue it again. */
  record Done() implements ReconcileResult {}

  /** Run again after {@code delay} even if nothing changes (e.g. minReadySeconds, a deadline). */
  record RequeueAfter(Duration delay) implements ReconcileResult {
    public RequeueAfter {
      if (delay == null || delay.isNegative()) {
        throw new IllegalArgumentException("requeue delay must not be negative, got " + delay);
      }
    }
  }

  /** Failed (a conflict with a newer object, a refused or lost write): retry with backoff. */
  record Failed(String reason, Throwable cause) implements ReconcileResult {}

  ReconcileResult DONE = new Done();

  static ReconcileResult done() {
    return DONE;
  }

  static ReconcileResult requeueAfter(Duration delay) {
    return new RequeueAfter(delay);
  }

  static ReconcileResult failed(String reason) {
    return new Failed(reason, null);
  }

  /** The sooner of two results: a failure wins, then the shorter requeue, then done. */
  static ReconcileResult sooner(ReconcileResult a, ReconcileResult b) {
    if (a instanceof Failed) {
      return a;
    }
    if (b instanceof Failed) {
      return b;
    }
    if (a instanceof RequeueAfter ra && b instanceof RequeueAfter rb) {
      return ra.delay().compareTo(rb.delay()) <= 0 ? a : b;
    }
    return a instanceof RequeueAfter ? a : b;
  }
}
