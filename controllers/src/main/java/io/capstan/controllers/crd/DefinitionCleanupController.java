package io.capstan.controllers.crd;

import io.capstan.api.CustomResourceDefinition;
import io.capstan.api.CustomResourceDefinitionStatus;
import io.capstan.api.ObjectMeta;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.crd.CustomResourceDefinitions;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.processor.rules.DefinitionRules;
import io.capstan.stateviews.processor.rules.ObjectFields;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.avro.generic.IndexedRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kube-apiserver's CRD finalizer controller: when a CustomResourceDefinition is being deleted (the
 * processor has added the {@code customresourcecleanup.apiextensions.k8s.io} finalizer and the
 * {@code Terminating} condition, and refuses new objects of its kind), every object of its kind is
 * deleted; once the kind's cache shows none, the finalizer is removed and the processor removes the
 * definition, which unregisters its kind.
 *
 * <p>A controller, not the processor: the objects live on every partition and the definition on
 * one, and the single writer changes one partition per transaction; a cascade across partitions
 * is a controller's work, as the namespace controller's is. "None left" is believed only when the
 * kind's cache is at least as new as the definition's deletion and a settle time has passed, so a
 * create that reached another partition before that partition saw the deletion is still deleted.
 */
public final class DefinitionCleanupController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DefinitionCleanupController.class);
  public static final String NAME = "customresourcedefinition-cleanup";
  /** Longer than the processor's commit interval and watermark period by far (as the namespace controller's). */
  static final Duration SETTLE = Duration.ofSeconds(2);
  private static final Duration RECHECK = Duration.ofMillis(500);
  private static final Duration SYNC_TIMEOUT = Duration.ofSeconds(60);

  private final SharedInformers informers;
  private final Informer<CustomResourceDefinition> definitions;
  private final ObjectWriter writer;
  private final Clock clock;
  private final WorkQueue queue;
  private final Controller controller;
  private io.capstan.stateviews.informer.Registration follower;

  public DefinitionCleanupController(SharedInformers informers, ObjectWriter writer, Clock clock, int workers,
      MeterRegistry registry) {
    this.informers = Objects.requireNonNull(informers, "informers");
    this.definitions = informers.informerFor(Kinds.CUSTOM_RESOURCE_DEFINITION, CustomResourceDefinition.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
  }

  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, definitions::keys);
  }

  public void start() {
    log.info("custom resource definition cleanup controller starting");
    follower = definitions.addHandler(new DefinitionFollower());
    definitions.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(CustomResourceDefinition crd) {
        enqueueIfDeleting(crd);
      }

      @Override
      public void onUpdate(CustomResourceDefinition old, CustomResourceDefinition crd) {
        enqueueIfDeleting(crd);
      }
    });
    controller.start();
  }

  private void enqueueIfDeleting(CustomResourceDefinition crd) {
    if (crd.getMetadata().getDeletionTimestamp() != null && CustomResourceDefinitions.hasCleanupFinalizer(crd)) {
      queue.add(Kinds.CUSTOM_RESOURCE_DEFINITION.kind() + "//" + crd.getMetadata().getName());
    }
  }

  @Override
  public void close() {
    if (follower != null) {
      follower.close();
    }
    controller.close();
  }

  ReconcileResult reconcile(String key) throws Exception {
    String name = key.substring(key.lastIndexOf('/') + 1);
    Optional<CustomResourceDefinition> found = definitions.get("", name);
    if (found.isEmpty() || found.get().getMetadata().getDeletionTimestamp() == null
        || !CustomResourceDefinitions.hasCleanupFinalizer(found.get())) {
      return ReconcileResult.done();
    }
    CustomResourceDefinition crd = found.get();
    Optional<Kind> kind = Kinds.byName(crd.getSpec().getNames().getKind())
        .filter(k -> k.custom() && name.equals(CustomResourceDefinitions.definitionName(k)));
    if (CustomResourceDefinitions.established(crd) && kind.isPresent()) {
      if (!inProgress(crd)) {
        return markInProgress(crd);
      }
      Informer<IndexedRecord> objects = informers.informerFor(kind.get(), IndexedRecord.class);
      if (!objects.isStarted()) {
        informers.start();
      }
      if (!objects.awaitSynced(SYNC_TIMEOUT)) {
        log.warn("definition {} is terminating, but the cache of {} did not load within {}", name,
            kind.get().kind(), SYNC_TIMEOUT);
        return ReconcileResult.requeueAfter(RECHECK);
      }
      int remaining = deleteAll(kind.get(), objects);
      if (remaining > 0) {
        log.info("definition {} is terminating: {} {} objects left", name, remaining, kind.get().kind());
        return ReconcileResult.requeueAfter(RECHECK);
      }
      long deletedAtRv = Long.parseLong(crd.getMetadata().getResourceVersion());
      Instant deletedAt = Instant.parse(crd.getMetadata().getDeletionTimestamp());
      if (!objects.listReached(deletedAtRv) || clock.instant().isBefore(deletedAt.plus(SETTLE))) {
        return ReconcileResult.requeueAfter(RECHECK);
      }
    }
    // Never established (or its kind not served here): it has no objects to delete.
    CustomResourceDefinition released = CustomResourceDefinition.newBuilder(crd).build();
    List<String> finalizers = new ArrayList<>(released.getMetadata().getFinalizers());
    finalizers.remove(CustomResourceDefinitions.CLEANUP_FINALIZER);
    released.getMetadata().setFinalizers(finalizers);
    try {
      writer.update(released);
      log.info("definition {}: every object is deleted, released its cleanup finalizer", name);
    } catch (WriteRejectedException e) {
      if (e.isConflict()) {
        return ReconcileResult.requeueAfter(RECHECK); // changed meanwhile: look again at the newer one
      }
      if (!e.isNotFound()) {
        throw e;
      }
    }
    return ReconcileResult.done();
  }

  private static boolean inProgress(CustomResourceDefinition crd) {
    return CustomResourceDefinitions.condition(crd, CustomResourceDefinitions.TERMINATING)
        .map(c -> "InstanceDeletionInProgress".equals(c.getReason())).orElse(false);
  }

  /** {@code Terminating=True, InstanceDeletionInProgress} (a status update), as Kubernetes shows it while deleting. */
  private ReconcileResult markInProgress(CustomResourceDefinition crd) throws Exception {
    CustomResourceDefinition marked = CustomResourceDefinition.newBuilder(crd).build();
    CustomResourceDefinitionStatus status = marked.getStatus() != null ? marked.getStatus()
        : CustomResourceDefinitionStatus.newBuilder().build();
    marked.setStatus(status);
    DefinitionRules.setCondition(status, CustomResourceDefinitions.TERMINATING, "True", "InstanceDeletionInProgress",
        "CustomResource deletion is in progress", ObjectFields.timestamp(clock.instant()));
    try {
      writer.updateStatus(marked);
    } catch (WriteRejectedException e) {
      if (!e.isConflict() && !e.isNotFound()) {
        throw e;
      }
    }
    return ReconcileResult.requeueAfter(RECHECK); // its update (read back) brings it here sooner
  }

  /** Sends a delete for every object not yet being deleted; the number of objects still there. */
  private int deleteAll(Kind kind, Informer<IndexedRecord> objects) {
    List<CompletableFuture<CommandResult>> deletes = new ArrayList<>();
    List<IndexedRecord> all = objects.list();
    for (IndexedRecord o : all) {
      ObjectMeta m = ObjectFields.meta(o);
      if (m.getDeletionTimestamp() == null) {
        deletes.add(writer.deleteAsync(kind, kind.namespaced() ? m.getNamespace() : null, m.getName(),
            DeleteOptions.newBuilder().setPreconditionUid(m.getUid()).setPropagationPolicy("Background").build()));
      }
    }
    for (CompletableFuture<CommandResult> f : deletes) {
      f.join(); // a refusal (already gone, changed) is fine: the next pass looks again
    }
    return all.size();
  }
}
