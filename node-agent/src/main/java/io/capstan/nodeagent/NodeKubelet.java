package io.capstan.nodeagent;

import io.capstan.api.Pod;
import io.capstan.nodeagent.events.EventRecorder;
import io.capstan.nodeagent.logs.PodLogPaths;
import io.capstan.nodeagent.node.MachineInfo;
import io.capstan.nodeagent.node.NodeStatusReporter;
import io.capstan.nodeagent.runtime.ImageService;
import io.capstan.nodeagent.runtime.RuntimeService;
import io.capstan.nodeagent.sync.PodSyncLoop;
import io.capstan.nodeagent.sync.PodSyncMetrics;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * One node's own part of a kubelet: its {@link NodeStatusReporter} (Node registration, Lease,
 * status) and its {@link PodSyncLoop}, on a runtime of its own. Everything else comes in {@link
 * Shared}: a {@link NodeAgent} gives one node its own, a hollow fleet gives the same to all its
 * nodes. The caller feeds the loop the node's pods (it is their {@code ResourceEventHandler}).
 */
public final class NodeKubelet implements AutoCloseable {
  /**
   * The node.
   *
   * @param dataDir         where its pods' volumes go ({@code <dataDir>/pods})
   * @param daemonPort      the log server's port, posted as the Node's kubelet endpoint
   * @param pressure        its MemoryPressure/DiskPressure/PIDPressure
   * @param reporterOptions labels, heartbeat offset and series of its reporter
   */
  public record NodeSpec(String nodeName, MachineInfo machine, Path dataDir, RuntimeService runtime,
      ImageService images, PodLogPaths logPaths, int daemonPort, Supplier<Map<String, Boolean>> pressure,
      Duration relistPeriod, int workers, NodeStatusReporter.Options reporterOptions, PodSyncMetrics syncMetrics,
      io.capstan.nodeagent.sync.PodDns.Settings podDns) {
    /** With the default pod DNS settings (the cluster DNS 10.96.0.10, cluster.local). */
    public NodeSpec(String nodeName, MachineInfo machine, Path dataDir, RuntimeService runtime, ImageService images,
        PodLogPaths logPaths, int daemonPort, Supplier<Map<String, Boolean>> pressure, Duration relistPeriod,
        int workers, NodeStatusReporter.Options reporterOptions, PodSyncMetrics syncMetrics) {
      this(nodeName, machine, dataDir, runtime, images, logPaths, daemonPort, pressure, relistPeriod, workers,
          reporterOptions, syncMetrics, io.capstan.nodeagent.sync.PodDns.Settings.defaults());
    }
  }

  /**
   * What one or many nodes run on.
   *
   * @param workers pod workers shared by the nodes; null: each loop makes its own pool
   */
  public record Shared(ClusterAccess cluster, ScheduledExecutorService timers, ExecutorService workers, Clock clock) {}

  private final NodeSpec spec;
  private final NodeStatusReporter reporter;
  private final PodSyncLoop syncLoop;

  public NodeKubelet(NodeSpec spec, Shared shared) {
    this.spec = spec;
    this.reporter = new NodeStatusReporter(spec.nodeName(), spec.machine(), spec.dataDir(), spec.runtime().version(),
        spec.daemonPort(), shared.cluster().client(), shared.clock(), shared.timers(), spec.pressure(),
        spec.reporterOptions());
    this.reporter.readStoredNodeFrom(shared.cluster()::storedNode);
    this.reporter.reportingTo(shared.cluster().connection());
    this.syncLoop = new PodSyncLoop(new PodSyncLoop.Config(spec.nodeName(), spec.dataDir().resolve("pods"),
        spec.logPaths(), spec.machine().internalIp(), spec.relistPeriod(), spec.workers(), spec.podDns()), spec.runtime(),
        spec.images(), shared.cluster().configs(), shared.cluster().client(),
        new EventRecorder(shared.cluster().client(), spec.nodeName(), shared.clock(), shared.cluster().connection()),
        reporter::allocatable, shared.clock(), shared.timers(), shared.workers(), spec.syncMetrics(),
        shared.cluster().connection());
  }

  public String nodeName() {
    return spec.nodeName();
  }

  /** Registers the Node (blocking until the cluster answered) and starts its heartbeats. */
  public void register() {
    reporter.reportNetworkProblem(spec.runtime().podNetworkProblem());
    reporter.start();
  }

  /** {@link #register} without blocking, see {@link NodeStatusReporter#startAsync}. */
  public java.util.concurrent.CompletableFuture<Void> registerAsync() {
    reporter.reportNetworkProblem(spec.runtime().podNetworkProblem());
    return reporter.startAsync();
  }

  /** Starts syncing pods: call once the node's pods have been read, see {@link PodSyncLoop#start}. */
  public void startSyncing() {
    syncLoop.start();
  }

  /** The pod handler to register with the node's pods reader. */
  public PodSyncLoop syncLoop() {
    return syncLoop;
  }

  public NodeStatusReporter reporter() {
    return reporter;
  }

  public RuntimeService runtime() {
    return spec.runtime();
  }

  /** The pods the node handles now, by uid. */
  public Map<String, Pod> pods() {
    return syncLoop.pods();
  }

  /** Stops syncing and heartbeats; the containers are left to the runtime (see {@link NodeAgent#close}). */
  @Override
  public void close() {
    syncLoop.close();
    reporter.close();
  }

  /** Stops syncing, then every container, see {@link PodSyncLoop#stopAllContainers}; then the heartbeats. */
  public PodSyncLoop.NodeShutdown closeStoppingContainers(Duration maxGrace) {
    try {
      return syncLoop.stopAllContainers(maxGrace);
    } finally {
      reporter.close();
    }
  }
}
