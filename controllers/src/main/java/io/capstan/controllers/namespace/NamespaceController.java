package io.capstan.controllers.namespace;

import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.controllers.gc.OwnerGraph;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.processor.rules.NamespaceRules;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import io.capstan.controllers.runtime.CustomKindInformers;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.generic.IndexedRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes' namespace controller: when a namespace is being deleted (the processor has marked
 * it Terminating, so nothing new is created in it), every object in it is deleted; once the
 * caches show it empty, the {@code kubernetes} entry is removed from {@code spec.finalizers} and
 * the processor removes the namespace.
 *
 * <p>"Empty" is believed only when every namespaced cache is at least as new as the namespace's
 * deletion and a short settle time has passed since it: the namespace table reaches the other
 * partitions of the command processor a commit later, so a create racing the deletion is still
 * seen and deleted.
 */
public final class NamespaceController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NamespaceController.class);
  public static final String NAME = "namespace";
  /** Longer than the processor's commit interval and watermark period by far. */
  static final Duration SETTLE = Duration.ofSeconds(2);
  private static final Duration CONTENT_RECHECK = Duration.ofMillis(500);

  private final Informer<Namespace> namespaces;
  private final Map<String, Informer<IndexedRecord>> namespaced = new ConcurrentHashMap<>();
  private final CustomKindInformers customKinds;
  private final ObjectWriter writer;
  private final Clock clock;
  private final WorkQueue queue;
  private final Controller controller;

  public NamespaceController(SharedInformers informers, ObjectWriter writer, Clock clock, int workers,
      MeterRegistry registry) {
    this.namespaces = informers.informerFor(Kinds.NAMESPACE, Namespace.class);
    for (Kind k : Kinds.builtIn()) { // Events too: a namespace leaves nothing behind
      if (k.namespaced()) {
        namespaced.put(k.kind(), informers.informerFor(k, IndexedRecord.class));
      }
    }
    // and the namespaced custom kinds, as they are registered
    this.customKinds = new CustomKindInformers(informers, NAME, Kind::namespaced, (k, i) -> namespaced.put(k.kind(), i));
    this.writer = Objects.requireNonNull(writer, "writer");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
  }

  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, namespaces::keys);
  }

  public void start() {
    log.info("namespace controller starting");
    namespaces.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Namespace ns) {
        enqueueIfTerminating(ns);
      }

      @Override
      public void onUpdate(Namespace old, Namespace ns) {
        enqueueIfTerminating(ns);
      }
    });
    customKinds.start();
    controller.start();
  }

  private void enqueueIfTerminating(Namespace ns) {
    if (ns.getMetadata().getDeletionTimestamp() != null) {
      queue.add(key(ns.getMetadata().getName()));
    }
  }

  static String key(String name) {
    return Kinds.NAMESPACE.kind() + "//" + name;
  }

  @Override
  public void close() {
    customKinds.close();
    controller.close();
  }

  ReconcileResult reconcile(String key) throws Exception {
    String name = key.substring(key.lastIndexOf('/') + 1);
    Optional<Namespace> found = namespaces.get("", name);
    if (found.isEmpty() || found.get().getMetadata().getDeletionTimestamp() == null) {
      return ReconcileResult.done();
    }
    Namespace ns = found.get();
    if (!NamespaceRules.hasSpecFinalizers(ns) || !ns.getSpec().getFinalizers().contains(NamespaceRules.KUBERNETES_FINALIZER)) {
      return ReconcileResult.done(); // someone else's finalizers hold it now
    }
    long deletedAtRv = Long.parseLong(ns.getMetadata().getResourceVersion());
    List<CompletableFuture<CommandResult>> deletes = new ArrayList<>();
    int remaining = 0;
    boolean cachesBehind = !customKinds.settled(); // a custom kind's cache still loading may hold objects here
    for (Map.Entry<String, Informer<IndexedRecord>> e : namespaced.entrySet()) {
      Informer<IndexedRecord> informer = e.getValue();
      cachesBehind |= !informer.listReached(deletedAtRv);
      for (IndexedRecord o : informer.list(name)) {
        remaining++;
        ObjectMeta m = OwnerGraph.meta(o);
        if (m.getDeletionTimestamp() == null) {
          deletes.add(writer.deleteAsync(Kinds.require(e.getKey()), name, m.getName(), DeleteOptions.newBuilder()
              .setPreconditionUid(m.getUid()).setPropagationPolicy("Background").build()));
        }
      }
    }
    for (CompletableFuture<CommandResult> f : deletes) {
      f.join(); // a refusal (already gone, changed) is fine: the next pass looks again
    }
    if (remaining > 0) {
      log.info("namespace {} is terminating: {} objects left, {} deletes sent", name, remaining, deletes.size());
      return ReconcileResult.requeueAfter(CONTENT_RECHECK);
    }
    Instant deletedAt = Instant.parse(ns.getMetadata().getDeletionTimestamp());
    Instant now = clock.instant();
    if (cachesBehind || now.isBefore(deletedAt.plus(SETTLE))) {
      return ReconcileResult.requeueAfter(CONTENT_RECHECK);
    }
    Namespace finalized = OwnerGraph.copy(ns);
    List<String> finalizers = new ArrayList<>(finalized.getSpec().getFinalizers());
    finalizers.remove(NamespaceRules.KUBERNETES_FINALIZER);
    finalized.getSpec().setFinalizers(finalizers);
    try {
      writer.update(finalized);
      log.info("namespace {} is empty: released its kubernetes finalizer", name);
    } catch (WriteRejectedException e) {
      if (!e.isNotFound()) {
        throw e;
      }
    }
    return ReconcileResult.done();
  }
}
