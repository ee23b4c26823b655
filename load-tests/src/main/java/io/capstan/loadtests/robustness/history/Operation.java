package io.capstan.loadtests.robustness.history;

/**
 * One call on one object: who made it, when it was made and when it returned (nanoseconds on
 * the run's clock; {@link #NEVER} for a call with no answer), what it asked and what it got.
 */
public record Operation(String key, String client, long callNanos, long returnNanos, Input input, Output output) {
  /** The return time of a call that never returned: it may have taken effect at any time after its call. */
  public static final long NEVER = Long.MAX_VALUE;

  public Operation {
    if (key == null || client == null || input == null || output == null) {
      throw new IllegalArgumentException("an operation needs a key, a client, an input and an output");
    }
    if (returnNanos < callNanos) {
      throw new IllegalArgumentException("operation on " + key + " by " + client + " returned (" + returnNanos
          + ") before it was called (" + callNanos + ")");
    }
  }

  /** Whether the client got no answer it could rely on. */
  public boolean unanswered() {
    return output instanceof Output.Unknown;
  }

  @Override
  public String toString() {
    return client + " " + input + " -> " + output + " [" + callNanos / 1_000 + " µs, "
        + (returnNanos == NEVER ? "never" : returnNanos / 1_000 + " µs") + "]";
  }
}
