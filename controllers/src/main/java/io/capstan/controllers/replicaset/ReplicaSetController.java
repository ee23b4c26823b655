package io.capstan.controllers.replicaset;

import io.capstan.api.LabelSelector;
import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.api.Pod;
import io.capstan.api.ReplicaSet;
import io.capstan.api.ReplicaSetStatus;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.EventRecorder;
import io.capstan.controllers.runtime.Expectations;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodConditions;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.Selectors;
import io.capstan.controllers.runtime.SlowStart;
import io.capstan.controllers.runtime.ShardAssignment;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes' ReplicaSet controller. Pods and ReplicaSets come from shared informers; a pod's
 * change queues its controller owner (or, for an orphan, every set whose selector matches it);
 * each reconcile claims the matching pods (adopts orphans, releases pods that stopped matching),
 * creates or deletes pods until {@code spec.replicas} are active, and writes status. Expectations
 * keep a set from acting again before its own creates and deletes have come back through the
 * pod informer.
 */
public final class ReplicaSetController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReplicaSetController.class);
  public static final String NAME = "replicaset";
  /** As the controller's BurstReplicas: at most this many creates or deletes per sync. */
  public static final int BURST_REPLICAS = 500;

  private final Informer<ReplicaSet> sets;
  private final Informer<Pod> pods;
  private final ObjectWriter writer;
  private final Clock clock;
  private final Expectations expectations;
  private final WorkQueue queue;
  private final Controller controller;
  private final EventRecorder events;

  public ReplicaSetController(SharedInformers informers, ObjectWriter writer, Clock clock, int workers,
      MeterRegistry registry) {
    this.sets = informers.informerFor(Kinds.REPLICA_SET, ReplicaSet.class);
    this.pods = informers.informerFor(Kinds.POD, Pod.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.expectations = new Expectations();
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
    this.events = new EventRecorder(writer, "replicaset-controller", clock);
  }

  public WorkQueue queue() {
    return queue;
  }

  public Expectations expectations() {
    return expectations;
  }

  /** Registers the handlers and starts the workers; the informers are started by their owner. */
  public void start() {
    log.info("replicaset controller starting");
    sets.addHandler(ResourceEventHandler.onAny((ReplicaSet rs) -> queue.add(key(rs))));
    pods.addHandler(new PodHandler());
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

  static String key(ReplicaSet rs) {
    return OwnerRefs.key(Kinds.REPLICA_SET, rs.getMetadata());
  }

  static String podKey(Pod p) {
    return OwnerRefs.key(Kinds.POD, p.getMetadata());
  }

  // ---- pod events → set keys (addPod / updatePod / deletePod) ----

  private final class PodHandler implements ResourceEventHandler<Pod> {
    @Override
    public void onAdd(Pod pod) {
      if (pod.getMetadata().getDeletionTimestamp() != null) {
        onDelete(pod); // a restart may show a pod already being deleted
        return;
      }
      Optional<String> owner = ownerSetKey(pod);
      if (owner.isPresent()) {
        expectations.creationObserved(owner.get());
        queue.add(owner.get());
        return;
      }
      matchingSets(pod).forEach(rs -> queue.add(key(rs)));
    }

    @Override
    public void onUpdate(Pod old, Pod pod) {
      boolean labelsChanged = !PodConditions.labels(old).equals(PodConditions.labels(pod));
      if (pod.getMetadata().getDeletionTimestamp() != null) {
        onDelete(pod);
        if (labelsChanged) {
          onDelete(old);
        }
        return;
      }
      Optional<OwnerReference> oldRef = OwnerRefs.controllerOf(old.getMetadata());
      Optional<OwnerReference> newRef = OwnerRefs.controllerOf(pod.getMetadata());
      boolean refChanged = !oldRef.equals(newRef);
      if (refChanged && oldRef.isPresent()) {
        setKeyOf(oldRef.get(), old).ifPresent(queue::add);
      }
      Optional<String> owner = ownerSetKey(pod);
      if (owner.isPresent()) {
        queue.add(owner.get());
        return;
      }
      if (labelsChanged || refChanged) {
        matchingSets(pod).forEach(rs -> queue.add(key(rs)));
      }
    }

    @Override
    public void onDelete(Pod pod) {
      ownerSetKey(pod).ifPresent(k -> {
        expectations.deletionObserved(k, podKey(pod));
        queue.add(k);
      });
    }
  }

  /** The key of the pod's controller if it is a ReplicaSet that still exists with the referenced uid. */
  private Optional<String> ownerSetKey(Pod pod) {
    return OwnerRefs.controllerOf(pod.getMetadata()).flatMap(ref -> setKeyOf(ref, pod));
  }

  private Optional<String> setKeyOf(OwnerReference ref, Pod pod) {
    if (!Kinds.REPLICA_SET.kind().equals(ref.getKind())) {
      return Optional.empty();
    }
    Optional<ReplicaSet> rs = sets.get(pod.getMetadata().getNamespace(), ref.getName());
    if (rs.isEmpty() || !ref.getUid().equals(rs.get().getMetadata().getUid())) {
      return Optional.empty();
    }
    return Optional.of(key(rs.get()));
  }

  private List<ReplicaSet> matchingSets(Pod pod) {
    List<ReplicaSet> out = new ArrayList<>();
    for (ReplicaSet rs : sets.list(pod.getMetadata().getNamespace())) {
      if (rs.getSpec() != null && !Selectors.isEmpty(rs.getSpec().getSelector())
          && Selectors.matches(rs.getSpec().getSelector(), PodConditions.labels(pod))) {
        out.add(rs);
      }
    }
    return out;
  }

  // ---- reconcile (syncReplicaSet) ----

  ReconcileResult reconcile(String key) throws Exception {
    String[] parts = key.split("/", 3);
    Optional<ReplicaSet> found = sets.get(parts[1], parts[2]);
    if (found.isEmpty()) {
      expectations.forget(key);
      return ReconcileResult.done();
    }
    ReplicaSet rs = found.get();
    LabelSelector selector = rs.getSpec() == null ? null : rs.getSpec().getSelector();
    if (Selectors.isEmpty(selector)) {
      // Validation refuses these; an old object may still have one. Never select every pod.
      log.warn("replicaset {} has an empty selector; not managing pods", key);
      return ReconcileResult.done();
    }
    boolean needsSync = expectations.satisfied(key);
    // Its own pods and the namespace's orphans: the only ones it can keep, release or adopt.
    List<Pod> mine = pods.byIndex(Indexes.OWNER_UID, rs.getMetadata().getUid());
    List<Pod> orphans = pods.byIndex(Indexes.ORPHANS, parts[1]);
    List<Pod> active = new ArrayList<>(mine.size() + orphans.size());
    for (List<Pod> some : List.of(mine, orphans)) {
      for (Pod p : some) {
        if (PodConditions.isActive(p)) {
          active.add(p);
        }
      }
    }
    ClaimResult claim = claimPods(rs, selector, active);
    String manageError = null;
    if (needsSync && rs.getMetadata().getDeletionTimestamp() == null) {
      manageError = manageReplicas(key, rs, claim.owned());
    }
    Instant now = clock.instant();
    ReplicaSetStatus status = ReplicaSetStatuses.calculate(rs, claim.owned(), manageError, now);
    ReplicaSet latest = rs;
    if (!status.equals(rs.getStatus())) {
      ReplicaSet updated = PodTemplates.copy(rs);
      updated.setStatus(status);
      latest = writer.updateStatus(updated).objectAs(ReplicaSet.class);
    }
    if (manageError != null) {
      return ReconcileResult.failed(manageError);
    }
    if (claim.failure() != null) {
      return ReconcileResult.failed(claim.failure());
    }
    int minReady = rs.getSpec().getMinReadySeconds() == null ? 0 : rs.getSpec().getMinReadySeconds();
    int replicas = replicas(rs);
    ReplicaSetStatus s = latest.getStatus();
    if (minReady > 0 && s != null && s.getReadyReplicas() != null && s.getReadyReplicas() == replicas
        && !Objects.equals(s.getAvailableReplicas(), replicas)) {
      // Pods become available by the passing of time alone: look again when the first one does.
      Duration soonest = Duration.ofSeconds(minReady);
      for (Pod p : claim.owned()) {
        Optional<Duration> d = PodConditions.untilAvailable(p, minReady, now);
        if (d.isPresent() && d.get().compareTo(soonest) < 0) {
          soonest = d.get();
        }
      }
      return ReconcileResult.requeueAfter(soonest.plusMillis(10));
    }
    return ReconcileResult.done();
  }

  static int replicas(ReplicaSet rs) {
    return rs.getSpec().getReplicas() == null ? 1 : rs.getSpec().getReplicas();
  }

  record ClaimResult(List<Pod> owned, String failure) {}

  /**
   * PodControllerRefManager.ClaimPods: keep the pods this set controls that still match, adopt
   * matching orphans, release controlled pods that no longer match. Adoption and release are
   * updates guarded by the pod's resourceVersion.
   */
  private ClaimResult claimPods(ReplicaSet rs, LabelSelector selector, List<Pod> candidates) throws InterruptedException {
    List<Pod> owned = new ArrayList<>();
    String failure = null;
    String uid = rs.getMetadata().getUid();
    boolean deleting = rs.getMetadata().getDeletionTimestamp() != null;
    for (Pod p : candidates) {
      Optional<OwnerReference> ref = OwnerRefs.controllerOf(p.getMetadata());
      boolean matches = Selectors.matches(selector, PodConditions.labels(p));
      if (ref.isPresent()) {
        if (!uid.equals(ref.get().getUid())) {
          continue; // another controller's pod
        }
        if (matches) {
          owned.add(p);
        } else if (!deleting) {
          String err = release(rs, p);
          failure = failure == null ? err : failure;
        }
        continue;
      }
      if (!matches || deleting || p.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      Pod adopted = PodTemplates.copy(p);
      List<OwnerReference> refs = adopted.getMetadata().getOwnerReferences() == null ? new ArrayList<>()
          : new ArrayList<>(adopted.getMetadata().getOwnerReferences());
      refs.add(OwnerRefs.controllerRef(Kinds.REPLICA_SET, rs.getMetadata()));
      adopted.getMetadata().setOwnerReferences(refs);
      try {
        owned.add(writer.update(adopted).objectAs(Pod.class));
        log.info("replicaset {} adopted pod {}", key(rs), p.getMetadata().getName());
      } catch (WriteRejectedException e) {
        if (!e.isNotFound()) {
          failure = failure == null ? e.getMessage() : failure;
        }
      }
    }
    return new ClaimResult(owned, failure);
  }

  private String release(ReplicaSet rs, Pod p) throws InterruptedException {
    Pod released = PodTemplates.copy(p);
    List<OwnerReference> refs = new ArrayList<>(released.getMetadata().getOwnerReferences());
    refs.removeIf(r -> r.getUid().equals(rs.getMetadata().getUid()));
    released.getMetadata().setOwnerReferences(refs.isEmpty() ? null : refs);
    try {
      writer.update(released);
      log.info("replicaset {} released pod {}: its labels no longer match", key(rs), p.getMetadata().getName());
      return null;
    } catch (WriteRejectedException e) {
      return e.isNotFound() ? null : e.getMessage();
    }
  }

  /** manageReplicas: create or delete the difference; returns why it failed, or null. */
  private String manageReplicas(String key, ReplicaSet rs, List<Pod> owned) throws InterruptedException {
    int diff = owned.size() - replicas(rs);
    if (diff < 0) {
      int toCreate = Math.min(-diff, BURST_REPLICAS);
      expectations.expectCreations(key, toCreate);
      log.info("replicaset {}: too few replicas, need {}, creating {}", key, replicas(rs), toCreate);
      return createInBatches(key, rs, toCreate);
    }
    if (diff > 0) {
      int toDelete = Math.min(diff, BURST_REPLICAS);
      List<Pod> victims = PodDeletionRanking.podsToDelete(owned, owned, toDelete);
      Set<String> keys = new HashSet<>();
      victims.forEach(p -> keys.add(podKey(p)));
      expectations.expectDeletions(key, keys);
      log.info("replicaset {}: too many replicas, need {}, deleting {}", key, replicas(rs), toDelete);
      List<CompletableFuture<CommandResult>> deletes = new ArrayList<>();
      for (Pod p : victims) {
        // The uid precondition makes sure a pod recreated under the same name is not hit.
        io.capstan.log.DeleteOptions opts = io.capstan.log.DeleteOptions.newBuilder()
            .setPreconditionUid(p.getMetadata().getUid()).build();
        deletes.add(writer.deleteAsync(Kinds.POD, p.getMetadata().getNamespace(), p.getMetadata().getName(), opts));
      }
      String error = null;
      for (int i = 0; i < victims.size(); i++) {
        String err = outcome(deletes.get(i));
        if (err != null) {
          expectations.deletionObserved(key, podKey(victims.get(i)));
          if (!err.startsWith("404")) {
            error = error == null ? "delete pod " + victims.get(i).getMetadata().getName() + ": " + err : error;
            events.warning(Kinds.REPLICA_SET, rs.getMetadata(), "FailedDelete", "Error deleting: " + err);
          }
        } else {
          events.normal(Kinds.REPLICA_SET, rs.getMetadata(), "SuccessfulDelete",
              "Deleted pod: " + victims.get(i).getMetadata().getName());
        }
      }
      return error;
    }
    return null;
  }

  private String createInBatches(String key, ReplicaSet rs, int count) throws InterruptedException {
    int attempted = 0;
    for (int size : SlowStart.batches(count)) {
      List<CompletableFuture<CommandResult>> batch = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        Pod pod = PodTemplates.podFor(rs.getSpec().getTemplate(), Kinds.REPLICA_SET, rs.getMetadata(), Map.of());
        batch.add(writer.createAsync(pod));
      }
      attempted += size;
      String error = null;
      for (CompletableFuture<CommandResult> f : batch) {
        String err = outcome(f);
        if (err != null) {
          expectations.creationObserved(key); // nothing will come back for this one
          error = error == null ? err : error;
          events.warning(Kinds.REPLICA_SET, rs.getMetadata(), "FailedCreate", "Error creating: " + err);
        } else {
          events.normal(Kinds.REPLICA_SET, rs.getMetadata(), "SuccessfulCreate",
              "Created pod: " + createdName(f));
        }
      }
      if (error != null) {
        for (int i = attempted; i < count; i++) {
          expectations.creationObserved(key); // skipped: not expected any more
        }
        log.warn("replicaset {}: creating pods failed, {} skipped: {}", key, count - attempted, error);
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

  /** For tests: the object meta of a set, as cached. */
  Optional<ObjectMeta> cached(String namespace, String name) {
    return sets.get(namespace, name).map(ReplicaSet::getMetadata);
  }
}
