package io.capstan.ops;

import io.capstan.loadtests.podstartup.PodStartupBench;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code capstan bench pod-startup}: pod startup latency on a local runc node, with the bare runc floor. */
@Command(name = "pod-startup", mixinStandardHelpOptions = true,
    description = {
        "Creates N pods running sleep through the command client at a steady rate, binds them to a local runc",
        "node agent and measures create-to-Running as a watch sees it (the Kubernetes SLI); also times a bare",
        "`runc run` of a busybox bundle as the floor. Needs root, runc and busybox-static. Prints",
        "  {\"bench\":\"pod-startup\",\"pods\":N,\"p50_ms\":…,\"p99_ms\":…,\"runc_floor_ms\":…,",
        "   \"cpu_ms_per_pod\":…,\"cpu_cores\":…,\"warmup_s\":…}",
        "(the CPU of this JVM while the measured pods start; runc and the containers are not counted)."})
final class PodStartupBenchCommand implements Callable<Integer> {
  @Option(names = "--pods", defaultValue = "" + PodStartupBench.Settings.DEFAULT_PODS,
      description = "Pods to start (default: ${DEFAULT-VALUE}).")
  int pods;

  @Option(names = "--rate", defaultValue = "" + PodStartupBench.Settings.DEFAULT_RATE,
      description = "Pods created per second (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--warmup-seconds", defaultValue = "" + PodStartupBench.Settings.DEFAULT_WARMUP_SECONDS,
      description = "About this long, rounds of pods are started and deleted first, unmeasured, so the JVM's JIT"
          + " does not compete with the measured pods for the CPU; 0: none (default: ${DEFAULT-VALUE}).")
  int warmupSeconds;

  @Override
  public Integer call() throws Exception {
    if (pods < 1 || rate <= 0 || warmupSeconds < 0) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--pods must be at least 1, --rate positive and --warmup-seconds not negative");
    }
    PodStartupBench.Result r = PodStartupBench.run(new PodStartupBench.Settings(pods, rate,
        PodStartupBench.Settings.DEFAULT_FLOOR_RUNS, warmupSeconds));
    System.out.println(r.json());
    return 0;
  }
}
