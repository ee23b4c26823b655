package io.capstan.stateviews.processor.rules;

import io.capstan.api.ObjectMeta;
import io.capstan.api.PersistentVolume;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.StorageClass;
import io.capstan.log.ErrorStatus;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.resource.Quantity;
import io.capstan.logschema.validation.FieldError;
import io.capstan.logschema.validation.StorageClassParameters;
import io.capstan.logschema.validation.StorageRules;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * kube-apiserver's storage admission plugins for claims and volumes: DefaultStorageClass (a claim
 * that names no class gets the default one: the class annotated
 * {@value #IS_DEFAULT_CLASS}{@code : "true"}, the newest when several are), StorageObjectInUseProtection
 * (every claim and volume is created with its protection finalizer), PersistentVolumeClaimResize (a
 * bound claim may ask for more storage only when its class allows volume expansion), and Capstan's
 * class size limit: a claim asking for more than its class's {@code maxSize} parameter is refused.
 */
public final class StorageAdmission {
  public static final String IS_DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class";
  public static final String PVC_PROTECTION = "kubernetes.io/pvc-protection";
  public static final String PV_PROTECTION = "kubernetes.io/pv-protection";

  private final NamedLookup<StorageClass> classes;

  public StorageAdmission(NamedLookup<StorageClass> classes) {
    this.classes = Objects.requireNonNull(classes, "classes");
  }

  /** Mutating admission of a new claim or volume, in place: the default class and the protection finalizer. */
  public void mutateCreate(Object object) {
    if (object instanceof PersistentVolumeClaim pvc) {
      if (pvc.getSpec() != null && pvc.getSpec().getStorageClassName() == null) {
        defaultClass().ifPresent(sc -> pvc.getSpec().setStorageClassName(sc.getMetadata().getName()));
      }
      addFinalizer(pvc.getMetadata(), PVC_PROTECTION);
    } else if (object instanceof PersistentVolume pv) {
      addFinalizer(pv.getMetadata(), PV_PROTECTION);
    }
  }

  /** Validating admission of a new claim: its request within its class's {@code maxSize}. Null when admitted. */
  public ErrorStatus admitCreate(PersistentVolumeClaim pvc) {
    if (pvc.getSpec() == null || pvc.getSpec().getStorageClassName() == null) {
      return null;
    }
    Optional<StorageClass> sc = classes.find(pvc.getSpec().getStorageClassName());
    String max = sc.map(StorageClass::getParameters).map(p -> p.get(StorageClassParameters.MAX_SIZE)).orElse(null);
    Quantity requested = StorageRules.requestedStorage(pvc);
    if (max == null || requested == null) {
      return null;
    }
    Quantity limit;
    try {
      limit = Quantity.parse(max);
    } catch (IllegalArgumentException e) {
      return null; // a class with a bad limit was refused when created; nothing to hold claims to
    }
    if (requested.compareTo(limit) > 0) {
      String value = pvc.getSpec().getResources().getRequests().get(StorageRules.STORAGE);
      return StatusErrors.invalid(Kinds.PERSISTENT_VOLUME_CLAIM, pvc.getMetadata().getName(), List.of(
          FieldError.invalid("spec.resources.requests[storage]", value, "must be no more than " + max
              + ", the " + StorageClassParameters.MAX_SIZE + " of StorageClass \"" + sc.get().getMetadata().getName()
              + "\"")));
    }
    return null;
  }

  /**
   * A claim's update asking for more storage (PersistentVolumeClaimResize): only a bound claim whose
   * class allows expansion may, and not past the class's {@code maxSize}. Null when admitted.
   */
  public ErrorStatus admitUpdate(PersistentVolumeClaim stored, PersistentVolumeClaim pvc) {
    Quantity before = StorageRules.requestedStorage(stored);
    Quantity after = StorageRules.requestedStorage(pvc);
    if (before == null || after == null || after.compareTo(before) <= 0) {
      return null;
    }
    String name = pvc.getMetadata().getName();
    String className = stored.getSpec() == null ? null : stored.getSpec().getStorageClassName();
    Optional<StorageClass> sc = className == null || className.isEmpty() ? Optional.empty() : classes.find(className);
    if (sc.isEmpty() || !Boolean.TRUE.equals(sc.get().getAllowVolumeExpansion())) {
      return StatusErrors.forbidden(Kinds.PERSISTENT_VOLUME_CLAIM, name, "only dynamically provisioned pvc can be "
          + "resized and the storageclass that provisions the pvc must support resize");
    }
    return admitCreate(pvc);
  }

  /** The default class: of those annotated so, the newest (then by name), as the plugin picks it. */
  public Optional<StorageClass> defaultClass() {
    List<StorageClass> defaults = new ArrayList<>();
    for (StorageClass sc : classes.all()) {
      ObjectMeta m = sc.getMetadata();
      if (m.getAnnotations() != null && "true".equals(m.getAnnotations().get(IS_DEFAULT_CLASS))
          && m.getDeletionTimestamp() == null) {
        defaults.add(sc);
      }
    }
    return defaults.stream().max(Comparator.<StorageClass, String>comparing(
        sc -> String.valueOf(sc.getMetadata().getCreationTimestamp())).thenComparing(
            sc -> sc.getMetadata().getName(), Comparator.reverseOrder()));
  }

  private static void addFinalizer(ObjectMeta meta, String finalizer) {
    List<String> finalizers = meta.getFinalizers() == null ? new ArrayList<>() : new ArrayList<>(meta.getFinalizers());
    if (!finalizers.contains(finalizer)) {
      finalizers.add(finalizer);
      meta.setFinalizers(finalizers);
    }
  }
}
