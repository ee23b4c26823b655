package io.capstan.ops;

import io.capstan.loadtests.robustness.RobustnessBench;
import io.capstan.loadtests.robustness.cluster.ProcessCluster;
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
        "in this process.",
        "With --cluster: a cluster of separate processes on this machine (a 3-broker KRaft quorum with three replicas",
        "and min.insync.replicas=2, two command processors, two gateways, two controller-managers, two schedulers, a",
        "hollow fleet), traffic through both gateways, and a seeded fault schedule every --fault-spacing seconds:",
        "kill -9 and restart of a broker, a processor, a gateway, a controller-manager and the scheduler leader, and",
        "SIGSTOP/SIGCONT pauses. Each fault is logged with its time and its recovery (until writes through both",
        "gateways succeed again); afterwards the Deployments must converge and replay --verify must agree with the",
        "live tables. The fault list goes to stderr."})
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

  @Option(names = "--cluster", description = "Run against a cluster of separate processes, with faults.")
  boolean cluster;

  @Option(names = "--fault-spacing", paramLabel = "SECONDS",
      defaultValue = "" + 20,
      description = "With --cluster: seconds between faults (default: ${DEFAULT-VALUE}; 600 s of traffic give 22 faults).")
  int faultSpacing;

  @Option(names = "--hollow-nodes", paramLabel = "N", defaultValue = "5",
      description = "With --cluster: nodes of the hollow fleet (default: ${DEFAULT-VALUE}).")
  int hollowNodes;

  @Option(names = "--cluster-dir", paramLabel = "DIR",
      description = "With --cluster: where the processes keep their data and logs (default: a new temp dir).")
  Path clusterDir;

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
      if (cluster) {
        if (kubeconfig != null) {
          throw new IllegalArgumentException("--cluster starts its own cluster: leave out --kubeconfig");
        }
        if (faultSpacing <= 0 || hollowNodes < 0) {
          throw new IllegalArgumentException("--fault-spacing must be positive and --hollow-nodes not negative (were "
              + faultSpacing + ", " + hollowNodes + ")");
        }
        ProcessCluster.Shape full = ProcessCluster.Shape.full(partitions);
        settings = settings.withCluster(RobustnessBench.Cluster.of(new ProcessCluster.Shape(full.brokers(),
                full.processors(), full.gateways(), full.controllerManagers(), full.schedulers(), hollowNodes, partitions),
                launcher()).withFaultSpacing(Duration.ofSeconds(faultSpacing))
            .withDir(clusterDir == null ? null : clusterDir.toAbsolutePath()));
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    RobustnessBench.Result r = new RobustnessBench(settings, System.err).run();
    System.out.println(r.jsonLine());
    return r.clean() ? 0 : 1;
  }

  /** The cluster's processes are this program's commands, on this JVM's class path (the distribution's logging config). */
  static ProcessCluster.Launcher launcher() {
    java.util.List<String> options = new java.util.ArrayList<>(java.util.List.of("-Dlog4j2.configurationFile=log4j2.xml"));
    if (Runtime.version().feature() >= 24) { // as the launcher script: no warnings about the libraries' native access
      options.addAll(java.util.List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"));
    }
    return ProcessCluster.Launcher.java(Capstan.class.getName(), System.getProperty("java.class.path"), options);
  }
}
