package io.capstan.ops;

import io.capstan.logschema.topics.TopicLayout;
import io.capstan.nodeagent.NodeAgent;
import io.capstan.nodeagent.NodeAgentConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;

/** The node agent of this machine (or a hollow one): registers the Node and runs the pods bound to it. */
final class NodeAgentComponent implements Component {
  private final NodeAgentConfig config;
  private final MeterRegistry registry;
  private NodeAgent agent;

  NodeAgentComponent(NodeAgentConfig config, MeterRegistry registry) {
    this.config = config;
    this.registry = registry;
  }

  /** The agent `up` runs for the local machine: runc when it can (root and runc present), else hollow. */
  static NodeAgentConfig local(Map<String, Object> kafka, TopicLayout layout, java.nio.file.Path dataDir) {
    boolean runc = "root".equals(System.getProperty("user.name"))
        && io.capstan.nodeagent.runtime.runc.RuncRuntime.findRunc().isPresent();
    if (!runc) {
      org.slf4j.LoggerFactory.getLogger(NodeAgentComponent.class).warn("the local node agent needs root and runc"
          + " (apt-get install -y runc busybox-static) to run real containers: it runs hollow (simulated) ones");
    }
    String node = io.capstan.nodeagent.node.MachineInfo.readHostname();
    // Port 0: several Capstans on one machine must not fight over kubelet's 10250; the Node says which.
    return NodeAgentConfig.defaults(kafka, layout, node, dataDir,
        runc ? NodeAgentConfig.RuntimeKind.RUNC : NodeAgentConfig.RuntimeKind.HOLLOW).withPort(0);
  }

  @Override
  public String name() {
    return "node agent " + config.nodeName() + " (" + config.runtime().name().toLowerCase(java.util.Locale.ROOT) + ")";
  }

  @Override
  public void start() {
    agent = new NodeAgent(config, registry);
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
  public void close() {
    if (agent != null) {
      agent.close();
    }
  }
}
