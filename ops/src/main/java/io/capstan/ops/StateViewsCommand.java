package io.capstan.ops;

import io.capstan.stateviews.metrics.MetricsEndpoint;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code capstan state-views}: one more command processor instance, to scale out against a Kafka cluster. */
@Command(name = "state-views", mixinStandardHelpOptions = true,
    description = {
        "Runs the command processor alone against a Kafka cluster (creating Capstan's topics if missing),"
            + " with its own /metrics endpoint.",
        "Run several, each with its own --data-dir (or --state-dir): Kafka Streams spreads the partitions"
            + " over them and moves them when one stops.",
        "Prints 'state-views ready: …' once processing; SIGINT or SIGTERM stops it cleanly (exit 0)."})
final class StateViewsCommand implements Callable<Integer> {
  @Option(names = "--kafka", paramLabel = "HOST:PORT[,…]", required = true,
      description = "Bootstrap servers of the Kafka cluster.")
  String kafka;

  @Mixin DataDirOptions dataDir;

  @Option(names = "--state-dir", paramLabel = "DIR",
      description = "The processor's local stores (default: <data-dir>/" + Defaults.STATE_VIEWS_SUBDIR + ").")
  Path stateDir;

  @Mixin ServiceNetworkOptions serviceNetwork;
  @Mixin TopicOptions topics;
  @Mixin MetricsOptions metrics;
  @Mixin KafkaClientOptions kafkaClient;
  @Spec CommandSpec spec;

  StateViewsConfig config() {
    try {
      serviceNetwork.resolve(); // a bad range is a usage error before anything starts
      Path data = dataDir.resolve();
      Path state = stateDir != null ? stateDir.toAbsolutePath().normalize() : data.resolve(Defaults.STATE_VIEWS_SUBDIR);
      return new StateViewsConfig(data, state, new KafkaConnection(kafka, kafkaClient.resolve()),
          topics.resolve(false), metrics.resolve());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    StateViewsConfig config = config();
    Progress progress = new Progress(spec.commandLine().getOut());
    return ServiceRun.run(config.dataDir(), config.logDir(), progress, "state-views", (stack, registry) -> {
      KafkaConnection kafka = config.kafka();
      stack.start(new TopicsComponent(kafka.clientConfig(), config.topics()));
      MetricsComponent metrics = stack.start(new MetricsComponent(config.metrics(), registry));
      CommandProcessorComponent processor = new CommandProcessorComponent(kafka.clientConfig(),
          config.topics().layout(), config.stateDir(), serviceNetwork.resolve(), registry);
      if (io.capstan.gateway.security.ComponentCertificates.verifiesComponents(config.dataDir())) {
        // the cluster's ca.crt and ticket.key copied here: authenticate components as up's processor does
        processor.authenticating(io.capstan.gateway.security.ComponentCertificates.authentication(
            config.dataDir().resolve("pki")));
      }
      stack.start(processor);
      return "state-views ready: kafka=" + kafka.bootstrap() + " metrics=" + metrics.url();
    });
  }
}
