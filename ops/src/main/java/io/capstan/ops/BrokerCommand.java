package io.capstan.ops;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code capstan broker}: the embedded Kafka broker alone, for components started separately. */
@Command(name = "broker", mixinStandardHelpOptions = true,
    description = {
        "Runs a single-node Apache Kafka broker (KRaft) on 127.0.0.1, its log under <data-dir>/"
            + Defaults.KAFKA_SUBDIR + " (kept across restarts).",
        "Prints 'kafka ready: bootstrap=127.0.0.1:PORT' once it accepts connections;"
            + " SIGINT or SIGTERM stops it cleanly (exit 0)."})
final class BrokerCommand implements Callable<Integer> {
  @Mixin DataDirOptions dataDir;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "" + Defaults.KAFKA_PORT,
      description = "Port clients connect to; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Spec CommandSpec spec;

  BrokerConfig config() {
    try {
      return new BrokerConfig(dataDir.resolve(), port);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    BrokerConfig config = config();
    Progress progress = new Progress(spec.commandLine().getOut());
    return ServiceRun.run(config.dataDir(), config.logDir(), progress, "kafka", (stack, registry) -> {
      stack.start(new BrokerComponent(config.broker()));
      return null; // the broker component prints "kafka ready: bootstrap=…" itself
    });
  }
}
