package io.capstan.nodeagent.runtime;

/**
 * What a command run in a container did.
 *
 * @param exitCode its exit code (-1 when it timed out)
 * @param output   stdout and stderr, capped
 * @param timedOut true when it was killed for running longer than allowed
 */
public record ExecResult(int exitCode, String output, boolean timedOut) {
  public boolean succeeded() {
    return !timedOut && exitCode == 0;
  }
}
