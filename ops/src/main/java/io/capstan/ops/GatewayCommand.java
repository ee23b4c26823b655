package io.capstan.ops;

import io.capstan.gateway.server.GatewayConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code capstan gateway}: one more Kubernetes API gateway against a Kafka cluster, to scale out reads and watches. */
@Command(name = "gateway", mixinStandardHelpOptions = true,
    description = {
        "Runs the Kubernetes API gateway alone against a running cluster's Kafka: its watch cache loads every"
            + " state topic, writes go to the command processor.",
        "Run as many as you like, each with its own --data-dir, behind a load balancer. On first start it generates"
            + " a CA and serving certificate (DATA_DIR/pki) and an admin token (DATA_DIR/tokens.csv) and writes"
            + " DATA_DIR/kubeconfig; copy pki/ and tokens.csv between instances to share them.",
        "Prints 'gateway ready: api=…' once serving; SIGINT or SIGTERM stops it cleanly (exit 0)."})
final class GatewayCommand implements Callable<Integer> {
  @Option(names = "--kafka", paramLabel = "HOST:PORT[,…]", required = true,
      description = "Bootstrap servers of the Kafka cluster.")
  String kafka;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "" + GatewayConfig.DEFAULT_PORT,
      description = "Port of the API; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = GatewayConfig.DEFAULT_HOST,
      description = "Address the API binds; 0.0.0.0 for every interface (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--insecure-http",
      description = "Serve plain HTTP without authentication: local experiments only.")
  boolean insecureHttp;

  @Option(names = "--token-file", paramLabel = "FILE",
      description = "Bearer tokens, as kube-apiserver's --token-auth-file: token,user,uid,\"group1,group2\""
          + " (default: DATA_DIR/tokens.csv, created with an admin token).")
  Path tokenFile;

  @Option(names = "--event-loop-nice", paramLabel = "N", defaultValue = "" + GatewayConfig.DEFAULT_EVENT_LOOP_NICE,
      description = "Nice value of the event-loop threads, -20..19 (default: ${DEFAULT-VALUE}: ahead of the broker's"
          + " and the processor's threads on this machine; a negative value needs root or CAP_SYS_NICE, 0 leaves"
          + " them as they are).")
  int eventLoopNice;

  @Option(names = "--topic-prefix", paramLabel = "PREFIX", defaultValue = Defaults.TOPIC_PREFIX,
      description = "Prefix of the cluster's topic names (default: ${DEFAULT-VALUE}).")
  String topicPrefix;

  @Option(names = "--authorization", paramLabel = "rbac|always-allow", defaultValue = "rbac",
      description = "How the API authorizes requests: rbac (Roles and bindings; system:masters may do anything) or"
          + " always-allow (every authenticated user may do anything) (default: ${DEFAULT-VALUE}).")
  String authorization;

  @Mixin DataDirOptions dataDir;
  @Mixin EncryptionOptions encryption;
  @Mixin MetricsOptions metrics;
  @Mixin KafkaClientOptions kafkaClient;
  @Spec CommandSpec spec;

  GatewayRunConfig config() {
    try {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("--port must be 0..65535, got " + port);
      }
      Path data = dataDir.resolve();
      GatewayConfig gateway = new GatewayConfig(host, port, data, insecureHttp, GatewayConfig.DEFAULT_MAX_BODY_BYTES,
          tokenFile == null ? null : tokenFile.toAbsolutePath().normalize(), List.of())
          .withEventLoopNice(eventLoopNice);
      return new GatewayRunConfig(data, new KafkaConnection(kafka, kafkaClient.resolve()), new TopicSettings(topicPrefix, Defaults.PARTITIONS, Defaults.REPLICATION_FACTOR_EMBEDDED).layout(),
          gateway, metrics.resolve());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    GatewayRunConfig config = config();
    io.capstan.gateway.security.AuthorizationMode mode;
    try {
      mode = io.capstan.gateway.security.AuthorizationMode.parse(authorization);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--authorization: " + e.getMessage(), e);
    }
    Progress progress = new Progress(spec.commandLine().getOut());
    return ServiceRun.run(config.dataDir(), config.logDir(), progress, "gateway", (stack, registry) -> {
      io.capstan.gateway.security.ComponentCertificates.installIfPresent(config.dataDir()); // cluster pki/: sessions
      encryption.install(config.dataDir(), true); // Secrets are sealed and opened with these keys, or nothing starts
      KafkaConnection kafka = config.kafka();
      MetricsComponent metrics = stack.start(new MetricsComponent(config.metrics(), registry));
      GatewayComponent gateway = stack.start(new GatewayComponent(kafka.clientConfig(), config.layout(),
          config.gateway(), null, registry).authorizing(mode));
      return "gateway ready: api=" + gateway.url()
          + (config.gateway().insecureHttp() ? "" : " kubeconfig=" + gateway.kubeconfig())
          + " kafka=" + kafka.bootstrap() + " metrics=" + metrics.url();
    });
  }
}
