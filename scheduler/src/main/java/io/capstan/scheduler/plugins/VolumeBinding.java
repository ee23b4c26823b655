package io.capstan.scheduler.plugins;

import io.capstan.api.PersistentVolume;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.StorageClass;
import io.capstan.api.Volume;
import io.capstan.logschema.storage.VolumeClaims;
import io.capstan.scheduler.framework.ClusterEvent;
import io.capstan.scheduler.framework.ClusterSnapshot;
import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.FilterPlugin;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.PreFilterPlugin;
import io.capstan.scheduler.framework.Status;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * kube-scheduler's VolumeBinding for a pod's PersistentVolumeClaims. PreFilter: every claim must
 * exist and not be being deleted, and an unbound claim must be of a WaitForFirstConsumer class (an
 * Immediate one is the binder's to bind first). Filter: a bound claim's volume must admit the node
 * (its node affinity, as a local volume's); an unbound claim needs a matching Available volume the
 * node can reach, or a class whose provisioner can make one there (its allowedTopologies). The
 * scheduler then names the node on each such claim ({@link #claimsToPlace}, PreBind's
 * {@code volume.kubernetes.io/selected-node}), and the binder or the provisioner does the rest.
 */
public final class VolumeBinding implements PreFilterPlugin, FilterPlugin {
  public static final String NAME = "VolumeBinding";
  public static final String UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims";
  public static final String AFFINITY_CONFLICT = "node(s) had volume node affinity conflict";
  public static final String NO_VOLUME = "node(s) didn't find available persistent volumes to bind";
  private static final String STATE = NAME + "/claims";

  /** What the plugin reads: the claim, volume and class informers' stores. */
  public interface Listers {
    Optional<PersistentVolumeClaim> claim(String namespace, String name);

    Optional<PersistentVolume> volume(String name);

    Collection<PersistentVolume> volumes();

    Optional<StorageClass> storageClass(String name);

    /** No claims at all: a pod with claims waits (as for a claim not yet in the cache). */
    Listers NONE = new Listers() {
      @Override
      public Optional<PersistentVolumeClaim> claim(String namespace, String name) {
        return Optional.empty();
      }

      @Override
      public Optional<PersistentVolume> volume(String name) {
        return Optional.empty();
      }

      @Override
      public Collection<PersistentVolume> volumes() {
        return List.of();
      }

      @Override
      public Optional<StorageClass> storageClass(String name) {
        return Optional.empty();
      }
    };
  }

  /** One cycle's claims: the volumes of the bound ones, and the unbound ones with their classes. */
  private record Claims(List<PersistentVolume> bound, List<PersistentVolumeClaim> unbound,
      List<StorageClass> unboundClasses, Collection<PersistentVolume> volumes) {}

  private final Listers listers;

  public VolumeBinding(Listers listers) {
    this.listers = listers;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<ClusterEvent> events() {
    return Set.of(ClusterEvent.NODE_ADD, ClusterEvent.NODE_UPDATE, ClusterEvent.VOLUME_CHANGE,
        ClusterEvent.UNSCHEDULED_POD_UPDATE);
  }

  /** The names of the claims a pod's volumes refer to. */
  public static List<String> claimNames(PodInfo pod) {
    List<String> out = new ArrayList<>();
    List<Volume> volumes = pod.spec().getVolumes();
    if (volumes != null) {
      for (Volume v : volumes) {
        if (v.getPersistentVolumeClaim() != null) {
          out.add(v.getPersistentVolumeClaim().getClaimName());
        }
      }
    }
    return out;
  }

  @Override
  public Status preFilter(CycleState state, PodInfo pod, ClusterSnapshot snapshot) {
    List<String> names = claimNames(pod);
    if (names.isEmpty()) {
      return Status.SKIP;
    }
    List<PersistentVolume> bound = new ArrayList<>();
    List<PersistentVolumeClaim> unbound = new ArrayList<>();
    List<StorageClass> classes = new ArrayList<>();
    for (String name : names) {
      Optional<PersistentVolumeClaim> found = listers.claim(pod.namespace(), name);
      if (found.isEmpty()) {
        return Status.unresolvable("persistentvolumeclaim \"" + name + "\" not found");
      }
      PersistentVolumeClaim claim = found.get();
      if (claim.getMetadata().getDeletionTimestamp() != null) {
        return Status.unresolvable("persistentvolumeclaim \"" + name + "\" is being deleted");
      }
      String volumeName = claim.getSpec() == null ? null : claim.getSpec().getVolumeName();
      if (volumeName != null && !volumeName.isEmpty()) {
        Optional<PersistentVolume> pv = listers.volume(volumeName);
        if (pv.isEmpty()) {
          return Status.unresolvable("pvc " + pod.namespace() + "/" + name + " bound to non-existent pv " + volumeName);
        }
        bound.add(pv.get());
        continue;
      }
      String className = VolumeClaims.className(claim);
      StorageClass sc = className.isEmpty() ? null : listers.storageClass(className).orElse(null);
      if (!VolumeClaims.delaysBinding(sc)) {
        return Status.unresolvable(UNBOUND_IMMEDIATE);
      }
      unbound.add(claim);
      classes.add(sc);
    }
    state.write(STATE, new Claims(bound, unbound, classes, unbound.isEmpty() ? List.of() : listers.volumes()));
    return Status.SUCCESS;
  }

  @Override
  public Status filter(CycleState state, PodInfo pod, NodeInfo node) {
    Claims claims = state.read(STATE, Claims.class);
    if (claims == null) {
      return Status.SUCCESS;
    }
    for (PersistentVolume pv : claims.bound()) {
      if (!VolumeClaims.admitsNode(pv, node.name(), node.labels())) {
        return Status.unresolvable(AFFINITY_CONFLICT);
      }
    }
    for (int i = 0; i < claims.unbound().size(); i++) {
      PersistentVolumeClaim claim = claims.unbound().get(i);
      if (VolumeClaims.findMatchingVolume(claim, claims.volumes(), node.name(), node.labels(), true).isPresent()) {
        continue;
      }
      if (!canProvision(claims.unboundClasses().get(i), node)) {
        return Status.unresolvable(NO_VOLUME);
      }
    }
    return Status.SUCCESS;
  }

  /** A class with a provisioner can make a volume on a node its allowedTopologies admit (all, when unset). */
  private static boolean canProvision(StorageClass sc, NodeInfo node) {
    if (sc.getProvisioner() == null || sc.getProvisioner().isEmpty()
        || "kubernetes.io/no-provisioner".equals(sc.getProvisioner())) {
      return false;
    }
    if (sc.getAllowedTopologies() == null || sc.getAllowedTopologies().isEmpty()) {
      return true;
    }
    for (var term : sc.getAllowedTopologies()) {
      boolean all = true;
      for (var req : term.getMatchLabelExpressions() == null ? List.<io.capstan.api.TopologySelectorLabelRequirement>of()
          : term.getMatchLabelExpressions()) {
        String value = "kubernetes.io/hostname".equals(req.getKey()) && !node.labels().containsKey(req.getKey())
            ? node.name() : node.labels().get(req.getKey());
        all &= value != null && req.getValues().contains(value);
      }
      if (all) {
        return true;
      }
    }
    return false;
  }

  /**
   * PreBind: the pod's unbound WaitForFirstConsumer claims that do not name a node yet, each to be
   * annotated with {@code volume.kubernetes.io/selected-node} set to the pod's node.
   */
  public List<PersistentVolumeClaim> claimsToPlace(PodInfo pod) {
    List<PersistentVolumeClaim> out = new ArrayList<>();
    for (String name : claimNames(pod)) {
      Optional<PersistentVolumeClaim> claim = listers.claim(pod.namespace(), name);
      if (claim.isEmpty() || claim.get().getSpec() == null) {
        continue;
      }
      String volumeName = claim.get().getSpec().getVolumeName();
      if ((volumeName == null || volumeName.isEmpty())
          && VolumeClaims.annotation(claim.get().getMetadata(), VolumeClaims.SELECTED_NODE).isEmpty()) {
        out.add(claim.get());
      }
    }
    return out;
  }
}
