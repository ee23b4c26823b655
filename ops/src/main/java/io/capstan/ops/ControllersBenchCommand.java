package io.capstan.ops;

import io.capstan.loadtests.controllers.ControllersBench;
import io.capstan.loadtests.stack.BenchStack;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code capstan bench controllers}: Deployments created at once and rolled out, the bench standing in for kubelet. */
@Command(name = "controllers", mixinStandardHelpOptions = true,
    description = {
        "Creates --deployments Deployments of --replicas replicas at once through the",
        "command client, against a command processor and a controller-manager in this",
        "process; the bench plays kubelet (each new pod made Running and Ready by a",
        "status update). Then changes an env var in every template and waits until",
        "every rollout is complete (observedGeneration, updated = replicas = available,",
        "no old pods). Progress goes to stderr; the final line on stdout is",
        "  {\"bench\":\"controllers\",\"pods\":…,\"create_pods_per_s\":…,",
        "   \"create_cpu_ms_per_pod\":…,\"all_pods_s\":…,\"rollout_s\":…,",
        "   \"rollout_pods_per_s\":…,\"rollout_cpu_ms_per_pod\":…,\"cpu_cores\":…,…}",
        "(CPU of this process per pod created, then per pod replaced by the rollout).",
        "Without --kafka: a fresh embedded broker. With --kafka: topics under",
        "--topic-prefix on that Kafka (keep it apart from a running cluster's prefix,",
        "or that cluster's processor and controllers share the work).",
        "Then, with --daemonset-nodes N > 0: N hollow nodes and a scheduler in this process,",
        "one DaemonSet (N pods) and, as the baseline on the same path, one Deployment of N",
        "replicas: daemonset_pods_per_s, baseline_deployment_pods_per_s (until all available);",
        "between them, on the same nodes, --statefulsets S (Parallel) of --statefulset-replicas R:",
        "statefulset_pods_per_s (until all ready) and statefulset_vs_deployment."})
final class ControllersBenchCommand implements Callable<Integer> {
  @Option(names = "--deployments", defaultValue = "" + ControllersBench.DEFAULT_DEPLOYMENTS,
      description = "Deployments (default: ${DEFAULT-VALUE}).")
  int deployments;

  @Option(names = "--replicas", defaultValue = "" + ControllersBench.DEFAULT_REPLICAS,
      description = "Replicas of each Deployment (default: ${DEFAULT-VALUE}).")
  int replicas;

  @Option(names = "--namespaces", defaultValue = "" + ControllersBench.DEFAULT_NAMESPACES,
      description = "Namespaces the Deployments are spread over (default: ${DEFAULT-VALUE}).")
  int namespaces;

  @Option(names = "--kafka", paramLabel = "HOST:PORT[,…]",
      description = "Bootstrap servers of an existing Kafka; default: a fresh embedded broker.")
  String kafka;

  @Mixin KafkaClientOptions kafkaClient;

  @Option(names = "--topic-prefix", paramLabel = "PREFIX", defaultValue = "capstan-bench.",
      description = "Prefix of every topic name (default: ${DEFAULT-VALUE}).")
  String prefix;

  @Option(names = "--partitions", defaultValue = "" + ControllersBench.DEFAULT_PARTITIONS,
      description = "Partitions when creating topics (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--in-memory", description = "In-memory processor stores instead of RocksDB.")
  boolean inMemory;

  @Option(names = "--workers", defaultValue = "" + io.capstan.controllers.manager.ControllerManagerConfig.DEFAULT_WORKERS,
      description = "Reconcile workers per controller (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--ready-in-flight", defaultValue = "" + ControllersBench.DEFAULT_READY_IN_FLIGHT,
      description = "Pod status updates of the stand-in kubelet in flight at most (default: ${DEFAULT-VALUE}).")
  int readyInFlight;

  @Option(names = "--timeout-seconds", defaultValue = "" + ControllersBench.DEFAULT_TIMEOUT_SECONDS,
      description = "The longest each phase (create, rollout) may take (default: ${DEFAULT-VALUE}).")
  long timeoutSeconds;

  @Option(names = "--daemonset-nodes", defaultValue = "" + ControllersBench.DEFAULT_DAEMONSET_NODES,
      description = "Hollow nodes of the DaemonSet phase; 0 skips it (default: ${DEFAULT-VALUE}).")
  int daemonSetNodes;

  @Option(names = "--statefulsets", defaultValue = "" + ControllersBench.DEFAULT_STATEFULSETS,
      description = "StatefulSets (Parallel) on the DaemonSet phase's hollow nodes; 0 skips them (default: ${DEFAULT-VALUE}).")
  int statefulSets;

  @Option(names = "--statefulset-replicas", defaultValue = "" + ControllersBench.DEFAULT_STATEFULSET_REPLICAS,
      description = "Replicas of each StatefulSet (default: ${DEFAULT-VALUE}).")
  int statefulSetReplicas;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    ControllersBench.Settings settings;
    try {
      Map<String, Object> extra = new HashMap<>(kafkaClient.resolve());
      settings = new ControllersBench.Settings(deployments, replicas, namespaces,
          new BenchStack.Settings(kafka, extra, prefix, partitions, inMemory), workers, readyInFlight,
          Duration.ofSeconds(Math.max(0, timeoutSeconds)), daemonSetNodes,
          daemonSetNodes == 0 ? 0 : statefulSets, statefulSetReplicas);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    ControllersBench.Result r = new ControllersBench(settings, System.err).run();
    System.out.println(r.jsonLine());
    return r.complete() ? 0 : 1;
  }
}
