package io.capstan.nodeagent;

import io.capstan.logschema.topics.TopicLayout;
import io.capstan.nodeagent.runtime.hollow.HollowRuntime;
import io.capstan.nodeagent.sync.PodDns;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Settings of one node agent. Defaults, written down once: runtime {@code runc}; relist every
 * {@link #DEFAULT_RELIST}; {@link #DEFAULT_WORKERS} pod workers; the log server on port
 * {@link #DEFAULT_PORT} (kubelet's 10250) of 127.0.0.1.
 *
 * @param kafka        Kafka client settings
 * @param layout       topic names
 * @param nodeName     the Node's name (default: the hostname)
 * @param dataDir      where images, bundles, pod volumes and logs live
 * @param runtime      {@code runc} or {@code hollow}
 * @param relistPeriod how often the runtime is relisted for container changes
 * @param workers      pod worker threads
 * @param host         the address the log server binds
 * @param port         the log server's port (0 picks one)
 * @param clientCaFile the CA (PEM) whose client certificates may read logs, as kubelet's
 *                     {@code --client-ca-file}: the cluster CA that issued the gateway's
 *                     {@code apiserver-kubelet-client} certificate; null refuses every log request
 * @param hollowBehaviour how simulated containers behave (runtime {@code hollow} only; default: they
 *                     start at once and run until stopped)
 * @param podDns       the cluster DNS address, cluster domain and host resolv.conf pods' resolv.conf is
 *                     made from (kubelet's {@code --cluster-dns}, {@code --cluster-domain},
 *                     {@code --resolv-conf}); default {@link PodDns.Settings#defaults()}
 * @param apiAccess    the API and this node's client certificate, for the ServiceAccount tokens of
 *                     its pods (kubelet's kubeconfig); null: a runc node cannot project tokens
 */
public record NodeAgentConfig(Map<String, Object> kafka, TopicLayout layout, String nodeName, Path dataDir,
    RuntimeKind runtime, Duration relistPeriod, int workers, String host, int port, Path clientCaFile,
    HollowRuntime.Behaviour hollowBehaviour, PodDns.Settings podDns,
    io.capstan.nodeagent.volume.ApiTokenRequests.ApiAccess apiAccess) {
  public static final Duration DEFAULT_RELIST = Duration.ofSeconds(1);
  public static final int DEFAULT_WORKERS = 8;
  public static final int DEFAULT_PORT = 10250;

  public enum RuntimeKind { RUNC, HOLLOW }

  public NodeAgentConfig {
    if (nodeName == null || !nodeName.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?") || nodeName.length() > 253) {
      throw new IllegalArgumentException("node name \"" + nodeName + "\" is not a DNS subdomain (lowercase letters,"
          + " digits, '-' and '.', at most 253)");
    }
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be at least 1, got " + workers);
    }
    if (hollowBehaviour == null) {
      hollowBehaviour = HollowRuntime.Behaviour.runsUntilStopped();
    }
    if (podDns == null) {
      podDns = PodDns.Settings.defaults();
    }
  }

  /** Without API access. */
  public NodeAgentConfig(Map<String, Object> kafka, TopicLayout layout, String nodeName, Path dataDir,
      RuntimeKind runtime, Duration relistPeriod, int workers, String host, int port, Path clientCaFile,
      HollowRuntime.Behaviour hollowBehaviour, PodDns.Settings podDns) {
    this(kafka, layout, nodeName, dataDir, runtime, relistPeriod, workers, host, port, clientCaFile, hollowBehaviour,
        podDns, null);
  }

  /** With the default pod DNS settings. */
  public NodeAgentConfig(Map<String, Object> kafka, TopicLayout layout, String nodeName, Path dataDir,
      RuntimeKind runtime, Duration relistPeriod, int workers, String host, int port, Path clientCaFile,
      HollowRuntime.Behaviour hollowBehaviour) {
    this(kafka, layout, nodeName, dataDir, runtime, relistPeriod, workers, host, port, clientCaFile, hollowBehaviour,
        null);
  }

  /** With the default hollow behaviour. */
  public NodeAgentConfig(Map<String, Object> kafka, TopicLayout layout, String nodeName, Path dataDir,
      RuntimeKind runtime, Duration relistPeriod, int workers, String host, int port, Path clientCaFile) {
    this(kafka, layout, nodeName, dataDir, runtime, relistPeriod, workers, host, port, clientCaFile, null, null);
  }

  public static NodeAgentConfig defaults(Map<String, Object> kafka, TopicLayout layout, String nodeName, Path dataDir,
      RuntimeKind runtime) {
    return new NodeAgentConfig(kafka, layout, nodeName, dataDir, runtime, DEFAULT_RELIST, DEFAULT_WORKERS, "127.0.0.1",
        DEFAULT_PORT, null);
  }

  public NodeAgentConfig withRelistPeriod(Duration d) {
    return new NodeAgentConfig(kafka, layout, nodeName, dataDir, runtime, d, workers, host, port, clientCaFile,
        hollowBehaviour, podDns, apiAccess);
  }

  public NodeAgentConfig withPort(int p) {
    return new NodeAgentConfig(kafka, layout, nodeName, dataDir, runtime, relistPeriod, workers, host, p, clientCaFile,
        hollowBehaviour, podDns, apiAccess);
  }

  public NodeAgentConfig withClientCaFile(Path caFile) {
    return new NodeAgentConfig(kafka, layout, nodeName, dataDir, runtime, relistPeriod, workers, host, port, caFile,
        hollowBehaviour, podDns, apiAccess);
  }

  public NodeAgentConfig withHollowBehaviour(HollowRuntime.Behaviour b) {
    return new NodeAgentConfig(kafka, layout, nodeName, dataDir, runtime, relistPeriod, workers, host, port,
        clientCaFile, b, podDns, apiAccess);
  }

  public NodeAgentConfig withApiAccess(io.capstan.nodeagent.volume.ApiTokenRequests.ApiAccess a) {
    return new NodeAgentConfig(kafka, layout, nodeName, dataDir, runtime, relistPeriod, workers, host, port,
        clientCaFile, hollowBehaviour, podDns, a);
  }

  public NodeAgentConfig withPodDns(PodDns.Settings d) {
    return new NodeAgentConfig(kafka, layout, nodeName, dataDir, runtime, relistPeriod, workers, host, port,
        clientCaFile, hollowBehaviour, d, apiAccess);
  }
}
