package io.capstan.nodeagent;

import io.capstan.api.Endpoints;
import io.capstan.api.Service;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.nodeagent.image.BusyboxImage;
import io.capstan.nodeagent.image.ImageStore;
import io.capstan.nodeagent.image.RegistryClient;
import io.capstan.nodeagent.image.RegistryHosts;
import io.capstan.nodeagent.logs.LogServer;
import io.capstan.nodeagent.logs.PodLogPaths;
import io.capstan.nodeagent.node.MachineInfo;
import io.capstan.nodeagent.node.NodeStatusReporter;
import io.capstan.nodeagent.proxy.ConntrackCommand;
import io.capstan.nodeagent.proxy.EndpointsSource;
import io.capstan.nodeagent.proxy.NftCommand;
import io.capstan.nodeagent.proxy.NodeEvents;
import io.capstan.nodeagent.proxy.ProxyMode;
import io.capstan.nodeagent.proxy.RulesApplier;
import io.capstan.nodeagent.proxy.ServiceProxy;
import io.capstan.nodeagent.runtime.ImageService;
import io.capstan.nodeagent.runtime.RuntimeService;
import io.capstan.nodeagent.runtime.hollow.HollowRuntime;
import io.capstan.nodeagent.runtime.runc.RuncRuntime;
import io.capstan.nodeagent.sync.PodSyncLoop;
import io.capstan.nodeagent.sync.PodSyncMetrics;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.view.NodePodsReader;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
  private final SharedInformers shared;
  private final Clock clock = Clock.systemUTC();
  private ScheduledExecutorService timers;
  private RuntimeService runtime;
  private ClusterAccess cluster;
  private volatile NodeKubelet kubelet; // read by the log server's threads
  private NodePodsReader podsReader;
  private LogServer logServer;
  private ProxyMode proxyMode = ProxyMode.OFF;
  private SharedInformers proxyInformers;
  private ServiceProxy proxy;
  private io.capstan.nodeagent.volume.LocalPathProvisioner provisioner;
  /** The process's Vert.x for the log server, or null for one of its own. */
  private final io.vertx.core.Vertx vertx;

  public NodeAgent(NodeAgentConfig config, MeterRegistry registry) {
    this(config, null, registry);
  }

  /**
   * @param shared informers shared with the process's other components ({@code capstan up}), which
   *     the agent reads ConfigMaps and Secrets through; null for informers of its own
   */
  public NodeAgent(NodeAgentConfig config, SharedInformers shared, MeterRegistry registry) {
    this(config, shared, null, registry);
  }

  /**
   * @param vertx the process's Vert.x for the log server to serve on ({@code capstan up}: the
   *     gateway's), left running on close; null for one of its own
   */
  public NodeAgent(NodeAgentConfig config, SharedInformers shared, io.vertx.core.Vertx vertx, MeterRegistry registry) {
    this.config = config;
    this.shared = shared;
    this.vertx = vertx;
    this.registry = registry;
  }

  /**
   * Runs the service proxy (kube-proxy's job) in this agent: {@code NFT} programs this host's
   * packet filter, {@code DRY} generates only; default {@code OFF}. Call before {@link #start}.
   */
  public NodeAgent proxying(ProxyMode mode) {
    this.proxyMode = Objects.requireNonNull(mode);
    return this;
  }

  /** Mirrors and per-host users from {@code registries.yaml} in the data dir (none without the file). */
  private RegistryHosts registryHosts() {
    java.nio.file.Path file = config.dataDir().resolve(RegistryHosts.FILE);
    try {
      RegistryHosts hosts = RegistryHosts.load(file);
      if (!hosts.mirrors().isEmpty() || !hosts.auth().isEmpty()) {
        log.info("registries from {}: mirrors {}, users for {}", file, hosts.mirrors(), hosts.auth().keySet());
      }
      return hosts;
    } catch (java.io.IOException e) {
      throw new IllegalStateException("node agent " + config.nodeName() + ": " + e.getMessage(), e);
    }
  }

  public void start(Duration timeout) throws InterruptedException {
    log.info("node agent {} starting: runtime {}, data dir {}", config.nodeName(), config.runtime(), config.dataDir());
    // One thread: its tasks are lease and status ticks that send asynchronously, queue flushes,
    // and a relist (one `runc list`, milliseconds) every few seconds.
    timers = Executors.newScheduledThreadPool(1, r -> {
      Thread t = new Thread(r, "capstan-node-agent-timer-" + config.nodeName());
      t.setDaemon(true);
      return t;
    });
    ImageService images;
    MachineInfo machine = MachineInfo.read(config.dataDir());
    boolean runc = config.runtime() == NodeAgentConfig.RuntimeKind.RUNC;
    if (runc) {
      ImageStore store = new ImageStore(config.dataDir().resolve(ImageStore.SUBDIR))
          .pullingFrom(new RegistryClient(host -> java.util.Optional.empty(), registryHosts()));
      if (BusyboxImage.hostBinary().isPresent()) {
        BusyboxImage.seed(store);
      } else {
        log.warn("no static busybox on this host: {} is not seeded (apt-get install -y {})", BusyboxImage.NAME,
            BusyboxImage.PACKAGE);
      }
      images = store;
      runtime = new RuncRuntime(config.dataDir().resolve("runtime"), registry, clock);
      startImageGc(store);
    } else {
      HollowRuntime hollow = new HollowRuntime(config.hollowBehaviour(), timers, clock);
      images = hollow;
      runtime = hollow;
    }
    cluster = new ClusterAccess(config.kafka(), config.layout(), config.nodeName(), shared, registry);
    cluster.withTokens(tokenSource(runc));
    PodLogPaths logPaths = new PodLogPaths(config.dataDir().resolve("logs").resolve("pods"));
    logServer = new LogServer(logPaths, () -> kubelet == null ? Map.of() : kubelet.pods(), config.host(), config.port(),
        config.clientCaFile(), runc ? null : LogServer.HOLLOW_NO_LOGS);
    if (vertx != null) {
      logServer.on(vertx);
    }
    if (runc) {
      logServer.streaming(new io.capstan.nodeagent.streaming.ContainerStreams(runtime,
          () -> kubelet == null ? Map.of() : kubelet.pods()));
    }
    logServer.stats(new io.capstan.nodeagent.stats.NodeStats(config.nodeName(), runtime,
        () -> kubelet == null ? Map.of() : kubelet.pods(), runc
            ? io.capstan.nodeagent.stats.NodeStats.hostNode(io.capstan.nodeagent.stats.Cgroups.host())
            : io.capstan.nodeagent.stats.NodeStats.hollowNode(), clock));
    int port = logServer.start();
    kubelet = new NodeKubelet(new NodeKubelet.NodeSpec(config.nodeName(), machine, config.dataDir(), runtime, images,
        logPaths, port, runc ? NodeStatusReporter.machinePressure(config.dataDir()) : Map::of, config.relistPeriod(),
        config.workers(), NodeStatusReporter.Options.forNode(registry, config.nodeName()),
        PodSyncMetrics.forNode(registry, config.nodeName()), config.podDns()), new NodeKubelet.Shared(cluster, timers, null, clock));
    kubelet.register();
    cluster.awaitSynced(timeout);
    podsReader = new NodePodsReader(config.kafka(), config.layout(), config.nodeName(), registry);
    podsReader.addHandler(kubelet.syncLoop());
    podsReader.start();
    if (!podsReader.awaitSynced(timeout)) {
      throw new IllegalStateException("node agent " + config.nodeName() + ": its pods were not read within " + timeout);
    }
    kubelet.startSyncing(); // after the read: each pod's first sync sees its latest state, not an old version
    if (runc) {
      // This node's local-path volumes: directories under its data dir (a hollow fleet has one provisioner for all its nodes).
      provisioner = new io.capstan.nodeagent.volume.LocalPathProvisioner(config.nodeName(), config.dataDir(),
          cluster.claims(), cluster.volumes(), cluster.storageClasses(), cluster.client()).start();
    }
    if (proxyMode != ProxyMode.OFF) {
      startProxy(timeout);
    }

    log.info("node agent {} ready: logs on port {}", config.nodeName(), port);
  }

  /**
   * Kubelet's image garbage collection, every {@link io.capstan.nodeagent.image.ImageGarbageCollector#PERIOD}
   * on the timer thread: images no container of this node was made from go when the image
   * filesystem is 85% full, down to 80%.
   */
  private void startImageGc(ImageStore store) {
    RuntimeService rt = runtime;
    var gc = new io.capstan.nodeagent.image.ImageGarbageCollector(store,
        () -> rt.listContainers().stream().map(io.capstan.nodeagent.runtime.ContainerInfo::imageRef)
            .collect(java.util.stream.Collectors.toSet()),
        io.capstan.nodeagent.image.ImageGarbageCollector.Policy.DEFAULTS,
        io.capstan.nodeagent.image.ImageGarbageCollector.Disk.of(store.root()), clock);
    long period = io.capstan.nodeagent.image.ImageGarbageCollector.PERIOD.toMillis();
    timers.scheduleWithFixedDelay(() -> {
      try {
        gc.collect();
      } catch (RuntimeException e) {
        log.warn("node agent {}: image garbage collection failed: {}", config.nodeName(), e.toString());
      }
    }, period, period, TimeUnit.MILLISECONDS);
  }

  /** Services and Endpoints informers, then the proxy: its first sync rebuilds the rules from them. */
  private void startProxy(Duration timeout) throws InterruptedException {
    boolean nft = proxyMode == ProxyMode.NFT;
    if (nft) {
      NftCommand.requireInstalled();
      NftCommand.enableRouteLocalnet();
    }
    proxyInformers = SharedInformers.borrowOrOwn(shared,
        InformerConfig.defaults(config.kafka(), config.layout(),
            "node-" + config.nodeName() + "-proxy"), registry);
    var source = new EndpointsSource(
        proxyInformers.informerFor(Kinds.SERVICE, Service.class),
        proxyInformers.informerFor(Kinds.ENDPOINTS, Endpoints.class), clock);
    proxyInformers.start();
    if (!proxyInformers.awaitSynced(timeout)) {
      throw new IllegalStateException("node agent " + config.nodeName() + ": Service/Endpoints not read in " + timeout);
    }
    ServiceProxy.Settings defaults = ServiceProxy.Settings.defaults();
    proxy = new ServiceProxy(source,
        nft ? new NftCommand() : RulesApplier.DRY,
        nft ? new ConntrackCommand(List.of()) : null,
        new NodeEvents(cluster.client(), config.nodeName(), clock),
        // kept on a plain stop (a restarting agent's traffic keeps flowing, as kube-proxy's); removed by up's stop
        new ServiceProxy.Settings(defaults.minSyncPeriod(), defaults.syncPeriod(), false),
        registry, config.nodeName(), clock);
    proxy.start();
    log.info("node agent {}: service proxy on ({})", config.nodeName(), nft ? "nftables table ip capstan" : "dry");
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
    if (provisioner != null) {
      provisioner.close();
    }
    if (proxy != null) {
      proxy.close();
      if (stopContainersGrace != null) {
        proxy.removeRules(); // the whole node stops (up's Ctrl-C): its rules go with it
      }
    }
    if (proxyInformers != null) {
      proxyInformers.close();
    }
    PodSyncLoop.NodeShutdown stopped = null;
    if (kubelet != null) {
      if (stopContainersGrace != null) {
        stopped = kubelet.closeStoppingContainers(stopContainersGrace);
      } else {
        kubelet.close();
      }
    }
    if (logServer != null) {
      logServer.close();
    }
    if (cluster != null) {
      cluster.close();
    }
    if (timers != null) {
      timers.shutdownNow();
    }
    if (runtime != null) {
      runtime.close();
    }
    return stopped;
  }

  /**
   * Where this node's pods get their ServiceAccount tokens: the API's TokenRequest with the node's
   * certificate (runc); a placeholder on a hollow node, whose simulated containers read no file.
   */
  private io.capstan.nodeagent.volume.ServiceAccountTokenSource tokenSource(boolean runc) {
    if (!runc) {
      return io.capstan.nodeagent.volume.ServiceAccountTokenSource.HOLLOW;
    }
    if (config.apiAccess() == null) {
      return io.capstan.nodeagent.volume.ServiceAccountTokenSource.NONE;
    }
    try {
      return new io.capstan.nodeagent.volume.ApiTokenRequests(config.apiAccess(), clock);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("node agent " + config.nodeName() + ": " + e.getMessage(), e);
    }
  }
}
