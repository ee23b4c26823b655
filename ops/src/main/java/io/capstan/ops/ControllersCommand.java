package io.capstan.ops;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code capstan controllers}: a controller-manager alone against a Kafka cluster. */
@Command(name = "controllers", mixinStandardHelpOptions = true,
    description = {
        "Runs the controllers (ReplicaSet, Deployment, Job, garbage collector, Namespace, Endpoints, node lifecycle,"
            + " ResourceQuota, pod garbage collector, and with --root-ca-file the root CA publisher) alone against a Kafka cluster"
            + " whose topics exist (e.g. one started by 'capstan up' or 'capstan state-views'), with its own"
            + " /metrics endpoint.",
        "Prints 'controllers ready: …' once its caches have synced; SIGINT or SIGTERM stops it cleanly (exit 0)."})
final class ControllersCommand implements Callable<Integer> {
  @Option(names = "--kafka", paramLabel = "HOST:PORT[,…]", required = true,
      description = "Bootstrap servers of the Kafka cluster.")
  String kafka;

  @Option(names = "--node-monitor-grace-period", paramLabel = "DURATION", defaultValue = "40s",
      description = "How long a node may go without renewing its Lease or posting status before it is marked"
          + " Ready=Unknown and tainted unreachable, e.g. 40s, 2m (kube-controller-manager's flag; default ${DEFAULT-VALUE}).")
  String nodeMonitorGracePeriod;

  @Option(names = "--terminated-pod-gc-threshold", paramLabel = "N",
      defaultValue = "" + io.capstan.controllers.podgc.PodGcConfig.DEFAULT_TERMINATED_POD_THRESHOLD,
      description = "How many terminated (Succeeded or Failed) pods may exist before the pod garbage collector deletes"
          + " the oldest; 0 keeps them all (kube-controller-manager's flag; default ${DEFAULT-VALUE}).")
  int terminatedPodGcThreshold;

  @Option(names = "--root-ca-file", paramLabel = "FILE",
      description = "The cluster CA bundle (PEM) to publish as the ConfigMap kube-root-ca.crt (key ca.crt) in every"
          + " namespace, as kube-controller-manager's flag: e.g. the gateway's DATA_DIR/pki/ca.crt, which"
          + " 'capstan up' uses. The file is read again every 10 s and a changed CA is published everywhere."
          + " Without it no kube-root-ca.crt is published.")
  java.nio.file.Path rootCaFile;

  @Option(names = "--kubelet-client-certificate", paramLabel = "FILE",
      description = "A client certificate (PEM) issued by the cluster CA, which the horizontal pod autoscaler presents"
          + " to node agents to read pod usage (e.g. one `capstan up` issued in DATA_DIR/pki). Without it"
          + " autoscalers get no resource metrics.")
  java.nio.file.Path kubeletClientCert;

  @Option(names = "--kubelet-client-key", paramLabel = "FILE",
      description = "The private key (PEM, PKCS#8) of --kubelet-client-certificate.")
  java.nio.file.Path kubeletClientKey;

  @Mixin AutoscalerOptions autoscalerOptions;
  @Mixin ComponentCertOptions certificate;
  @Mixin DataDirOptions dataDir;
  @Mixin EncryptionOptions encryption;
  @Mixin TopicOptions topics;
  @Mixin MetricsOptions metrics;
  @Mixin KafkaClientOptions kafkaClient;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    KafkaConnection connection;
    TopicSettings topicSettings;
    io.capstan.stateviews.metrics.MetricsEndpoint.Config metricsConfig;
    java.nio.file.Path data;
    io.capstan.controllers.nodelifecycle.NodeLifecycleConfig nodeLifecycle;
    io.capstan.controllers.podgc.PodGcConfig podGc;
    io.capstan.controllers.hpa.AutoscalerConfig autoscaler;
    try {
      autoscaler = autoscalerOptions.resolve(kubeletClientCert, kubeletClientKey);
      nodeLifecycle = nodeLifecycle(nodeMonitorGracePeriod);
      podGc = ControllersComponent.podGc(terminatedPodGcThreshold);
      data = dataDir.resolve();
      certificate.install(data, io.capstan.stateviews.bootstrap.DefaultRoles.CONTROLLER_MANAGER_USER);
      connection = new KafkaConnection(kafka, kafkaClient.resolve());
      topicSettings = topics.resolve(false);
      metricsConfig = metrics.resolve();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    Progress progress = new Progress(spec.commandLine().getOut());
    return ServiceRun.run(data, data.resolve(Defaults.LOGS_SUBDIR), progress, "controllers", (stack, registry) -> {
      encryption.install(data, true); // Secrets are sealed and opened with these keys, or nothing starts
      MetricsComponent m = stack.start(new MetricsComponent(metricsConfig, registry));
      stack.start(new ControllersComponent(connection.clientConfig(), topicSettings.layout(), nodeLifecycle, rootCaFile,
          podGc, autoscaler, null, registry));
      return "controllers ready: kafka=" + connection.bootstrap() + " metrics=" + m.url();
    });
  }

  private static io.capstan.controllers.nodelifecycle.NodeLifecycleConfig nodeLifecycle(String grace) {
    try {
      return io.capstan.controllers.nodelifecycle.NodeLifecycleConfig.withMonitorGracePeriod(
          io.capstan.controllers.nodelifecycle.NodeLifecycleConfig.parseDuration(grace));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--node-monitor-grace-period: " + e.getMessage(), e);
    }
  }
}
