package io.capstan.ops;

import io.capstan.controllers.nodelifecycle.NodeLifecycleConfig;
import io.capstan.gateway.server.GatewayConfig;
import io.capstan.scheduler.config.SchedulerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.processor.services.ServiceNetwork;
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
            + " Capstan's topics, the command processor, the Kubernetes API gateway (HTTPS on --api-port),"
            + " the controllers, the scheduler, a node agent for this machine and one Prometheus /metrics endpoint.",
        "On first start it generates a CA and serving certificate (DATA_DIR/pki) and an admin token"
            + " (DATA_DIR/tokens.csv), and it writes DATA_DIR/kubeconfig for kubectl.",
        "It also generates DATA_DIR/encryption-config.yaml (mode 0600), the keys that seal Secrets in the log;"
            + " later starts refuse to run without it (see `capstan keys`).",
        "Prints 'capstan ready: api=… kubeconfig=… kafka=… metrics=…', an 'export KUBECONFIG=…' line and the web"
            + " console's URL ('console: https://…/ui/') once"
            + " everything is up; SIGINT or SIGTERM stops it cleanly (exit 0)."
            + " Starting again on the same --data-dir brings the same cluster back."})
final class UpCommand implements Callable<Integer> {
  @Mixin DataDirOptions dataDir;

  @Option(names = "--kafka", paramLabel = "HOST:PORT[,…]",
      description = "Use this Kafka cluster instead of the embedded broker.")
  String kafka;

  @Option(names = "--kafka-port", paramLabel = "PORT", defaultValue = "" + Defaults.KAFKA_PORT,
      description = "Port of the embedded broker; 0 picks a free one (default: ${DEFAULT-VALUE}; unused with --kafka).")
  int kafkaPort;

  @Option(names = "--api-port", paramLabel = "PORT", defaultValue = "" + GatewayConfig.DEFAULT_PORT,
      description = "Port of the Kubernetes API (HTTPS); 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int apiPort;

  @Option(names = "--api-address", paramLabel = "IP",
      description = "The node address the API is served on besides 127.0.0.1 (same port), named by the kubernetes"
          + " Service's Endpoints: where pods reach the API through that Service's ClusterIP. 127.0.0.1 serves"
          + " loopback only, and pods cannot reach the API (default: the node's internal IP, as in its status).")
  String apiAddress;

  @Option(names = "--service-proxy", paramLabel = "nft|dry|off", defaultValue = "nft",
      description = "The local node's service proxy: nft programs this host's nftables (table ip capstan; the rules go"
          + " on a clean stop), dry generates rules only, off runs none (default: ${DEFAULT-VALUE}; a hollow local"
          + " node has no packet filter: dry).")
  String serviceProxy;

  @Option(names = "--hollow-nodes", paramLabel = "N", defaultValue = "0",
      description = "Also run N hollow (simulated) nodes, hollow-0000 …, next to the local node, for load tests"
          + " (default: ${DEFAULT-VALUE}).")
  int hollowNodes;

  @Option(names = "--terminated-pod-gc-threshold", paramLabel = "N",
      defaultValue = "" + io.capstan.controllers.podgc.PodGcConfig.DEFAULT_TERMINATED_POD_THRESHOLD,
      description = "How many terminated (Succeeded or Failed) pods may exist before the pod garbage collector deletes"
          + " the oldest; 0 keeps them all (kube-controller-manager's flag; default ${DEFAULT-VALUE}).")
  int terminatedPodGcThreshold;

  @Option(names = "--authorization", paramLabel = "rbac|always-allow", defaultValue = "rbac",
      description = "How the API authorizes requests: rbac (Roles and bindings; system:masters may do anything) or"
          + " always-allow (every authenticated user may do anything) (default: ${DEFAULT-VALUE}).")
  String authorization;

  @Mixin AutoscalerOptions autoscalerOptions;
  @Mixin ServiceNetworkOptions serviceNetworkOptions;
  @Mixin HollowOptions hollowOptions;
  @Mixin TopicOptions topics;
  @Mixin MetricsOptions metrics;
  @Mixin KafkaClientOptions kafkaClient;
  @Mixin EncryptionOptions encryption;
  @Spec CommandSpec spec;

  UpConfig config() {
    try {
      if (apiPort < 0 || apiPort > 65535) {
        throw new IllegalArgumentException("--api-port must be 0..65535, got " + apiPort);
      }
      if (hollowNodes < 0 || hollowNodes > io.capstan.nodeagent.fleet.HollowFleetConfig.MAX_COUNT) {
        throw new IllegalArgumentException("--hollow-nodes must be 0.."
            + io.capstan.nodeagent.fleet.HollowFleetConfig.MAX_COUNT + ", got " + hollowNodes);
      }
      if (hollowNodes == 0 && hollowOptions.given()) {
        throw new IllegalArgumentException("--hollow-* flags shape the --hollow-nodes: give --hollow-nodes N too");
      }
      apiAddress();
      ControllersComponent.podGc(terminatedPodGcThreshold);
      autoscalerOptions.resolve(null, null);
      hollowOptions.resolve(); // a bad knob is a usage error before anything starts
      serviceNetworkOptions.resolve();
      NodeAgentComponent.proxyMode(serviceProxy);
      return new UpConfig(dataDir.resolve(), Optional.ofNullable(kafka), kafkaPort, kafkaClient.resolve(),
          topics.resolve(kafka == null), metrics.resolve());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  /** The address the kubernetes Service's Endpoints name, checked: an IPv4 literal. */
  String apiAddress() {
    String a = apiAddress == null ? io.capstan.nodeagent.node.MachineInfo.readInternalIp() : apiAddress.trim();
    if (ServiceNetwork.parseIpv4(a) < 0) {
      throw new IllegalArgumentException("--api-address must be an IPv4 address, got '" + a + "'");
    }
    return a;
  }

  private io.capstan.gateway.security.AuthorizationMode authorizationMode() {
    try {
      return io.capstan.gateway.security.AuthorizationMode.parse(authorization);
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--authorization: " + e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    UpConfig config = config();
    authorizationMode(); // a bad value fails before anything starts
    Progress progress = new Progress(spec.commandLine().getOut());
    return ServiceRun.run(config.dataDir(), config.logDir(), progress, "capstan", (stack, registry) -> {
      // Before anything writes: Secrets are sealed with these keys, or nothing starts.
      encryption.install(config.dataDir(), true);
      KafkaConnection kafka = new KafkaConnection(
          config.kafka().orElseGet(() -> stack.start(new BrokerComponent(config.broker())).bootstrap()),
          config.kafkaSettings());
      stack.start(new TopicsComponent(kafka.clientConfig(), config.topics()));
      ServiceNetwork serviceNetwork = serviceNetworkOptions.resolve();
      // Every command client of this process opens a session with a certificate from the cluster CA,
      // and the processor takes commands only with a ticket of one (docs/identity.md section 2).
      java.nio.file.Path pki = GatewayConfig.defaults(config.dataDir()).pkiDir();
      io.capstan.gateway.security.ComponentCertificates.install(pki, CommandProcessorComponent.BOOTSTRAP_IDENTITY,
          io.capstan.gateway.security.ComponentCertificates.GATEWAY_IDENTITY,
          io.capstan.controllers.manager.ControllerManager.IDENTITY,
          io.capstan.scheduler.service.SchedulerInstance.IDENTITY);
      stack.start(new CommandProcessorComponent(kafka.clientConfig(), config.topics().layout(), config.stateDir(),
          serviceNetwork, registry).authenticating(io.capstan.gateway.security.ComponentCertificates.authentication(pki)));
      SharedInformers informers = stack.start(new SharedInformersComponent(kafka.clientConfig(),
          config.topics().layout(), registry)).informers();
      // As kube-apiserver's certificate: the names and the ClusterIP of the kubernetes Service, the node's address.
      String apiAddress = apiAddress();
      GatewayConfig gatewayConfig = GatewayConfig.defaults(config.dataDir()).withPort(apiPort)
          .withExtraHosts(java.util.List.of(apiAddress, serviceNetwork.kubernetesServiceIP(), "kubernetes",
              "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"))
          .withAlsoListenOn(apiAddress.equals(GatewayConfig.DEFAULT_HOST) ? java.util.List.of()
              : java.util.List.of(apiAddress));
      GatewayComponent gateway = stack.start(new GatewayComponent(kafka.clientConfig(), config.topics().layout(),
          gatewayConfig, informers, registry).authorizing(authorizationMode()));
      MetricsComponent metrics = stack.start(new MetricsComponent(config.metrics(), registry).servingOn(gateway.vertx()));
      // kube-root-ca.crt in every namespace: the CA the gateway generated (or found) in DATA_DIR/pki
      stack.start(new ControllersComponent(kafka.clientConfig(), config.topics().layout(), NodeLifecycleConfig.defaults(),
          io.capstan.gateway.security.CertificateAuthority.caCert(gatewayConfig.pkiDir()),
          ControllersComponent.podGc(terminatedPodGcThreshold),
          autoscalerOptions.resolveIssuing(gatewayConfig.pkiDir()), informers, registry));
      // The kubernetes Service points at the gateway where pods reach it: the node's address.
      stack.start(new ClusterServicesComponent(kafka.clientConfig(), config.topics().layout(), informers, serviceNetwork,
          apiAddress, gateway.port(), registry));
      stack.start(new SchedulerComponent(kafka.clientConfig(), config.topics().layout(), SchedulerConfig.defaults(),
          informers, registry));
      io.capstan.nodeagent.NodeAgentConfig local = NodeAgentComponent.local(kafka.clientConfig(),
          config.topics().layout(), config.dataDir().resolve(Defaults.NODE_AGENT_SUBDIR),
          io.capstan.gateway.security.CertificateAuthority.caCert(gatewayConfig.pkiDir()))
          // ClusterFirst pods ask the DNS Service of this --service-cidr (kubelet's --cluster-dns)
          .withPodDns(new io.capstan.nodeagent.sync.PodDns.Settings(java.util.List.of(serviceNetwork.dnsServiceIP()),
              io.capstan.nodeagent.sync.PodDns.Settings.DEFAULT_CLUSTER_DOMAIN,
              io.capstan.nodeagent.sync.PodDns.Settings.defaultHostResolvConf()));
      // Its pods' ServiceAccount tokens come from the API, asked with a certificate of its own
      local = local.withApiAccess(NodeAgentComponent.nodeApiAccess(gatewayConfig.pkiDir(), gateway.url(),
          local.nodeName()));
      stack.start(new NodeAgentComponent(local, informers, registry)
          .servingLogsOn(gateway.vertx()).stoppingContainersOnClose(NodeAgentComponent.UP_STOP_GRACE)
          .proxying(NodeAgentComponent.proxyMode(serviceProxy)));
      boolean realPods = local.runtime() == io.capstan.nodeagent.NodeAgentConfig.RuntimeKind.RUNC
          && io.capstan.nodeagent.runtime.runc.PodNetwork.findPlugins().isPresent();
      stack.start(new ClusterDnsComponent(ClusterDnsComponent.local(realPods), realPods, kafka.clientConfig(),
          config.topics().layout(), informers, gateway.vertx(), registry));
      if (hollowNodes > 0) {
        stack.start(new HollowFleetComponent(io.capstan.nodeagent.fleet.HollowFleetConfig.defaults(kafka.clientConfig(),
            config.topics().layout(), hollowNodes, config.dataDir().resolve(Defaults.HOLLOW_FLEET_SUBDIR))
            .withBehaviour(hollowOptions.resolve()).withLogServer("127.0.0.1", 0,
                io.capstan.gateway.security.CertificateAuthority.caCert(gatewayConfig.pkiDir())), informers, registry, progress));
      }
      return "capstan ready: api=" + gateway.url() + " kubeconfig=" + gateway.kubeconfig() + " kafka="
          + kafka.bootstrap() + " metrics=" + metrics.url() + "\nexport KUBECONFIG=" + gateway.kubeconfig()
          + "\nconsole: " + gateway.url() + "/ui/ (sign in with the token of the kubeconfig's capstan-token context)";
    });
  }
}
