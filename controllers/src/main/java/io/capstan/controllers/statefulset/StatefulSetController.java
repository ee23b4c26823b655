package io.capstan.controllers.statefulset;

import io.capstan.api.ControllerRevision;
import io.capstan.api.OwnerReference;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.Pod;
import io.capstan.api.PodTemplateSpec;
import io.capstan.api.StatefulSet;
import io.capstan.api.StatefulSetStatus;
import io.capstan.controllers.revision.ControllerHistory;
import io.capstan.controllers.revision.RevisionHistory;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
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
 * Kubernetes' StatefulSet controller. StatefulSets, pods and ControllerRevisions come from shared
 * informers; a set's change or a change of one of its pods queues the set. Each reconcile
 * (syncStatefulSet) claims the set's pods, finds or makes the ControllerRevision of its template
 * (the update revision; the current one is what status.currentRevision names), plans the sync
 * ({@link StatefulSetPlanner}), writes it (a pod's claims from the volumeClaimTemplates before the
 * pod), prunes the revision history and writes status. Claims come from a shared informer too; a
 * claim's change queues the sets whose selector its labels match. Pods have fixed names, so a
 * create the cache has not seen yet would only come back AlreadyExists and a repeated delete
 * NotFound; still, expectations keep a set from planning again before its own
 * creates and deletes have come back through the pod informer, which spares the processor those
 * refused writes when many pods of a set change at once.
 */
public final class StatefulSetController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StatefulSetController.class);
  public static final String NAME = "statefulset";

  private final Informer<StatefulSet> sets;
  private final Informer<Pod> pods;
  private final Informer<PersistentVolumeClaim> claims;
  private final ControllerHistory history;
  private final ObjectWriter writer;
  private final Clock clock;
  private final Expectations expectations = new Expectations();
  private final WorkQueue queue;
  private final Controller controller;
  private final EventRecorder events;

  public StatefulSetController(SharedInformers informers, ObjectWriter writer, Clock clock, int workers,
      MeterRegistry registry) {
    this.sets = informers.informerFor(Kinds.STATEFUL_SET, StatefulSet.class);
    this.pods = informers.informerFor(Kinds.POD, Pod.class);
    this.claims = informers.informerFor(Kinds.PERSISTENT_VOLUME_CLAIM, PersistentVolumeClaim.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.history = new ControllerHistory(Kinds.STATEFUL_SET,
        informers.informerFor(Kinds.CONTROLLER_REVISION, ControllerRevision.class), writer);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
    this.events = new EventRecorder(writer, "statefulset-controller", clock);
  }

  public WorkQueue queue() {
    return queue;
  }

  /** Registers the handlers and starts the workers; the informers are started by their owner. */
  public void start() {
    log.info("statefulset controller starting");
    sets.addHandler(ResourceEventHandler.onAny((StatefulSet set) -> queue.add(key(set))));
    pods.addHandler(new OwnedPodEvents<>(Kinds.STATEFUL_SET, sets, StatefulSet::getMetadata,
        StatefulSetController::valid, set -> set.getSpec().getSelector(), expectations, queue));
    // A claim made, re-owned or gone (one a new pod waited for) syncs the sets whose claims it may be.
    claims.addHandler(ResourceEventHandler.onAny(this::queueSetsOf));
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

  static String key(StatefulSet set) {
    return OwnerRefs.key(Kinds.STATEFUL_SET, set.getMetadata());
  }

  static String podKey(Pod p) {
    return OwnerRefs.key(Kinds.POD, p.getMetadata());
  }

  /** The sets with claim templates whose selector the claim's labels match (their claims carry them). */
  private void queueSetsOf(PersistentVolumeClaim claim) {
    Map<String, String> labels = claim.getMetadata().getLabels() == null ? Map.of() : claim.getMetadata().getLabels();
    for (StatefulSet set : sets.list(claim.getMetadata().getNamespace())) {
      if (valid(set) && !StatefulPods.claimTemplates(set).isEmpty()
          && Selectors.matches(set.getSpec().getSelector(), labels)) {
        queue.add(key(set));
      }
    }
  }

  private static boolean valid(StatefulSet set) {
    return set.getSpec() != null && set.getSpec().getTemplate() != null && set.getSpec().getTemplate().getSpec() != null
        && !Selectors.isEmpty(set.getSpec().getSelector());
  }

  // ---- reconcile (syncStatefulSet / updateStatefulSet) ----

  ReconcileResult reconcile(String key) throws Exception {
    String[] parts = key.split("/", 3);
    Optional<StatefulSet> found = sets.get(parts[1], parts[2]);
    if (found.isEmpty()) {
      expectations.forget(key);
      return ReconcileResult.done();
    }
    StatefulSet set = found.get();
    if (!valid(set)) {
      // Validation refuses these; an old object may still have one. Never select every pod.
      log.warn("statefulset {} has no template or an empty selector; not managing pods", key);
      return ReconcileResult.done();
    }
    if (set.getMetadata().getDeletionTimestamp() != null) {
      return ReconcileResult.done(); // the garbage collector takes its pods and revisions
    }
    Instant now = clock.instant();
    List<Pod> mine = claimPods(set);
    Integer collisions = set.getStatus() == null ? null : set.getStatus().getCollisionCount();
    ControllerHistory.Current update = history.construct(set.getMetadata(), set.getSpec().getTemplate(), collisions,
        () -> bumpCollisionCount(set));
    if (update.collided()) {
      return ReconcileResult.failed("revision name collision; collisionCount raised");
    }
    StatefulSetPlanner.Revisions revisions = revisions(set, update);

    StatefulSetPlanner.Plan plan = null;
    String error = null;
    if (expectations.satisfied(key)) {
      String ns = set.getMetadata().getNamespace();
      plan = StatefulSetPlanner.plan(set, revisions, mine, name -> claims.get(ns, name).orElse(null), now);
      error = execute(key, set, plan);
    }

    StatefulSetStatus status = StatefulSetStatuses.calculate(set, mine, revisions.currentName(),
        revisions.updateName(), collisions, now);
    if (!status.equals(set.getStatus())) {
      StatefulSet updated = PodTemplates.copy(set);
      updated.setStatus(status);
      try {
        writer.updateStatus(updated);
      } catch (WriteRejectedException e) {
        if (!e.isConflict() && !e.isNotFound()) {
          throw e;
        }
        return ReconcileResult.failed("status: " + e.getMessage()); // a newer set is on its way; sync again
      }
    }
    if (error == null) {
      truncateHistory(key, set, update, mine, status);
    }
    if (error != null) {
      return ReconcileResult.failed(error);
    }
    if (plan == null) {
      return ReconcileResult.done(); // its own writes come back through the informer and sync it again
    }
    return plan.recheckAfter().map(d -> ReconcileResult.requeueAfter(d.plusMillis(10))).orElse(ReconcileResult.done());
  }

  /**
   * The current revision (what status.currentRevision names, while it exists) and the update
   * revision (that of the set's template), each with its template.
   */
  private static StatefulSetPlanner.Revisions revisions(StatefulSet set, ControllerHistory.Current update) {
    String updateName = update.revision().getMetadata().getName();
    PodTemplateSpec updateTemplate = set.getSpec().getTemplate();
    String named = set.getStatus() == null ? null : set.getStatus().getCurrentRevision();
    if (named != null && !named.equals(updateName)) {
      for (ControllerRevision r : update.old()) {
        if (r.getMetadata().getName().equals(named)) {
          Optional<PodTemplateSpec> t = RevisionHistory.template(r);
          if (t.isPresent()) {
            return new StatefulSetPlanner.Revisions(named, t.get(), updateName, updateTemplate);
          }
        }
      }
    }
    return new StatefulSetPlanner.Revisions(updateName, updateTemplate, updateName, updateTemplate);
  }

  private void bumpCollisionCount(StatefulSet set) throws InterruptedException, WriteRejectedException {
    StatefulSet bumped = PodTemplates.copy(set);
    StatefulSetStatus status = bumped.getStatus() == null ? StatefulSetStatus.newBuilder().build() : bumped.getStatus();
    status.setCollisionCount((status.getCollisionCount() == null ? 0 : status.getCollisionCount()) + 1);
    bumped.setStatus(status);
    writer.updateStatus(bumped);
  }

  /**
   * truncateHistory: old revisions beyond revisionHistoryLimit go, oldest first, except the current
   * and update revisions and those a pod is still at.
   */
  private void truncateHistory(String key, StatefulSet set, ControllerHistory.Current update, List<Pod> mine,
      StatefulSetStatus status) throws InterruptedException {
    Set<String> liveNames = new HashSet<>();
    mine.forEach(p -> liveNames.add(StatefulPods.revision(p)));
    liveNames.add(status.getCurrentRevision());
    liveNames.add(status.getUpdateRevision());
    Set<String> liveHashes = new HashSet<>();
    for (ControllerRevision r : update.old()) {
      if (liveNames.contains(r.getMetadata().getName())) {
        liveHashes.add(RevisionHistory.hashOf(r));
      }
    }
    int limit = set.getSpec().getRevisionHistoryLimit() == null ? 10 : set.getSpec().getRevisionHistoryLimit();
    List<ControllerRevision> old = new ArrayList<>();
    for (ControllerRevision r : update.old()) {
      if (!liveNames.contains(r.getMetadata().getName())) {
        old.add(r);
      }
    }
    history.cleanup(key, old, limit, liveHashes);
  }

  /**
   * getPodsForStatefulSet: the set's pods, claimed as ClaimPods does with the isMemberOf filter:
   * orphans of the namespace that match the selector and are named {@code <set>-<ordinal>} are
   * adopted, controlled pods that stopped matching are released.
   */
  private List<Pod> claimPods(StatefulSet set) throws InterruptedException {
    String uid = set.getMetadata().getUid();
    List<Pod> claimed = new ArrayList<>();
    for (Pod p : pods.byIndex(Indexes.OWNER_UID, uid)) {
      Optional<OwnerReference> ref = OwnerRefs.controllerOf(p.getMetadata());
      if (ref.isEmpty() || !uid.equals(ref.get().getUid())) {
        continue;
      }
      boolean member = StatefulPods.ordinal(set, p) >= 0;
      if (member && Selectors.matches(set.getSpec().getSelector(), PodConditions.labels(p))) {
        claimed.add(p);
      } else if (p.getMetadata().getDeletionTimestamp() == null) {
        release(set, p);
      }
    }
    for (Pod p : pods.byIndex(Indexes.ORPHANS, set.getMetadata().getNamespace())) {
      if (p.getMetadata().getDeletionTimestamp() == null && StatefulPods.ordinal(set, p) >= 0
          && Selectors.matches(set.getSpec().getSelector(), PodConditions.labels(p))) {
        adopt(set, p).ifPresent(claimed::add);
      }
    }
    return claimed;
  }

  private Optional<Pod> adopt(StatefulSet set, Pod p) throws InterruptedException {
    Pod adopted = PodTemplates.copy(p);
    List<OwnerReference> refs = adopted.getMetadata().getOwnerReferences() == null ? new ArrayList<>()
        : new ArrayList<>(adopted.getMetadata().getOwnerReferences());
    refs.add(OwnerRefs.controllerRef(Kinds.STATEFUL_SET, set.getMetadata()));
    adopted.getMetadata().setOwnerReferences(refs);
    try {
      Pod stored = writer.update(adopted).objectAs(Pod.class);
      log.info("statefulset {} adopted pod {}", key(set), p.getMetadata().getName());
      return Optional.of(stored);
    } catch (WriteRejectedException e) {
      log.debug("statefulset {}: adopting pod {} refused: {}", key(set), p.getMetadata().getName(), e.getMessage());
      return Optional.empty(); // the informer brings the newer pod, and another sync
    }
  }

  private void release(StatefulSet set, Pod p) throws InterruptedException {
    Pod released = PodTemplates.copy(p);
    List<OwnerReference> refs = new ArrayList<>(released.getMetadata().getOwnerReferences());
    refs.removeIf(r -> r.getUid().equals(set.getMetadata().getUid()));
    released.getMetadata().setOwnerReferences(refs.isEmpty() ? null : refs);
    try {
      writer.update(released);
      log.info("statefulset {} released pod {}: it no longer matches", key(set), p.getMetadata().getName());
    } catch (WriteRejectedException e) {
      log.debug("statefulset {}: releasing pod {} refused: {}", key(set), p.getMetadata().getName(), e.getMessage());
    }
  }

  // ---- writes ----

  /**
   * Writes the plan: the claims first (a pod whose claim could not be made is not created, as
   * kube's CreateStatefulPod), claim owners before pod deletes (a condemned pod whose claims could
   * not be re-owned stays), then the pods, each kind of write at once; returns why it failed, or null.
   */
  private String execute(String key, StatefulSet set, StatefulSetPlanner.Plan plan) throws InterruptedException {
    if (plan.isEmpty()) {
      return null;
    }
    String setName = set.getMetadata().getName();
    String error = null;
    Map<String, String> claimFailures = new HashMap<>(); // pod name → why one of its claims failed
    List<CompletableFuture<CommandResult>> claimCreates = new ArrayList<>();
    for (StatefulSetPlanner.ClaimWrite c : plan.createClaims()) {
      claimCreates.add(writer.createAsync(c.claim()));
    }
    List<CompletableFuture<CommandResult>> claimUpdates = new ArrayList<>();
    for (StatefulSetPlanner.ClaimWrite c : plan.updateClaims()) {
      claimUpdates.add(writer.client().update(c.claim()));
    }
    for (int i = 0; i < claimCreates.size(); i++) {
      StatefulSetPlanner.ClaimWrite c = plan.createClaims().get(i);
      String claim = c.claim().getMetadata().getName();
      String pod = c.pod().getMetadata().getName();
      String err = outcome(claimCreates.get(i));
      if (err == null) {
        events.normal(Kinds.STATEFUL_SET, set.getMetadata(), "SuccessfulCreate",
            "create Claim " + claim + " Pod " + pod + " in StatefulSet " + setName + " success");
      } else if (!err.startsWith("409 AlreadyExists")) { // made by an earlier sync the cache has not seen yet
        claimFailures.putIfAbsent(pod, "failed to create PVC " + claim + ": " + err);
        error = error == null ? "create claim " + claim + ": " + err : error;
        events.warning(Kinds.STATEFUL_SET, set.getMetadata(), "FailedCreate",
            "create Claim " + claim + " for Pod " + pod + " in StatefulSet " + setName + " failed error: " + err);
      }
    }
    for (int i = 0; i < claimUpdates.size(); i++) {
      StatefulSetPlanner.ClaimWrite c = plan.updateClaims().get(i);
      String pod = c.pod().getMetadata().getName();
      String err = outcome(claimUpdates.get(i));
      if (err != null) {
        claimFailures.putIfAbsent(pod, err);
        if (!err.startsWith("404") && !err.startsWith("409")) {
          error = error == null ? "update claim " + c.claim().getMetadata().getName() + ": " + err : error;
          events.warning(Kinds.STATEFUL_SET, set.getMetadata(), "FailedUpdate",
              "update Pod " + pod + " in StatefulSet " + setName + " failed error: " + err);
        }
      }
    }

    List<Pod> toCreate = new ArrayList<>();
    for (Pod p : plan.create()) {
      String why = claimFailures.get(p.getMetadata().getName());
      if (why == null) {
        toCreate.add(p);
      } else {
        events.warning(Kinds.STATEFUL_SET, set.getMetadata(), "FailedCreate",
            "create Pod " + p.getMetadata().getName() + " in StatefulSet " + setName + " failed error: " + why);
      }
    }
    List<Pod> toDelete = new ArrayList<>();
    for (Pod p : plan.delete()) {
      if (!claimFailures.containsKey(p.getMetadata().getName())) {
        toDelete.add(p);
      }
    }
    Set<String> deleteKeys = new HashSet<>();
    toDelete.forEach(p -> deleteKeys.add(podKey(p)));
    expectations.expect(key, toCreate.size(), deleteKeys);
    List<CompletableFuture<CommandResult>> creates = new ArrayList<>();
    for (Pod p : toCreate) {
      creates.add(writer.createAsync(p));
    }
    List<CompletableFuture<CommandResult>> deletes = new ArrayList<>();
    for (Pod p : toDelete) {
      deletes.add(writer.deleteAsync(Kinds.POD, p.getMetadata().getNamespace(), p.getMetadata().getName(),
          io.capstan.log.DeleteOptions.newBuilder().setPreconditionUid(p.getMetadata().getUid()).build()));
    }
    List<CompletableFuture<CommandResult>> fixes = new ArrayList<>();
    for (Pod p : plan.fixIdentity()) {
      fixes.add(writer.client().update(p));
    }
    for (int i = 0; i < creates.size(); i++) {
      String pod = toCreate.get(i).getMetadata().getName();
      String err = outcome(creates.get(i));
      if (err != null) {
        expectations.creationObserved(key); // nothing new will come back for this one
      }
      if (err == null) {
        events.normal(Kinds.STATEFUL_SET, set.getMetadata(), "SuccessfulCreate",
            "create Pod " + pod + " in StatefulSet " + setName + " successful");
      } else if (!err.startsWith("409 AlreadyExists")) {
        error = error == null ? "create pod " + pod + ": " + err : error;
        events.warning(Kinds.STATEFUL_SET, set.getMetadata(), "FailedCreate",
            "create Pod " + pod + " in StatefulSet " + setName + " failed error: " + err);
      }
    }
    for (int i = 0; i < deletes.size(); i++) {
      String pod = toDelete.get(i).getMetadata().getName();
      String err = outcome(deletes.get(i));
      if (err != null) {
        expectations.deletionObserved(key, podKey(toDelete.get(i)));
      }
      if (err == null) {
        events.normal(Kinds.STATEFUL_SET, set.getMetadata(), "SuccessfulDelete",
            "delete Pod " + pod + " in StatefulSet " + setName + " successful");
      } else if (!err.startsWith("404") && !err.startsWith("409")) {
        error = error == null ? "delete pod " + pod + ": " + err : error;
        events.warning(Kinds.STATEFUL_SET, set.getMetadata(), "FailedDelete",
            "delete Pod " + pod + " in StatefulSet " + setName + " failed error: " + err);
      }
    }
    for (int i = 0; i < fixes.size(); i++) {
      String err = outcome(fixes.get(i));
      String pod = plan.fixIdentity().get(i).getMetadata().getName();
      if (err == null) {
        events.normal(Kinds.STATEFUL_SET, set.getMetadata(), "SuccessfulUpdate",
            "update Pod " + pod + " in StatefulSet " + setName + " successful");
      } else if (!err.startsWith("404") && !err.startsWith("409")) {
        error = error == null ? "update pod " + pod + ": " + err : error;
        events.warning(Kinds.STATEFUL_SET, set.getMetadata(), "FailedUpdate",
            "update Pod " + pod + " in StatefulSet " + setName + " failed error: " + err);
      }
    }
    if (!toCreate.isEmpty() || !toDelete.isEmpty() || !plan.createClaims().isEmpty()) {
      log.debug("statefulset {}: created {} claims, {} pods, deleted {}", key, plan.createClaims().size(),
          toCreate.size(), toDelete.size());
    }
    if (error == null && (toCreate.size() < plan.create().size() || toDelete.size() < plan.delete().size())) {
      error = "pods held back: " + claimFailures; // a conflict on a claim; the next sync tries again
    }
    return error;
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
