package io.capstan.logschema.storage;

import io.capstan.api.ObjectMeta;
import io.capstan.api.ObjectReference;
import io.capstan.api.PersistentVolume;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.StorageClass;
import io.capstan.logschema.labels.LabelSelectors;
import io.capstan.logschema.nodeaffinity.NodeSelectorMatcher;
import io.capstan.logschema.resource.Quantity;
import io.capstan.logschema.validation.StorageRules;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Which PersistentVolume can serve a claim, as kube's PV controller and volume binder decide it
 * (persistentvolume/index.go findMatchingVolume): a volume pre-bound to the claim wins when big
 * enough and of the right modes; otherwise the smallest Available, unclaimed volume of the claim's
 * class, volume mode and access modes with at least the requested storage, whose labels the
 * claim's selector matches and, when a node is given, whose node affinity admits that node.
 */
public final class VolumeClaims {
  /** On a claim: the node the scheduler chose for its first pod (WaitForFirstConsumer). */
  public static final String SELECTED_NODE = "volume.kubernetes.io/selected-node";
  /** On a claim: the provisioner asked to make its volume. */
  public static final String STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner";
  public static final String BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner";
  /** On a claim: the binder finished binding it (its volume's claimRef points back). */
  public static final String BIND_COMPLETED = "pv.kubernetes.io/bind-completed";
  /** On a claim or volume: the binder (not the user) wrote the binding. */
  public static final String BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller";
  /** On a volume: the provisioner that made it (and deletes it). */
  public static final String PROVISIONED_BY = "pv.kubernetes.io/provisioned-by";
  public static final String YES = "yes";
  public static final String BOUND = "Bound";
  public static final String AVAILABLE = "Available";
  public static final String RELEASED = "Released";
  public static final String PENDING = "Pending";
  public static final String LOST = "Lost";
  public static final String FAILED = "Failed";

  private VolumeClaims() {}

  /** The class a claim asks for; "" for none. */
  public static String className(PersistentVolumeClaim claim) {
    String c = claim.getSpec() == null ? null : claim.getSpec().getStorageClassName();
    return c == null ? "" : c;
  }

  public static String className(PersistentVolume volume) {
    String c = volume.getSpec() == null ? null : volume.getSpec().getStorageClassName();
    return c == null ? "" : c;
  }

  public static Optional<String> annotation(ObjectMeta meta, String key) {
    return meta.getAnnotations() == null ? Optional.empty() : Optional.ofNullable(meta.getAnnotations().get(key));
  }

  /** Whether the class binds a claim only once a pod using it is scheduled. */
  public static boolean delaysBinding(StorageClass sc) {
    return sc != null && StorageRules.WAIT_FOR_FIRST_CONSUMER.equals(sc.getVolumeBindingMode());
  }

  /** Whether the volume's claimRef names this claim (by uid once it has one). */
  public static boolean boundToClaim(PersistentVolume volume, PersistentVolumeClaim claim) {
    ObjectReference ref = volume.getSpec() == null ? null : volume.getSpec().getClaimRef();
    if (ref == null) {
      return false;
    }
    ObjectMeta m = claim.getMetadata();
    return Objects.equals(ref.getName(), m.getName()) && Objects.equals(ref.getNamespace(), m.getNamespace())
        && (ref.getUid() == null || ref.getUid().isEmpty() || ref.getUid().equals(m.getUid()));
  }

  /** Whether the volume's node affinity admits the node (no affinity: every node). */
  public static boolean admitsNode(PersistentVolume volume, String nodeName, Map<String, String> nodeLabels) {
    if (volume.getSpec() == null || volume.getSpec().getNodeAffinity() == null
        || volume.getSpec().getNodeAffinity().getRequired() == null) {
      return true;
    }
    return NodeSelectorMatcher.anyTermMatches(volume.getSpec().getNodeAffinity().getRequired().getNodeSelectorTerms(),
        nodeName, nodeLabels == null ? Map.of() : nodeLabels);
  }

  /** The claim's access modes are all among the volume's. */
  public static boolean accessModesFit(PersistentVolumeClaim claim, PersistentVolume volume) {
    List<String> wanted = claim.getSpec() == null || claim.getSpec().getAccessModes() == null ? List.of()
        : claim.getSpec().getAccessModes();
    List<String> has = volume.getSpec() == null || volume.getSpec().getAccessModes() == null ? List.of()
        : volume.getSpec().getAccessModes();
    return has.containsAll(wanted);
  }

  /**
   * The volume to bind the claim to, if any.
   *
   * @param nodeName the node the claim's pod goes to (scheduler, or a selected node), or null
   * @param delayBinding whether the claim's class waits for a consumer: then, without a node, only
   *     a volume pre-bound to the claim is chosen
   */
  public static Optional<PersistentVolume> findMatchingVolume(PersistentVolumeClaim claim,
      Collection<PersistentVolume> volumes, String nodeName, Map<String, String> nodeLabels, boolean delayBinding) {
    Quantity requested = StorageRules.requestedStorage(claim);
    if (requested == null) {
      return Optional.empty();
    }
    String requestedClass = className(claim);
    String mode = claim.getSpec().getVolumeMode() == null ? "Filesystem" : claim.getSpec().getVolumeMode();
    PersistentVolume smallest = null;
    Quantity smallestSize = null;
    for (PersistentVolume v : volumes) {
      if (v.getSpec() == null || v.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      Quantity size = StorageRules.capacity(v);
      String volumeMode = v.getSpec().getVolumeMode() == null ? "Filesystem" : v.getSpec().getVolumeMode();
      if (size == null || !mode.equals(volumeMode)) {
        continue;
      }
      if (boundToClaim(v, claim)) {
        if (size.compareTo(requested) >= 0 && accessModesFit(claim, v)
            && (nodeName == null || admitsNode(v, nodeName, nodeLabels))) {
          return Optional.of(v);
        }
        continue;
      }
      if (nodeName == null && delayBinding) {
        continue; // the scheduler picks the node first
      }
      String phase = v.getStatus() == null ? null : v.getStatus().getPhase();
      if (!AVAILABLE.equals(phase) || v.getSpec().getClaimRef() != null) {
        continue;
      }
      if (claim.getSpec().getSelector() != null
          && !LabelSelectors.matches(claim.getSpec().getSelector(), v.getMetadata().getLabels())) {
        continue;
      }
      if (!requestedClass.equals(className(v)) || !accessModesFit(claim, v)) {
        continue;
      }
      if (nodeName != null && !admitsNode(v, nodeName, nodeLabels)) {
        continue;
      }
      if (size.compareTo(requested) >= 0 && (smallest == null || smallestSize.compareTo(size) > 0)) {
        smallest = v;
        smallestSize = size;
      }
    }
    return Optional.ofNullable(smallest);
  }

  /** A reference to the claim, as a volume's claimRef holds it. */
  public static ObjectReference claimRef(PersistentVolumeClaim claim) {
    ObjectMeta m = claim.getMetadata();
    return ObjectReference.newBuilder().setKind("PersistentVolumeClaim").setApiVersion("v1")
        .setNamespace(m.getNamespace()).setName(m.getName()).setUid(m.getUid())
        .setResourceVersion(m.getResourceVersion()).build();
  }
}
