package io.capstan.nodeagent.node;

import io.capstan.api.Lease;
import io.capstan.api.LeaseSpec;
import io.capstan.api.Node;
import io.capstan.api.NodeAddress;
import io.capstan.api.NodeCondition;
import io.capstan.api.NodeDaemonEndpoints;
import io.capstan.api.DaemonEndpoint;
import io.capstan.api.NodeSpec;
import io.capstan.api.NodeStatus;
import io.capstan.api.NodeSystemInfo;
import io.capstan.api.ObjectMeta;
import io.capstan.log.Command;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.client.Commands;
import io.capstan.nodeagent.Times;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers the Node and keeps it current, as kubelet does: the Lease in {@code kube-node-lease}
 * is renewed every {@link #LEASE_RENEW_INTERVAL} (the cheap heartbeat the node lifecycle
 * controller watches); the Node's status is posted when something in it changed, and at least
 * every {@link #STATUS_REPORT_INTERVAL} (kubelet's nodeStatusReportFrequency). Every write is a
 * command through the {@link CommandClient}.
 */
public final class NodeStatusReporter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeStatusReporter.class);
  public static final String LEASE_NAMESPACE = "kube-node-lease";
  public static final Duration LEASE_RENEW_INTERVAL = Duration.ofSeconds(10);
  public static final int LEASE_DURATION_SECONDS = 40;
  public static final Duration STATUS_CHECK_INTERVAL = Duration.ofSeconds(10);
  public static final Duration STATUS_REPORT_INTERVAL = Duration.ofMinutes(1);
  static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);
  /** DiskPressure when less than this share of the data dir's filesystem is free (kubelet: nodefs.available<10%). */
  static final double DISK_PRESSURE_FREE_RATIO = 0.10;

  private final String nodeName;
  private final MachineInfo machine;
  private final Path dataDir;
  private final String runtimeVersion;
  private final int daemonPort;
  private final CommandClient client;
  private final Clock clock;
  private final ScheduledExecutorService timers;
  private final Supplier<Map<String, Boolean>> pressure;
  /** Why pods are on the host network (no CNI plugins), told in the Ready condition's message; null when they are not. */
  private volatile String networkProblem;
  private final Counter heartbeats;
  private final Counter statusUpdates;
  private final Counter failures;
  private final Map<String, String> extraLabels;
  private final Duration heartbeatOffset;
  /** Where {@link #storedNodeMoved} reads the stored Node, or null to ask with a dry run. */
  private volatile Function<String, Optional<Node>> storedNodes;
  /** Told each write's outcome; null: each failure is a warning of its own. */
  private volatile io.capstan.nodeagent.connection.LogConnection connection;
  /** A heartbeat (or status check) still waiting for its reply: the next tick skips rather than piles up. */
  private final java.util.concurrent.atomic.AtomicBoolean leaseInFlight = new java.util.concurrent.atomic.AtomicBoolean();
  private final java.util.concurrent.atomic.AtomicBoolean statusInFlight = new java.util.concurrent.atomic.AtomicBoolean();
  private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
  private volatile Map<String, NodeCondition> lastConditions = Map.of();
  private volatile Instant lastReport = Instant.EPOCH;
  /** Whether this reporter wrote its Lease already. */
  private volatile boolean leaseWritten;
  /** The Node's resourceVersion after this agent's last status write (0: none yet). */
  private volatile long lastWrittenRv;

  /**
   * The series of reporters: a node agent's own (tagged with its node, with its {@code
   * capstan_node_ready} gauge), or one set shared by a hollow fleet's nodes (tagged with the
   * fleet's name pattern, no per-node gauge), so a thousand nodes do not make thousands of series.
   *
   * @param registry where the per-node Ready gauge goes; null for none
   */
  public record Metrics(Counter heartbeats, Counter statusUpdates, Counter failures, MeterRegistry registry) {
    public static Metrics forNode(MeterRegistry registry, String node) {
      return build(registry, node, registry);
    }

    public static Metrics shared(MeterRegistry registry, String seriesNode) {
      return build(registry, seriesNode, null);
    }

    private static Metrics build(MeterRegistry registry, String node, MeterRegistry gauges) {
      return new Metrics(
          Counter.builder("capstan_node_agent_lease_renewals_total").tag("node", node).register(registry),
          Counter.builder("capstan_node_agent_node_status_updates_total").tag("node", node).register(registry),
          Counter.builder("capstan_node_agent_node_write_failures_total").tag("node", node).register(registry),
          gauges);
    }
  }

  /**
   * What differs between a node agent's reporter and a hollow fleet node's.
   *
   * @param extraLabels     labels beyond the well-known ones (e.g. {@code capstan.io/hollow=true})
   * @param heartbeatOffset added to the first periodic lease renewal and status check, so the
   *                        heartbeats of many nodes in one process are spread over the interval
   *                        instead of firing together (kubelet's wait.JitterUntil does the same)
   */
  public record Options(Map<String, String> extraLabels, Duration heartbeatOffset, Metrics metrics) {
    public static Options forNode(MeterRegistry registry, String node) {
      return new Options(Map.of(), Duration.ZERO, Metrics.forNode(registry, node));
    }
  }

  /**
   * @param pressure  the current MemoryPressure/DiskPressure/PIDPressure (true = under pressure);
   *                  {@link #machinePressure} reads them from the machine, hollow nodes say none
   * @param daemonPort the port of the agent's HTTP server (node.status.daemonEndpoints)
   */
  public NodeStatusReporter(String nodeName, MachineInfo machine, Path dataDir, String runtimeVersion, int daemonPort,
      CommandClient client, Clock clock, ScheduledExecutorService timers, Supplier<Map<String, Boolean>> pressure,
      MeterRegistry registry) {
    this(nodeName, machine, dataDir, runtimeVersion, daemonPort, client, clock, timers, pressure,
        Options.forNode(registry, nodeName));
  }

  public NodeStatusReporter(String nodeName, MachineInfo machine, Path dataDir, String runtimeVersion, int daemonPort,
      CommandClient client, Clock clock, ScheduledExecutorService timers, Supplier<Map<String, Boolean>> pressure,
      Options options) {
    this.nodeName = Objects.requireNonNull(nodeName);
    this.machine = machine;
    this.dataDir = dataDir;
    this.runtimeVersion = runtimeVersion;
    this.daemonPort = daemonPort;
    this.client = client;
    this.clock = clock;
    this.timers = timers;
    this.pressure = pressure;
    this.heartbeats = options.metrics().heartbeats();
    this.statusUpdates = options.metrics().statusUpdates();
    this.failures = options.metrics().failures();
    this.extraLabels = Map.copyOf(options.extraLabels());
    this.heartbeatOffset = options.heartbeatOffset();
    if (options.metrics().registry() != null) {
      // 1 while the Ready condition this agent last posted is True (the series stops with the agent).
      io.micrometer.core.instrument.Gauge.builder("capstan.node.ready", this, r -> r.postedReady() ? 1 : 0)
          .description("Whether the node's posted Ready condition is True").tag("node", nodeName)
          .register(options.metrics().registry());
    }
  }

  public String nodeName() {
    return nodeName;
  }

  /** Whether the Ready condition this reporter last posted is True. */
  public boolean postedReady() {
    Map<String, NodeCondition> c = lastConditions;
    NodeCondition ready = c == null ? null : c.get("Ready");
    return ready != null && "True".equals(ready.getStatus());
  }

  /** MemoryPressure, DiskPressure and PIDPressure as kubelet's default hard eviction thresholds see them. */
  public static Supplier<Map<String, Boolean>> machinePressure(Path dataDir) {
    return () -> {
      long memAvailable = MachineInfo.memInfo("MemAvailable").orElse(Long.MAX_VALUE);
      long total = MachineInfo.diskTotal(dataDir);
      long free = MachineInfo.diskAvailable(dataDir);
      Map<String, Boolean> p = new LinkedHashMap<>();
      p.put("MemoryPressure", memAvailable < Allocatable.MEMORY_EVICTION_THRESHOLD);
      p.put("DiskPressure", total > 0 && free < total * DISK_PRESSURE_FREE_RATIO);
      p.put("PIDPressure", pidPressure());
      return p;
    };
  }

  /** More than 90% of pid_max in use. */
  static boolean pidPressure() {
    // Line by line: Files.readString sees procfs's zero size and returns "3" for "32768".
    long max = MachineInfo.firstLine(Path.of("/proc/sys/kernel/pid_max")).map(Long::parseLong).orElse(0L);
    if (max <= 0) {
      return false;
    }
    try (var s = java.nio.file.Files.list(Path.of("/proc"))) {
      long used = s.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).count();
      return used > max * 0.9;
    } catch (java.io.IOException | RuntimeException e) {
      return false;
    }
  }

  public Allocatable allocatable() {
    return Allocatable.of(machine);
  }

  /** Registers (creates the Node, or takes over the one of an earlier run), then starts the heartbeats. */
  public void start() {
    try {
      startAsync().join();
    } catch (java.util.concurrent.CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  /**
   * {@link #start} without blocking: completes once the Node is registered and its Lease written
   * (exceptionally, naming the node, when the registration is refused or times out), so a fleet
   * can register many nodes at once without a thread for each.
   */
  public CompletableFuture<Void> startAsync() {
    return register().thenCompose(v -> renewLeaseAsync()).thenRun(this::scheduleHeartbeats);
  }

  private void scheduleHeartbeats() {
    // The periodic writes do not block the timer thread: each sends its command and returns, the
    // reply is handled when it comes, so a few timer threads serve thousands of hollow nodes.
    tasks.add(timers.scheduleWithFixedDelay(() -> tick(leaseInFlight, this::renewLeaseAsync),
        LEASE_RENEW_INTERVAL.plus(heartbeatOffset).toMillis(), LEASE_RENEW_INTERVAL.toMillis(), TimeUnit.MILLISECONDS));
    tasks.add(timers.scheduleWithFixedDelay(() -> tick(statusInFlight, this::reportIfDueAsync),
        STATUS_CHECK_INTERVAL.plus(heartbeatOffset).toMillis(), STATUS_CHECK_INTERVAL.toMillis(), TimeUnit.MILLISECONDS));
  }

  private static void tick(java.util.concurrent.atomic.AtomicBoolean inFlight,
      Supplier<CompletableFuture<Void>> write) {
    if (!inFlight.compareAndSet(false, true)) {
      return; // the previous one still waits for its reply
    }
    try {
      write.get().whenComplete((v, e) -> inFlight.set(false));
    } catch (RuntimeException e) {
      inFlight.set(false);
      throw e;
    }
  }

  /** The Node as this agent describes it now. */
  public Node node() {
    Instant now = clock.instant();
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("kubernetes.io/hostname", nodeName);
    labels.put("kubernetes.io/os", "linux");
    labels.put("kubernetes.io/arch", machine.architecture());
    labels.put("beta.kubernetes.io/os", "linux");
    labels.put("beta.kubernetes.io/arch", machine.architecture());
    labels.putAll(extraLabels);
    return Node.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(nodeName).setLabels(labels)
            .setAnnotations(Map.of("node.alpha.kubernetes.io/ttl", "0")).build())
        .setSpec(NodeSpec.newBuilder().build())
        .setStatus(status(now, conditions(now)))
        .build();
  }

  private NodeStatus status(Instant now, Map<String, NodeCondition> conditions) {
    return NodeStatus.newBuilder()
        .setCapacity(Allocatable.capacity(machine))
        .setAllocatable(allocatable().asQuantities())
        .setConditions(new ArrayList<>(conditions.values()))
        .setAddresses(List.of(
            NodeAddress.newBuilder().setType("InternalIP").setAddress(machine.internalIp()).build(),
            NodeAddress.newBuilder().setType("Hostname").setAddress(machine.hostname()).build()))
        .setDaemonEndpoints(NodeDaemonEndpoints.newBuilder()
            .setKubeletEndpoint(DaemonEndpoint.newBuilder().setPort(daemonPort).build()).build())
        .setNodeInfo(NodeSystemInfo.newBuilder()
            .setMachineID(machine.machineId()).setSystemUUID(machine.machineId()).setBootID(machine.bootId())
            .setKernelVersion(machine.kernelVersion()).setOsImage(machine.osImage())
            .setContainerRuntimeVersion(runtimeVersion).setKubeletVersion("v1.31.0-capstan")
            .setKubeProxyVersion("").setOperatingSystem("linux").setArchitecture(machine.architecture()).build())
        .build();
  }

  /**
   * Pods cannot get a network of their own and run on the host's: the node stays Ready (its pods
   * run) and says why in the Ready condition's message, which {@code kubectl describe node} shows.
   */
  public void reportNetworkProblem(java.util.Optional<String> problem) {
    networkProblem = problem.orElse(null);
  }

  /** The four conditions, keeping transition times of those that did not change. */
  Map<String, NodeCondition> conditions(Instant now) {
    Map<String, Boolean> p = pressure.get();
    Map<String, NodeCondition> c = new LinkedHashMap<>();
    c.put("MemoryPressure", condition("MemoryPressure", p.getOrDefault("MemoryPressure", false),
        "KubeletHasInsufficientMemory", "kubelet has insufficient memory available",
        "KubeletHasSufficientMemory", "kubelet has sufficient memory available", now));
    c.put("DiskPressure", condition("DiskPressure", p.getOrDefault("DiskPressure", false),
        "KubeletHasDiskPressure", "kubelet has disk pressure",
        "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now));
    c.put("PIDPressure", condition("PIDPressure", p.getOrDefault("PIDPressure", false),
        "KubeletHasInsufficientPID", "kubelet has insufficient PID available",
        "KubeletHasSufficientPID", "kubelet has sufficient PID available", now));
    String problem = networkProblem;
    c.put("Ready", condition("Ready", true, "KubeletReady", "kubelet is posting ready status"
        + (problem == null ? "" : "; pod network: " + problem), null, null, now));
    return c;
  }

  private NodeCondition condition(String type, boolean on, String onReason, String onMessage, String offReason,
      String offMessage, Instant now) {
    String status = on ? "True" : "False";
    NodeCondition was = lastConditions.get(type);
    String transition = was != null && was.getStatus().equals(status) ? was.getLastTransitionTime() : Times.time(now);
    return NodeCondition.newBuilder().setType(type).setStatus(status)
        .setReason(on || offReason == null ? onReason : offReason)
        .setMessage(on || offMessage == null ? onMessage : offMessage)
        .setLastHeartbeatTime(Times.time(now)).setLastTransitionTime(transition).build();
  }

  private CompletableFuture<Void> register() {
    Node node = node();
    lastConditions = index(node.getStatus().getConditions());
    return client.create(node).thenCompose(created -> {
      if (created instanceof CommandResult.Rejected r && r.status().getCode() == 409) {
        // An earlier run registered it: keep its spec and labels (users may have cordoned or
        // labelled it, as kubelet keeps them), post a fresh status.
        log.info("node {} is registered already: posting its status", nodeName);
      } else if (created instanceof CommandResult.Rejected r) {
        throw new IllegalStateException("cannot register node " + nodeName + ": " + r.status().getMessage());
      }
      return client.updateStatus(node);
    }).thenAccept(st -> {
      if (st instanceof CommandResult.Rejected r) {
        throw new IllegalStateException("cannot post the status of node " + nodeName + ": " + r.status().getMessage());
      }
      lastWrittenRv = ((CommandResult.Accepted) st).resourceVersion();
      lastReport = clock.instant();
      statusUpdates.increment();
      log.info("node {} registered: capacity {}, allocatable {}", nodeName, node.getStatus().getCapacity(),
          node.getStatus().getAllocatable());
    }).orTimeout(WRITE_TIMEOUT.multipliedBy(2).toMillis(), TimeUnit.MILLISECONDS).exceptionally(e -> {
      Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof IllegalStateException ise) {
        throw ise;
      }
      throw new IllegalStateException("register node " + nodeName + " failed: " + cause, cause);
    });
  }

  /** Posts the status when a condition changed, or when the last report is a minute old; waits for the reply. */
  void reportIfDue() {
    reportIfDueAsync().join();
  }

  /** {@link #reportIfDue} without blocking: completes (never exceptionally) once the reply is handled. */
  CompletableFuture<Void> reportIfDueAsync() {
    try {
      Instant now = clock.instant();
      Map<String, NodeCondition> current = conditions(now);
      boolean changed = false;
      for (NodeCondition c : current.values()) {
        NodeCondition was = lastConditions.get(c.getType());
        changed |= was == null || !was.getStatus().equals(c.getStatus());
      }
      CompletableFuture<Boolean> post;
      if (changed || Duration.between(lastReport, now).compareTo(STATUS_REPORT_INTERVAL) >= 0) {
        post = CompletableFuture.completedFuture(true);
      } else {
        post = storedNodeMoved(now).thenApply(moved -> {
          if (moved) {
            log.info("node {}: the stored Node changed since this agent's last status (the node lifecycle controller"
                + " may have marked it Unknown): posting status now", nodeName);
          }
          return moved;
        });
      }
      return post.thenCompose(doPost -> {
        if (!doPost) {
          return CompletableFuture.<Void>completedFuture(null);
        }
        Node node = node();
        node.setStatus(status(now, current));
        return client.updateStatus(node).thenAccept(r -> {
          answered();
          if (r instanceof CommandResult.Accepted a) {
            lastWrittenRv = a.resourceVersion();
            lastConditions = current;
            lastReport = now;
            statusUpdates.increment();
          } else if (r instanceof CommandResult.Rejected rej) {
            failures.increment();
            log.warn("node {}: status update refused: {}", nodeName, rej.status().getMessage());
          }
        });
      }).orTimeout(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).exceptionally(e -> {
        failed("status update", e);
        return null;
      });
    } catch (RuntimeException e) {
      failures.increment();
      log.warn("node {}: status update failed: {}", nodeName, e.getMessage());
      return CompletableFuture.completedFuture(null);
    }
  }

  /**
   * Whether someone else wrote the Node since this agent's last status: kubelet compares what it
   * would post with the stored Node at every check, so a node the lifecycle controller marked
   * Unknown gets its real conditions back at once, not at the next periodic report. Asked as a
   * dry-run status update with this agent's last version as precondition: a Conflict says the
   * stored Node moved on; nothing is written either way.
   */
  private CompletableFuture<Boolean> storedNodeMoved(Instant now) {
    long rv = lastWrittenRv;
    if (rv <= 0) {
      return CompletableFuture.completedFuture(false);
    }
    Function<String, Optional<Node>> cached = storedNodes;
    if (cached != null) {
      // From an informer: nothing is sent at all (the dry run was a transaction every 10 s per
      // node). A cache behind this agent's own write holds an older version: not moved.
      return CompletableFuture.completedFuture(cached.apply(nodeName)
          .map(n -> parseRv(n.getMetadata().getResourceVersion()) > rv).orElse(false));
    }
    Node probe = node();
    probe.setStatus(status(now, lastConditions));
    probe.getMetadata().setResourceVersion(Long.toString(rv));
    Command cmd = Commands.updateStatus(probe);
    cmd.setDryRun(true);
    return client.send(cmd).thenApply(r -> r instanceof CommandResult.Rejected rej && rej.status().getCode() == 409);
  }

  /**
   * Reads the stored Node from a cache (an informer of Nodes) instead of asking the processor
   * with a dry run at each status check; null goes back to the dry run.
   */
  public void readStoredNodeFrom(Function<String, Optional<Node>> storedNodes) {
    this.storedNodes = storedNodes;
  }

  /**
   * Reports each write's outcome to {@code connection}: while the cluster's log is away the
   * connection's one warning says so, and the reporter's failures go to debug.
   */
  public void reportingTo(io.capstan.nodeagent.connection.LogConnection connection) {
    this.connection = connection;
  }

  /** A write answered: the log is there. */
  private void answered() {
    io.capstan.nodeagent.connection.LogConnection c = connection;
    if (c != null) {
      c.answered();
    }
  }

  /** A write that failed: a warning of its own, unless the connection tells of the outage it belongs to. */
  private void failed(String what, Throwable e) {
    failures.increment();
    io.capstan.nodeagent.connection.LogConnection c = connection;
    if (c == null) {
      log.warn("node {}: {} failed: {}", nodeName, what, e.toString());
    } else {
      c.unanswered(e);
      log.debug("node {}: {} failed: {}", nodeName, what, e.toString());
    }
  }

  private static long parseRv(String rv) {
    try {
      return rv == null ? 0 : Long.parseLong(rv);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** Renews the Lease (creating it the first time), as kubelet's node lease controller; waits for the reply. */
  void renewLease() {
    renewLeaseAsync().join();
  }

  /** {@link #renewLease} without blocking: completes (never exceptionally) once the reply is handled. */
  CompletableFuture<Void> renewLeaseAsync() {
    try {
      Instant now = clock.instant();
      Lease lease = Lease.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace(LEASE_NAMESPACE).setName(nodeName).build())
          .setSpec(LeaseSpec.newBuilder().setHolderIdentity(nodeName).setLeaseDurationSeconds(LEASE_DURATION_SECONDS)
              .setRenewTime(Times.microTime(now)).build())
          .build();
      // The first write creates (an update of a missing Lease would only be a 404 first: one
      // command per node less when a fleet registers), falling back to an update when an earlier
      // run left one; later writes update, creating it again if someone deleted it.
      CompletableFuture<CommandResult> write = leaseWritten
          ? client.update(lease).thenCompose(r -> r instanceof CommandResult.Rejected rej && rej.status().getCode() == 404
              ? client.create(lease) : CompletableFuture.completedFuture(r))
          : client.create(lease).thenCompose(r -> r instanceof CommandResult.Rejected rej && rej.status().getCode() == 409
              ? client.update(lease) : CompletableFuture.completedFuture(r));
      return write
          .orTimeout(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .handle((r, e) -> {
            if (e != null) {
              failed("lease renewal", e);
            } else if (r instanceof CommandResult.Accepted) {
              answered();
              leaseWritten = true;
              heartbeats.increment();
            } else if (r instanceof CommandResult.Rejected rej) {
              answered();
              failures.increment();
              log.warn("node {}: lease renewal refused: {}", nodeName, rej.status().getMessage());
            }
            return null;
          });
    } catch (RuntimeException e) {
      failures.increment();
      log.warn("node {}: lease renewal failed: {}", nodeName, e.getMessage());
      return CompletableFuture.completedFuture(null);
    }
  }

  private static Map<String, NodeCondition> index(List<NodeCondition> cs) {
    Map<String, NodeCondition> m = new LinkedHashMap<>();
    cs.forEach(c -> m.put(c.getType(), c));
    return m;
  }

  static CommandResult await(java.util.concurrent.CompletableFuture<CommandResult> f, String what) {
    try {
      return f.get(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + what, e);
    } catch (Exception e) {
      throw new IllegalStateException(what + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    tasks.forEach(t -> t.cancel(false));
  }
}
