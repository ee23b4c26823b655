package io.capstan.ops;

import io.capstan.controllers.nodelifecycle.NodeLifecycleConfig;
import io.capstan.nodeagent.runtime.hollow.HollowRuntime;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * How hollow nodes' simulated containers behave ({@link HollowRuntime.Behaviour}), with durations
 * as Kubernetes flags write them ({@code 500ms}, {@code 10s}, {@code 1m30s}).
 */
final class HollowOptions {
  @Option(names = "--hollow-start-delay", paramLabel = "DURATION", defaultValue = "0s",
      description = "How long a simulated container takes to start (default: ${DEFAULT-VALUE}).")
  String startDelay;

  @Option(names = "--hollow-run-for", paramLabel = "DURATION",
      description = "Simulated containers exit by themselves after this long (default: they run until stopped).")
  String runFor;

  @Option(names = "--hollow-exit-code", paramLabel = "CODE", defaultValue = "0",
      description = "Exit code of such an exit, 0..255 (default: ${DEFAULT-VALUE}).")
  int exitCode;

  @Option(names = "--hollow-exec-exit-code", paramLabel = "CODE", defaultValue = "0",
      description = "What exec probes and hooks in simulated containers return, 0..255 (default: ${DEFAULT-VALUE}).")
  int execExitCode;

  /** Whether any knob differs from its default (they only make sense for hollow nodes). */
  boolean given() {
    return !"0s".equals(startDelay) || runFor != null || exitCode != 0 || execExitCode != 0;
  }

  /** @throws IllegalArgumentException naming the flag whose value is wrong */
  HollowRuntime.Behaviour resolve() {
    Duration start = duration("--hollow-start-delay", startDelay);
    Duration run = runFor == null ? null : duration("--hollow-run-for", runFor);
    if (run != null && run.isZero()) {
      throw new IllegalArgumentException("--hollow-run-for must be longer than 0, got \"" + runFor + "\"");
    }
    return new HollowRuntime.Behaviour(start, run, code("--hollow-exit-code", exitCode),
        code("--hollow-exec-exit-code", execExitCode));
  }

  private static Duration duration(String flag, String value) {
    try {
      return NodeLifecycleConfig.parseDuration(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage() + " (e.g. 500ms, 10s, 1m30s)", e);
    }
  }

  private static int code(String flag, int value) {
    if (value < 0 || value > 255) {
      throw new IllegalArgumentException(flag + " must be an exit code 0..255, got " + value);
    }
    return value;
  }
}
