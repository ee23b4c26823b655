package io.capstan.ops;

import io.capstan.nodeagent.NodeAgentConfig;
import io.capstan.nodeagent.fleet.HollowFleetConfig;
import io.capstan.nodeagent.runtime.hollow.HollowRuntime;
import io.capstan.nodeagent.node.MachineInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
        "With --runtime hollow --count N it runs N simulated nodes in this JVM (PREFIX-0000 …), as kubemark and"
            + " kwok do for load tests, printing 'registered K/N nodes' every 10 s while they register.",
        "Prints 'node-agent ready: …' once registered; SIGINT or SIGTERM stops it (exit 0)."})
final class NodeAgentCommand implements Callable<Integer> {
  @Option(names = "--kafka", paramLabel = "HOST:PORT[,…]", required = true,
      description = "Bootstrap servers of the Kafka cluster.")
  String kafka;

  @Option(names = "--node-name", paramLabel = "NAME", description = "The Node's name (default: this host's name).")
  String nodeName;

  @Option(names = "--runtime", paramLabel = "runc|hollow",
      description = "runc (real containers) or hollow (simulated) (default: runc).")
  String runtime;

  @Option(names = "--hollow", description = "Shorthand for --runtime hollow.")
  boolean hollow;

  @Option(names = "--count", paramLabel = "N",
      description = "Hollow nodes to run in this JVM, sharing its Kafka clients and threads (--runtime hollow only;"
          + " default: one node, named by --node-name).")
  Integer count;

  @Option(names = "--name-prefix", paramLabel = "PREFIX",
      description = "Names of the --count nodes: PREFIX-0000 … (default: " + HollowFleetConfig.DEFAULT_PREFIX + ").")
  String namePrefix;

  @Mixin HollowOptions hollowOptions;

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

  @Option(names = "--api-server", paramLabel = "URL",
      description = "The API (https://HOST:PORT) this node asks its pods' ServiceAccount tokens from (TokenRequest,"
          + " as kubelet), with --client-cert and --client-key (a certificate for system:node:NAME in group"
          + " system:nodes from the cluster CA), trusting --client-ca-file. Without it a runc pod with a token"
          + " volume waits (FailedMount).")
  java.net.URI apiServer;

  @Option(names = "--client-cert", paramLabel = "FILE", description = "This node's certificate (PEM) from the cluster CA"
      + " (`capstan certs issue --component node-agent --node-name NAME`): its commands go in a session of"
      + " system:node:NAME only, and --api-server is asked with it. Without it, a copy of the cluster's pki/ in the"
      + " data dir is used.")
  java.nio.file.Path clientCert;

  @Option(names = "--client-key", paramLabel = "FILE", description = "Its private key (PKCS#8 PEM).")
  java.nio.file.Path clientKey;

  @Mixin DataDirOptions dataDir;
  @Mixin EncryptionOptions encryption;
  @Mixin TopicOptions topics;
  @Mixin MetricsOptions metrics;
  @Mixin KafkaClientOptions kafkaClient;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Path data;
    KafkaConnection connection;
    NodeAgentConfig config;
    HollowFleetConfig fleetConfig = null;
    TopicSettings topicSettings;
    try {
      data = dataDir.resolve();
      connection = new KafkaConnection(kafka, kafkaClient.resolve());
      topicSettings = topics.resolve(false);
      NodeAgentConfig.RuntimeKind kind = runtimeKind();
      boolean isHollow = kind == NodeAgentConfig.RuntimeKind.HOLLOW;
      if (!isHollow && (count != null || namePrefix != null || hollowOptions.given())) {
        throw new IllegalArgumentException((count != null ? "--count" : namePrefix != null ? "--name-prefix"
            : "--hollow-* flags") + " is for hollow nodes (--runtime hollow): one machine runs one runc node");
      }
      if (count != null && nodeName != null) {
        throw new IllegalArgumentException("--node-name names one node; the --count nodes are named by --name-prefix");
      }
      if (namePrefix != null && count == null) {
        throw new IllegalArgumentException("--name-prefix names the --count nodes: give --count N too");
      }
      if (clientCaFile != null && !java.nio.file.Files.isReadable(clientCaFile)) {
        throw new IllegalArgumentException("--client-ca-file: cannot read " + clientCaFile);
      }
      java.nio.file.Path caFile = clientCaFile == null ? null : clientCaFile.toAbsolutePath().normalize();
      HollowRuntime.Behaviour behaviour = isHollow ? hollowOptions.resolve() : null;
      if (count != null) {
        config = null;
        fleetConfig = HollowFleetConfig.defaults(connection.clientConfig(), topicSettings.layout(), count,
            data.resolve(Defaults.HOLLOW_FLEET_SUBDIR)).withPrefix(namePrefix != null ? namePrefix
            : HollowFleetConfig.DEFAULT_PREFIX).withBehaviour(behaviour).withLogServer(address, port, caFile);
      } else {
        config = new NodeAgentConfig(connection.clientConfig(), topicSettings.layout(),
            nodeName != null ? nodeName : MachineInfo.readHostname(), data.resolve(Defaults.NODE_AGENT_SUBDIR), kind,
            NodeAgentConfig.DEFAULT_RELIST, NodeAgentConfig.DEFAULT_WORKERS, address, port, caFile, behaviour);
        // The node's certificate is its identity on its commands too: the processor holds the
        // node to it (NodeRestriction), and this machine needs no copy of the CA key.
        ComponentCertOptions.install(clientCert, clientKey, data,
            io.capstan.logschema.client.CommandClientConfig.NODE_IDENTITY_PREFIX + config.nodeName());
        if (apiServer != null) {
          if (clientCert == null || clientKey == null || caFile == null) {
            throw new IllegalArgumentException("--api-server, --client-cert, --client-key and --client-ca-file go"
                + " together: the node asks the API for tokens with its certificate, trusting the cluster CA");
          }
          for (java.nio.file.Path f : List.of(clientCert, clientKey)) {
            if (!java.nio.file.Files.isReadable(f)) {
              throw new IllegalArgumentException("cannot read " + f);
            }
          }
          config = config.withApiAccess(new io.capstan.nodeagent.volume.ApiTokenRequests.ApiAccess(apiServer, caFile,
              clientCert.toAbsolutePath(), clientKey.toAbsolutePath()));
        }
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    Progress progress = new Progress(spec.commandLine().getOut());
    if (fleetConfig != null) {
      HollowFleetConfig fc = fleetConfig;
      return ServiceRun.run(data, data.resolve(Defaults.LOGS_SUBDIR), progress, "node-agent", (stack, registry) -> {
        io.capstan.gateway.security.ComponentCertificates.installIfPresent(data); // the cluster's pki/ here: sessions
        encryption.install(data, true); // Secrets are sealed and opened with these keys, or nothing starts
        MetricsComponent m = stack.start(new MetricsComponent(metrics.resolve(), registry));
        HollowFleetComponent fleet = stack.start(new HollowFleetComponent(fc, null, registry, progress));
        List<String> names = fc.nodeNames();
        return "node-agent ready: nodes=" + names.size() + " (" + names.get(0) + " … " + names.get(names.size() - 1)
            + ") logs=https://" + address + ":" + fleet.port() + " metrics=" + m.url();
      });
    }
    NodeAgentConfig agentConfig = config;
    return ServiceRun.run(data, data.resolve(Defaults.LOGS_SUBDIR), progress, "node-agent", (stack, registry) -> {
      encryption.install(data, true); // Secrets are sealed and opened with these keys, or nothing starts
      MetricsComponent m = stack.start(new MetricsComponent(metrics.resolve(), registry));
      NodeAgentComponent agent = stack.start(new NodeAgentComponent(agentConfig, null, registry));
      return "node-agent ready: node=" + agentConfig.nodeName() + " logs=https://" + address + ":" + agent.port()
          + " metrics=" + m.url();
    });
  }

  private NodeAgentConfig.RuntimeKind runtimeKind() {
    if (hollow) {
      if (runtime != null && !runtime.equalsIgnoreCase("hollow")) {
        throw new IllegalArgumentException("--hollow contradicts --runtime " + runtime);
      }
      return NodeAgentConfig.RuntimeKind.HOLLOW;
    }
    String r = runtime == null ? "runc" : runtime;
    return switch (r.toLowerCase(Locale.ROOT)) {
      case "runc" -> NodeAgentConfig.RuntimeKind.RUNC;
      case "hollow" -> NodeAgentConfig.RuntimeKind.HOLLOW;
      default -> throw new IllegalArgumentException("--runtime must be runc or hollow, not \"" + runtime + "\"");
    };
  }
}
