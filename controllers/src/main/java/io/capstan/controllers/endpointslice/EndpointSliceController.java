package io.capstan.controllers.endpointslice;

import io.capstan.api.EndpointSlice;
import io.capstan.api.Pod;
import io.capstan.api.Service;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodConditions;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.ServiceKeys;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes' EndpointSlice controller: keeps the slices {@link EndpointSlicePlanner} plans for
 * each Service with a selector, labelled {@code kubernetes.io/service-name} and
 * {@code endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io} and owned by
 * the Service; creates the missing, updates the changed and deletes the extra ones it manages.
 * Selector-less Services keep whatever slices their owners write (no mirroring of manual Endpoints).
 */
public final class EndpointSliceController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EndpointSliceController.class);
  public static final String NAME = "endpointslice";

  private final Informer<Service> services;
  private final Informer<Pod> pods;
  private final Informer<EndpointSlice> slices;
  private final ObjectWriter writer;
  private final WorkQueue queue;
  private final Controller controller;

  public EndpointSliceController(SharedInformers informers, ObjectWriter writer, int workers, MeterRegistry registry) {
    this.services = informers.informerFor(Kinds.SERVICE, Service.class);
    this.pods = informers.informerFor(Kinds.POD, Pod.class);
    this.slices = informers.informerFor(Kinds.ENDPOINT_SLICE, EndpointSlice.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
  }

  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, services::keys);
  }

  public void start() {
    log.info("endpointslice controller starting");
    ServiceKeys.follow(services, pods, queue);
    slices.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onUpdate(EndpointSlice old, EndpointSlice s) {
        enqueueOwner(s);
      }

      @Override
      public void onDelete(EndpointSlice s) {
        enqueueOwner(s);
      }
    });
    controller.start();
  }

  private void enqueueOwner(EndpointSlice s) {
    Map<String, String> labels = s.getMetadata().getLabels();
    if (labels != null && EndpointSlicePlanner.MANAGED_BY.equals(labels.get(EndpointSlicePlanner.MANAGED_BY_LABEL))
        && labels.get(EndpointSlicePlanner.SERVICE_NAME_LABEL) != null) {
      queue.add(Kinds.SERVICE.kind() + "/" + s.getMetadata().getNamespace() + "/"
          + labels.get(EndpointSlicePlanner.SERVICE_NAME_LABEL));
    }
  }

  @Override
  public void close() {
    controller.close();
  }

  ReconcileResult reconcile(String key) throws Exception {
    String[] parts = key.split("/", 3);
    String ns = parts[1];
    String name = parts[2];
    List<EndpointSlice> managed = new ArrayList<>();
    for (EndpointSlice s : slices.list(ns)) {
      Map<String, String> labels = s.getMetadata().getLabels();
      if (labels != null && name.equals(labels.get(EndpointSlicePlanner.SERVICE_NAME_LABEL))
          && EndpointSlicePlanner.MANAGED_BY.equals(labels.get(EndpointSlicePlanner.MANAGED_BY_LABEL))) {
        managed.add(s);
      }
    }
    Optional<Service> found = services.get(ns, name);
    Map<String, EndpointSlice> wanted = found.isEmpty() || found.get().getSpec() == null
        || found.get().getSpec().getSelector() == null || found.get().getSpec().getSelector().isEmpty()
        || found.get().getMetadata().getDeletionTimestamp() != null
        ? Map.of() : EndpointSlicePlanner.plan(found.get(), pods.list(ns));
    for (EndpointSlice have : managed) {
      if (!wanted.containsKey(have.getMetadata().getName())) {
        delete(have);
      }
    }
    for (EndpointSlice want : wanted.values()) {
      Optional<EndpointSlice> have = managed.stream()
          .filter(s -> s.getMetadata().getName().equals(want.getMetadata().getName())).findFirst();
      if (have.isEmpty()) {
        try {
          writer.create(want);
        } catch (WriteRejectedException e) {
          if (e.isAlreadyExists()) {
            return ReconcileResult.requeueAfter(java.time.Duration.ofMillis(200)); // the cache is behind: look again
          }
          throw e;
        }
      } else if (!same(have.get(), want)) {
        EndpointSlice updated = PodTemplates.copy(have.get());
        updated.setEndpoints(want.getEndpoints());
        updated.setPorts(want.getPorts());
        updated.setAddressType(want.getAddressType());
        updated.getMetadata().setLabels(want.getMetadata().getLabels());
        updated.getMetadata().setOwnerReferences(want.getMetadata().getOwnerReferences());
        writer.update(updated);
      }
    }
    return ReconcileResult.done();
  }

  private void delete(EndpointSlice s) throws WriteRejectedException, InterruptedException {
    try {
      writer.delete(Kinds.ENDPOINT_SLICE, s.getMetadata().getNamespace(), s.getMetadata().getName(),
          DeleteOptions.newBuilder().setPreconditionUid(s.getMetadata().getUid()).build());
    } catch (WriteRejectedException e) {
      if (!e.isNotFound() && !e.isConflict()) {
        throw e;
      }
    }
  }

  private static boolean same(EndpointSlice have, EndpointSlice want) {
    return Objects.equals(orEmpty(have.getEndpoints()), orEmpty(want.getEndpoints()))
        && Objects.equals(have.getPorts(), want.getPorts())
        && Objects.equals(have.getAddressType(), want.getAddressType())
        && Objects.equals(have.getMetadata().getLabels(), want.getMetadata().getLabels())
        && Objects.equals(have.getMetadata().getOwnerReferences(), want.getMetadata().getOwnerReferences());
  }

  private static <T> List<T> orEmpty(List<T> l) {
    return l == null ? List.of() : l;
  }
}
