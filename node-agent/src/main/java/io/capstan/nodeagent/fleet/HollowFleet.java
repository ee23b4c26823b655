package io.capstan.nodeagent.fleet;

import io.capstan.api.Pod;
import io.capstan.nodeagent.ClusterAccess;
import io.capstan.nodeagent.NodeKubelet;
import io.capstan.nodeagent.logs.LogServer;
import io.capstan.nodeagent.logs.PodLogPaths;
import io.capstan.nodeagent.node.MachineInfo;
import io.capstan.nodeagent.node.NodeStatusReporter;
import io.capstan.nodeagent.runtime.hollow.HollowRuntime;
import io.capstan.nodeagent.sync.PodSyncLoop;
import io.capstan.nodeagent.sync.PodSyncMetrics;
import io.capstan.nodeagent.volume.LocalPathProvisioner;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.view.NodePodsReader;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * N hollow nodes in one JVM, as kubemark's hollow kubelets and kwok do: each node registers its
 * Node (labelled {@value HollowFleetConfig#HOLLOW_LABEL}{@code =true}), renews its Lease and runs
 * the pods bound to it on simulated containers, through the same {@link NodeKubelet} a node agent
 * has. What costs threads or Kafka clients exists once for the fleet: the command client and
 * ConfigMap/Secret informers ({@link ClusterAccess}), one pods reader over the union of the nodes'
 * partitions, a few timer threads, a bounded pool of pod workers (a pod is still synced by one
 * worker at a time) and one log server, which answers every hollow pod's log request with
 * "hollow node X: simulated containers write no logs". Heartbeats are spread over the lease
 * interval, so a thousand leases do not fall in the same millisecond.
 */
public final class HollowFleet implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HollowFleet.class);

  /** Hears each node's registration, on the worker that registered it. */
  public interface RegistrationProgress {
    void registered(int done, int total);
  }

  /** Nodes registering at the same time (each is a few commands in flight, no thread). */
  static final int REGISTERING = 100;

  private final HollowFleetConfig config;
  private final MeterRegistry registry;
  private final SharedInformers shared;
  private LocalPathProvisioner provisioner;
  private final Clock clock = Clock.systemUTC();
  private final List<NodeKubelet> nodes = new ArrayList<>();
  private final AtomicInteger registered = new AtomicInteger();
  private ScheduledExecutorService timers;
  private ExecutorService workers;
  private ClusterAccess cluster;
  private LogServer logServer;
  private NodePodsReader podsReader;

  public HollowFleet(HollowFleetConfig config, MeterRegistry registry) {
    this(config, null, registry);
  }

  /**
   * @param shared informers shared with the process's other components ({@code capstan up
   *     --hollow-nodes}), which the fleet reads ConfigMaps and Secrets through; null for its own
   */
  public HollowFleet(HollowFleetConfig config, SharedInformers shared, MeterRegistry registry) {
    this.config = config;
    this.shared = shared;
    this.registry = registry;
  }

  /** Starts every node; returns once all are registered and their pods read, or throws after {@code timeout}. */
  public void start(Duration timeout, RegistrationProgress progress) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> names = config.nodeNames();
    log.info("hollow fleet starting: {} nodes {} … {}, {} pod workers, {} timer threads, relist every {} ms, containers {}",
        names.size(), names.get(0), names.get(names.size() - 1), config.workers(), config.timers(),
        config.relistPeriod().toMillis(), config.behaviour());
    timers = Executors.newScheduledThreadPool(config.timers(), named("capstan-hollow-timer-"));
    workers = Executors.newFixedThreadPool(config.workers(), named("capstan-hollow-worker-"));
    cluster = new ClusterAccess(config.kafka(), config.layout(), "hollow-fleet-" + config.prefix(), shared, registry)
        .withTokens(io.capstan.nodeagent.volume.ServiceAccountTokenSource.HOLLOW);
    PodLogPaths logPaths = new PodLogPaths(config.dataDir().resolve("logs")); // never written: nothing runs
    logServer = new LogServer(logPaths, this::allPods, config.host(), config.port(), config.clientCaFile(),
        LogServer.HOLLOW_NO_LOGS);
    int port = logServer.start();

    // One machine description for all (each hollow node reports this machine's capacity) and one
    // set of series for all, tagged node=<prefix>-*.
    MachineInfo machine = MachineInfo.read(config.dataDir());
    NodeStatusReporter.Metrics reporterMetrics = NodeStatusReporter.Metrics.shared(registry, config.seriesNode());
    PodSyncMetrics syncMetrics = PodSyncMetrics.shared(registry, config.seriesNode());
    NodeKubelet.Shared shared = new NodeKubelet.Shared(cluster, timers, workers, clock);
    Map<String, String> labels = Map.of(HollowFleetConfig.HOLLOW_LABEL, "true");
    long spreadMs = NodeStatusReporter.LEASE_RENEW_INTERVAL.toMillis();
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      HollowRuntime runtime = new HollowRuntime(config.behaviour(), timers, clock);
      Duration offset = Duration.ofMillis(spreadMs * i / names.size());
      nodes.add(new NodeKubelet(new NodeKubelet.NodeSpec(name, machine, config.dataDir().resolve(name), runtime, runtime,
          logPaths, port, Map::of, config.relistPeriod(), config.workers(),
          new NodeStatusReporter.Options(labels, offset, reporterMetrics), syncMetrics), shared));
    }
    registerGauges();
    cluster.awaitSynced(remaining(deadline));
    // One local-path provisioner for the whole fleet: claims whose pods land on hollow nodes bind.
    java.util.Set<String> served = java.util.Set.copyOf(names);
    provisioner = new LocalPathProvisioner(config.seriesNode(), served::contains, config.dataDir(),
        cluster.claims(), cluster.volumes(), cluster.storageClasses(), cluster.client()).start();

    long start = System.nanoTime();
    // Registration is asynchronous (no thread waits for a reply), at most REGISTERING at a time
    // so a big fleet does not flood the command topic at once.
    java.util.concurrent.Semaphore permits = new java.util.concurrent.Semaphore(REGISTERING);
    List<CompletableFuture<Void>> registrations = new ArrayList<>();
    for (NodeKubelet node : nodes) {
      if (!permits.tryAcquire(remaining(deadline).toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("hollow fleet: only " + registered.get() + " of " + nodes.size()
            + " nodes registered within " + timeout);
      }
      CompletableFuture<Void> r;
      try {
        r = node.registerAsync();
      } catch (RuntimeException e) {
        permits.release();
        throw e;
      }
      registrations.add(r.whenComplete((v, e) -> {
        permits.release();
        if (e == null) {
          progress.registered(registered.incrementAndGet(), nodes.size());
        }
      }));
    }
    awaitAll(registrations, deadline);
    log.info("hollow fleet: {} nodes registered in {} ms", nodes.size(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));

    podsReader = new NodePodsReader(config.kafka(), config.layout(), names, "hollow-fleet-" + config.prefix(), registry);
    nodes.forEach(n -> podsReader.addHandler(n.nodeName(), n.syncLoop()));
    podsReader.start();
    if (!podsReader.awaitSynced(remaining(deadline))) {
      throw new IllegalStateException("hollow fleet " + config.seriesNode() + ": its pods were not read within " + timeout);
    }
    nodes.forEach(NodeKubelet::startSyncing);
    log.info("hollow fleet ready: {} nodes, log server on port {}", nodes.size(), port);
  }

  private void awaitAll(List<CompletableFuture<Void>> registrations, long deadline) throws InterruptedException {
    try {
      CompletableFuture.allOf(registrations.toArray(CompletableFuture[]::new))
          .get(Math.max(1, remaining(deadline).toMillis()), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("hollow fleet: only " + registered.get() + " of " + nodes.size()
          + " nodes registered in time", e);
    } catch (ExecutionException e) {
      long failed = registrations.stream().filter(CompletableFuture::isCompletedExceptionally).count();
      Throwable cause = e.getCause() instanceof java.util.concurrent.CompletionException c && c.getCause() != null
          ? c.getCause() : e.getCause();
      throw new IllegalStateException("hollow fleet: " + failed + " of " + nodes.size() + " nodes could not register: "
          + cause.getMessage(), cause);
    }
  }

  private void registerGauges() {
    String fleet = config.prefix();
    Gauge.builder("capstan_hollow_fleet_nodes", nodes, List::size).description("Hollow nodes in this fleet")
        .tag("fleet", fleet).register(registry);
    Gauge.builder("capstan_hollow_fleet_nodes_registered", registered, AtomicInteger::get)
        .description("Hollow nodes of this fleet that registered their Node").tag("fleet", fleet).register(registry);
    Gauge.builder("capstan_hollow_fleet_nodes_ready", this, f -> f.count(n -> n.reporter().postedReady() ? 1 : 0))
        .description("Hollow nodes whose last posted Ready condition is True").tag("fleet", fleet).register(registry);
    Gauge.builder("capstan_hollow_fleet_pods", this, f -> f.count(n -> n.syncLoop().pods().size()))
        .description("Pods the fleet's nodes handle").tag("fleet", fleet).register(registry);
    Gauge.builder("capstan_hollow_fleet_running_containers", this, f -> f.count(n -> n.syncLoop().runningContainers()))
        .description("Simulated containers running on the fleet's nodes").tag("fleet", fleet).register(registry);
  }

  private double count(java.util.function.ToLongFunction<NodeKubelet> f) {
    long sum = 0;
    for (NodeKubelet n : List.copyOf(nodes)) {
      sum += f.applyAsLong(n);
    }
    return sum;
  }

  private static Duration remaining(long deadline) {
    return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
  }

  private static java.util.concurrent.ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Every pod of every node, by uid (what the log server looks pods up in). */
  private Map<String, Pod> allPods() {
    Map<String, Pod> all = new HashMap<>();
    for (NodeKubelet n : List.copyOf(nodes)) {
      all.putAll(n.pods());
    }
    return all;
  }

  public List<String> nodeNames() {
    return nodes.stream().map(NodeKubelet::nodeName).toList();
  }

  public int registered() {
    return registered.get();
  }

  /** The shared log server's port (every fleet Node's kubelet endpoint). */
  public int port() {
    return logServer.port();
  }

  /** The fleet's nodes' pods, by uid (tests). */
  public Supplier<Map<String, Pod>> pods() {
    return this::allPods;
  }

  /** Stops every node (their simulated containers go with the fleet), then the shared parts. */
  @Override
  public void close() {
    log.info("stopping hollow fleet {} ({} nodes)", config.seriesNode(), nodes.size());
    if (podsReader != null) {
      podsReader.close();
    }
    // All loops stop taking work, then the shared pool finishes what runs: one wait for the
    // fleet, not one per node.
    nodes.forEach(n -> n.syncLoop().stopSyncing());
    if (workers != null) {
      PodSyncLoop.stopWorkers(workers);
    }
    nodes.forEach(NodeKubelet::close);
    if (provisioner != null) {
      provisioner.close();
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
    nodes.forEach(n -> n.runtime().close());
  }
}
