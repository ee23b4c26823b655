package io.capstan.ops;

import io.capstan.loadtests.robustness.RobustnessBench;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code capstan bench robustness}: recorded mixed traffic, checked for linearizability, the watch guarantees and lost writes. */
@Command(name = "robustness", mixinStandardHelpOptions = true,
    description = {
        "Drives mixed traffic on a bounded set of ConfigMaps for --seconds S: --clients recording clients (creates,",
        "compare-and-set and plain updates, merge patches, deletes, gets, lists) and --watchers watchers that list,",
        "watch and resume. Then reads the final state and the event log and checks the history: linearizability per",
        "key, the watch guarantees (ordered, unique, atomic, bookmarkable, reliable, resumable), no acknowledged",
        "write lost and no value nobody wrote. Prints",
        "  {\"bench\":\"robustness\",\"ops\":…,\"faults\":0,\"linearizability_anomalies\":…,\"watch_violations\":…,",
        "   \"lost_acknowledged_writes\":…,\"recovery_s_max\":…}",
        "and exits 1 on any anomaly. Without --kubeconfig: an embedded broker, the command processor and the gateway",
        "in this process. No faults are injected yet."})
final class RobustnessBenchCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--kubeconfig", paramLabel = "FILE",
      description = "Check the cluster this kubeconfig (as capstan up writes it) points at.")
  Path kubeconfig;

  @Option(names = "--seconds", defaultValue = "" + RobustnessBench.Settings.DEFAULT_SECONDS,
      description = "Traffic time (default: ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--seed", defaultValue = "" + RobustnessBench.Settings.DEFAULT_SEED,
      description = "Seed of the clients' choices (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--clients", defaultValue = "" + RobustnessBench.Settings.DEFAULT_CLIENTS,
      description = "Recording clients, one call at a time each (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--keys", defaultValue = "" + RobustnessBench.Settings.DEFAULT_KEYS,
      description = "ConfigMaps the clients share (default: ${DEFAULT-VALUE}).")
  int keys;

  @Option(names = "--watchers", defaultValue = "" + RobustnessBench.Settings.DEFAULT_WATCHERS,
      description = "Watchers (default: ${DEFAULT-VALUE}).")
  int watchers;

  @Option(names = "--partitions", defaultValue = "" + RobustnessBench.Settings.DEFAULT_PARTITIONS,
      description = "Partitions of the in-process stack's topics (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--request-timeout-seconds", defaultValue = "30",
      description = "A call without an answer after this long counts as unanswered (default: ${DEFAULT-VALUE}).")
  int requestTimeoutSeconds;

  @Override
  public Integer call() throws Exception {
    RobustnessBench.Settings settings;
    try {
      if (requestTimeoutSeconds <= 0) {
        throw new IllegalArgumentException("--request-timeout-seconds must be positive (was " + requestTimeoutSeconds + ")");
      }
      settings = new RobustnessBench.Settings(kubeconfig, seconds, seed, clients, keys, watchers, partitions,
          Duration.ofSeconds(requestTimeoutSeconds));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    RobustnessBench.Result r = new RobustnessBench(settings, System.err).run();
    System.out.println(r.jsonLine());
    return r.clean() ? 0 : 1;
  }
}
