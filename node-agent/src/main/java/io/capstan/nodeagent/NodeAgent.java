package io.capstan.nodeagent;

import io.capstan.api.ConfigMap;
import io.capstan.api.Secret;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.nodeagent.events.EventRecorder;
import io.capstan.nodeagent.image.BusyboxImage;
import io.capstan.nodeagent.image.ImageStore;
import io.capstan.nodeagent.logs.LogServer;
import io.capstan.nodeagent.logs.PodLogPaths;
import io.capstan.nodeagent.node.MachineInfo;
import io.capstan.nodeagent.node.NodeStatusReporter;
import io.capstan.nodeagent.runtime.ImageService;
import io.capstan.nodeagent.runtime.RuntimeService;
import io.capstan.nodeagent.runtime.hollow.HollowRuntime;
import io.capstan.nodeagent.runtime.runc.RuncRuntime;
import io.capstan.nodeagent.sync.ConfigSource;
import io.capstan.nodeagent.sync.PodSyncLoop;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.view.NodePodsReader;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node agent, wired on one screen: the runtime and image store, the Node registration and
 * heartbeats, the reader of this node's pods (the pods-by-node view), the ConfigMap and Secret
 * informers pods refer to, the pod sync loop and the log server.
 */
public final class NodeAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeAgent.class);

  private final NodeAgentConfig config;
  private final MeterRegistry registry;
  private final Clock clock = Clock.systemUTC();
  private ScheduledExecutorService timers;
  private RuntimeService runtime;
  private CommandClient client;
  private SharedInformers informers;
  private NodeStatusReporter reporter;
  private NodePodsReader podsReader;
  private PodSyncLoop syncLoop;
  private LogServer logServer;

  public NodeAgent(NodeAgentConfig config, MeterRegistry registry) {
    this.config = config;
    this.registry = registry;
  }

  /** Starts everything and returns once the node is registered and its pods are read. */
  public void start(Duration timeout) throws InterruptedException {
    log.info("node agent {} starting: runtime {}, data dir {}", config.nodeName(), config.runtime(), config.dataDir());
    timers = Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "capstan-node-agent-timer-" + config.nodeName());
      t.setDaemon(true);
      return t;
    });
    ImageService images;
    MachineInfo machine = MachineInfo.read(config.dataDir());
    if (config.runtime() == NodeAgentConfig.RuntimeKind.RUNC) {
      ImageStore store = new ImageStore(config.dataDir().resolve(ImageStore.SUBDIR));
      if (BusyboxImage.hostBinary().isPresent()) {
        BusyboxImage.seed(store);
      } else {
        log.warn("no static busybox on this host: {} is not seeded (apt-get install -y {})", BusyboxImage.NAME,
            BusyboxImage.PACKAGE);
      }
      images = store;
      runtime = new RuncRuntime(config.dataDir().resolve("runtime"), registry, clock);
    } else {
      HollowRuntime hollow = new HollowRuntime(HollowRuntime.Behaviour.runsUntilStopped(), timers, clock);
      images = hollow;
      runtime = hollow;
    }
    client = new CommandClient(CommandClientConfig.defaults(config.kafka(), config.layout(), "node-" + config.nodeName()),
        registry);
    PodLogPaths logPaths = new PodLogPaths(config.dataDir().resolve("logs").resolve("pods"));
    logServer = new LogServer(logPaths, () -> syncLoop == null ? Map.of() : syncLoop.pods(), config.host(), config.port(),
        config.clientCaFile());
    int port = logServer.start();
    reporter = new NodeStatusReporter(config.nodeName(), machine, config.dataDir(), runtime.version(), port, client, clock,
        timers, config.runtime() == NodeAgentConfig.RuntimeKind.RUNC
            ? NodeStatusReporter.machinePressure(config.dataDir()) : Map::of, registry);
    reporter.reportNetworkProblem(runtime.podNetworkProblem());
    reporter.start();

    informers = new SharedInformers(InformerConfig.defaults(config.kafka(), config.layout(), "node-" + config.nodeName()),
        registry);
    Informer<ConfigMap> configMaps = informers.informerFor(Kinds.CONFIG_MAP, ConfigMap.class);
    Informer<Secret> secrets = informers.informerFor(Kinds.SECRET, Secret.class);
    informers.start();
    ConfigSource configSource = new ConfigSource() {
      @Override
      public Optional<ConfigMap> configMap(String namespace, String name) {
        return configMaps.get(namespace, name);
      }

      @Override
      public Optional<Secret> secret(String namespace, String name) {
        return secrets.get(namespace, name);
      }
    };
    if (!informers.awaitSynced(timeout)) {
      throw new IllegalStateException("node agent " + config.nodeName() + ": ConfigMap/Secret informers not synced in " + timeout);
    }
    syncLoop = new PodSyncLoop(new PodSyncLoop.Config(config.nodeName(), config.dataDir().resolve("pods"), logPaths,
        machine.internalIp(), config.relistPeriod(), config.workers()), runtime, images, configSource, client,
        new EventRecorder(client, config.nodeName(), clock), reporter::allocatable, clock, timers, registry);
    podsReader = new NodePodsReader(config.kafka(), config.layout(), config.nodeName(), registry);
    podsReader.addHandler(syncLoop);
    podsReader.start();
    if (!podsReader.awaitSynced(timeout)) {
      throw new IllegalStateException("node agent " + config.nodeName() + ": its pods were not read within " + timeout);
    }
    syncLoop.start(); // after the read: each pod's first sync sees its latest state, not an old version

    log.info("node agent {} ready: logs on port {}", config.nodeName(), port);
  }

  public String nodeName() {
    return config.nodeName();
  }

  /** The log server's port. */
  public int port() {
    return logServer.port();
  }

  public RuntimeService runtime() {
    return runtime;
  }

  /**
   * Stops as kubelet does: the containers keep running under the runtime supervisor, and the
   * next agent on this data dir adopts them (as after a {@code kill -9} of this one).
   */
  @Override
  public void close() {
    shutdown(null);
  }

  /**
   * Stops the agent and every container it runs, within about {@code maxGrace} (plus runc's own
   * time): what {@code capstan up} does on Ctrl-C, see {@link PodSyncLoop#stopAllContainers}.
   * The pods stay bound to this node and start again when an agent next runs on this data dir.
   */
  public PodSyncLoop.NodeShutdown closeStoppingContainers(Duration maxGrace) {
    return shutdown(maxGrace);
  }

  private PodSyncLoop.NodeShutdown shutdown(Duration stopContainersGrace) {
    log.info("stopping node agent {}{}", config.nodeName(), stopContainersGrace == null ? ""
        : " and its containers (grace at most " + stopContainersGrace.toSeconds() + " s)");
    if (podsReader != null) {
      podsReader.close();
    }
    PodSyncLoop.NodeShutdown stopped = null;
    if (syncLoop != null) {
      if (stopContainersGrace != null) {
        stopped = syncLoop.stopAllContainers(stopContainersGrace);
      } else {
        syncLoop.close();
      }
    }
    if (reporter != null) {
      reporter.close();
    }
    if (informers != null) {
      informers.close();
    }
    if (logServer != null) {
      logServer.close();
    }
    if (client != null) {
      client.close();
    }
    if (timers != null) {
      timers.shutdownNow();
    }
    if (runtime != null) {
      runtime.close();
    }
    return stopped;
  }
}
