package io.capstan.controllers.statefulset;

import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.Pod;
import io.capstan.api.StatefulSet;
import io.capstan.api.StatefulSetPersistentVolumeClaimRetentionPolicy;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * persistentVolumeClaimRetentionPolicy as owner references on a replica's claims, as kube's
 * isClaimOwnerUpToDate / updateClaimOwnerRefForSetAndPod: the garbage collector deletes a claim
 * once its owners are gone, so
 * <ul>
 *   <li>Retain / Retain: no reference to the set or the pod (the claim stays for ever);</li>
 *   <li>whenDeleted Delete: the set is the claim's controller while the pod is a replica;</li>
 *   <li>whenScaled Delete: a condemned pod (an ordinal beyond the replicas) becomes its claims'
 *   controller before it is deleted, and the set's reference goes.</li>
 * </ul>
 * A claim with a reference to an earlier set or pod of the same name (another uid) is left alone,
 * as is one that another object controls. Pure.
 */
public final class ClaimRetention {
  public static final String RETAIN = "Retain";
  public static final String DELETE = "Delete";

  private ClaimRetention() {}

  static boolean deleteWhenDeleted(StatefulSet set) {
    StatefulSetPersistentVolumeClaimRetentionPolicy p = set.getSpec().getPersistentVolumeClaimRetentionPolicy();
    return p != null && DELETE.equals(p.getWhenDeleted());
  }

  static boolean deleteWhenScaled(StatefulSet set) {
    StatefulSetPersistentVolumeClaimRetentionPolicy p = set.getSpec().getPersistentVolumeClaimRetentionPolicy();
    return p != null && DELETE.equals(p.getWhenScaled());
  }

  /** podInOrdinalRange: a replica, not condemned. */
  static boolean inRange(StatefulSet set, Pod pod) {
    int ordinal = StatefulPods.ordinal(set, pod);
    int start = StatefulPods.start(set);
    return ordinal >= start && ordinal < start + StatefulPods.replicas(set);
  }

  /** isClaimOwnerUpToDate: whether the claim's references to the set and pod are as the policy wants. */
  public static boolean upToDate(PersistentVolumeClaim claim, StatefulSet set, Pod pod) {
    ObjectMeta c = claim.getMetadata();
    if (stale(c, Kinds.STATEFUL_SET, set.getMetadata()) || stale(c, Kinds.POD, pod.getMetadata())) {
      return true; // an earlier set or pod of this name manages it: not ours to touch
    }
    boolean refSet = hasRef(c, set.getMetadata());
    boolean refPod = hasRef(c, pod.getMetadata());
    if (unexpectedController(claim, set, pod)) {
      return !refSet && !refPod; // ours go, none are added next to another controller
    }
    if (nonControllerRef(c, set.getMetadata()) || nonControllerRef(c, pod.getMetadata())) {
      return false;
    }
    boolean scaledDown = !inRange(set, pod);
    boolean wantSet = deleteWhenDeleted(set) && !(deleteWhenScaled(set) && scaledDown);
    boolean wantPod = deleteWhenScaled(set) && scaledDown;
    return refSet == wantSet && refPod == wantPod;
  }

  /**
   * updateClaimOwnerRefForSetAndPod: a copy of the claim whose references to the set and pod are
   * replaced by the controller references the policy wants.
   */
  public static PersistentVolumeClaim withOwners(PersistentVolumeClaim claim, StatefulSet set, Pod pod) {
    PersistentVolumeClaim out = PodTemplates.copy(claim);
    boolean unexpected = unexpectedController(claim, set, pod);
    List<OwnerReference> refs = new ArrayList<>();
    for (OwnerReference r : refs(claim.getMetadata())) {
      if (!matches(r, Kinds.STATEFUL_SET, set.getMetadata()) && !matches(r, Kinds.POD, pod.getMetadata())) {
        refs.add(r);
      }
    }
    if (!unexpected) {
      boolean scaledDown = !inRange(set, pod);
      if (deleteWhenScaled(set) && scaledDown) {
        refs.add(OwnerRefs.controllerRef(Kinds.POD, pod.getMetadata()));
      } else if (deleteWhenDeleted(set)) {
        refs.add(OwnerRefs.controllerRef(Kinds.STATEFUL_SET, set.getMetadata()));
      }
    }
    out.getMetadata().setOwnerReferences(refs.isEmpty() ? null : refs);
    return out;
  }

  /** The owner references a new claim of a replica is made with: the set's, when whenDeleted is Delete. */
  static List<OwnerReference> newClaimOwners(StatefulSet set) {
    return deleteWhenDeleted(set) ? List.of(OwnerRefs.controllerRef(Kinds.STATEFUL_SET, set.getMetadata())) : null;
  }

  /**
   * PodClaimIsStale: under whenScaled Delete, a claim still owned by an earlier pod of this name is
   * on its way out (the garbage collector deletes it); the pod waits rather than take it.
   */
  static boolean staleForNewPod(StatefulSet set, PersistentVolumeClaim claim, String podName) {
    if (!deleteWhenScaled(set)) {
      return false;
    }
    for (OwnerReference r : refs(claim.getMetadata())) {
      if (Kinds.POD.kind().equals(r.getKind()) && podName.equals(r.getName())) {
        return true; // the new pod has no uid yet: any reference to this name is an earlier pod's
      }
    }
    return false;
  }

  /** hasUnexpectedController: under a Delete policy, another object than the set or pod controls the claim. */
  private static boolean unexpectedController(PersistentVolumeClaim claim, StatefulSet set, Pod pod) {
    if (!deleteWhenDeleted(set) && !deleteWhenScaled(set)) {
      return false; // under Retain another controller may manage the claim
    }
    for (OwnerReference r : refs(claim.getMetadata())) {
      if (matches(r, Kinds.STATEFUL_SET, set.getMetadata())) {
        if (!r.getUid().equals(set.getMetadata().getUid())) {
          return true;
        }
      } else if (matches(r, Kinds.POD, pod.getMetadata())) {
        if (!r.getUid().equals(pod.getMetadata().getUid())) {
          return true;
        }
      } else if (Boolean.TRUE.equals(r.getController())) {
        return true;
      }
    }
    return false;
  }

  private static boolean stale(ObjectMeta claim, Kind kind, ObjectMeta owner) {
    Optional<OwnerReference> r = refs(claim).stream().filter(x -> matches(x, kind, owner)).findFirst();
    return r.isPresent() && !r.get().getUid().equals(owner.getUid());
  }

  private static boolean hasRef(ObjectMeta claim, ObjectMeta owner) {
    return refs(claim).stream().anyMatch(r -> r.getUid().equals(owner.getUid()));
  }

  private static boolean nonControllerRef(ObjectMeta claim, ObjectMeta owner) {
    return refs(claim).stream().anyMatch(r -> r.getUid().equals(owner.getUid())
        && !Boolean.TRUE.equals(r.getController()));
  }

  /** matchesRef: the same kind and name (of whatever uid). */
  private static boolean matches(OwnerReference r, Kind kind, ObjectMeta owner) {
    return kind.kind().equals(r.getKind()) && kind.apiVersion().equals(r.getApiVersion())
        && r.getName().equals(owner.getName());
  }

  private static List<OwnerReference> refs(ObjectMeta meta) {
    return meta.getOwnerReferences() == null ? List.of() : meta.getOwnerReferences();
  }
}
