package io.capstan.controllers.gc;

import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.processor.rules.WriteRules;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import io.capstan.controllers.runtime.CustomKindInformers;
import org.apache.avro.generic.IndexedRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes' garbage collector, level-triggered per object key:
 * <ul>
 *   <li><b>an object with owners</b> (attemptToDeleteItem): each owner reference is <em>solid</em>
 *       (the owner exists with that uid), <em>dangling</em> (absent, or another object under the
 *       name) or <em>waiting</em> (the owner is being deleted in the foreground). With a solid
 *       owner left, dangling and waiting references are removed; with none, the object is
 *       deleted — in the foreground if it has dependents of its own and an owner waits for it,
 *       else as its own finalizers say (Background by default);
 *   <li><b>an owner deleted with Orphan</b> (the {@code orphan} finalizer): its references are
 *       removed from every dependent, then the finalizer;
 *   <li><b>an owner deleted in Foreground</b> (the {@code foregroundDeletion} finalizer): its
 *       dependents are deleted, and the finalizer is removed once no dependent with
 *       {@code blockOwnerDeletion} is left.
 * </ul>
 * "Absent" is only believed when the owner's cache is at least as new as the dependent (its
 * consistent list resourceVersion has passed the dependent's), so a dependent seen before its
 * brand-new owner is never collected; the apiserver-backed collector does a live GET instead.
 * The processor already turns {@code propagationPolicy} into these finalizers on delete.
 */
public final class GarbageCollector implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);
  public static final String NAME = "garbage-collector";
  private static final Duration CACHE_BEHIND_RETRY = Duration.ofMillis(200);

  private final OwnerGraph graph;
  private final ObjectWriter writer;
  private final WorkQueue queue;
  private final Controller controller;
  private final CustomKindInformers customKinds;

  public GarbageCollector(SharedInformers informers, List<Kind> kinds, ObjectWriter writer, int workers,
      MeterRegistry registry) {
    this.graph = new OwnerGraph(informers, kinds);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
    // custom kinds join the graph as they are registered: owners and dependents of any kind
    this.customKinds = new CustomKindInformers(informers, NAME, k -> true, (k, i) -> {
      graph.add(k, i);
      watch(i);
    });
  }

  public WorkQueue queue() {
    return queue;
  }

  public void start() {
    log.info("garbage collector starting, watching {} kinds", graph.informers().size());
    for (Informer<IndexedRecord> i : List.copyOf(graph.informers().values())) {
      watch(i);
    }
    controller.start();
    customKinds.start();
  }

  private void watch(Informer<IndexedRecord> i) {
    i.addHandler(new ResourceEventHandler<>() {
        @Override
        public void onAdd(IndexedRecord o) {
          changed(o);
        }

        @Override
        public void onUpdate(IndexedRecord old, IndexedRecord o) {
          changed(o);
          // owners it no longer names may be waiting for it
          for (OwnerReference r : OwnerGraph.owners(old)) {
            queue.add(graph.ownerKey(r, OwnerGraph.meta(old).getNamespace()));
          }
        }

        @Override
        public void onDelete(IndexedRecord o) {
          // its dependents may be orphans now; its owners may be waiting for it
          for (IndexedRecord dep : graph.dependents(OwnerGraph.meta(o).getUid())) {
            queue.add(OwnerGraph.key(dep));
          }
          for (OwnerReference r : OwnerGraph.owners(o)) {
            queue.add(graph.ownerKey(r, OwnerGraph.meta(o).getNamespace()));
          }
        }
      });
  }

  private void changed(IndexedRecord o) {
    ObjectMeta m = OwnerGraph.meta(o);
    if (!OwnerGraph.owners(o).isEmpty() || hasDeletionFinalizer(m)) {
      queue.add(OwnerGraph.key(o));
    }
  }

  private static boolean hasDeletionFinalizer(ObjectMeta m) {
    return m.getDeletionTimestamp() != null && m.getFinalizers() != null
        && (m.getFinalizers().contains(WriteRules.ORPHAN_FINALIZER)
            || m.getFinalizers().contains(WriteRules.FOREGROUND_FINALIZER));
  }

  /** Reconcile only the keys of the shard's partitions (call before {@link #start}). */
  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, () -> {
      java.util.List<String> keys = new ArrayList<>();
      graph.informers().values().forEach(i -> keys.addAll(i.keys()));
      return keys;
    });
  }

  @Override
  public void close() {
    customKinds.close();
    controller.close();
  }

  ReconcileResult reconcile(String key) throws Exception {
    Optional<IndexedRecord> found = graph.get(key);
    if (found.isEmpty()) {
      return ReconcileResult.done();
    }
    IndexedRecord o = found.get();
    ObjectMeta m = OwnerGraph.meta(o);
    List<String> finalizers = m.getFinalizers() == null ? List.of() : m.getFinalizers();
    if (m.getDeletionTimestamp() != null && finalizers.contains(WriteRules.ORPHAN_FINALIZER)) {
      return orphanDependents(o);
    }
    if (m.getDeletionTimestamp() != null && finalizers.contains(WriteRules.FOREGROUND_FINALIZER)) {
      ReconcileResult r = deleteDependentsFirst(o);
      // a foreground-deleting object may itself be a dependent whose owners are gone: nothing more to do here
      return r;
    }
    if (OwnerGraph.owners(o).isEmpty()) {
      return ReconcileResult.done();
    }
    return attemptToDelete(o);
  }

  private enum RefState { SOLID, DANGLING, WAITING, UNKNOWN }

  private RefState classify(OwnerReference ref, IndexedRecord dependent) {
    String ownerKey = graph.ownerKey(ref, OwnerGraph.meta(dependent).getNamespace());
    Optional<Informer<IndexedRecord>> informer = graph.informer(ref.getKind());
    if (informer.isEmpty()) {
      // An owner of a kind Capstan stores but this collector does not watch cannot be judged:
      // left alone. A kind Capstan does not store at all can never exist: the reference dangles,
      // as an unresolvable kind does in Kubernetes once discovery says it does not exist.
      return Kinds.byName(ref.getKind()).isPresent() ? RefState.SOLID : RefState.DANGLING;
    }
    Optional<IndexedRecord> owner = informer.get().get(ownerKey);
    if (owner.isPresent() && Objects.equals(OwnerGraph.meta(owner.get()).getUid(), ref.getUid())) {
      ObjectMeta om = OwnerGraph.meta(owner.get());
      boolean waiting = om.getDeletionTimestamp() != null && om.getFinalizers() != null
          && om.getFinalizers().contains(WriteRules.FOREGROUND_FINALIZER);
      return waiting ? RefState.WAITING : RefState.SOLID;
    }
    long dependentRv = parseRv(OwnerGraph.meta(dependent).getResourceVersion());
    if (!informer.get().listReached(dependentRv)) {
      return RefState.UNKNOWN; // the owner's cache is behind the dependent: it may just not have arrived
    }
    return RefState.DANGLING;
  }

  private ReconcileResult attemptToDelete(IndexedRecord o) throws Exception {
    ObjectMeta m = OwnerGraph.meta(o);
    if (m.getDeletionTimestamp() != null) {
      return ReconcileResult.done(); // already going
    }
    List<OwnerReference> solid = new ArrayList<>();
    List<OwnerReference> stale = new ArrayList<>();
    boolean waiting = false;
    for (OwnerReference ref : OwnerGraph.owners(o)) {
      switch (classify(ref, o)) {
        case SOLID -> solid.add(ref);
        case DANGLING -> stale.add(ref);
        case WAITING -> {
          waiting = true;
          stale.add(ref);
        }
        case UNKNOWN -> {
          return ReconcileResult.requeueAfter(CACHE_BEHIND_RETRY);
        }
        default -> throw new IllegalStateException();
      }
    }
    String key = OwnerGraph.key(o);
    if (!solid.isEmpty()) {
      if (!stale.isEmpty()) {
        // Still owned by someone: only the references to gone or going owners are dropped.
        IndexedRecord updated = OwnerGraph.copy(o);
        List<OwnerReference> keep = new ArrayList<>(OwnerGraph.owners(o));
        keep.removeIf(stale::contains);
        OwnerGraph.meta(updated).setOwnerReferences(keep);
        writer.update(updated);
        log.info("garbage collector: removed references to gone owners {} from {}", names(stale), key);
      }
      return ReconcileResult.done();
    }
    boolean hasDependents = !graph.dependents(m.getUid()).isEmpty();
    String policy;
    if (waiting && hasDependents) {
      policy = "Foreground"; // an owner waits for this one: its own dependents go first
    } else if (m.getFinalizers() != null && m.getFinalizers().contains(WriteRules.ORPHAN_FINALIZER)) {
      policy = "Orphan";
    } else if (m.getFinalizers() != null && m.getFinalizers().contains(WriteRules.FOREGROUND_FINALIZER)) {
      policy = "Foreground";
    } else {
      policy = "Background";
    }
    log.info("garbage collector: deleting {} ({} propagation): its owners {} are gone", key, policy, names(stale));
    Kind kind = Kinds.bySchema(o.getSchema()).orElseThrow();
    try {
      writer.delete(kind, m.getNamespace(), m.getName(), DeleteOptions.newBuilder()
          .setPreconditionUid(m.getUid()).setPropagationPolicy(policy).build());
    } catch (WriteRejectedException e) {
      if (!e.isNotFound()) {
        throw e;
      }
    }
    return ReconcileResult.done();
  }

  private ReconcileResult orphanDependents(IndexedRecord owner) throws Exception {
    ObjectMeta m = OwnerGraph.meta(owner);
    for (IndexedRecord dep : graph.dependents(m.getUid())) {
      IndexedRecord updated = OwnerGraph.copy(dep);
      List<OwnerReference> keep = new ArrayList<>(OwnerGraph.owners(dep));
      keep.removeIf(r -> m.getUid().equals(r.getUid()));
      OwnerGraph.meta(updated).setOwnerReferences(keep.isEmpty() ? null : keep);
      try {
        writer.update(updated);
      } catch (WriteRejectedException e) {
        if (!e.isNotFound()) {
          throw e;
        }
      }
    }
    log.info("garbage collector: orphaned the dependents of {}", OwnerGraph.key(owner));
    return removeFinalizer(owner, WriteRules.ORPHAN_FINALIZER);
  }

  private ReconcileResult deleteDependentsFirst(IndexedRecord owner) throws Exception {
    ObjectMeta m = OwnerGraph.meta(owner);
    boolean blocked = false;
    for (IndexedRecord dep : graph.dependents(m.getUid())) {
      boolean blocks = OwnerGraph.owners(dep).stream()
          .anyMatch(r -> m.getUid().equals(r.getUid()) && Boolean.TRUE.equals(r.getBlockOwnerDeletion()));
      blocked |= blocks;
      if (OwnerGraph.meta(dep).getDeletionTimestamp() == null) {
        queue.add(OwnerGraph.key(dep)); // attemptToDelete: its owner is waiting, so it goes
      }
    }
    if (blocked) {
      return ReconcileResult.done(); // each blocking dependent's delete queues this owner again
    }
    log.info("garbage collector: the blocking dependents of {} are gone; finishing its foreground deletion",
        OwnerGraph.key(owner));
    return removeFinalizer(owner, WriteRules.FOREGROUND_FINALIZER);
  }

  private ReconcileResult removeFinalizer(IndexedRecord o, String finalizer) throws Exception {
    IndexedRecord updated = OwnerGraph.copy(o);
    List<String> f = new ArrayList<>(OwnerGraph.meta(updated).getFinalizers());
    f.remove(finalizer);
    OwnerGraph.meta(updated).setFinalizers(f.isEmpty() ? null : f);
    try {
      writer.update(updated);
    } catch (WriteRejectedException e) {
      if (!e.isNotFound()) {
        throw e;
      }
    }
    return ReconcileResult.done();
  }

  private static long parseRv(String rv) {
    try {
      return rv == null ? 0 : Long.parseLong(rv);
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  private static List<String> names(List<OwnerReference> refs) {
    return refs.stream().map(r -> r.getKind() + "/" + r.getName()).toList();
  }

  /** For tests. */
  Map<String, Informer<IndexedRecord>> informers() {
    return graph.informers();
  }
}
