package io.capstan.ops;

import io.capstan.logschema.topics.TopicLayout;
import io.capstan.nodeagent.NodeAgent;
import io.capstan.nodeagent.NodeAgentConfig;
import io.capstan.nodeagent.runtime.ContainerInfo;
import io.capstan.nodeagent.sync.PodSyncLoop;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;

/**
 * The node agent of this machine (or a hollow one): registers the Node and runs the pods bound to it.
 *
 * <p>Two ways to stop. Alone ({@code capstan node-agent}) it stops as kubelet does: a kubelet
 * that stops does not kill its pods, so the containers keep running. Under {@code capstan up}
 * the whole cluster on this machine stops with Ctrl-C, and containers left behind (with their
 * overlay mounts) would surprise a user: there it stops its containers too, as a machine
 * shutdown would, and the next {@code up} on the data dir starts the pods again, as kubelet does
 * after a reboot.
 */
final class NodeAgentComponent implements Component {
  /** Per container under {@code up}: SIGTERM, then SIGKILL after this (or the pod's shorter grace), as {@code docker stop}. */
  static final Duration UP_STOP_GRACE = Duration.ofSeconds(10);

  private final NodeAgentConfig config;
  private final SharedInformers shared;
  private final MeterRegistry registry;
  private Duration stopContainersGrace;
  private io.vertx.core.Vertx vertx;
  private NodeAgent agent;
  private String stoppedLine;
  private io.capstan.nodeagent.proxy.ProxyMode proxyMode = io.capstan.nodeagent.proxy.ProxyMode.OFF;

  /** @param shared the process's informers for the agent to read ConfigMaps and Secrets through, or null for its own */
  NodeAgentComponent(NodeAgentConfig config, SharedInformers shared, MeterRegistry registry) {
    this.config = config;
    this.shared = shared;
    this.registry = registry;
  }

  /** Serves the agent's logs on the process's Vert.x (the gateway's) instead of a Vert.x of its own. */
  NodeAgentComponent servingLogsOn(io.vertx.core.Vertx vertx) {
    this.vertx = vertx;
    return this;
  }

  /** Runs the agent's service proxy this way (default: none). */
  NodeAgentComponent proxying(io.capstan.nodeagent.proxy.ProxyMode mode) {
    this.proxyMode = mode;
    return this;
  }

  /**
   * {@code --service-proxy}'s value; {@code nft} on a hollow local node (no root or no runc) becomes
   * {@code dry}: there is no packet filter to program.
   */
  static io.capstan.nodeagent.proxy.ProxyMode proxyMode(String flag) {
    io.capstan.nodeagent.proxy.ProxyMode mode;
    try {
      mode = io.capstan.nodeagent.proxy.ProxyMode.valueOf(flag.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--service-proxy must be nft, dry or off, not \"" + flag + "\"");
    }
    return mode;
  }

  /** On close, stops every container the agent runs (each with at most {@code maxGrace}); see the class comment. */
  NodeAgentComponent stoppingContainersOnClose(Duration maxGrace) {
    this.stopContainersGrace = maxGrace;
    return this;
  }

  /** The agent `up` runs for the local machine: runc when it can (root and runc present), else hollow. */
  static NodeAgentConfig local(Map<String, Object> kafka, TopicLayout layout, java.nio.file.Path dataDir,
      java.nio.file.Path clientCaFile) {
    boolean runc = "root".equals(System.getProperty("user.name"))
        && io.capstan.nodeagent.runtime.runc.RuncRuntime.findRunc().isPresent();
    if (!runc) {
      org.slf4j.LoggerFactory.getLogger(NodeAgentComponent.class).warn("the local node agent needs root and runc"
          + " (apt-get install -y runc busybox-static) to run real containers: it runs hollow (simulated) ones");
    }
    String node = io.capstan.nodeagent.node.MachineInfo.readHostname();
    // Port 0: several Capstans on one machine must not fight over kubelet's 10250; the Node says which.
    return NodeAgentConfig.defaults(kafka, layout, node, dataDir,
        runc ? NodeAgentConfig.RuntimeKind.RUNC : NodeAgentConfig.RuntimeKind.HOLLOW).withPort(0)
        .withClientCaFile(clientCaFile);
  }

  /**
   * The node's access to the API for its pods' ServiceAccount tokens, as kubelet's kubeconfig: a
   * client certificate {@code system:node:NODE} in group {@code system:nodes} issued by the cluster
   * CA ({@code pki/node-NODE.crt/.key}, reused while valid), trusting that CA.
   */
  static io.capstan.nodeagent.volume.ApiTokenRequests.ApiAccess nodeApiAccess(java.nio.file.Path pkiDir, String apiUrl,
      String node) throws java.io.IOException {
    var cert = io.capstan.gateway.security.CertificateAuthority.ensureClient(pkiDir, "node-" + node,
        io.capstan.stateviews.bootstrap.DefaultRoles.NODE_USER_PREFIX + node,
        java.util.List.of(io.capstan.stateviews.bootstrap.DefaultRoles.NODES_GROUP));
    return new io.capstan.nodeagent.volume.ApiTokenRequests.ApiAccess(java.net.URI.create(apiUrl),
        io.capstan.gateway.security.CertificateAuthority.caCert(pkiDir), cert.cert(), cert.key());
  }

  @Override
  public String name() {
    return "node agent " + config.nodeName() + " (" + config.runtime().name().toLowerCase(java.util.Locale.ROOT) + ")";
  }

  @Override
  public void start() {
    io.capstan.nodeagent.proxy.ProxyMode mode = proxyMode == io.capstan.nodeagent.proxy.ProxyMode.NFT
        && config.runtime() == NodeAgentConfig.RuntimeKind.HOLLOW ? io.capstan.nodeagent.proxy.ProxyMode.DRY : proxyMode;
    if (mode == io.capstan.nodeagent.proxy.ProxyMode.NFT) {
      try {
        io.capstan.nodeagent.proxy.NftCommand.requireInstalled();
      } catch (IllegalStateException e) {
        org.slf4j.LoggerFactory.getLogger(NodeAgentComponent.class).warn("the service proxy cannot program this host"
            + " ({}): it runs dry, and Services are not reachable through their ClusterIPs or NodePorts", e.getMessage());
        mode = io.capstan.nodeagent.proxy.ProxyMode.DRY;
      }
    }
    agent = new NodeAgent(config, shared, vertx, registry).proxying(mode);
  }

  @Override
  public void awaitReady(Duration timeout) {
    try {
      agent.start(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the node agent", e);
    }
  }

  int port() {
    return agent.port();
  }

  @Override
  public String stoppedLine() {
    return stoppedLine;
  }

  @Override
  public void close() {
    if (agent == null) {
      return;
    }
    if (stopContainersGrace != null) {
      PodSyncLoop.NodeShutdown s = agent.closeStoppingContainers(stopContainersGrace);
      if (s != null && s.containers() > 0) {
        stoppedLine = "node agent " + config.nodeName() + ": stopped " + s.containers() + " container(s) of "
            + s.pods() + " pod(s); the pods start again on the next `capstan up` with this data dir";
      }
      return;
    }
    long running = agent.runtime() == null ? 0 : agent.runtime().listContainers().stream()
        .filter(c -> c.state() == ContainerInfo.State.RUNNING).count();
    agent.close();
    if (config.runtime() == NodeAgentConfig.RuntimeKind.RUNC && running > 0) {
      stoppedLine = "node agent " + config.nodeName() + ": left " + running + " container(s) running, as a stopped"
          + " kubelet does; the next node agent on this data dir adopts them";
    }
  }
}
