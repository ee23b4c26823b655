package io.capstan.scheduler.service;

import io.capstan.api.Namespace;
import io.capstan.api.Node;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodStatus;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.threads.Housekeeping;
import io.capstan.scheduler.algorithm.FitError;
import io.capstan.scheduler.algorithm.ScheduleAlgorithm;
import io.capstan.scheduler.algorithm.ScheduleResult;
import io.capstan.scheduler.cache.SchedulerCache;
import io.capstan.scheduler.config.PluginRegistry;
import io.capstan.scheduler.config.SchedulerConfig;
import io.capstan.scheduler.framework.ClusterEvent;
import io.capstan.scheduler.framework.ClusterSnapshot;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.Profile;
import io.capstan.scheduler.preemption.Candidate;
import io.capstan.scheduler.preemption.Preemptor;
import io.capstan.scheduler.queue.SchedulingQueue;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kube-scheduler's Scheduler: pods and nodes come from the informers; unassigned pods of ours go
 * to the {@link SchedulingQueue}, assigned ones and nodes to the {@link SchedulerCache}. One
 * thread runs scheduleOne: pop, snapshot, filter and score, assume, then send the bind (a command
 * the processor accepts only while the pod is unbound) without waiting for it. A refused bind
 * forgets the assumption and retries after the backoff. A pod that fits nowhere gets
 * PodScheduled=False (reason Unschedulable, Kubernetes' message) and a FailedScheduling event,
 * and waits for a cluster event that could help.
 */
public final class SchedulerService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SchedulerService.class);
  static final String UNSCHEDULABLE = "Unschedulable";
  static final String POD_SCHEDULED = "PodScheduled";
  /** kube's PodReasonSchedulerError: the binding cycle failed (not a verdict of the filters). */
  static final String SCHEDULER_ERROR = "SchedulerError";

  private final SchedulerConfig config;
  private final SharedInformers informers;
  private final CommandClient client;
  private final Clock clock;
  private final Profile profile;
  private final ScheduleAlgorithm algorithm;
  private final Preemptor preemptor;
  private final SchedulerCache cache = new SchedulerCache();
  private final SchedulingQueue queue;
  private final SchedulerMetrics metrics;
  private final EventRecorder events;
  private final Informer<Pod> pods;
  private final Informer<Node> nodes;
  private final Informer<Namespace> namespaces;
  private final Informer<io.capstan.api.PersistentVolumeClaim> claims;
  private final Informer<io.capstan.api.PersistentVolume> volumes;
  private final Informer<io.capstan.api.StorageClass> storageClasses;
  private final io.capstan.scheduler.plugins.VolumeBinding volumeBinding;
  private final ClaimWaits claimWaits;
  private final Housekeeping timer;
  private final Thread loop;
  private volatile boolean running;
  /** Only the active scheduler (the leader, with leader election) pops and binds; a standby keeps its caches warm. */
  private volatile boolean active;

  public SchedulerService(SchedulerConfig config, SharedInformers informers, CommandClient client, MeterRegistry registry,
      Clock clock) {
    this.config = config;
    this.informers = informers;
    this.client = client;
    this.clock = clock;
    this.claims = informers.informerFor(Kinds.PERSISTENT_VOLUME_CLAIM, io.capstan.api.PersistentVolumeClaim.class);
    this.volumes = informers.informerFor(Kinds.PERSISTENT_VOLUME, io.capstan.api.PersistentVolume.class);
    this.storageClasses = informers.informerFor(Kinds.STORAGE_CLASS, io.capstan.api.StorageClass.class);
    this.profile = PluginRegistry.profile(config, new io.capstan.scheduler.plugins.VolumeBinding.Listers() {
      @Override
      public Optional<io.capstan.api.PersistentVolumeClaim> claim(String namespace, String name) {
        return claims.get(namespace, name);
      }

      @Override
      public Optional<io.capstan.api.PersistentVolume> volume(String name) {
        return volumes.get("", name);
      }

      @Override
      public java.util.Collection<io.capstan.api.PersistentVolume> volumes() {
        return volumes.list();
      }

      @Override
      public Optional<io.capstan.api.StorageClass> storageClass(String name) {
        return storageClasses.get("", name);
      }
    });
    this.volumeBinding = (io.capstan.scheduler.plugins.VolumeBinding) profile.plugins()
        .get(io.capstan.scheduler.plugins.VolumeBinding.NAME);
    this.algorithm = new ScheduleAlgorithm(profile, config.percentageOfNodesToScore(), new Random());
    this.preemptor = new Preemptor(profile);
    this.queue = new SchedulingQueue(clock, config.podInitialBackoff(), config.podMaxBackoff(),
        config.podMaxInUnschedulable(), profile::eventsOf);
    this.metrics = new SchedulerMetrics(registry, queue);
    io.micrometer.core.instrument.Gauge.builder("capstan.scheduler.leader", this, s -> s.active ? 1 : 0)
        .description("1 while this scheduler is the active one").register(registry);
    this.events = new EventRecorder(client, clock, config.schedulerName());
    this.pods = informers.informerFor(Kinds.POD, Pod.class);
    this.nodes = informers.informerFor(Kinds.NODE, Node.class);
    this.namespaces = informers.informerFor(Kinds.NAMESPACE, Namespace.class);
    this.timer = Housekeeping.of("scheduler queue");
    this.claimWaits = new ClaimWaits(claims, timer);
    this.loop = daemon(this::run, "scheduler-loop");
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  public SchedulingQueue queue() {
    return queue;
  }

  public SchedulerCache cache() {
    return cache;
  }

  /** Claims pods are waiting on in PreBind (0 when no binding cycle waits for a volume). */
  int claimWaitsPending() {
    return claimWaits.waiting();
  }

  /** Registers the handlers, starts the informers and, once they have synced, the scheduling loop. */
  public void start(Duration syncTimeout) throws InterruptedException {
    active = true;
    startStandby(syncTimeout);
  }

  /** As {@link #start} but inactive until {@link #setActive} (leader election decides). */
  public void startStandby(Duration syncTimeout) throws InterruptedException {
    log.info("scheduler {} starting: plugins {}, score weights {}, percentageOfNodesToScore {}",
        config.schedulerName(), profile.plugins().keySet(),
        profile.scorePlugins().stream().map(w -> w.plugin().name() + "=" + w.weight()).toList(),
        config.percentageOfNodesToScore() == 0 ? "adaptive" : config.percentageOfNodesToScore());
    nodes.addHandler(new NodeHandler());
    namespaces.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Namespace ns) {
        cache.setNamespaceLabels(ns.getMetadata().getName(), ns.getMetadata().getLabels());
      }

      @Override
      public void onUpdate(Namespace old, Namespace ns) {
        onAdd(ns);
      }

      @Override
      public void onDelete(Namespace ns) {
        cache.setNamespaceLabels(ns.getMetadata().getName(), null);
      }
    });
    pods.addHandler(new PodHandler());
    // A claim, volume or class that appears or changes may let a pod parked by VolumeBinding fit.
    claims.addHandler(volumeChange());
    claims.addHandler(claimWaits);
    volumes.addHandler(volumeChange());
    storageClasses.addHandler(volumeChange());
    informers.start();
    if (!informers.awaitSynced(syncTimeout)) {
      throw new IllegalStateException("the scheduler's informers did not sync within " + syncTimeout);
    }
    running = true;
    // flushBackoffQCompleted every second; flushUnschedulablePodsLeftover every 30 s.
    // quick moves between the queue's lists, on the process's housekeeping thread
    timer.every(Duration.ofSeconds(1), Duration.ofSeconds(1), queue::flushBackoffCompleted);
    timer.every(Duration.ofSeconds(30), Duration.ofSeconds(30), queue::flushUnschedulableLeftover);
    loop.start();
    log.info("scheduler {} {}: {} nodes, {} placed pods, {} pending", config.schedulerName(),
        active ? "running" : "standing by", cache.nodeCount(), cache.podCount(), queue.activeSize() + queue.unschedulableSize());
  }

  public void setActive(boolean active) {
    this.active = active;
    log.info("scheduler {} is {}", config.schedulerName(), active ? "active" : "standing by");
  }

  public boolean isActive() {
    return active;
  }

  private void run() {
    while (running) {
      try {
        if (!active) {
          Thread.sleep(50);
          continue;
        }
        SchedulingQueue.Popped p = queue.pop(Duration.ofMillis(200));
        if (p != null) {
          scheduleOne(p);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        log.error("scheduling loop error", e);
      }
    }
  }

  /** One scheduling cycle (scheduleOne). */
  void scheduleOne(SchedulingQueue.Popped p) {
    PodInfo pod = p.pod().podInfo();
    Pod current = pods.get(pod.namespace(), pod.name()).orElse(null);
    if (current == null || !isPending(current) || !responsible(current)
        || (pod.uid() != null && !pod.uid().equals(current.getMetadata().getUid()))) {
      queue.done(pod.key());
      return;
    }
    long start = System.nanoTime();
    ScheduleResult result;
    ClusterSnapshot snapshot = cache.snapshot();
    try {
      result = algorithm.schedule(pod, snapshot);
    } catch (FitError e) {
      // PostFilter: preemption may free a node; the pod still waits for the victims to go.
      Optional<Candidate> candidate = e.numAllNodes() == 0 ? Optional.empty()
          : preemptor.preempt(pod, snapshot, e.diagnosis());
      metrics.attemptDuration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      metrics.unschedulable.increment();
      String message = e.getMessage();
      log.debug("pod {} unschedulable: {}", pod.key(), message);
      queue.addUnschedulable(p, e.diagnosis().unschedulablePlugins());
      candidate.ifPresent(c -> evict(current, c));
      reportUnschedulable(current, message, candidate.map(Candidate::node).orElse(null));
      return;
    } catch (RuntimeException e) {
      metrics.attemptDuration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      metrics.error.increment();
      log.warn("scheduling pod {} failed, retrying after backoff", pod.key(), e);
      queue.requeueWithBackoff(p);
      return;
    }
    cache.assume(pod, result.node());
    metrics.attemptDuration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    metrics.scheduled.increment();
    bind(p, current, result.node());
  }

  private <T> ResourceEventHandler<T> volumeChange() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T o) {
        queue.onClusterEvent(ClusterEvent.VOLUME_CHANGE);
      }

      @Override
      public void onUpdate(T old, T o) {
        queue.onClusterEvent(ClusterEvent.VOLUME_CHANGE);
      }
    };
  }

  /**
   * PreBind of VolumeBinding: the pod's unbound WaitForFirstConsumer claims get the chosen node in
   * {@code volume.kubernetes.io/selected-node}, for the binder and the provisioner; then, as kube's
   * BindPodVolumes, the pod waits (off the scheduling loop) until every claim not Bound at the
   * start is Bound, at most {@code bindTimeout}. Done at once for a pod without claims. The
   * future holds null when the pod may be bound, else why not (a refused write or kube's error).
   */
  private java.util.concurrent.CompletableFuture<String> preBind(PodInfo pod, String node) {
    List<String> names = volumeBinding == null ? List.of() : io.capstan.scheduler.plugins.VolumeBinding.claimNames(pod);
    if (names.isEmpty()) {
      return java.util.concurrent.CompletableFuture.completedFuture(null);
    }
    List<String> waitFor = claimWaits.unbound(pod.namespace(), names);
    java.util.concurrent.CompletableFuture<CommandResult> all =
        java.util.concurrent.CompletableFuture.completedFuture(null);
    for (io.capstan.api.PersistentVolumeClaim claim : volumeBinding.claimsToPlace(pod)) {
      io.capstan.api.PersistentVolumeClaim placed = io.capstan.api.PersistentVolumeClaim.newBuilder(claim).build();
      placed.setMetadata(io.capstan.api.ObjectMeta.newBuilder(claim.getMetadata()).build());
      java.util.Map<String, String> annotations = new java.util.HashMap<>(
          placed.getMetadata().getAnnotations() == null ? java.util.Map.of() : placed.getMetadata().getAnnotations());
      annotations.put(io.capstan.logschema.storage.VolumeClaims.SELECTED_NODE, node);
      placed.getMetadata().setAnnotations(annotations);
      all = all.thenCompose(prev -> prev instanceof CommandResult.Rejected ? java.util.concurrent.CompletableFuture
          .completedFuture(prev) : client.update(placed));
    }
    return all.thenCompose(r -> r instanceof CommandResult.Rejected rej
        ? java.util.concurrent.CompletableFuture.completedFuture(rej.status().getMessage())
        : claimWaits.await(pod.namespace(), waitFor, config.bindTimeout())
            .thenApply(why -> why == null ? null : "running PreBind plugin \"" + io.capstan.scheduler.plugins.VolumeBinding.NAME
                + "\": " + why));
  }

  /** The binding cycle, asynchronous: the next pod is scheduled while this bind travels. */
  private void bind(SchedulingQueue.Popped p, Pod pod, String node) {
    String key = p.pod().key();
    java.util.concurrent.CompletableFuture<String> pre = preBind(p.pod().podInfo(), node);
    if (pre.isDone() && pre.getNow("") == null) {
      bindNow(p, pod, node); // the common case: no claims to wait for
      return;
    }
    pre.whenComplete((why, e) -> {
      if (e == null && why == null) {
        bindNow(p, pod, node);
        return;
      }
      String reason = e != null ? e.toString() : why;
      log.info("pre-binding pod {} to {} failed, forgetting the placement and retrying: {}", key, node, reason);
      metrics.bindFailures.increment();
      cache.forget(key);
      queue.requeueWithBackoff(p);
      queue.onClusterEvent(ClusterEvent.ASSIGNED_POD_DELETE);
      // As kube's handleSchedulingFailure for a binding-cycle error: FailedScheduling, PodScheduled=False/SchedulerError.
      Pod latest = pods.get(pod.getMetadata().getNamespace(), pod.getMetadata().getName()).orElse(null);
      if (latest != null && isPending(latest)) {
        reportFailure(latest, SCHEDULER_ERROR, reason, null);
      }
    });
  }

  private void bindNow(SchedulingQueue.Popped p, Pod pod, String node) {
    String key = p.pod().key();
    client.bind(pod.getMetadata().getNamespace(), pod.getMetadata().getName(), node).whenComplete((r, e) -> {
      if (e == null && r instanceof CommandResult.Accepted) {
        queue.done(key);
        events.forget(pod);
        events.record(pod, "Normal", "Scheduled", "Successfully assigned " + key + " to " + node);
        return;
      }
      String why = e != null ? e.toString() : ((CommandResult.Rejected) r).status().getMessage();
      log.info("binding pod {} to {} failed, forgetting the placement and retrying: {}", key, node, why);
      metrics.bindFailures.increment();
      cache.forget(key);
      queue.requeueWithBackoff(p);
      // The freed room may help parked pods, as a deleted assigned pod would.
      queue.onClusterEvent(ClusterEvent.ASSIGNED_POD_DELETE);
    });
  }

  /** Deletes the victims with their own grace period, telling each why (the Preempted event). */
  private void evict(Pod preemptor, Candidate c) {
    metrics.preemptionVictims.increment(c.victims().size());
    log.info("pod {}/{} preempts {} on node {}", preemptor.getMetadata().getNamespace(), preemptor.getMetadata().getName(),
        c.victims().stream().map(PodInfo::key).toList(), c.node());
    for (PodInfo v : c.victims()) {
      events.record(v.pod(), "Normal", "Preempted", "Preempted by pod " + preemptor.getMetadata().getUid() + " on node " + c.node());
      client.delete(Kinds.POD, v.namespace(), v.name(), null).whenComplete((r, e) -> {
        if (e != null || r instanceof CommandResult.Rejected) {
          log.warn("deleting preemption victim {} failed: {}", v.key(), e != null ? e.toString() : r);
        }
      });
    }
  }

  /**
   * PodScheduled=False with reason Unschedulable and the message, written only when it changes
   * (as updatePod skips an unchanged condition), and a FailedScheduling event each attempt.
   */
  private void reportUnschedulable(Pod pod, String message, String nominatedNode) {
    reportFailure(pod, UNSCHEDULABLE, message, nominatedNode);
  }

  private void reportFailure(Pod pod, String reason, String message, String nominatedNode) {
    events.record(pod, "Warning", "FailedScheduling", message);
    PodStatus status = pod.getStatus() == null ? PodStatus.newBuilder().setPhase("Pending").build()
        : PodStatus.newBuilder(pod.getStatus()).build();
    List<PodCondition> conditions = status.getConditions() == null ? new ArrayList<>() : new ArrayList<>(status.getConditions());
    PodCondition existing = conditions.stream().filter(c -> POD_SCHEDULED.equals(c.getType())).findFirst().orElse(null);
    if (existing != null && "False".equals(existing.getStatus()) && reason.equals(existing.getReason())
        && message.equals(existing.getMessage()) && (nominatedNode == null || nominatedNode.equals(status.getNominatedNodeName()))) {
      return;
    }
    if (nominatedNode != null) {
      status.setNominatedNodeName(nominatedNode);
    }
    String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    PodCondition condition = PodCondition.newBuilder().setType(POD_SCHEDULED).setStatus("False")
        .setReason(reason).setMessage(message)
        .setLastProbeTime(null)
        .setLastTransitionTime(existing != null && "False".equals(existing.getStatus()) ? existing.getLastTransitionTime() : now)
        .build();
    conditions.removeIf(c -> POD_SCHEDULED.equals(c.getType()));
    conditions.add(condition);
    status.setConditions(conditions);
    Pod updated = Pod.newBuilder(pod).setStatus(status).build();
    client.updateStatus(updated).whenComplete((r, e) -> {
      if (e != null) {
        log.warn("PodScheduled condition of {}/{} not written: {}", pod.getMetadata().getNamespace(),
            pod.getMetadata().getName(), e.toString());
      } else if (r instanceof CommandResult.Rejected rej) {
        // A conflict means the pod changed meanwhile; the next attempt writes the condition again.
        log.debug("PodScheduled condition of {}/{} refused: {}", pod.getMetadata().getNamespace(),
            pod.getMetadata().getName(), rej.status().getMessage());
      }
    });
  }

  static boolean isAssigned(Pod pod) {
    return pod.getSpec() != null && pod.getSpec().getNodeName() != null && !pod.getSpec().getNodeName().isEmpty();
  }

  static boolean isTerminal(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }

  /** Unassigned, not finished, not being deleted. */
  static boolean isPending(Pod pod) {
    return !isAssigned(pod) && !isTerminal(pod) && pod.getMetadata().getDeletionTimestamp() == null;
  }

  boolean responsible(Pod pod) {
    String name = pod.getSpec() == null ? null : pod.getSpec().getSchedulerName();
    // The API server defaults an empty schedulerName to default-scheduler.
    return Objects.equals(name == null || name.isEmpty() ? SchedulerConfig.DEFAULT_SCHEDULER_NAME : name, config.schedulerName());
  }

  private PodInfo compile(Pod pod) {
    try {
      return PodInfo.of(pod);
    } catch (IllegalArgumentException e) {
      log.warn("ignoring pod: {}", e.getMessage());
      return null;
    }
  }

  private final class PodHandler implements ResourceEventHandler<Pod> {
    @Override
    public void onAdd(Pod pod) {
      if (isAssigned(pod)) {
        if (!isTerminal(pod)) {
          PodInfo info = compile(pod);
          if (info != null) {
            queue.delete(info.key());
            cache.addPod(info, pod.getSpec().getNodeName());
            queue.onClusterEvent(ClusterEvent.ASSIGNED_POD_ADD);
          }
        }
      } else if (isPending(pod) && responsible(pod)) {
        PodInfo info = compile(pod);
        if (info != null) {
          queue.add(info);
        }
      }
    }

    @Override
    public void onUpdate(Pod old, Pod pod) {
      String key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
      if (isAssigned(pod)) {
        queue.delete(key);
        if (isTerminal(pod)) {
          cache.removePod(key);
          queue.onClusterEvent(ClusterEvent.ASSIGNED_POD_DELETE);
          return;
        }
        PodInfo info = compile(pod);
        if (info == null) {
          return;
        }
        cache.updatePod(info, pod.getSpec().getNodeName());
        queue.onClusterEvent(isAssigned(old) ? ClusterEvent.ASSIGNED_POD_UPDATE : ClusterEvent.ASSIGNED_POD_ADD);
        return;
      }
      if (!isPending(pod) || !responsible(pod)) {
        queue.delete(key);
        return;
      }
      // Our own status writes (PodScheduled=False) come back as updates: only spec or label changes count.
      if (Objects.equals(old.getSpec(), pod.getSpec())
          && Objects.equals(old.getMetadata().getLabels(), pod.getMetadata().getLabels())) {
        return;
      }
      PodInfo info = compile(pod);
      if (info != null) {
        queue.update(info);
      }
    }

    @Override
    public void onDelete(Pod pod) {
      String key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
      queue.delete(key);
      events.forget(pod);
      if (isAssigned(pod)) {
        cache.removePod(key);
        queue.onClusterEvent(ClusterEvent.ASSIGNED_POD_DELETE);
      } else {
        cache.forget(key);
      }
    }
  }

  private final class NodeHandler implements ResourceEventHandler<Node> {
    @Override
    public void onAdd(Node node) {
      cache.addNode(node);
      queue.onClusterEvent(ClusterEvent.NODE_ADD);
    }

    @Override
    public void onUpdate(Node old, Node node) {
      cache.updateNode(node);
      // Heartbeats change conditions only; they cannot make a pod fit (nodeSchedulingPropertiesChange).
      if (!Objects.equals(old.getSpec(), node.getSpec())
          || !Objects.equals(old.getMetadata().getLabels(), node.getMetadata().getLabels())
          || !Objects.equals(old.getStatus() == null ? null : old.getStatus().getAllocatable(),
              node.getStatus() == null ? null : node.getStatus().getAllocatable())
          || !Objects.equals(old.getStatus() == null ? null : old.getStatus().getImages(),
              node.getStatus() == null ? null : node.getStatus().getImages())) {
        queue.onClusterEvent(ClusterEvent.NODE_UPDATE);
      }
    }

    @Override
    public void onDelete(Node node) {
      cache.removeNode(node.getMetadata().getName());
    }
  }

  /** Stops the loop and the timers; the informers and the client belong to the caller. */
  @Override
  public void close() {
    running = false;
    queue.close();
    timer.close();
    try {
      loop.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.info("scheduler {} stopped", config.schedulerName());
  }

}
