package io.capstan.controllers.daemonset;

import io.capstan.api.ControllerRevision;
import io.capstan.api.DaemonSet;
import io.capstan.api.DaemonSetStatus;
import io.capstan.api.Node;
import io.capstan.api.OwnerReference;
import io.capstan.api.Pod;
import io.capstan.controllers.revision.ControllerHistory;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.EventRecorder;
import io.capstan.controllers.runtime.Expectations;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.OwnedPodEvents;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodConditions;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.Selectors;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.SlowStart;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Indexes;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes' DaemonSet controller. DaemonSets, pods, nodes and ControllerRevisions come from
 * shared informers. A set's change, a change of one of its pods, or a node change that alters
 * where the daemon should run queues the set; each reconcile (syncDaemonSet) finds or makes the
 * ControllerRevision of the current template, creates a pod for every eligible node that lacks
 * one and deletes the pods that must go ({@link DaemonSetPlanner#manage}), replaces old pods
 * within the rolling update's budget ({@link DaemonSetPlanner#rollingUpdate}), prunes the revision
 * history and writes status. Pods are created unbound with a node affinity term for their node,
 * so the scheduler places them. Expectations keep a set from acting again before its own creates
 * and deletes have come back through the pod informer.
 */
public final class DaemonSetController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DaemonSetController.class);
  public static final String NAME = "daemonset";
  /** As the daemon controller's BurstReplicas: at most this many creates or deletes per sync. */
  public static final int BURST_REPLICAS = 250;
  /** The failed-pod backoff (failedPodsBackoff): 1 s doubling to 15 min per set and node. */
  static final Duration FAILED_BACKOFF_INITIAL = Duration.ofSeconds(1);
  static final Duration FAILED_BACKOFF_MAX = Duration.ofMinutes(15);

  private final Informer<DaemonSet> sets;
  private final Informer<Pod> pods;
  private final Informer<Node> nodes;
  private final ControllerHistory history;
  private final ObjectWriter writer;
  private final Clock clock;
  private final Expectations expectations = new Expectations();
  private final WorkQueue queue;
  private final Controller controller;
  private final EventRecorder events;
  /** Per set-key/node: when a failed daemon pod may next be replaced, and the backoff that set it. */
  private final Map<String, Backoff> failedBackoff = new ConcurrentHashMap<>();

  private record Backoff(Instant until, Duration delay) {}

  public DaemonSetController(SharedInformers informers, ObjectWriter writer, Clock clock, int workers,
      MeterRegistry registry) {
    this.sets = informers.informerFor(Kinds.DAEMON_SET, DaemonSet.class);
    this.pods = informers.informerFor(Kinds.POD, Pod.class);
    this.nodes = informers.informerFor(Kinds.NODE, Node.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.history = new ControllerHistory(Kinds.DAEMON_SET,
        informers.informerFor(Kinds.CONTROLLER_REVISION, ControllerRevision.class), writer);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
    this.events = new EventRecorder(writer, "daemonset-controller", clock);
  }

  public WorkQueue queue() {
    return queue;
  }

  /** Registers the handlers and starts the workers; the informers are started by their owner. */
  public void start() {
    log.info("daemonset controller starting");
    sets.addHandler(ResourceEventHandler.onAny((DaemonSet ds) -> queue.add(key(ds))));
    pods.addHandler(new OwnedPodEvents<>(Kinds.DAEMON_SET, sets, DaemonSet::getMetadata,
        ds -> valid(ds) && !Selectors.isEmpty(ds.getSpec().getSelector()), ds -> ds.getSpec().getSelector(),
        expectations, queue));
    nodes.addHandler(new NodeHandler());
    controller.start();
  }

  /** Reconcile only the keys of the shard's partitions (call before {@link #start}). */
  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, sets::keys);
  }

  @Override
  public void close() {
    controller.close();
  }

  static String key(DaemonSet ds) {
    return OwnerRefs.key(Kinds.DAEMON_SET, ds.getMetadata());
  }

  static String podKey(Pod p) {
    return OwnerRefs.key(Kinds.POD, p.getMetadata());
  }

  // ---- node events → the sets whose placement there changed (addNode / updateNode / deleteNode) ----

  private final class NodeHandler implements ResourceEventHandler<Node> {
    @Override
    public void onAdd(Node node) {
      for (DaemonSet ds : sets.list()) {
        if (valid(ds) && DaemonPods.placement(node, ds).shouldRun()) {
          queue.add(key(ds));
        }
      }
    }

    @Override
    public void onUpdate(Node old, Node node) {
      // Heartbeats and other status changes do not move daemons: only labels, taints and the spec count.
      if (Objects.equals(old.getMetadata().getLabels(), node.getMetadata().getLabels())
          && Objects.equals(old.getSpec(), node.getSpec())) {
        return;
      }
      for (DaemonSet ds : sets.list()) {
        if (valid(ds) && !DaemonPods.placement(old, ds).equals(DaemonPods.placement(node, ds))) {
          queue.add(key(ds));
        }
      }
    }

    @Override
    public void onDelete(Node node) {
      for (DaemonSet ds : sets.list()) {
        queue.add(key(ds)); // its unbound pods aimed at the node go
      }
    }
  }

  private static boolean valid(DaemonSet ds) {
    return ds.getSpec() != null && ds.getSpec().getTemplate() != null && ds.getSpec().getTemplate().getSpec() != null;
  }

  // ---- reconcile (syncDaemonSet) ----

  ReconcileResult reconcile(String key) throws Exception {
    String[] parts = key.split("/", 3);
    Optional<DaemonSet> found = sets.get(parts[1], parts[2]);
    if (found.isEmpty()) {
      expectations.forget(key);
      failedBackoff.keySet().removeIf(k -> k.startsWith(key + "|"));
      return ReconcileResult.done();
    }
    DaemonSet ds = found.get();
    if (!valid(ds) || Selectors.isEmpty(ds.getSpec().getSelector())) {
      // Validation refuses these; an old object may still have one. Never select every pod.
      log.warn("daemonset {} has no template or an empty selector; not managing pods", key);
      return ReconcileResult.done();
    }
    if (ds.getMetadata().getDeletionTimestamp() != null) {
      return ReconcileResult.done(); // the garbage collector takes its pods and revisions
    }
    Instant now = clock.instant();
    Map<String, DaemonPods.Placement> placements = new LinkedHashMap<>();
    for (Node n : nodes.list()) {
      placements.put(n.getMetadata().getName(), DaemonPods.placement(n, ds));
    }
    Map<String, List<Pod>> byNode = nodeToDaemonPods(ds);

    ControllerHistory.Current current = constructHistory(ds);
    if (current.collided()) {
      return ReconcileResult.failed("revision name collision; collisionCount raised");
    }
    String hash = current.hash();
    String error = null;
    boolean synced = expectations.satisfied(key);
    if (synced) {
      DaemonSetPlanner.Plan plan = DaemonSetPlanner.manage(ds, hash, placements, byNode,
          node -> mayReplaceFailed(key, node, now), now);
      error = syncNodes(key, ds, plan, hash);
      if (error == null && DaemonSetPlanner.isRollingUpdate(ds) && expectations.satisfied(key)) {
        DaemonSetPlanner.Plan rolling = DaemonSetPlanner.rollingUpdate(ds, hash, placements, byNode, now);
        if (!rolling.isEmpty()) {
          log.info("daemonset {}: rolling update to {}: deleting {} old pods, surging onto {} nodes", key, hash,
              rolling.podsToDelete().size(), rolling.nodesToCreate().size());
        }
        error = syncNodes(key, ds, rolling, hash);
      }
      if (error == null) {
        cleanupHistory(ds, current, byNode);
      }
    }
    DaemonSetStatus status = DaemonSetStatuses.calculate(ds, hash, placements, byNode,
        ds.getStatus() == null ? null : ds.getStatus().getCollisionCount(), now);
    if (!synced) {
      // This generation was not acted on yet: observedGeneration stays (updateDaemonSetStatus(…, false)).
      status.setObservedGeneration(ds.getStatus() == null ? null : ds.getStatus().getObservedGeneration());
    }
    if (!status.equals(ds.getStatus())) {
      DaemonSet updated = PodTemplates.copy(ds);
      updated.setStatus(status);
      writer.updateStatus(updated);
    }
    if (error != null) {
      return ReconcileResult.failed(error);
    }
    Optional<Duration> failedWait = soonestFailedRetry(key, byNode, now);
    int minReady = DaemonSetPlanner.minReadySeconds(ds);
    if (minReady > 0 && !Objects.equals(status.getNumberReady(), status.getNumberAvailable())) {
      // Pods become available by the passing of time alone.
      Duration d = Duration.ofSeconds(minReady);
      return ReconcileResult.requeueAfter(failedWait.filter(w -> w.compareTo(d) < 0).orElse(d));
    }
    return failedWait.map(ReconcileResult::requeueAfter).orElse(ReconcileResult.done());
  }

  /**
   * getNodesToDaemonPods: the set's pods by the node they are bound or aimed at, terminal pods
   * already being deleted left out. The pods are claimed first (ClaimPods): orphans of the
   * namespace that match the selector are adopted, controlled pods that stopped matching released.
   */
  private Map<String, List<Pod>> nodeToDaemonPods(DaemonSet ds) throws InterruptedException {
    Map<String, List<Pod>> out = new HashMap<>();
    String uid = ds.getMetadata().getUid();
    List<Pod> claimed = new ArrayList<>();
    for (Pod p : pods.byIndex(Indexes.OWNER_UID, uid)) {
      Optional<OwnerReference> ref = OwnerRefs.controllerOf(p.getMetadata());
      if (ref.isEmpty() || !uid.equals(ref.get().getUid())) {
        continue;
      }
      if (Selectors.matches(ds.getSpec().getSelector(), PodConditions.labels(p))) {
        claimed.add(p);
      } else if (p.getMetadata().getDeletionTimestamp() == null) {
        release(ds, p);
      }
    }
    for (Pod p : pods.byIndex(Indexes.ORPHANS, ds.getMetadata().getNamespace())) {
      if (p.getMetadata().getDeletionTimestamp() == null && PodConditions.isActive(p)
          && Selectors.matches(ds.getSpec().getSelector(), PodConditions.labels(p))) {
        adopt(ds, p).ifPresent(claimed::add);
      }
    }
    for (Pod p : claimed) {
      String phase = PodConditions.phase(p);
      boolean terminal = PodConditions.FAILED.equals(phase) || PodConditions.SUCCEEDED.equals(phase);
      if (terminal && p.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      Optional<String> node = DaemonPods.targetNode(p);
      if (node.isEmpty()) {
        log.warn("daemonset pod {}/{} names no node", p.getMetadata().getNamespace(), p.getMetadata().getName());
        continue;
      }
      out.computeIfAbsent(node.get(), n -> new ArrayList<>()).add(p);
    }
    return out;
  }

  /** Adds the set as the pod's controller, guarded by the pod's resourceVersion; empty if the pod is gone or changed. */
  private Optional<Pod> adopt(DaemonSet ds, Pod p) throws InterruptedException {
    Pod adopted = PodTemplates.copy(p);
    List<OwnerReference> refs = adopted.getMetadata().getOwnerReferences() == null ? new ArrayList<>()
        : new ArrayList<>(adopted.getMetadata().getOwnerReferences());
    refs.add(OwnerRefs.controllerRef(Kinds.DAEMON_SET, ds.getMetadata()));
    adopted.getMetadata().setOwnerReferences(refs);
    try {
      Pod stored = writer.update(adopted).objectAs(Pod.class);
      log.info("daemonset {} adopted pod {}", key(ds), p.getMetadata().getName());
      return Optional.of(stored);
    } catch (WriteRejectedException e) {
      log.debug("daemonset {}: adopting pod {} refused: {}", key(ds), p.getMetadata().getName(), e.getMessage());
      return Optional.empty(); // the informer brings the newer pod, and another sync
    }
  }

  private void release(DaemonSet ds, Pod p) throws InterruptedException {
    Pod released = PodTemplates.copy(p);
    List<OwnerReference> refs = new ArrayList<>(released.getMetadata().getOwnerReferences());
    refs.removeIf(r -> r.getUid().equals(ds.getMetadata().getUid()));
    released.getMetadata().setOwnerReferences(refs.isEmpty() ? null : refs);
    try {
      writer.update(released);
      log.info("daemonset {} released pod {}: its labels no longer match", key(ds), p.getMetadata().getName());
    } catch (WriteRejectedException e) {
      log.debug("daemonset {}: releasing pod {} refused: {}", key(ds), p.getMetadata().getName(), e.getMessage());
    }
  }

  // ---- revisions (constructHistory / cleanupHistory) ----

  private ControllerHistory.Current constructHistory(DaemonSet ds) throws InterruptedException, WriteRejectedException {
    return history.construct(ds.getMetadata(), ds.getSpec().getTemplate(),
        ds.getStatus() == null ? null : ds.getStatus().getCollisionCount(), () -> {
          DaemonSet bumped = PodTemplates.copy(ds);
          DaemonSetStatus status = bumped.getStatus() == null ? DaemonSetStatus.newBuilder().build() : bumped.getStatus();
          status.setCollisionCount((status.getCollisionCount() == null ? 0 : status.getCollisionCount()) + 1);
          bumped.setStatus(status);
          writer.updateStatus(bumped);
        });
  }

  private void cleanupHistory(DaemonSet ds, ControllerHistory.Current current, Map<String, List<Pod>> byNode)
      throws InterruptedException {
    int limit = ds.getSpec().getRevisionHistoryLimit() == null ? 10 : ds.getSpec().getRevisionHistoryLimit();
    Set<String> live = new HashSet<>();
    byNode.values().forEach(ps -> ps.forEach(p -> live.add(DaemonPods.hashOf(p))));
    history.cleanup(key(ds), current.old(), limit, live);
  }

  // ---- failed pods ----

  /** Whether the failed daemon pod on this node may be replaced now; if so, the next failure there waits longer. */
  private boolean mayReplaceFailed(String setKey, String node, Instant now) {
    String k = setKey + "|" + node;
    Backoff b = failedBackoff.get(k);
    if (b != null && now.isBefore(b.until())) {
      return false;
    }
    Duration delay = b == null ? FAILED_BACKOFF_INITIAL : b.delay().multipliedBy(2);
    if (delay.compareTo(FAILED_BACKOFF_MAX) > 0) {
      delay = FAILED_BACKOFF_MAX;
    }
    failedBackoff.put(k, new Backoff(now.plus(delay), delay));
    return true;
  }

  /** When a failed pod held back by its backoff may be replaced, if one is. */
  private Optional<Duration> soonestFailedRetry(String setKey, Map<String, List<Pod>> byNode, Instant now) {
    Duration soonest = null;
    for (Map.Entry<String, List<Pod>> e : byNode.entrySet()) {
      boolean failed = e.getValue().stream().anyMatch(p -> PodConditions.FAILED.equals(PodConditions.phase(p))
          && p.getMetadata().getDeletionTimestamp() == null);
      Backoff b = failed ? failedBackoff.get(setKey + "|" + e.getKey()) : null;
      if (b != null && now.isBefore(b.until())) {
        Duration d = Duration.between(now, b.until()).plusMillis(10);
        soonest = soonest == null || d.compareTo(soonest) < 0 ? d : soonest;
      }
    }
    return Optional.ofNullable(soonest);
  }

  // ---- writes (syncNodes) ----

  /** Creates the plan's pods in slow-start batches and deletes its pods, at most BURST_REPLICAS of each; returns why it failed, or null. */
  private String syncNodes(String key, DaemonSet ds, DaemonSetPlanner.Plan plan, String hash)
      throws InterruptedException {
    List<String> create = plan.nodesToCreate().subList(0, Math.min(BURST_REPLICAS, plan.nodesToCreate().size()));
    List<Pod> delete = plan.podsToDelete().subList(0, Math.min(BURST_REPLICAS, plan.podsToDelete().size()));
    if (create.isEmpty() && delete.isEmpty()) {
      return null;
    }
    Set<String> deleteKeys = new HashSet<>();
    delete.forEach(p -> deleteKeys.add(podKey(p)));
    expectations.expect(key, create.size(), deleteKeys);
    String error = null;
    if (!create.isEmpty()) {
      log.info("daemonset {}: creating {} pods (revision {})", key, create.size(), hash);
      error = createInBatches(key, ds, create, hash);
    }
    List<CompletableFuture<CommandResult>> deletes = new ArrayList<>();
    for (Pod p : delete) {
      io.capstan.log.DeleteOptions opts = io.capstan.log.DeleteOptions.newBuilder()
          .setPreconditionUid(p.getMetadata().getUid()).build();
      deletes.add(writer.deleteAsync(Kinds.POD, p.getMetadata().getNamespace(), p.getMetadata().getName(), opts));
    }
    for (int i = 0; i < delete.size(); i++) {
      String err = outcome(deletes.get(i));
      Pod victim = delete.get(i);
      if (err != null) {
        expectations.deletionObserved(key, podKey(victim));
        if (!err.startsWith("404")) {
          error = error == null ? "delete pod " + victim.getMetadata().getName() + ": " + err : error;
          events.warning(Kinds.DAEMON_SET, ds.getMetadata(), "FailedDaemonPod", "Error deleting: " + err);
        }
      } else {
        events.normal(Kinds.DAEMON_SET, ds.getMetadata(), "SuccessfulDelete",
            "Deleted pod: " + victim.getMetadata().getName());
      }
    }
    return error;
  }

  private String createInBatches(String key, DaemonSet ds, List<String> nodeNames, String hash)
      throws InterruptedException {
    int next = 0;
    for (int size : SlowStart.batches(nodeNames.size())) {
      List<CompletableFuture<CommandResult>> batch = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        batch.add(writer.createAsync(DaemonPods.podFor(ds, nodeNames.get(next + i), hash)));
      }
      next += size;
      String error = null;
      for (CompletableFuture<CommandResult> f : batch) {
        String err = outcome(f);
        if (err != null) {
          expectations.creationObserved(key); // nothing will come back for this one
          error = error == null ? err : error;
          events.warning(Kinds.DAEMON_SET, ds.getMetadata(), "FailedCreate", "Error creating: " + err);
        } else {
          events.normal(Kinds.DAEMON_SET, ds.getMetadata(), "SuccessfulCreate", "Created pod: " + createdName(f));
        }
      }
      if (error != null) {
        for (int i = next; i < nodeNames.size(); i++) {
          expectations.creationObserved(key); // skipped: not expected any more
        }
        log.warn("daemonset {}: creating pods failed, {} skipped: {}", key, nodeNames.size() - next, error);
        return "create pods: " + error;
      }
    }
    return null;
  }

  private static String createdName(CompletableFuture<CommandResult> f) {
    CommandResult r = f.getNow(null);
    return r instanceof CommandResult.Accepted a && a.object() instanceof Pod p ? p.getMetadata().getName() : "?";
  }

  /** Null when accepted, else "code reason: message". */
  private static String outcome(CompletableFuture<CommandResult> f) throws InterruptedException {
    try {
      CommandResult r = f.get(60, TimeUnit.SECONDS);
      if (r instanceof CommandResult.Rejected rej) {
        return rej.status().getCode() + " " + rej.status().getReason() + ": " + rej.status().getMessage();
      }
      return null;
    } catch (ExecutionException e) {
      return e.getCause().toString();
    } catch (TimeoutException e) {
      return "no answer within 60 s";
    }
  }
}
