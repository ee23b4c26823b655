package io.capstan.ops;

import io.capstan.loadtests.exec.ExecBench;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code capstan bench exec}: the exec round trip through the API against a bare runc exec. */
@Command(name = "exec", mixinStandardHelpOptions = true,
    description = {
        "Starts a broker, the command processor, the gateway and a runc node agent in this process, runs one",
        "busybox pod and times `exec -- true` through the API (a v5.channel.k8s.io WebSocket to pods/exec, as",
        "kubectl makes it) interleaved with a bare `runc exec CONTAINER true`. Needs root, runc and",
        "busybox-static. Prints",
        "  {\"bench\":\"exec\",\"runs\":N,\"api_p50_ms\":…,\"api_p99_ms\":…,\"runc_exec_p50_ms\":…,",
        "   \"runc_exec_p99_ms\":…,\"floor_p99_ms\":…,\"floor_met\":…,\"warmup_s\":…}",
        "(the floor: the API's p99 at most 3 x the bare p99 + 50 ms)."})
final class ExecBenchCommand implements Callable<Integer> {
  @Option(names = "--runs", defaultValue = "" + ExecBench.Settings.DEFAULT_RUNS,
      description = "Measured round trips, and as many bare runc execs (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--warmup-seconds", defaultValue = "" + ExecBench.Settings.DEFAULT_WARMUP_SECONDS,
      description = "Unmeasured round trips first, for about this long (default: ${DEFAULT-VALUE}).")
  int warmupSeconds;

  @Override
  public Integer call() throws Exception {
    ExecBench.Settings settings;
    try {
      settings = new ExecBench.Settings(runs, warmupSeconds);
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), e.getMessage());
    }
    System.out.println(ExecBench.run(settings, System.err).json());
    return 0;
  }
}
