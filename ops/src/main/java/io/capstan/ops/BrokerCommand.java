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
            + " SIGINT or SIGTERM stops it cleanly (exit 0).",
        "With --controller-quorum-voters it is one node of a multi-node KRaft cluster (each node combined broker and"
            + " controller): start every node with the same voters and --cluster-id, each with its own --node-id,"
            + " --port, --controller-port and --data-dir. With three or more voters every topic gets three replicas"
            + " and min.insync.replicas=2."})
final class BrokerCommand implements Callable<Integer> {
  @Mixin DataDirOptions dataDir;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "" + Defaults.KAFKA_PORT,
      description = "Port clients connect to; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--node-id", paramLabel = "ID", defaultValue = "1",
      description = "This node's id among the voters (default: ${DEFAULT-VALUE}).")
  int nodeId;

  @Option(names = "--controller-port", paramLabel = "PORT", defaultValue = "0",
      description = "Port of this node's controller listener (default: a free one, kept across restarts; a quorum"
          + " member needs the one its voters entry names).")
  int controllerPort;

  @Option(names = "--controller-quorum-voters", paramLabel = "ID@HOST:PORT[,…]",
      description = "The cluster's controllers, as Kafka's controller.quorum.voters (default: this node alone).")
  String voters;

  @Option(names = "--cluster-id", paramLabel = "ID",
      description = "The id every node of the cluster is formatted with (22 characters of base64url); with"
          + " --controller-quorum-voters.")
  String clusterId;

  @Spec CommandSpec spec;

  BrokerConfig config() {
    try {
      if (voters == null && (clusterId != null || controllerPort != 0 || nodeId != 1)) {
        throw new IllegalArgumentException("--node-id, --controller-port and --cluster-id are for a quorum member:"
            + " give --controller-quorum-voters too");
      }
      return new BrokerConfig(dataDir.resolve(), port, voters == null ? null
          : new BrokerConfig.Quorum(nodeId, controllerPort, voters, clusterId));
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
