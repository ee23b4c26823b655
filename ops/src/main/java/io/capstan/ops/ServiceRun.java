package io.capstan.ops;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;

/**
 * What every long-running command does around its components: one process per data dir,
 * the log under it, SIGINT/SIGTERM handling, one metrics registry for all, and an orderly stop
 * in reverse start order. The command itself only says which components it starts.
 */
final class ServiceRun {

  /** Starts a command's components on the stack and returns its ready line. */
  @FunctionalInterface
  interface Wiring {
    String start(ComponentStack stack, PrometheusMeterRegistry registry) throws Exception;
  }

  private ServiceRun() {}

  /** Runs until a stop signal; returns the exit code (0 after an orderly stop). */
  static int run(Path dataDir, Path logDir, Progress progress, String name, Wiring wiring) throws Exception {
    try (DataDirLock lock = DataDirLock.acquire(dataDir)) {
      LogFiles.writeTo(logDir);
      StopSignal stop = StopSignal.install();
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      try (ComponentStack stack = new ComponentStack(progress, Defaults.readyTimeout()).closeOnJvmExit()) {
        String ready = wiring.start(stack, registry);
        if (ready != null) {
          progress.line(ready);
        }
        progress.line("received SIG" + stop.await() + ", stopping…");
      }
    }
    progress.line(name + " stopped");
    return 0;
  }
}
