package io.capstan.controllers.runtime;

import io.capstan.api.LabelSelector;
import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.api.Pod;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.avro.generic.IndexedRecord;

/**
 * Pod events turned into the keys of the sets that own the pods, as the DaemonSet and StatefulSet
 * controllers of Kubernetes do (addPod / updatePod / deletePod): a pod's controller (an owner
 * reference of the owner kind, with the uid of the set by that name) is synced, and its
 * expectations learn of creations and deletions; an orphan queues every set that selects it, so
 * one of them may adopt it; a pod marked for deletion counts as deleted; a pod that changed its
 * controller syncs the old one too.
 *
 * @param <S> the owning kind's objects
 */
public final class OwnedPodEvents<S extends IndexedRecord> implements ResourceEventHandler<Pod> {
  private final Kind ownerKind;
  private final Informer<S> sets;
  private final Function<S, ObjectMeta> meta;
  private final Predicate<S> selectsAnything;
  private final Function<S, LabelSelector> selectorOf;
  private final Expectations expectations;
  private final WorkQueue queue;

  /**
   * @param selectsAnything whether a set is whole enough to select pods (a valid spec and a
   *                        selector that is not empty)
   * @param selectorOf      the set's label selector
   */
  public OwnedPodEvents(Kind ownerKind, Informer<S> sets, Function<S, ObjectMeta> meta, Predicate<S> selectsAnything,
      Function<S, LabelSelector> selectorOf, Expectations expectations, WorkQueue queue) {
    this.ownerKind = ownerKind;
    this.sets = sets;
    this.meta = meta;
    this.selectsAnything = selectsAnything;
    this.selectorOf = selectorOf;
    this.expectations = expectations;
    this.queue = queue;
  }

  @Override
  public void onAdd(Pod pod) {
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      onDelete(pod); // a restart may show a pod already being deleted
      return;
    }
    ownerKey(pod).ifPresent(k -> {
      expectations.creationObserved(k);
      queue.add(k);
    });
    if (OwnerRefs.controllerOf(pod.getMetadata()).isEmpty()) {
      queueSelecting(pod); // an orphan: a set that selects it may adopt it
    }
  }

  @Override
  public void onUpdate(Pod old, Pod pod) {
    if (pod.getMetadata().getDeletionTimestamp() != null && old.getMetadata().getDeletionTimestamp() == null) {
      onDelete(pod); // kube counts a pod marked for deletion as deleted
      return;
    }
    Optional<OwnerReference> oldRef = OwnerRefs.controllerOf(old.getMetadata());
    Optional<OwnerReference> newRef = OwnerRefs.controllerOf(pod.getMetadata());
    if (!oldRef.equals(newRef) && oldRef.isPresent()) {
      keyOf(oldRef.get(), old).ifPresent(queue::add);
    }
    ownerKey(pod).ifPresent(queue::add);
    boolean labelsChanged = !PodConditions.labels(old).equals(PodConditions.labels(pod));
    if (newRef.isEmpty() && (labelsChanged || oldRef.isPresent())) {
      queueSelecting(pod);
    }
  }

  @Override
  public void onDelete(Pod pod) {
    ownerKey(pod).ifPresent(k -> {
      expectations.deletionObserved(k, OwnerRefs.key(Kinds.POD, pod.getMetadata()));
      queue.add(k);
    });
  }

  /** The key of the set that controls the pod (by name and uid), if any. */
  private Optional<String> ownerKey(Pod pod) {
    return OwnerRefs.controllerOf(pod.getMetadata()).flatMap(ref -> keyOf(ref, pod));
  }

  private Optional<String> keyOf(OwnerReference ref, Pod pod) {
    if (!ownerKind.kind().equals(ref.getKind())) {
      return Optional.empty();
    }
    Optional<S> set = sets.get(pod.getMetadata().getNamespace(), ref.getName());
    if (set.isEmpty() || !ref.getUid().equals(meta.apply(set.get()).getUid())) {
      return Optional.empty();
    }
    return Optional.of(OwnerRefs.key(ownerKind, meta.apply(set.get())));
  }

  private void queueSelecting(Pod pod) {
    for (S set : sets.list(pod.getMetadata().getNamespace())) {
      if (selectsAnything.test(set) && Selectors.matches(selectorOf.apply(set), PodConditions.labels(pod))) {
        queue.add(OwnerRefs.key(ownerKind, meta.apply(set)));
      }
    }
  }
}
