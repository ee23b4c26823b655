package io.capstan.nodeagent.sync;

import io.capstan.api.Container;
import io.capstan.api.EphemeralContainer;
import io.capstan.api.LifecycleHandler;
import io.capstan.api.Pod;
import io.capstan.api.PodStatus;
import io.capstan.api.Probe;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.pods.EphemeralContainers;
import io.capstan.nodeagent.events.EventRecorder;
import io.capstan.nodeagent.image.PullSecrets;
import io.capstan.nodeagent.logs.PodLogPaths;
import io.capstan.nodeagent.node.Allocatable;
import io.capstan.nodeagent.probe.Prober;
import io.capstan.nodeagent.runtime.ContainerConfig;
import io.capstan.nodeagent.runtime.ContainerInfo;
import io.capstan.nodeagent.runtime.ImageInfo;
import io.capstan.nodeagent.runtime.ImagePullFailure;
import io.capstan.nodeagent.runtime.ImageService;
import io.capstan.nodeagent.runtime.RegistryCredentials;
import io.capstan.nodeagent.runtime.RuntimeFailure;
import io.capstan.nodeagent.runtime.RuntimeService;
import io.capstan.nodeagent.runtime.SandboxConfig;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kubelet's pod workers and SyncPod for the pods bound to this node. Each pod has one worker at
 * a time (a change that arrives mid-sync runs one more sync, as the Java Operator SDK does);
 * a sync compares the pod's spec with what runs and takes the next step: admission, volumes
 * and sandbox, init containers one at a time, app containers, restarts with back-off, probes,
 * and on deletion the graceful stop followed by the final delete. A relist of the runtime
 * (kubelet's PLEG) wakes the pods whose containers changed state. The status goes back through
 * {@code updateStatus} whenever it differs from the last one made, through the {@link
 * PodStatusManager}, so no sync waits for the cluster's log: with Kafka away the pods keep
 * running, restarting and being probed, and their latest statuses go out when it is back.
 */
public final class PodSyncLoop implements ResourceEventHandler<Pod>, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PodSyncLoop.class);
  static final Duration RETRY = Duration.ofSeconds(1);
  /** Least time between two posts of an unchanged status that someone else overwrote. */
  static final Duration REPOST_PAUSE = Duration.ofSeconds(1);
  static final Duration CONFIG_RETRY = Duration.ofSeconds(2);
  static final Duration RESYNC = Duration.ofSeconds(30);
  /** kubelet's minimumGracePeriodInSeconds: a container asked to stop gets at least this before SIGKILL. */
  static final Duration MINIMUM_GRACE = Duration.ofSeconds(2);

  /**
   * @param nodeName     this node
   * @param podsDir      where pods' volumes and host files go ({@code <data dir>/pods})
   * @param logs         where container logs go
   * @param hostIp       the node's IP (the pod IP of host-network pods)
   * @param relistPeriod how often the runtime is relisted for container state changes (kubelet: 1 s)
   * @param workers      threads running pod syncs
   * @param dns          what pods' /etc/resolv.conf is made from ({@link PodDns})
   */
  public record Config(String nodeName, Path podsDir, PodLogPaths logs, String hostIp, Duration relistPeriod, int workers,
      PodDns.Settings dns) {
    /** With the default DNS settings. */
    public Config(String nodeName, Path podsDir, PodLogPaths logs, String hostIp, Duration relistPeriod, int workers) {
      this(nodeName, podsDir, logs, hostIp, relistPeriod, workers, PodDns.Settings.defaults());
    }
  }

  private final Config config;
  private final RuntimeService runtime;
  private final ImageService images;
  private final ConfigSource configSource;
  private final CommandClient client;
  private final EventRecorder events;
  private final io.capstan.nodeagent.connection.LogConnection connection;
  private final PodStatusManager statusManager;
  private final java.util.function.Supplier<Allocatable> allocatable;
  private final Clock clock;
  private final Prober prober;
  private final String containerIdScheme;
  private final Map<String, PodState> pods = new ConcurrentHashMap<>();
  private final ExecutorService workers;
  private final boolean ownsWorkers;
  /** Syncs of this loop submitted to the workers and not finished (what close waits for on a shared pool). */
  private final AtomicInteger inFlight = new AtomicInteger();
  private final ScheduledExecutorService timers;
  private final Map<String, ContainerInfo.State> lastRelist = new HashMap<>();
  private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
  private final Timer syncDuration;
  private final Counter syncErrors;
  private final Timer podStart;
  private final Counter restarts;
  private volatile boolean closed;
  private final java.util.concurrent.atomic.AtomicBoolean closeCalled = new java.util.concurrent.atomic.AtomicBoolean();
  private volatile boolean started;
  /** The tokens of the pods' serviceAccountToken projections (kubelet's token manager). */
  private final io.capstan.nodeagent.volume.TokenCache tokens;
  /** Stops the ConfigMap/Secret change calls that wake the pods whose volumes follow them. */
  private final AutoCloseable configWatch;

  /** A loop with its own pool of {@code config.workers()} threads and its node's own series. */
  public PodSyncLoop(Config config, RuntimeService runtime, ImageService images, ConfigSource configSource,
      CommandClient client, EventRecorder events, java.util.function.Supplier<Allocatable> allocatable, Clock clock,
      ScheduledExecutorService timers, MeterRegistry registry) {
    this(config, runtime, images, configSource, client, events, allocatable, clock, timers, null,
        PodSyncMetrics.forNode(registry, config.nodeName()), new io.capstan.nodeagent.connection.LogConnection(
            config.nodeName(), client == null ? "?" : String.valueOf(client.config().kafka().get("bootstrap.servers")),
            clock, null));
  }

  /**
   * @param sharedWorkers a pool shared with other loops (a hollow fleet's), which this loop never
   *                      shuts down; null: the loop makes its own of {@code config.workers()} threads.
   *                      Either way a pod is synced by one worker at a time.
   * @param connection    whether the cluster's log answers (shared with the node's other writers)
   */
  public PodSyncLoop(Config config, RuntimeService runtime, ImageService images, ConfigSource configSource,
      CommandClient client, EventRecorder events, java.util.function.Supplier<Allocatable> allocatable, Clock clock,
      ScheduledExecutorService timers, ExecutorService sharedWorkers, PodSyncMetrics metrics,
      io.capstan.nodeagent.connection.LogConnection connection) {
    this.config = config;
    this.runtime = runtime;
    this.images = images;
    this.configSource = configSource;
    this.client = client;
    this.events = events;
    this.allocatable = allocatable;
    this.clock = clock;
    this.timers = timers;
    this.connection = connection;
    // Once a deleted pod's last status is settled, its worker sends the final delete (as kubelet's
    // status manager deletes only after the final status is stored).
    this.statusManager = new PodStatusManager(config.nodeName(), client, connection, timers, clock, s -> {
      if (s.pod.getMetadata().getDeletionTimestamp() != null) {
        enqueue(s);
      }
    });
    this.prober = new Prober(runtime);
    this.tokens = new io.capstan.nodeagent.volume.TokenCache(
        (pod, audience, seconds) -> configSource.tokens().request(pod, audience, seconds), clock);
    // Event-driven remount: a ConfigMap or Secret changed, so the pods of its namespace with such
    // volumes sync now (kubelet waits for its next periodic sync, up to a minute and more).
    this.configWatch = configSource.onConfigChange(ns -> {
      for (PodState p : pods.values()) {
        if (ns.equals(p.namespace()) && PodVolumes.hasProjectedVolumes(p.pod)) {
          enqueue(p);
        }
      }
    });
    this.containerIdScheme = runtime.version().substring(0, runtime.version().indexOf("://") + 3);
    this.ownsWorkers = sharedWorkers == null;
    if (ownsWorkers) {
      AtomicInteger n = new AtomicInteger();
      this.workers = Executors.newFixedThreadPool(config.workers(), r -> {
        Thread t = new Thread(r, "capstan-pod-worker-" + config.nodeName() + "-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
    } else {
      this.workers = sharedWorkers;
    }
    this.syncDuration = metrics.syncDuration();
    this.syncErrors = metrics.syncErrors();
    this.podStart = metrics.podStart();
    this.restarts = metrics.restarts();
    if (metrics.registry() != null) {
      String node = metrics.node();
      Gauge.builder("capstan_node_agent_pods", pods, Map::size).tag("node", node).register(metrics.registry());
      Gauge.builder("capstan_node_agent_running_containers", this, PodSyncLoop::runningContainers)
          .tag("node", node).register(metrics.registry());
      Gauge.builder("capstan_node_agent_pod_statuses_waiting", statusManager, PodStatusManager::waiting)
          .description("Pod statuses kept by the agent and not stored in the cluster yet (one per pod at most)")
          .tag("node", node).register(metrics.registry());
    }
  }

  /** Containers of this node's runtime that run now. */
  public long runningContainers() {
    return runtime.listContainers().stream().filter(c -> c.state() == ContainerInfo.State.RUNNING).count();
  }

  /**
   * Starts syncing. Call once the node's pods have been read (the reader replays each pod's
   * history), so the first sync of a pod sees its latest state, as kubelet waits for its sources.
   */
  public void start() {
    if (ownsWorkers) {
      log.info("pod sync loop of node {} starting: {} workers, relist every {} ms", config.nodeName(), config.workers(),
          config.relistPeriod().toMillis());
    } else {
      // One of a fleet's many: the fleet says once how it runs them.
      log.debug("pod sync loop of node {} starting on shared workers", config.nodeName());
    }
    tasks.add(timers.scheduleWithFixedDelay(this::relist, config.relistPeriod().toMillis(),
        config.relistPeriod().toMillis(), TimeUnit.MILLISECONDS));
    tasks.add(timers.scheduleWithFixedDelay(() -> pods.values().forEach(this::enqueue), RESYNC.toMillis(),
        RESYNC.toMillis(), TimeUnit.MILLISECONDS));
    removeOrphans();
    started = true;
    pods.values().forEach(this::enqueue);
  }

  /**
   * Containers under the runtime whose pod is no longer bound here (deleted while no agent ran):
   * stopped and removed, as kubelet's housekeeping kills the containers of pods it does not know.
   */
  private void removeOrphans() {
    java.util.Set<String> orphans = new java.util.TreeSet<>();
    for (ContainerInfo c : runtime.listContainers()) {
      if (!pods.containsKey(c.sandboxId().substring(1))) {
        orphans.add(c.sandboxId());
      }
    }
    for (String sandbox : orphans) {
      log.info("node {}: removing the containers of sandbox {}: its pod is no longer bound here", config.nodeName(),
          sandbox);
      try {
        runtime.removePodSandbox(sandbox);
      } catch (RuntimeException e) {
        log.warn("removing sandbox {} failed: {}", sandbox, e.toString());
      }
    }
  }

  /** The pods this loop handles now, by uid. */
  public Map<String, Pod> pods() {
    Map<String, Pod> out = new HashMap<>();
    pods.forEach((uid, s) -> out.put(uid, s.pod));
    return out;
  }

  // ---- events from the node's pod view ----

  @Override
  public void onAdd(Pod pod) {
    upsert(pod);
  }

  @Override
  public void onUpdate(Pod oldPod, Pod pod) {
    if (oldPod.getMetadata().getUid() != null && !oldPod.getMetadata().getUid().equals(pod.getMetadata().getUid())) {
      onDelete(oldPod); // same name, new pod
    }
    upsert(pod);
  }

  @Override
  public void onDelete(Pod pod) {
    PodState s = pods.get(pod.getMetadata().getUid());
    if (s != null) {
      s.removedFromApi = true;
      enqueue(s);
    }
  }

  private void upsert(Pod pod) {
    String uid = pod.getMetadata().getUid();
    if (uid == null || pod.getSpec() == null || !config.nodeName().equals(pod.getSpec().getNodeName())) {
      return;
    }
    PodState s = pods.computeIfAbsent(uid, u -> new PodState(u, pod));
    s.pod = pod;
    enqueue(s);
  }

  // ---- workers: one sync per pod at a time ----

  void enqueue(PodState s) {
    if (closed) {
      return;
    }
    s.dirty.set(true);
    if (!started) {
      return; // start() syncs every pod once the node's pods are read
    }
    if (s.scheduled.compareAndSet(false, true)) {
      submit(s);
    }
  }

  private void enqueueAt(PodState s, Instant when) {
    long delay = Math.max(0, Duration.between(clock.instant(), when).toMillis());
    synchronized (s) {
      if (s.nextWake != null && !s.nextWake.isBefore(clock.instant()) && !s.nextWake.isAfter(when)) {
        return; // an earlier wake-up is already planned
      }
      s.nextWake = when;
    }
    timers.schedule(() -> {
      synchronized (s) {
        if (when.equals(s.nextWake)) {
          s.nextWake = null;
        }
      }
      enqueue(s);
    }, delay, TimeUnit.MILLISECONDS);
  }

  private void submit(PodState s) {
    inFlight.incrementAndGet();
    try {
      workers.execute(() -> {
        try {
          work(s);
        } finally {
          inFlight.decrementAndGet();
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      inFlight.decrementAndGet();
      s.scheduled.set(false);
      if (!closed) {
        throw e;
      }
    }
  }

  private void work(PodState s) {
    try {
      while (!closed && s.dirty.getAndSet(false)) {
        Timer.Sample t = Timer.start();
        try {
          sync(s);
        } catch (RuntimeException e) {
          syncErrors.increment();
          log.warn("sync of pod {} failed; retrying: {}", s.describe(), e.toString(), e);
          enqueueAt(s, clock.instant().plus(RETRY));
        } finally {
          t.stop(syncDuration);
        }
      }
    } finally {
      s.scheduled.set(false);
      if (s.dirty.get() && !closed && s.scheduled.compareAndSet(false, true)) {
        submit(s);
      }
    }
  }

  /** kubelet's PLEG: wake the pods whose containers changed state since the last relist. */
  private void relist() {
    try {
      Map<String, ContainerInfo.State> now = new HashMap<>();
      for (ContainerInfo c : runtime.listContainers()) {
        now.put(c.id(), c.state());
        if (lastRelist.get(c.id()) != c.state()) {
          PodState s = pods.get(c.sandboxId().substring(1));
          if (s != null) {
            enqueue(s);
          }
        }
      }
      lastRelist.clear();
      lastRelist.putAll(now);
    } catch (RuntimeException e) {
      log.warn("relist of the runtime failed: {}", e.toString());
    }
  }

  // ---- the sync ----

  private void sync(PodState s) {
    Pod pod = s.pod;
    if (!s.adoptionChecked) {
      s.adoptionChecked = true;
      adopt(s);
    }
    if (s.removedFromApi) {
      // Gone from the API (force delete, or our own final delete): stop whatever is left at once.
      teardown(s, Duration.ZERO);
      pods.remove(s.uid, s);
      statusManager.forget(s);
      tokens.forget(s.uid);
      return;
    }
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      terminate(s);
      return;
    }
    if (!s.admitted && s.kept == null && s.containers.isEmpty() && isTerminal(pod.getStatus())) {
      // Finished before this agent started (an earlier one saw it succeed or fail, e.g. before a
      // restart): as kubelet, a terminal pod's containers never run again.
      s.lastSent = pod.getStatus();
      s.kept = s.lastSent;
      log.info("pod {} already {}: not run again", s.describe(), pod.getStatus().getPhase());
    }
    if (s.rejection != null || isTerminal(s.kept)) {
      return; // finished: nothing more runs until the pod is deleted
    }
    Instant now = clock.instant();
    if (!s.admitted) {
      List<Pod> others = pods.values().stream()
          .filter(o -> o != s && o.admitted && o.rejection == null && !isTerminal(o.kept)).map(o -> o.pod).toList();
      Optional<Admission.Rejection> rejected = Admission.check(pod, others, allocatable.get());
      if (rejected.isPresent()) {
        s.rejection = rejected.get();
        events.record(pod, null, EventRecorder.WARNING, s.rejection.reason(), s.rejection.message());
        log.info("pod {} rejected: {}", s.describe(), s.rejection.message());
        sendStatus(s);
        return;
      }
      s.admitted = true;
      s.startTime = now;
    }
    if (s.sandboxId == null) {
      if (!prepareSandbox(s)) {
        sendStatus(s);
        enqueueAt(s, now.plus(CONFIG_RETRY));
        return;
      }
    } else if (PodVolumes.hasProjectedVolumes(pod)) {
      refreshVolumes(s);
    }
    Instant wake = null;
    // As kubelet's computePodActions: ephemeral containers start even before initialization is
    // complete, each once; one that ran is never started again.
    for (EphemeralContainer e : EphemeralContainers.of(pod.getSpec())) {
      ContainerTrack t = s.trackEphemeral(e.getName());
      if (t.id == null) {
        t.pidNamespaceOf = targetId(s, e.getTargetContainerName());
        wake = earliest(wake, start(s, EphemeralContainers.asContainer(e), t));
      }
    }
    String policy = PodStatusBuilder.restartPolicy(pod);
    if (!s.initialized) {
      InitStep step = initialize(s, policy);
      wake = earliest(wake, step.wake());
      s.initialized = step.done();
    } else {
      wake = earliest(wake, keepSidecarsRunning(s));
    }
    if (s.initialized) {
      for (Container c : pod.getSpec().getContainers()) {
        ContainerTrack t = s.track(c.getName(), false);
        Optional<ContainerInfo> info = info(t);
        if (info.isEmpty()) {
          wake = earliest(wake, start(s, c, t));
        } else if (info.get().exited()) {
          boolean again = policy.equals("Always") || (policy.equals("OnFailure") && info.get().exitCode() != 0);
          if (again) {
            wake = earliest(wake, restart(s, c, t, info.get()));
          }
        } else if (info.get().state() == ContainerInfo.State.RUNNING) {
          wake = earliest(wake, probe(s, c, t, info.get()));
        }
      }
      if (!s.sidecarsStopped && NativeSidecars.mainContainersFinished(pod, policy, this::info, s)) {
        // Nothing will run again: as kubelet kills a finished pod, its sidecars stop, last one first.
        s.sidecarsStopped = true;
        stopSidecars(s, Duration.ofSeconds(gracePeriod(pod)), "the pod's containers have completed");
      }
    }
    PodStatus sent = sendStatus(s);
    if ("Running".equals(sent.getPhase()) && !s.runningObserved && allRunning(sent)) {
      s.runningObserved = true;
      String created = pod.getMetadata().getCreationTimestamp();
      if (created != null) {
        podStart.record(Duration.between(Instant.parse(created), clock.instant()));
      }
    }
    if (wake != null) {
      enqueueAt(s, wake);
    }
  }

  /** Where the walk through the init containers got: whether the pod is initialized, and when to look again. */
  private record InitStep(boolean done, Instant wake) {}

  /**
   * kubelet's computeInitContainerActions: the init containers in order, one at a time. A plain
   * init container must exit 0 before the next one starts (one that fails is restarted unless
   * the pod's restartPolicy is Never, which fails the pod); a native sidecar (restartPolicy
   * Always, KEP-753) must be running and started (its startupProbe passed, if it has one), and
   * stays running while the walk goes on; one that exits is restarted whatever the pod's policy.
   */
  private InitStep initialize(PodState s, String policy) {
    Instant wake = null;
    if (s.sidecarsStopped) {
      return new InitStep(false, null); // an init container failed for good: nothing starts again
    }
    for (Container c : NativeSidecars.initContainers(s.pod)) {
      ContainerTrack t = s.track(c.getName(), true);
      Optional<ContainerInfo> info = info(t);
      if (NativeSidecars.isSidecar(c)) {
        if (info.isEmpty() || info.get().exited()) {
          wake = earliest(wake, info.isEmpty() ? start(s, c, t) : restart(s, c, t, info.get()));
          info = info(t);
          if (info.isEmpty() || info.get().state() != ContainerInfo.State.RUNNING || !t.started) {
            return new InitStep(false, wake);
          }
          continue; // started (no startup probe): the next one may start at once
        }
        if (info.get().state() == ContainerInfo.State.RUNNING) {
          wake = earliest(wake, probe(s, c, t, info.get()));
          info = info(t);
        }
        if (info.isEmpty() || info.get().state() != ContainerInfo.State.RUNNING || !t.started) {
          return new InitStep(false, wake); // not started yet (or just killed by its startup probe)
        }
        continue;
      }
      if (info.isPresent() && info.get().exited() && info.get().exitCode() == 0) {
        continue;
      }
      if (info.isPresent() && !info.get().exited()) {
        return new InitStep(false, wake); // still running: one init container at a time
      }
      if (info.isPresent() && policy.equals("Never")) {
        // Failed, not restarted: the pod fails, and the sidecars started before it stop.
        s.sidecarsStopped = true;
        stopSidecars(s, Duration.ofSeconds(gracePeriod(s.pod)), "init container " + c.getName() + " failed");
        return new InitStep(false, wake);
      }
      wake = earliest(wake, info.isPresent() ? restart(s, c, t, info.get()) : start(s, c, t));
      return new InitStep(false, wake);
    }
    return new InitStep(true, wake);
  }

  /**
   * Once the pod is initialized its native sidecars keep running beside the containers: probed,
   * restarted (with back-off) whenever they exit, whatever the pod's restartPolicy, until the
   * pod's containers have finished for good.
   */
  private Instant keepSidecarsRunning(PodState s) {
    Instant wake = null;
    if (s.sidecarsStopped) {
      return null;
    }
    for (Container c : NativeSidecars.sidecars(s.pod)) {
      ContainerTrack t = s.track(c.getName(), true);
      Optional<ContainerInfo> info = info(t);
      if (info.isEmpty()) {
        wake = earliest(wake, start(s, c, t));
      } else if (info.get().exited()) {
        wake = earliest(wake, restart(s, c, t, info.get()));
      } else if (info.get().state() == ContainerInfo.State.RUNNING) {
        wake = earliest(wake, probe(s, c, t, info.get()));
      }
    }
    return wake;
  }

  /**
   * Stops the pod's running native sidecars one after the other, the last one first (KEP-753's
   * termination order), each with its preStop hook, sharing {@code grace}.
   */
  private void stopSidecars(PodState s, Duration grace, String why) {
    Instant deadline = clock.instant().plus(grace);
    List<Container> sidecars = new ArrayList<>(NativeSidecars.sidecars(s.pod));
    java.util.Collections.reverse(sidecars);
    for (Container c : sidecars) {
      ContainerTrack t = s.containers.get("init:" + c.getName());
      Optional<ContainerInfo> info = t == null ? Optional.empty() : info(t);
      if (info.isEmpty() || info.get().exited()) {
        continue;
      }
      events.record(s.pod, fieldPath(t), EventRecorder.NORMAL, "Killing", "Stopping container " + c.getName());
      log.info("pod {}: stopping sidecar {}: {}", s.describe(), c.getName(), why);
      Duration left = Duration.between(clock.instant(), deadline);
      // As kubelet: at least 2 s for each, even when the ones before used the grace period up.
      stopGracefully(s, c, info.get().id(), grace.isZero() ? Duration.ZERO
          : left.compareTo(MINIMUM_GRACE) < 0 ? MINIMUM_GRACE : left);
    }
  }

  private static long gracePeriod(Pod pod) {
    Long g = pod.getSpec().getTerminationGracePeriodSeconds();
    return g == null ? 30 : Math.max(0, g);
  }

  /** The registry credentials of the pod's imagePullSecrets (a missing secret is skipped, as kubelet does). */
  private java.util.function.Function<String, Optional<RegistryCredentials>> pullSecrets(Pod pod) {
    if (pod.getSpec().getImagePullSecrets() == null || pod.getSpec().getImagePullSecrets().isEmpty()) {
      return host -> Optional.empty();
    }
    List<io.capstan.api.Secret> secrets = new ArrayList<>();
    for (io.capstan.api.LocalObjectReference ref : pod.getSpec().getImagePullSecrets()) {
      if (ref.getName() != null) {
        configSource.secret(pod.getMetadata().getNamespace(), ref.getName()).ifPresent(secrets::add);
      }
    }
    try {
      return PullSecrets.of(secrets);
    } catch (IllegalArgumentException e) {
      throw new ImagePullFailure("Failed to pull image: " + e.getMessage());
    }
  }

  private static boolean allRunning(PodStatus st) {
    return st.getContainerStatuses() != null
        && st.getContainerStatuses().stream().allMatch(c -> c.getState().getRunning() != null);
  }

  private static boolean isTerminal(PodStatus st) {
    return st != null && ("Succeeded".equals(st.getPhase()) || "Failed".equals(st.getPhase()));
  }

  private static Instant earliest(Instant a, Instant b) {
    return a == null ? b : b == null ? a : a.isBefore(b) ? a : b;
  }

  private Optional<ContainerInfo> info(ContainerTrack t) {
    return t.id == null ? Optional.empty() : runtime.containerStatus(t.id);
  }

  /** The runtimes name a pod's sandbox after its uid (see {@link #relist}). */
  private static String sandboxOf(String uid) {
    return "s" + uid;
  }

  /**
   * After an agent restart the containers an earlier agent started for this pod are still under
   * the runtime (running, or ended meanwhile with their exit codes recorded): the pod's worker
   * takes them over, as kubelet rebuilds its pod workers from the runtime's containers after a
   * restart, instead of starting duplicates. The restart count is the container's attempt; what
   * the runtime does not keep (readiness and startup as the probes last said, the previous
   * attempt's end, the pod's start time) comes from the status last posted, for a container
   * with the same containerID. A running one keeps running; an exited one then goes through
   * the restart policy as if its exit had just been seen.
   */
  private void adopt(PodState s) {
    Map<String, ContainerInfo> latest = new HashMap<>();
    List<ContainerInfo> older = new ArrayList<>();
    for (ContainerInfo c : runtime.listContainers()) {
      if (!c.sandboxId().equals(sandboxOf(s.uid))) {
        continue;
      }
      ContainerInfo prev = latest.get(c.name());
      if (prev == null || c.attempt() > prev.attempt()) {
        if (prev != null) {
          older.add(prev);
        }
        latest.put(c.name(), c);
      } else {
        older.add(c);
      }
    }
    if (latest.isEmpty()) {
      return;
    }
    for (ContainerInfo c : older) {
      runtime.removeContainer(c.id()); // an attempt whose successor was already created
    }
    Pod pod = s.pod;
    PodStatus previous = pod.getStatus();
    s.admitted = true; // it was admitted by the agent that started its containers
    s.startTime = clock.instant();
    if (previous != null && previous.getStartTime() != null) {
      try {
        s.startTime = Instant.parse(previous.getStartTime());
      } catch (java.time.format.DateTimeParseException e) {
        // keep now
      }
    }
    List<String> adopted = new ArrayList<>();
    List<Container> specs = allContainers(pod);
    EphemeralContainers.of(pod.getSpec()).forEach(e -> specs.add(EphemeralContainers.asContainer(e)));
    for (Container spec : specs) {
      ContainerInfo info = latest.get(spec.getName());
      if (info == null) {
        continue;
      }
      ContainerTrack t = isEphemeral(pod, spec.getName()) ? s.trackEphemeral(spec.getName())
          : s.track(spec.getName(), isInit(pod, spec));
      if (!t.init && !t.ephemeral) {
        s.initialized = true; // its containers were started: it was initialized (HasAnyRegularContainerStarted)
      }
      t.restartCount = info.attempt();
      if (info.state() == ContainerInfo.State.CREATED) {
        // The earlier agent died between create and start: start this attempt afresh.
        runtime.removeContainer(info.id());
        adopted.add(spec.getName() + " created, never started: removed");
        continue;
      }
      t.id = info.id();
      try {
        t.image = images.pullImage(spec.getImage());
      } catch (ImagePullFailure e) {
        // the status goes without an imageID; a restart pulls again
      }
      Optional<io.capstan.api.ContainerStatus> was = previousStatus(previous, spec.getName(), t.init)
          .filter(cs -> (containerIdScheme + info.id()).equals(cs.getContainerID()));
      t.started = spec.getStartupProbe() == null || was.map(cs -> Boolean.TRUE.equals(cs.getStarted())).orElse(false);
      t.ready = spec.getReadinessProbe() == null || was.map(cs -> Boolean.TRUE.equals(cs.getReady())).orElse(false);
      was.map(io.capstan.api.ContainerStatus::getLastState).map(io.capstan.api.ContainerState::getTerminated)
          .ifPresent(last -> t.lastTermination = last);
      if (info.state() == ContainerInfo.State.RUNNING) {
        s.runningObserved = true; // its start latency was recorded by the agent that started it
        if (spec.getStartupProbe() != null || spec.getLivenessProbe() != null || spec.getReadinessProbe() != null) {
          t.nextProbe = clock.instant();
        }
      }
      adopted.add(spec.getName() + " " + info.state().name().toLowerCase(java.util.Locale.ROOT)
          + (info.exited() ? " (exit code " + info.exitCode() + ")" : "") + " restartCount " + t.restartCount);
    }
    log.info("pod {}: adopted {} container(s) left by an earlier agent: {}", s.describe(), adopted.size(), adopted);
  }

  private static Optional<io.capstan.api.ContainerStatus> previousStatus(PodStatus status, String name, boolean init) {
    if (status == null) {
      return Optional.empty();
    }
    List<io.capstan.api.ContainerStatus> list = init ? status.getInitContainerStatuses() : status.getContainerStatuses();
    return list == null ? Optional.empty() : list.stream().filter(cs -> name.equals(cs.getName())).findFirst();
  }

  /**
   * The pod's /etc/resolv.conf by its dnsPolicy ({@link PodDns}); what kubelet would warn about
   * (limits cut, no cluster DNS) becomes a DNSConfigForming event.
   */
  private void writeResolvConf(Pod pod, Path podDir) throws java.io.IOException {
    PodDns.Result dns = PodDns.resolvConf(pod, config.dns(), io.capstan.nodeagent.dns.ResolvConf.read(
        config.dns().hostResolvConf()));
    for (String w : dns.warnings()) {
      events.record(pod, null, EventRecorder.WARNING, "DNSConfigForming", w);
    }
    PodVolumes.writeResolvConf(podDir, dns.conf());
  }

  /**
   * A running pod's configMap, secret, downwardAPI and projected volumes follow what they show;
   * a source that cannot be read keeps its last files, with one FailedMount event per new error.
   */
  private void refreshVolumes(PodState s) {
    List<String> errors = PodVolumes.refresh(s.pod, config.podsDir().resolve(s.uid), configSource, tokens,
        s.writtenVolumes, clock);
    String joined = errors.isEmpty() ? null : String.join("; ", errors);
    if (joined != null && !joined.equals(s.mountError)) {
      events.record(s.pod, null, EventRecorder.WARNING, "FailedMount", joined);
      log.info("pod {}: volumes not refreshed: {}", s.describe(), joined);
    }
    s.mountError = joined;
  }

  private boolean prepareSandbox(PodState s) {
    Pod pod = s.pod;
    Path podDir = config.podsDir().resolve(s.uid);
    try {
      s.volumes = PodVolumes.prepare(pod, podDir, configSource, tokens, s.writtenVolumes, clock);
      String hostname = pod.getSpec().getHostname() != null ? pod.getSpec().getHostname() : s.name();
      boolean hostNetwork = Boolean.TRUE.equals(pod.getSpec().getHostNetwork());
      s.sandboxId = runtime.runPodSandbox(new SandboxConfig(s.uid, s.namespace(), s.name(), hostname, hostNetwork));
      // Without CNI plugins the runtime puts every pod on the host network (the node says so).
      s.podIp = runtime.podSandboxIp(s.sandboxId).orElse(config.hostIp());
      PodVolumes.writeHostFiles(podDir, hostname, s.podIp);
      writeResolvConf(pod, podDir);
      s.mountError = null;
      return true;
    } catch (PodVolumes.MountError e) {
      if (!e.getMessage().equals(s.mountError)) {
        events.record(pod, null, EventRecorder.WARNING, "FailedMount", e.getMessage());
      }
      s.mountError = e.getMessage();
      for (Container c : allContainers(pod)) {
        s.track(c.getName(), isInit(pod, c)).waiting("ContainerCreating", e.getMessage());
      }
      return false;
    } catch (IOException e) {
      throw new RuntimeFailure("CreatePodSandboxError", "cannot write the host files of " + s.describe() + ": " + e.getMessage(), e);
    }
  }

  private static List<Container> allContainers(Pod pod) {
    List<Container> all = new ArrayList<>();
    if (pod.getSpec().getInitContainers() != null) {
      all.addAll(pod.getSpec().getInitContainers());
    }
    all.addAll(pod.getSpec().getContainers());
    return all;
  }

  private static boolean isInit(Pod pod, Container c) {
    return pod.getSpec().getInitContainers() != null && pod.getSpec().getInitContainers().contains(c);
  }

  /** The runtime id of the pod's (init) container an ephemeral container targets, if it has one now. */
  private static String targetId(PodState s, String target) {
    if (target == null || target.isEmpty()) {
      return null;
    }
    ContainerTrack t = s.containers.get(target);
    if (t == null) {
      t = s.containers.get("init:" + target);
    }
    return t == null ? null : t.id;
  }

  private static boolean isEphemeral(Pod pod, String name) {
    return EphemeralContainers.of(pod.getSpec()).stream().anyMatch(e -> e.getName().equals(name));
  }

  private static String fieldPath(ContainerTrack t) {
    return (t.ephemeral ? "spec.ephemeralContainers{" : t.init ? "spec.initContainers{" : "spec.containers{") + t.name
        + "}";
  }

  /** Restarts an exited container, or says when it may be restarted (CrashLoopBackOff). */
  private Instant restart(PodState s, Container c, ContainerTrack t, ContainerInfo exited) {
    Instant now = clock.instant();
    if (!exited.id().equals(t.exitSeen)) {
      t.exitSeen = exited.id();
      t.lastTermination = PodStatusBuilder.terminated(exited, containerIdScheme);
      if (exited.startedAt() != null && exited.finishedAt() != null) {
        t.restartBackoff.ran(Duration.between(exited.startedAt(), exited.finishedAt()));
      }
    }
    Instant allowed = t.restartBackoff.nextAllowed();
    if (now.isBefore(allowed)) {
      String msg = "back-off " + t.restartBackoff.current().toSeconds() + "s restarting failed container=" + t.name
          + " pod=" + s.describe();
      if (!"CrashLoopBackOff".equals(t.waitingReason)) {
        events.record(s.pod, fieldPath(t), EventRecorder.WARNING, "BackOff",
            "Back-off restarting failed container " + t.name + " in pod " + s.describe());
      }
      t.waiting("CrashLoopBackOff", msg);
      return allowed;
    }
    t.restartBackoff.attempted(now);
    t.restartCount++;
    restarts.increment();
    runtime.removeContainer(exited.id());
    t.id = null;
    return start(s, c, t);
  }

  /** Pulls, creates and starts a container; on failure records why and says when to try again. */
  private Instant start(PodState s, Container c, ContainerTrack t) {
    Pod pod = s.pod;
    Instant now = clock.instant();
    // Image
    if (t.image == null || !t.image.names().isEmpty()) {
      if (("ErrImagePull".equals(t.waitingReason) || "ImagePullBackOff".equals(t.waitingReason))
          && now.isBefore(t.pullBackoff.nextAllowed())) {
        if (!"ImagePullBackOff".equals(t.waitingReason)) {
          events.record(pod, fieldPath(t), EventRecorder.NORMAL, "BackOff", "Back-off pulling image \"" + c.getImage() + "\"");
        }
        t.waiting("ImagePullBackOff", "Back-off pulling image \"" + c.getImage() + "\": " + t.waitingMessage
            .replaceFirst("^Back-off pulling image \"[^\"]*\": ", ""));
        return t.pullBackoff.nextAllowed();
      }
      String policy = c.getImagePullPolicy() == null ? "IfNotPresent" : c.getImagePullPolicy();
      Optional<ImageInfo> local = images.imageStatus(c.getImage());
      if (policy.equals("Never") && local.isEmpty()) {
        String msg = "Container image \"" + c.getImage() + "\" is not present with pull policy of Never";
        if (!"ErrImageNeverPull".equals(t.waitingReason)) {
          events.record(pod, fieldPath(t), EventRecorder.WARNING, "ErrImageNeverPull", msg);
        }
        t.waiting("ErrImageNeverPull", msg);
        return now.plus(CONFIG_RETRY);
      }
      try {
        boolean first = t.image == null;
        boolean present = local.isPresent();
        long pullStart = System.nanoTime();
        if (!present) {
          events.record(pod, fieldPath(t), EventRecorder.NORMAL, "Pulling", "Pulling image \"" + c.getImage() + "\"");
        }
        t.image = policy.equals("Never") ? local.get()
            : images.pullImage(c.getImage(), policy.equals("Always"), pullSecrets(pod));
        if (!present) {
          events.record(pod, fieldPath(t), EventRecorder.NORMAL, "Pulled", String.format(java.util.Locale.ROOT,
              "Successfully pulled image \"%s\" in %.3fs. Image size: %d bytes.", c.getImage(),
              (System.nanoTime() - pullStart) / 1e9, t.image.sizeBytes()));
        } else if (first) {
          events.record(pod, fieldPath(t), EventRecorder.NORMAL, "Pulled",
              "Container image \"" + c.getImage() + "\" already present on machine");
        }
      } catch (ImagePullFailure e) {
        t.pullBackoff.attempted(now);
        t.waiting(ImagePullFailure.ERR_IMAGE_PULL, e.getMessage());
        events.record(pod, fieldPath(t), EventRecorder.WARNING, "Failed", e.getMessage());
        events.record(pod, fieldPath(t), EventRecorder.WARNING, "Failed", "Error: ErrImagePull");
        return t.pullBackoff.nextAllowed();
      }
    }
    // Configuration
    ContainerConfig cfg;
    try {
      Map<String, String> env = ContainerProcess.env(pod, c, t.image, configSource, new PodIps(config.hostIp(), s.podIp));
      List<String> args = ContainerProcess.args(c, t.image, env);
      List<String> envList = env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
      Path log = config.logs().containerLog(s.namespace(), s.name(), s.uid, c.getName(), t.restartCount);
      cfg = new ContainerConfig(c.getName(), t.restartCount, t.image, args, envList,
          c.getWorkingDir() == null ? t.image.workingDir() : c.getWorkingDir(),
          PodVolumes.mounts(c, s.volumes, PodVolumes.readOnlyVolumes(pod), config.podsDir().resolve(s.uid)), PodResources.cgroups(c), security(pod, c), log,
          t.pidNamespaceOf, Boolean.TRUE.equals(c.getStdin()));
    } catch (ConfigError | IllegalArgumentException e) {
      if (!e.getMessage().equals(t.waitingMessage)) {
        events.record(pod, fieldPath(t), EventRecorder.WARNING, "Failed", "Error: " + e.getMessage());
      }
      t.waiting("CreateContainerConfigError", e.getMessage());
      return now.plus(CONFIG_RETRY);
    }
    // Create and start
    String id;
    try {
      id = runtime.createContainer(s.sandboxId, cfg);
    } catch (RuntimeFailure e) {
      events.record(pod, fieldPath(t), EventRecorder.WARNING, "Failed", "Error: " + e.getMessage());
      t.waiting(e.reason(), e.getMessage());
      t.restartBackoff.attempted(now);
      return t.restartBackoff.nextAllowed();
    }
    t.id = id;
    events.record(pod, fieldPath(t), EventRecorder.NORMAL, "Created", "Created container " + c.getName());
    try {
      runtime.startContainer(id);
    } catch (RuntimeFailure e) {
      events.record(pod, fieldPath(t), EventRecorder.WARNING, "Failed", "Error: " + e.getMessage());
      t.waiting("RunContainerError", e.getMessage());
      t.restartBackoff.attempted(now);
      runtime.removeContainer(id);
      t.id = null;
      return t.restartBackoff.nextAllowed();
    }
    t.clearWaiting();
    t.ready = c.getReadinessProbe() == null;
    t.started = c.getStartupProbe() == null;
    t.livenessFailures = 0;
    t.readinessFailures = 0;
    t.readinessSuccesses = 0;
    t.startupFailures = 0;
    events.record(pod, fieldPath(t), EventRecorder.NORMAL, "Started", "Started container " + c.getName());
    Instant next = null;
    if (c.getLifecycle() != null && c.getLifecycle().getPostStart() != null) {
      Prober.Result r = hook(c, id, c.getLifecycle().getPostStart(), s.podIp, Duration.ofSeconds(30));
      if (!r.success()) {
        // As kubelet: a failed postStart hook kills the container, which is then restarted per policy.
        events.record(pod, fieldPath(t), EventRecorder.WARNING, "FailedPostStartHook", r.output());
        runtime.stopContainer(id, Duration.ZERO);
      }
    }
    Probe first = c.getStartupProbe() != null ? c.getStartupProbe() : null;
    if (first != null || c.getLivenessProbe() != null || c.getReadinessProbe() != null) {
      int delay = Math.min(delay(c.getStartupProbe()), Math.min(delay(c.getLivenessProbe()), delay(c.getReadinessProbe())));
      t.nextProbe = clock.instant().plusSeconds(delay);
      next = t.nextProbe;
    }
    return next;
  }

  private static int delay(Probe p) {
    return p == null ? Integer.MAX_VALUE / 2 : p.getInitialDelaySeconds() == null ? 0 : p.getInitialDelaySeconds();
  }

  private static ContainerConfig.Security security(Pod pod, Container c) {
    var sc = c.getSecurityContext();
    var psc = pod.getSpec().getSecurityContext();
    long uid = sc != null && sc.getRunAsUser() != null ? sc.getRunAsUser()
        : psc != null && psc.getRunAsUser() != null ? psc.getRunAsUser() : 0;
    long gid = sc != null && sc.getRunAsGroup() != null ? sc.getRunAsGroup()
        : psc != null && psc.getRunAsGroup() != null ? psc.getRunAsGroup() : 0;
    boolean ro = sc != null && Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem());
    List<String> add = sc != null && sc.getCapabilities() != null && sc.getCapabilities().getAdd() != null
        ? sc.getCapabilities().getAdd() : List.of();
    List<String> drop = sc != null && sc.getCapabilities() != null && sc.getCapabilities().getDrop() != null
        ? sc.getCapabilities().getDrop() : List.of();
    return new ContainerConfig.Security(uid, gid, ro, add, drop, sc != null && Boolean.TRUE.equals(sc.getPrivileged()));
  }

  // ---- probes ----

  /** Runs the probes that are due; returns when the next one is. */
  private Instant probe(PodState s, Container c, ContainerTrack t, ContainerInfo running) {
    if (t.nextProbe == null) {
      return null;
    }
    Instant now = clock.instant();
    if (now.isBefore(t.nextProbe)) {
      return t.nextProbe;
    }
    long since = Duration.between(running.startedAt(), now).toSeconds();
    int period = Integer.MAX_VALUE;
    if (!t.started && c.getStartupProbe() != null) {
      Probe p = c.getStartupProbe();
      period = period(p);
      if (since >= delay(p)) {
        Prober.Result r = run(c, running.id(), p, s.podIp);
        if (r.success()) {
          t.started = true;
        } else if (++t.startupFailures >= threshold(p.getFailureThreshold(), 3)) {
          events.record(s.pod, fieldPath(t), EventRecorder.WARNING, "Unhealthy", "Startup probe failed: " + r.output());
          kill(s, c, t, running, "failed startup probe", p);
          return null;
        }
      }
    }
    if (t.started && c.getLivenessProbe() != null) {
      Probe p = c.getLivenessProbe();
      period = Math.min(period, period(p));
      if (since >= delay(p)) {
        Prober.Result r = run(c, running.id(), p, s.podIp);
        if (r.success()) {
          t.livenessFailures = 0;
        } else {
          events.record(s.pod, fieldPath(t), EventRecorder.WARNING, "Unhealthy", "Liveness probe failed: " + r.output());
          if (++t.livenessFailures >= threshold(p.getFailureThreshold(), 3)) {
            kill(s, c, t, running, "failed liveness probe", p);
            return null;
          }
        }
      }
    }
    if (t.started && c.getReadinessProbe() != null) {
      Probe p = c.getReadinessProbe();
      period = Math.min(period, period(p));
      if (since >= delay(p)) {
        Prober.Result r = run(c, running.id(), p, s.podIp);
        if (r.success()) {
          t.readinessFailures = 0;
          if (++t.readinessSuccesses >= threshold(p.getSuccessThreshold(), 1)) {
            t.ready = true;
          }
        } else {
          t.readinessSuccesses = 0;
          if (t.readinessFailures++ == 0) {
            events.record(s.pod, fieldPath(t), EventRecorder.WARNING, "Unhealthy", "Readiness probe failed: " + r.output());
          }
          if (t.readinessFailures >= threshold(p.getFailureThreshold(), 3)) {
            t.ready = false;
          }
        }
      }
    }
    t.nextProbe = now.plusSeconds(period == Integer.MAX_VALUE ? 10 : period);
    return t.nextProbe;
  }

  private void kill(PodState s, Container c, ContainerTrack t, ContainerInfo running, String why, Probe p) {
    events.record(s.pod, fieldPath(t), EventRecorder.NORMAL, "Killing",
        "Container " + c.getName() + " " + why + ", will be restarted");
    long grace = p.getTerminationGracePeriodSeconds() != null ? p.getTerminationGracePeriodSeconds()
        : s.pod.getSpec().getTerminationGracePeriodSeconds() != null ? s.pod.getSpec().getTerminationGracePeriodSeconds() : 30;
    stopGracefully(s, c, running.id(), Duration.ofSeconds(grace));
    t.nextProbe = null;
    enqueue(s);
  }

  private static int period(Probe p) {
    return p.getPeriodSeconds() == null || p.getPeriodSeconds() < 1 ? 10 : p.getPeriodSeconds();
  }

  private static int threshold(Integer v, int def) {
    return v == null || v < 1 ? def : v;
  }

  private Prober.Result run(Container c, String id, Probe p, String podIp) {
    Duration timeout = Duration.ofSeconds(p.getTimeoutSeconds() == null || p.getTimeoutSeconds() < 1 ? 1 : p.getTimeoutSeconds());
    if (p.getExec() != null) {
      return prober.exec(id, p.getExec(), timeout);
    }
    if (p.getHttpGet() != null) {
      return prober.httpGet(c, p.getHttpGet(), podIp, timeout);
    }
    if (p.getTcpSocket() != null) {
      return prober.tcpSocket(c, p.getTcpSocket(), podIp, timeout);
    }
    return new Prober.Result(false, "probe with no handler (grpc is not supported on this node)");
  }

  private Prober.Result hook(Container c, String id, LifecycleHandler h, String podIp, Duration timeout) {
    if (h.getExec() != null) {
      return prober.exec(id, h.getExec(), timeout);
    }
    if (h.getHttpGet() != null) {
      return prober.httpGet(c, h.getHttpGet(), podIp, timeout);
    }
    if (h.getTcpSocket() != null) {
      return prober.tcpSocket(c, h.getTcpSocket(), podIp, timeout);
    }
    if (h.getSleep() != null) {
      try {
        Thread.sleep(Math.min(timeout.toMillis(), h.getSleep().getSeconds() * 1000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return new Prober.Result(true, "");
    }
    return new Prober.Result(false, "lifecycle handler with no action");
  }

  // ---- termination ----

  /** Graceful deletion: preStop, SIGTERM, SIGKILL after the grace period, then the final delete. */
  private void terminate(PodState s) {
    Pod pod = s.pod;
    if (!s.killed) {
      Long g = pod.getMetadata().getDeletionGracePeriodSeconds();
      if (g == null) {
        g = pod.getSpec().getTerminationGracePeriodSeconds() == null ? 30 : pod.getSpec().getTerminationGracePeriodSeconds();
      }
      teardown(s, Duration.ofSeconds(g));
      s.killed = true;
      // (a pod that finished before this agent started has no containers here to build a status from)
      boolean finishedBefore = s.containers.isEmpty() && isTerminal(s.kept != null ? s.kept : pod.getStatus());
      if (s.rejection == null && !finishedBefore) {
        sendStatus(s);
      }
    }
    if (!s.deleteSent && !s.deleteInFlight && s.statusSettled()) {
      // (not before the last status is settled: the status manager wakes this worker then)
      DeleteOptions opts = DeleteOptions.newBuilder().setGracePeriodSeconds(0L).setPreconditionUid(s.uid).build();
      s.deleteInFlight = true;
      CompletableFuture<CommandResult> delete;
      try {
        delete = client.delete(Kinds.POD, s.namespace(), s.name(), opts);
      } catch (RuntimeException e) {
        s.deleteInFlight = false;
        throw e;
      }
      delete.whenComplete((r, e) -> {
        s.deleteInFlight = false;
        if (r != null) {
          connection.answered();
        } else if (!connection.unanswered(e)) {
          log.debug("final delete of pod {} not answered: {}", s.describe(), e.toString());
        }
        if (r instanceof CommandResult.Accepted || (r instanceof CommandResult.Rejected rej
            && (rej.status().getCode() == 404 || rej.status().getCode() == 409))) {
          s.deleteSent = true;
          log.info("pod {} stopped and deleted", s.describe());
        } else {
          enqueueAt(s, clock.instant().plus(r == null ? PodStatusManager.UNANSWERED_PAUSE : RETRY));
        }
      });
    }
  }

  /** Stops every container of the pod (in parallel, each with its preStop hook) and removes its sandbox. */
  private void teardown(PodState s, Duration grace) {
    Instant deadline = clock.instant().plus(grace);
    List<CompletableFuture<Void>> stops = new ArrayList<>();
    s.sidecarsStopped = true; // nothing restarts them any more
    for (ContainerTrack t : s.containers.values()) {
      Optional<ContainerInfo> info = info(t);
      if (t.init && NativeSidecars.isSidecar(s.pod, t.name)) {
        continue; // after the others, below
      }
      if (info.isPresent() && !info.get().exited()) {
        Container spec = allContainers(s.pod).stream().filter(c -> c.getName().equals(t.name)).findFirst().orElse(null);
        events.record(s.pod, fieldPath(t), EventRecorder.NORMAL, "Killing", "Stopping container " + t.name);
        stops.add(CompletableFuture.runAsync(() -> stopGracefully(s, spec, info.get().id(), grace)));
      }
    }
    stops.forEach(CompletableFuture::join);
    // Native sidecars outlive the containers they serve: stopped last, in reverse order (KEP-753).
    Duration left = Duration.between(clock.instant(), deadline);
    stopSidecars(s, grace.isZero() ? Duration.ZERO : left.compareTo(MINIMUM_GRACE) < 0 ? MINIMUM_GRACE : left,
        "the pod is being deleted");
    boolean adopted = s.containers.values().stream().anyMatch(t -> t.id != null);
    if (s.removedFromApi && (s.sandboxId != null || adopted)) {
      runtime.removePodSandbox(s.sandboxId != null ? s.sandboxId : sandboxOf(s.uid));
    }
  }

  private void stopGracefully(PodState s, Container spec, String id, Duration grace) {
    Instant deadline = clock.instant().plus(grace);
    if (spec != null && spec.getLifecycle() != null && spec.getLifecycle().getPreStop() != null && !grace.isZero()) {
      Prober.Result r = hook(spec, id, spec.getLifecycle().getPreStop(), s.podIp, grace);
      if (!r.success()) {
        events.record(s.pod, null, EventRecorder.WARNING, "FailedPreStopHook",
            "PreStopHook failed: " + r.output());
      }
    }
    Duration left = Duration.between(clock.instant(), deadline);
    // As kubelet: at least a 2 s grace for SIGTERM once the hook used the period up.
    runtime.stopContainer(id, grace.isZero() ? Duration.ZERO : left.compareTo(Duration.ofSeconds(2)) < 0 ? Duration.ofSeconds(2) : left);
  }

  // ---- status ----

  /** Makes the pod's status and hands it to the status manager when it differs from the one kept. */
  private PodStatus sendStatus(PodState s) {
    PodStatus status = PodStatusBuilder.build(s, runtime::containerStatus, config.hostIp(), containerIdScheme, clock.instant());
    if (status.equals(s.kept)) {
      if (!s.statusStored() || !overwrittenSince(s, status)) {
        return status; // on its way, or stored as it is
      }
      Instant again = s.lastSentAt.plus(REPOST_PAUSE);
      if (clock.instant().isBefore(again)) {
        // While the node is still Unknown the controller marks the pod again: one post a second at most.
        enqueueAt(s, again);
        return status;
      }
    }
    statusManager.set(s, status);
    return status;
  }

  /**
   * Whether someone else stored a status after this agent's last one that says otherwise about
   * the phase or a condition: the node lifecycle controller marks a silent node's pods not Ready,
   * and when the node is back kubelet's status manager, comparing with the stored pod, posts
   * the real status again. Only writes newer than ours count, so our own status on its way back
   * through the view never looks like a difference.
   */
  private static boolean overwrittenSince(PodState s, PodStatus ours) {
    PodStatus stored = s.pod.getStatus();
    long storedRv;
    try {
      storedRv = Long.parseLong(s.pod.getMetadata().getResourceVersion());
    } catch (NumberFormatException | NullPointerException e) {
      return false;
    }
    if (stored == null || s.lastSentRv <= 0 || storedRv <= s.lastSentRv) {
      return false;
    }
    return !java.util.Objects.equals(stored.getPhase(), ours.getPhase())
        || !conditionStates(stored).equals(conditionStates(ours));
  }

  private static Map<String, String> conditionStates(PodStatus status) {
    Map<String, String> out = new java.util.TreeMap<>();
    if (status.getConditions() != null) {
      status.getConditions().forEach(c -> out.put(c.getType(), c.getStatus()));
    }
    return out;
  }

  /** What {@link #stopAllContainers} did. */
  /**
   * Stops taking work: no new syncs start and the relist and resync timers stop; syncs under way
   * are not waited for (see {@link #close}).
   */
  public void stopSyncing() {
    closed = true;
    try {
      configWatch.close();
    } catch (Exception e) {
      log.warn("stopping the ConfigMap/Secret change calls of node {} failed: {}", config.nodeName(), e.toString());
    }
    statusManager.close();
    tasks.forEach(t -> t.cancel(false));
  }

  public record NodeShutdown(int containers, int pods, Duration took) {}

  /**
   * Stops every container this node runs, as a machine shutdown does rather than a pod deletion
   * ({@code capstan up} on Ctrl-C): each running container gets its preStop hook and SIGTERM,
   * then SIGKILL after its pod's {@code terminationGracePeriodSeconds} or {@code maxGrace},
   * whichever is shorter; then the runtime removes every container (runc state, bundle, overlay
   * mount) and the sandboxes. The pods stay bound to this node with the status last sent, and the
   * pods' volumes stay on disk: the next agent on this data dir finds them without containers and
   * starts them again, as kubelet does after a reboot. Closes the loop first, so nothing restarts.
   */
  public NodeShutdown stopAllContainers(Duration maxGrace) {
    close();
    long start = System.nanoTime();
    List<ContainerInfo> all = runtime.listContainers();
    java.util.Set<String> sandboxes = new java.util.TreeSet<>();
    java.util.Set<String> podsStopped = new java.util.HashSet<>();
    List<CompletableFuture<Void>> stops = new ArrayList<>();
    ExecutorService stoppers = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "capstan-node-shutdown-" + config.nodeName());
      t.setDaemon(true);
      return t;
    });
    int running = 0;
    try {
      for (ContainerInfo c : all) {
        sandboxes.add(c.sandboxId());
        if (c.exited()) {
          continue;
        }
        running++;
        podsStopped.add(c.sandboxId());
        PodState s = pods.get(c.sandboxId().substring(1));
        Duration grace = maxGrace;
        Container spec = null;
        if (s != null) {
          Long g = s.pod.getSpec().getTerminationGracePeriodSeconds();
          grace = Duration.ofSeconds(g == null ? 30 : Math.max(0, g));
          grace = grace.compareTo(maxGrace) < 0 ? grace : maxGrace;
          spec = allContainers(s.pod).stream().filter(x -> x.getName().equals(c.name())).findFirst().orElse(null);
        }
        Duration g = grace;
        Container sp = spec;
        stops.add(CompletableFuture.runAsync(() -> {
          if (s != null) {
            stopGracefully(s, sp, c.id(), g);
          } else {
            runtime.stopContainer(c.id(), g);
          }
        }, stoppers));
      }
      for (CompletableFuture<Void> f : stops) {
        try {
          f.join();
        } catch (RuntimeException e) {
          log.warn("node {} shutdown: stopping a container failed: {}", config.nodeName(), e.toString());
        }
      }
    } finally {
      stoppers.shutdownNow();
    }
    for (String sandbox : sandboxes) {
      try {
        runtime.removePodSandbox(sandbox);
      } catch (RuntimeException e) {
        log.warn("node {} shutdown: removing sandbox {} failed: {}", config.nodeName(), sandbox, e.toString());
      }
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    log.info("node {} shutdown: stopped {} running container(s) of {} pod(s) and removed {} sandbox(es) in {} ms;"
        + " the pods stay bound here and start again with the next agent", config.nodeName(), running,
        podsStopped.size(), sandboxes.size(), took.toMillis());
    return new NodeShutdown(running, podsStopped.size(), took);
  }

  @Override
  public void close() {
    if (closeCalled.getAndSet(true)) {
      return;
    }
    stopSyncing();
    if (!ownsWorkers) {
      // A shared pool serves other nodes too: wait for this loop's syncs only (not at all once
      // the pool's owner has stopped it: a fleet stops all its loops, then the pool, then closes them).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (inFlight.get() > 0 && !workers.isTerminated() && System.nanoTime() < deadline) {
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      return;
    }
    stopWorkers(workers);
  }

  /** Stops a pool of pod workers: the syncs running finish (up to 10 s), then the rest are interrupted. */
  public static void stopWorkers(ExecutorService workers) {
    workers.shutdown();
    try {
      workers.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    workers.shutdownNow();
  }
}
