package io.capstan.controllers.runtime;

import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.logschema.kinds.Kind;
import java.util.List;
import java.util.Optional;

/** Reading ownerReferences (metav1.GetControllerOf and friends). */
public final class OwnerRefs {
  private OwnerRefs() {}

  /** The owner reference with {@code controller: true}, if any: the one object that manages this one. */
  public static Optional<OwnerReference> controllerOf(ObjectMeta meta) {
    List<OwnerReference> refs = meta == null ? null : meta.getOwnerReferences();
    if (refs == null) {
      return Optional.empty();
    }
    for (OwnerReference r : refs) {
      if (Boolean.TRUE.equals(r.getController())) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  /** A controller reference to an owner, with blockOwnerDeletion as workload controllers set it. */
  public static OwnerReference controllerRef(Kind kind, ObjectMeta owner) {
    return OwnerReference.newBuilder()
        .setApiVersion(kind.apiVersion()).setKind(kind.kind())
        .setName(owner.getName()).setUid(owner.getUid())
        .setController(true).setBlockOwnerDeletion(true)
        .build();
  }

  /** The object key of an owner reference, in the dependent's namespace (owners are never in another one). */
  public static String ownerKey(OwnerReference ref, String namespace) {
    return ref.getKind() + "/" + (namespace == null ? "" : namespace) + "/" + ref.getName();
  }

  public static String key(Kind kind, ObjectMeta meta) {
    return kind.kind() + "/" + (meta.getNamespace() == null ? "" : meta.getNamespace()) + "/" + meta.getName();
  }
}
