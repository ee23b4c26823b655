package io.capstan.ops;

import io.capstan.scheduler.config.SchedulerConfig;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code capstan up}: the whole cluster in this JVM; its wiring is the list of components below. */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = {
        "Runs Capstan in this process: an embedded single-node Kafka broker (unless --kafka),"
            + " Capstan's topics, the command processor, the scheduler and one Prometheus /metrics endpoint.",
        "Prints 'capstan ready: …' once everything is up; SIGINT or SIGTERM stops it cleanly (exit 0)."
            + " Starting again on the same --data-dir brings the same cluster back.",
        "The gateway, controllers and node agent are not built yet."})
final class UpCommand implements Callable<Integer> {
  @Mixin DataDirOptions dataDir;

  @Option(names = "--kafka", paramLabel = "HOST:PORT[,…]",
      description = "Use this Kafka cluster instead of the embedded broker.")
  String kafka;

  @Option(names = "--kafka-port", paramLabel = "PORT", defaultValue = "" + Defaults.KAFKA_PORT,
      description = "Port of the embedded broker; 0 picks a free one (default: ${DEFAULT-VALUE}; unused with --kafka).")
  int kafkaPort;

  @Mixin TopicOptions topics;
  @Mixin MetricsOptions metrics;
  @Mixin KafkaClientOptions kafkaClient;
  @Spec CommandSpec spec;

  UpConfig config() {
    try {
      return new UpConfig(dataDir.resolve(), Optional.ofNullable(kafka), kafkaPort, kafkaClient.resolve(),
          topics.resolve(kafka == null), metrics.resolve());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    UpConfig config = config();
    Progress progress = new Progress(spec.commandLine().getOut());
    return ServiceRun.run(config.dataDir(), config.logDir(), progress, "capstan", (stack, registry) -> {
      KafkaConnection kafka = new KafkaConnection(
          config.kafka().orElseGet(() -> stack.start(new BrokerComponent(config.broker())).bootstrap()),
          config.kafkaSettings());
      stack.start(new TopicsComponent(kafka.clientConfig(), config.topics()));
      MetricsComponent metrics = stack.start(new MetricsComponent(config.metrics(), registry));
      stack.start(new CommandProcessorComponent(kafka.clientConfig(), config.topics().layout(), config.stateDir(), registry));
      // Later components (gateway, controllers, scheduler, node agent) start here, in this order.
      stack.start(new SchedulerComponent(kafka.clientConfig(), config.topics().layout(), SchedulerConfig.defaults(), registry));
      return "capstan ready: kafka=" + kafka.bootstrap() + " metrics=" + metrics.url();
    });
  }
}
