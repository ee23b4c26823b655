package io.capstan.ops;

import io.capstan.scheduler.config.SchedulerConfig;
import io.capstan.scheduler.config.SchedulerConfigFile;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code capstan scheduler}: the scheduler alone against a Kafka cluster. */
@Command(name = "scheduler", mixinStandardHelpOptions = true,
    description = {
        "Runs the scheduler alone against a Kafka cluster: pending pods whose spec.schedulerName is ours"
            + " are filtered, scored and bound to nodes, with its own /metrics endpoint.",
        "Prints 'scheduler ready: …' once its caches have synced; SIGINT or SIGTERM stops it cleanly (exit 0)."})
final class SchedulerCommand implements Callable<Integer> {
  @Option(names = "--kafka", paramLabel = "HOST:PORT[,…]", required = true,
      description = "Bootstrap servers of the Kafka cluster.")
  String kafka;

  @Option(names = "--config", paramLabel = "FILE",
      description = "Scheduler config, YAML or JSON: schedulerName, plugins.disabled, plugins.weights, pluginConfig,"
          + " percentageOfNodesToScore, backoff times (default: Kubernetes' default profile).")
  Path configFile;

  @Option(names = "--leader-elect", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Schedule only while holding the kube-system/kube-scheduler Lease, so several schedulers can run"
          + " for HA, as kube-scheduler's --leader-elect (default: ${DEFAULT-VALUE}).")
  boolean leaderElect;

  @Mixin ComponentCertOptions certificate;
  @Mixin DataDirOptions dataDir;
  @Mixin TopicOptions topics;
  @Mixin MetricsOptions metrics;
  @Mixin KafkaClientOptions kafkaClient;
  @Spec CommandSpec spec;

  SchedulerConfig schedulerConfig() {
    try {
      return configFile == null ? SchedulerConfig.defaults() : SchedulerConfigFile.read(configFile);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--config: " + e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    SchedulerConfig config = schedulerConfig();
    KafkaConnection connection;
    TopicSettings topicSettings;
    Path data;
    try {
      connection = new KafkaConnection(kafka, kafkaClient.resolve());
      topicSettings = topics.resolve(false);
      data = dataDir.resolve();
      certificate.install(data, io.capstan.stateviews.bootstrap.DefaultRoles.SCHEDULER_USER);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    Progress progress = new Progress(spec.commandLine().getOut());
    return ServiceRun.run(data, data.resolve(Defaults.LOGS_SUBDIR), progress, "scheduler", (stack, registry) -> {
      MetricsComponent m = stack.start(new MetricsComponent(metrics.resolve(), registry));
      // As kube-scheduler: the identity is the host name with something unique to this process.
      String identity = hostName() + "_" + ProcessHandle.current().pid();
      stack.start(new SchedulerComponent(connection.clientConfig(), topicSettings.layout(), config, null, registry)
          .electing(leaderElect ? io.capstan.scheduler.leader.LeaderElectionConfig.defaults(config.schedulerName(),
              identity) : null));
      return "scheduler ready: kafka=" + connection.bootstrap() + " scheduler-name=" + config.schedulerName()
          + (leaderElect ? " leader-election-identity=" + identity : "") + " metrics=" + m.url();
    });
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "localhost";
    }
  }
}
