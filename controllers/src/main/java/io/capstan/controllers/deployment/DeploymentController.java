package io.capstan.controllers.deployment;

import io.capstan.api.Deployment;
import io.capstan.api.DeploymentStatus;
import io.capstan.api.LabelSelector;
import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.api.Pod;
import io.capstan.api.PodTemplateSpec;
import io.capstan.api.ReplicaSet;
import io.capstan.api.ReplicaSetSpec;
import io.capstan.controllers.deployment.RolloutPlanner.Rollout;
import io.capstan.controllers.deployment.RolloutPlanner.SetState;
import io.capstan.controllers.deployment.RolloutPlanner.Step;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.EventRecorder;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodConditions;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.Selectors;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.Indexes;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes' Deployment controller. Each reconcile claims the Deployment's ReplicaSets, finds
 * the one whose template equals the Deployment's (ignoring pod-template-hash) or creates it as
 * {@code <name>-<hash>}, numbers revisions (a rollback to an old template reuses that set and
 * gives it the next revision), takes one {@link RolloutPlanner} step, cleans up history beyond
 * {@code revisionHistoryLimit} and writes status with Available and Progressing conditions.
 * Every write carries the resourceVersion it was computed from; after a write the controller
 * waits until its ReplicaSet cache shows it, so the next step is planned from what it did.
 */
public final class DeploymentController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DeploymentController.class);
  public static final String NAME = "deployment";
  public static final String REVISION = "deployment.kubernetes.io/revision";
  public static final String REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
  public static final String DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
  public static final String MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
  /** As Kubernetes' default revisionHistoryLimit for apps/v1. */
  public static final int DEFAULT_REVISION_HISTORY_LIMIT = 10;
  private static final Duration READ_YOUR_WRITE = Duration.ofSeconds(10);

  private final Informer<Deployment> deployments;
  private final Informer<ReplicaSet> sets;
  private final Informer<Pod> pods;
  private final ObjectWriter writer;
  private final Clock clock;
  private final WorkQueue queue;
  private final Controller controller;
  private final EventRecorder events;

  public DeploymentController(SharedInformers informers, ObjectWriter writer, Clock clock, int workers,
      MeterRegistry registry) {
    this.deployments = informers.informerFor(Kinds.DEPLOYMENT, Deployment.class);
    this.sets = informers.informerFor(Kinds.REPLICA_SET, ReplicaSet.class);
    this.pods = informers.informerFor(Kinds.POD, Pod.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
    this.events = new EventRecorder(writer, "deployment-controller", clock);
  }

  public WorkQueue queue() {
    return queue;
  }

  public void start() {
    log.info("deployment controller starting");
    deployments.addHandler(ResourceEventHandler.onAny((Deployment d) -> queue.add(key(d))));
    sets.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(ReplicaSet rs) {
        enqueueOwner(rs);
      }

      @Override
      public void onUpdate(ReplicaSet old, ReplicaSet rs) {
        Optional<OwnerReference> was = OwnerRefs.controllerOf(old.getMetadata());
        if (!was.equals(OwnerRefs.controllerOf(rs.getMetadata()))) {
          enqueueOwner(old);
        }
        enqueueOwner(rs);
      }

      @Override
      public void onDelete(ReplicaSet rs) {
        enqueueOwner(rs);
      }
    });
    // Recreate waits for the old pods to be gone.
    pods.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onDelete(Pod p) {
        OwnerRefs.controllerOf(p.getMetadata())
            .filter(r -> Kinds.REPLICA_SET.kind().equals(r.getKind()))
            .flatMap(r -> sets.get(p.getMetadata().getNamespace(), r.getName()))
            .ifPresent(DeploymentController.this::enqueueOwner);
      }
    });
    controller.start();
  }

  /** Reconcile only the keys of the shard's partitions (call before {@link #start}). */
  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, deployments::keys);
  }

  @Override
  public void close() {
    controller.close();
  }

  static String key(Deployment d) {
    return OwnerRefs.key(Kinds.DEPLOYMENT, d.getMetadata());
  }

  private void enqueueOwner(ReplicaSet rs) {
    Optional<OwnerReference> ref = OwnerRefs.controllerOf(rs.getMetadata());
    if (ref.isPresent()) {
      if (Kinds.DEPLOYMENT.kind().equals(ref.get().getKind())) {
        deployments.get(rs.getMetadata().getNamespace(), ref.get().getName())
            .filter(d -> d.getMetadata().getUid().equals(ref.get().getUid()))
            .ifPresent(d -> queue.add(key(d)));
      }
      return;
    }
    Map<String, String> labels = rs.getMetadata().getLabels();
    for (Deployment d : deployments.list(rs.getMetadata().getNamespace())) {
      if (d.getSpec() != null && !Selectors.isEmpty(d.getSpec().getSelector())
          && Selectors.matches(d.getSpec().getSelector(), labels)) {
        queue.add(key(d));
      }
    }
  }

  // ---- reconcile (syncDeployment) ----

  ReconcileResult reconcile(String key) throws Exception {
    String[] parts = key.split("/", 3);
    Optional<Deployment> found = deployments.get(parts[1], parts[2]);
    if (found.isEmpty()) {
      return ReconcileResult.done();
    }
    Deployment d = found.get();
    if (d.getSpec() == null || Selectors.isEmpty(d.getSpec().getSelector())) {
      log.warn("deployment {} selects all pods (empty selector); not managing it", key);
      return ReconcileResult.done();
    }
    List<ReplicaSet> owned = claimSets(d);
    if (d.getMetadata().getDeletionTimestamp() != null) {
      return syncStatus(d, findNewSet(d, owned), owned, false);
    }
    Rollout rollout = rollout(d);
    if (Boolean.TRUE.equals(d.getSpec().getPaused())) {
      ReplicaSet newSet = findNewSet(d, owned);
      cleanup(d, owned, newSet);
      return syncStatus(d, newSet, owned, false);
    }
    boolean recreate = rollout.recreate();
    ReplicaSet newSet = findNewSet(d, owned);
    boolean created = false;
    List<ReplicaSet> old = new ArrayList<>(owned);
    old.remove(newSet);
    if (newSet == null && !recreate) {
      newSet = createNewSet(d, old, rollout);
      created = true;
    } else if (newSet != null) {
      newSet = syncRevision(d, newSet, old);
    }
    d = syncDeploymentRevision(d, newSet);
    Step step;
    if (recreate) {
      boolean oldPodsRunning = oldPodsRunning(old);
      step = RolloutPlanner.recreateStep(rollout, newSet == null ? null : state(newSet), states(old), oldPodsRunning);
      if (step.isEmpty() && newSet == null && !oldPodsRunning && old.stream().allMatch(rs -> replicas(rs) == 0)) {
        newSet = createNewSet(d, old, rollout);
        created = true;
        step = RolloutPlanner.recreateStep(rollout, state(newSet), states(old), false);
      }
    } else {
      step = RolloutPlanner.rollingStep(rollout, state(newSet), states(old));
    }
    if (!step.isEmpty()) {
      log.info("deployment {}: {} {}", key, step.why(), step.scale());
      for (Map.Entry<String, Integer> e : step.scale().entrySet()) {
        ReplicaSet target = byName(owned, newSet, e.getKey());
        ReplicaSet scaled = scale(d, target, e.getValue(), rollout);
        if (newSet != null && newSet.getMetadata().getName().equals(e.getKey())) {
          newSet = scaled;
        }
      }
    }
    List<ReplicaSet> all = currentSets(d);
    if (step.isEmpty() && newSet != null) {
      DeploymentStatus probe = DeploymentStatuses.counts(d, newSet, all, RolloutPlanner.maxUnavailable(rollout), clock.instant());
      if (DeploymentStatuses.complete(d, probe)) {
        cleanup(d, all, newSet);
      }
    }
    return syncStatus(d, newSet, currentSets(d), created);
  }

  private ReplicaSet byName(List<ReplicaSet> owned, ReplicaSet newSet, String name) {
    if (newSet != null && newSet.getMetadata().getName().equals(name)) {
      return newSet;
    }
    return owned.stream().filter(rs -> rs.getMetadata().getName().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalStateException("planner named unknown replica set " + name));
  }

  static Rollout rollout(Deployment d) {
    int replicas = DeploymentStatuses.desired(d);
    var strategy = d.getSpec().getStrategy();
    if (strategy != null && "Recreate".equals(strategy.getType())) {
      return Rollout.recreate(replicas);
    }
    var ru = strategy == null ? null : strategy.getRollingUpdate();
    return Rollout.rolling(replicas, ru == null ? null : ru.getMaxSurge(), ru == null ? null : ru.getMaxUnavailable());
  }

  /** The sets this Deployment controls (adopting matching orphans, releasing ones that stopped matching). */
  private List<ReplicaSet> claimSets(Deployment d) throws Exception {
    List<ReplicaSet> owned = new ArrayList<>();
    String uid = d.getMetadata().getUid();
    LabelSelector selector = d.getSpec().getSelector();
    List<ReplicaSet> candidates = new ArrayList<>(sets.byIndex(Indexes.OWNER_UID, uid));
    candidates.addAll(sets.byIndex(Indexes.ORPHANS, d.getMetadata().getNamespace()));
    for (ReplicaSet rs : candidates) {
      Optional<OwnerReference> ref = OwnerRefs.controllerOf(rs.getMetadata());
      boolean matches = Selectors.matches(selector, rs.getMetadata().getLabels());
      if (ref.isPresent()) {
        if (!uid.equals(ref.get().getUid())) {
          continue;
        }
        if (matches || d.getMetadata().getDeletionTimestamp() != null) {
          owned.add(rs);
        } else {
          ReplicaSet released = PodTemplates.copy(rs);
          List<OwnerReference> refs = new ArrayList<>(released.getMetadata().getOwnerReferences());
          refs.removeIf(r -> uid.equals(r.getUid()));
          released.getMetadata().setOwnerReferences(refs.isEmpty() ? null : refs);
          write(() -> writer.update(released));
        }
        continue;
      }
      if (matches && d.getMetadata().getDeletionTimestamp() == null && rs.getMetadata().getDeletionTimestamp() == null) {
        ReplicaSet adopted = PodTemplates.copy(rs);
        List<OwnerReference> refs = adopted.getMetadata().getOwnerReferences() == null ? new ArrayList<>()
            : new ArrayList<>(adopted.getMetadata().getOwnerReferences());
        refs.add(OwnerRefs.controllerRef(Kinds.DEPLOYMENT, d.getMetadata()));
        adopted.getMetadata().setOwnerReferences(refs);
        owned.add(write(() -> writer.update(adopted)));
        log.info("deployment {} adopted replica set {}", key(d), rs.getMetadata().getName());
      }
    }
    owned.sort(Comparator.comparing((ReplicaSet rs) -> rs.getMetadata().getCreationTimestamp())
        .thenComparing(rs -> rs.getMetadata().getName()));
    return owned;
  }

  private List<ReplicaSet> currentSets(Deployment d) {
    String uid = d.getMetadata().getUid();
    return sets.byIndex(Indexes.OWNER_UID, uid).stream()
        .filter(rs -> OwnerRefs.controllerOf(rs.getMetadata()).map(r -> uid.equals(r.getUid())).orElse(false))
        .toList();
  }

  /** FindNewReplicaSet: the oldest set whose template equals the Deployment's, ignoring the hash label. */
  static ReplicaSet findNewSet(Deployment d, List<ReplicaSet> owned) {
    for (ReplicaSet rs : owned) {
      if (rs.getSpec() != null && TemplateHash.equalIgnoringHash(rs.getSpec().getTemplate(), d.getSpec().getTemplate())) {
        return rs;
      }
    }
    return null;
  }

  static long revision(ReplicaSet rs) {
    Map<String, String> a = rs.getMetadata().getAnnotations();
    String v = a == null ? null : a.get(REVISION);
    try {
      return v == null ? 0 : Long.parseLong(v);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  static long maxRevision(List<ReplicaSet> sets) {
    return sets.stream().mapToLong(DeploymentController::revision).max().orElse(0);
  }

  private ReplicaSet createNewSet(Deployment d, List<ReplicaSet> old, Rollout rollout) throws Exception {
    Integer collisions = d.getStatus() == null ? null : d.getStatus().getCollisionCount();
    String hash = TemplateHash.of(d.getSpec().getTemplate(), collisions);
    PodTemplateSpec template = PodTemplates.copy(d.getSpec().getTemplate());
    ObjectMeta tm = template.getMetadata() == null ? ObjectMeta.newBuilder().build() : template.getMetadata();
    Map<String, String> labels = new HashMap<>(tm.getLabels() == null ? Map.of() : tm.getLabels());
    labels.put(TemplateHash.LABEL, hash);
    tm.setLabels(labels);
    template.setMetadata(tm);
    LabelSelector selector = PodTemplates.copy(d.getSpec().getSelector());
    Map<String, String> match = new HashMap<>(selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels());
    match.put(TemplateHash.LABEL, hash);
    selector.setMatchLabels(match);
    long revision = maxRevision(old) + 1;
    int desired = DeploymentStatuses.desired(d);
    List<SetState> oldStates = states(old);
    int replicas = rollout.recreate() ? 0 : RolloutPlanner.newSetReplicas(rollout, oldStates,
        new SetState("", 0, 0, clock.instant()));
    Map<String, String> annotations = new HashMap<>();
    if (d.getMetadata().getAnnotations() != null) {
      d.getMetadata().getAnnotations().forEach((k, v) -> {
        if (!k.equals(REVISION) && !k.equals(REVISION_HISTORY) && !k.startsWith("kubectl.kubernetes.io/")) {
          annotations.put(k, v); // copied as the controller's copyDeploymentAnnotationsToReplicaSet does
        }
      });
    }
    annotations.put(REVISION, Long.toString(revision));
    annotations.put(DESIRED_REPLICAS, Integer.toString(desired));
    annotations.put(MAX_REPLICAS, Integer.toString(desired + RolloutPlanner.maxSurge(rollout)));
    ReplicaSet rs = ReplicaSet.newBuilder()
        .setMetadata(ObjectMeta.newBuilder()
            .setNamespace(d.getMetadata().getNamespace())
            .setName(d.getMetadata().getName() + "-" + hash)
            .setLabels(labels)
            .setAnnotations(annotations)
            .setOwnerReferences(List.of(OwnerRefs.controllerRef(Kinds.DEPLOYMENT, d.getMetadata())))
            .build())
        .setSpec(ReplicaSetSpec.newBuilder()
            .setReplicas(replicas)
            .setMinReadySeconds(d.getSpec().getMinReadySeconds() == null ? 0 : d.getSpec().getMinReadySeconds())
            .setSelector(selector)
            .setTemplate(template)
            .build())
        .build();
    try {
      ReplicaSet stored = write(() -> writer.create(rs));
      log.info("deployment {}: created replica set {} (revision {}, {} replicas)", key(d), rs.getMetadata().getName(),
          revision, replicas);
      events.normal(Kinds.DEPLOYMENT, d.getMetadata(), "ScalingReplicaSet", "Scaled up replica set "
          + rs.getMetadata().getName() + " from 0 to " + replicas);
      return stored;
    } catch (WriteRejectedException e) {
      if (!e.isAlreadyExists()) {
        throw e;
      }
      Optional<ReplicaSet> existing = sets.get(d.getMetadata().getNamespace(), rs.getMetadata().getName());
      if (existing.isPresent() && OwnerRefs.controllerOf(existing.get().getMetadata())
          .map(r -> r.getUid().equals(d.getMetadata().getUid())).orElse(false)
          && TemplateHash.equalIgnoringHash(existing.get().getSpec().getTemplate(), d.getSpec().getTemplate())) {
        return existing.get(); // ours, the cache was behind
      }
      // A hash collision with someone else's set: bump collisionCount so the next name differs.
      Deployment bumped = PodTemplates.copy(d);
      DeploymentStatus s = bumped.getStatus() == null ? DeploymentStatus.newBuilder().build() : bumped.getStatus();
      s.setCollisionCount(collisions == null ? 1 : collisions + 1);
      bumped.setStatus(s);
      writer.updateStatus(bumped);
      throw new IllegalStateException("replica set name " + rs.getMetadata().getName()
          + " is taken by another object; collisionCount is now " + s.getCollisionCount());
    }
  }

  /** The new set gets the next revision when it is not the newest already (what makes a rollback a new revision). */
  private ReplicaSet syncRevision(Deployment d, ReplicaSet newSet, List<ReplicaSet> old) throws Exception {
    long next = maxRevision(old) + 1;
    long current = revision(newSet);
    int minReady = d.getSpec().getMinReadySeconds() == null ? 0 : d.getSpec().getMinReadySeconds();
    boolean minReadyChanged = !Objects.equals(newSet.getSpec().getMinReadySeconds(), minReady);
    if (current >= next && !minReadyChanged) {
      return newSet;
    }
    ReplicaSet updated = PodTemplates.copy(newSet);
    Map<String, String> annotations = new HashMap<>(updated.getMetadata().getAnnotations() == null ? Map.of()
        : updated.getMetadata().getAnnotations());
    if (current < next) {
      annotations.put(REVISION, Long.toString(next));
      if (current > 0) {
        String history = annotations.get(REVISION_HISTORY);
        annotations.put(REVISION_HISTORY, history == null || history.isEmpty() ? Long.toString(current)
            : history + "," + current);
      }
      log.info("deployment {}: replica set {} is revision {} now (was {})", key(d), newSet.getMetadata().getName(),
          next, current);
    }
    updated.getMetadata().setAnnotations(annotations);
    updated.getSpec().setMinReadySeconds(minReady);
    return write(() -> writer.update(updated));
  }

  /** The Deployment carries the revision of its new set, as kubectl rollout history shows it. */
  private Deployment syncDeploymentRevision(Deployment d, ReplicaSet newSet) throws Exception {
    String want = newSet != null ? Long.toString(revision(newSet)) : null;
    if (want == null) {
      return d;
    }
    Map<String, String> annotations = d.getMetadata().getAnnotations();
    if (annotations != null && want.equals(annotations.get(REVISION))) {
      return d;
    }
    Deployment updated = PodTemplates.copy(d);
    Map<String, String> a = new HashMap<>(annotations == null ? Map.of() : annotations);
    a.put(REVISION, want);
    updated.getMetadata().setAnnotations(a);
    CommandResult.Accepted r = writer.update(updated);
    deployments.awaitApplied(r.partition(), r.resourceVersion(), READ_YOUR_WRITE);
    return r.objectAs(Deployment.class);
  }

  private ReplicaSet scale(Deployment d, ReplicaSet rs, int replicas, Rollout rollout) throws Exception {
    ReplicaSet updated = PodTemplates.copy(rs);
    updated.getSpec().setReplicas(replicas);
    Map<String, String> a = new HashMap<>(updated.getMetadata().getAnnotations() == null ? Map.of()
        : updated.getMetadata().getAnnotations());
    int desired = DeploymentStatuses.desired(d);
    a.put(DESIRED_REPLICAS, Integer.toString(desired));
    a.put(MAX_REPLICAS, Integer.toString(desired + RolloutPlanner.maxSurge(rollout)));
    updated.getMetadata().setAnnotations(a);
    log.info("deployment {}: scaling replica set {} from {} to {}", key(d), rs.getMetadata().getName(), replicas(rs),
        replicas);
    ReplicaSet stored = write(() -> writer.update(updated));
    events.normal(Kinds.DEPLOYMENT, d.getMetadata(), "ScalingReplicaSet", "Scaled "
        + (replicas > replicas(rs) ? "up" : "down") + " replica set " + rs.getMetadata().getName() + " from "
        + replicas(rs) + " to " + replicas);
    return stored;
  }

  private boolean oldPodsRunning(List<ReplicaSet> old) {
    for (ReplicaSet rs : old) {
      if (rs.getStatus() != null && rs.getStatus().getReplicas() != null && rs.getStatus().getReplicas() > 0) {
        return true;
      }
      for (Pod p : pods.byIndex(Indexes.OWNER_UID, rs.getMetadata().getUid())) {
        String phase = PodConditions.phase(p);
        if (!PodConditions.SUCCEEDED.equals(phase) && !PodConditions.FAILED.equals(phase)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Old sets scaled to zero beyond revisionHistoryLimit are deleted, oldest revision first. */
  private void cleanup(Deployment d, List<ReplicaSet> owned, ReplicaSet newSet) throws Exception {
    int limit = d.getSpec().getRevisionHistoryLimit() == null ? DEFAULT_REVISION_HISTORY_LIMIT
        : d.getSpec().getRevisionHistoryLimit();
    List<ReplicaSet> cleanable = new ArrayList<>();
    for (ReplicaSet rs : owned) {
      if (rs == newSet || (newSet != null && rs.getMetadata().getName().equals(newSet.getMetadata().getName()))) {
        continue;
      }
      boolean empty = replicas(rs) == 0 && (rs.getStatus() == null || rs.getStatus().getReplicas() == null
          || rs.getStatus().getReplicas() == 0);
      if (empty && rs.getMetadata().getDeletionTimestamp() == null) {
        cleanable.add(rs);
      }
    }
    cleanable.sort(Comparator.comparingLong(DeploymentController::revision));
    List<String> doomed = RolloutPlanner.setsToClean(states(cleanable), limit);
    for (String name : doomed) {
      ReplicaSet rs = cleanable.stream().filter(x -> x.getMetadata().getName().equals(name)).findFirst().orElseThrow();
      log.info("deployment {}: deleting old replica set {} (revision {}) beyond the history limit {}", key(d), name,
          revision(rs), limit);
      try {
        writer.delete(Kinds.REPLICA_SET, rs.getMetadata().getNamespace(), name, io.capstan.log.DeleteOptions.newBuilder()
            .setPreconditionResourceVersion(rs.getMetadata().getResourceVersion()).build());
      } catch (WriteRejectedException e) {
        if (!e.isNotFound()) {
          throw e;
        }
      }
    }
  }

  private ReconcileResult syncStatus(Deployment d, ReplicaSet newSet, List<ReplicaSet> all, boolean created)
      throws Exception {
    Instant now = clock.instant();
    Rollout rollout = rollout(d);
    DeploymentStatus status = DeploymentStatuses.counts(d, newSet, all, RolloutPlanner.maxUnavailable(rollout), now);
    Optional<Duration> recheck = DeploymentStatuses.progress(d, status, newSet == null ? null
        : newSet.getMetadata().getName(), created, now);
    if (!status.equals(d.getStatus())) {
      Deployment updated = PodTemplates.copy(d);
      updated.setStatus(status);
      writer.updateStatus(updated);
    }
    return recheck.map(t -> ReconcileResult.requeueAfter(t.plusMillis(50))).orElse(ReconcileResult.done());
  }

  private static int replicas(ReplicaSet rs) {
    return rs.getSpec().getReplicas() == null ? 1 : rs.getSpec().getReplicas();
  }

  static SetState state(ReplicaSet rs) {
    int available = rs.getStatus() == null || rs.getStatus().getAvailableReplicas() == null ? 0
        : rs.getStatus().getAvailableReplicas();
    Instant created = PodConditions.instant(rs.getMetadata().getCreationTimestamp()).orElse(Instant.EPOCH);
    return new SetState(rs.getMetadata().getName(), replicas(rs), available, created);
  }

  static List<SetState> states(List<ReplicaSet> sets) {
    return sets.stream().map(DeploymentController::state).toList();
  }

  @FunctionalInterface
  private interface Write {
    CommandResult.Accepted run() throws WriteRejectedException, InterruptedException;
  }

  /** A ReplicaSet write, then wait until the cache has it (read your writes). */
  private ReplicaSet write(Write w) throws WriteRejectedException, InterruptedException {
    CommandResult.Accepted r = w.run();
    sets.awaitApplied(r.partition(), r.resourceVersion(), READ_YOUR_WRITE);
    return r.objectAs(ReplicaSet.class);
  }
}
