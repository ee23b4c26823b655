package io.capstan.ops;

import io.capstan.nodeagent.NodeAgentConfig;
import io.capstan.nodeagent.node.MachineInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code capstan node-agent}: one node agent (kubelet) against a Kafka cluster. */
@Command(name = "node-agent", mixinStandardHelpOptions = true,
    description = {
        "Runs a node agent: registers the Node, renews its Lease, runs the pods bound to it (runc containers,"
            + " or simulated ones with --runtime hollow) and serves their logs.",
        "Real containers need root, runc and (for the seeded capstan.local/busybox image) busybox-static.",
        "Prints 'node-agent ready: …' once registered; SIGINT or SIGTERM stops it (exit 0)."})
final class NodeAgentCommand implements Callable<Integer> {
  @Option(names = "--kafka", paramLabel = "HOST:PORT[,…]", required = true,
      description = "Bootstrap servers of the Kafka cluster.")
  String kafka;

  @Option(names = "--node-name", paramLabel = "NAME", description = "The Node's name (default: this host's name).")
  String nodeName;

  @Option(names = "--runtime", paramLabel = "runc|hollow", defaultValue = "runc",
      description = "runc (real containers) or hollow (simulated) (default: ${DEFAULT-VALUE}).")
  String runtime;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "" + NodeAgentConfig.DEFAULT_PORT,
      description = "Port of the log server; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--address", paramLabel = "ADDR", defaultValue = "127.0.0.1",
      description = "Address the log server listens on (default: ${DEFAULT-VALUE}).")
  String address;

  @Option(names = "--client-ca-file", paramLabel = "FILE",
      description = "The cluster CA (PEM) whose client certificates may read container logs: the gateway's"
          + " DATA_DIR/pki/ca.crt, which issued its apiserver-kubelet-client certificate. Without it every log"
          + " request is refused.")
  java.nio.file.Path clientCaFile;

  @Mixin DataDirOptions dataDir;
  @Mixin TopicOptions topics;
  @Mixin MetricsOptions metrics;
  @Mixin KafkaClientOptions kafkaClient;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Path data;
    KafkaConnection connection;
    NodeAgentConfig config;
    TopicSettings topicSettings;
    try {
      data = dataDir.resolve();
      connection = new KafkaConnection(kafka, kafkaClient.resolve());
      topicSettings = topics.resolve(false);
      NodeAgentConfig.RuntimeKind kind = switch (runtime.toLowerCase(Locale.ROOT)) {
        case "runc" -> NodeAgentConfig.RuntimeKind.RUNC;
        case "hollow" -> NodeAgentConfig.RuntimeKind.HOLLOW;
        default -> throw new IllegalArgumentException("--runtime must be runc or hollow, not \"" + runtime + "\"");
      };
      String name = nodeName != null ? nodeName : MachineInfo.readHostname();
      config = new NodeAgentConfig(connection.clientConfig(), topicSettings.layout(), name,
          data.resolve(Defaults.NODE_AGENT_SUBDIR), kind, NodeAgentConfig.DEFAULT_RELIST, NodeAgentConfig.DEFAULT_WORKERS, address, port,
          clientCaFile == null ? null : clientCaFile.toAbsolutePath().normalize());
      if (clientCaFile != null && !java.nio.file.Files.isReadable(clientCaFile)) {
        throw new IllegalArgumentException("--client-ca-file: cannot read " + clientCaFile);
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    Progress progress = new Progress(spec.commandLine().getOut());
    return ServiceRun.run(data, data.resolve(Defaults.LOGS_SUBDIR), progress, "node-agent", (stack, registry) -> {
      MetricsComponent m = stack.start(new MetricsComponent(metrics.resolve(), registry));
      NodeAgentComponent agent = stack.start(new NodeAgentComponent(config, registry));
      return "node-agent ready: node=" + config.nodeName() + " logs=https://" + address + ":" + agent.port()
          + " metrics=" + m.url();
    });
  }
}
