package io.capstan.stateviews.processor.authz;

import io.capstan.api.Node;
import io.capstan.api.NodeSelectorRequirement;
import io.capstan.api.NodeSelectorTerm;
import io.capstan.api.ObjectMeta;
import io.capstan.api.PersistentVolume;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.Pod;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.storage.VolumeClaims;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.avro.generic.IndexedRecord;

/**
 * Kubernetes' NodeRestriction admission for the commands of a node ({@code system:node:<name>}),
 * after RBAC allowed them: a node may register, change and delete only its own Node (and not its
 * taints), write only its own Lease in {@code kube-node-lease}, update the status of and delete
 * only the pods bound to it, and create only mirror pods bound to itself. Capstan's node agent
 * also provisions local-path volumes: a node may create and delete only PersistentVolumes whose
 * node affinity pins them to itself, and may hand a claim selected for it back to the scheduler
 * (an update that only removes {@code volume.kubernetes.io/selected-node} naming itself, as kube's
 * external provisioners do when the node cannot provision). The reasons are kube's words.
 */
public final class NodeRestriction {
  public static final String NODE_LEASE_NAMESPACE = "kube-node-lease";
  public static final String MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror";
  public static final String HOSTNAME_LABEL = "kubernetes.io/hostname";

  private NodeRestriction() {}

  /**
   * Why the node may not do this, or empty when it may.
   *
   * @param object the object the command carries (after a patch is rebased), or null
   * @param stored the object stored under the command's key, or null
   */
  public static Optional<String> refusal(String node, Command cmd, Kind kind, IndexedRecord object,
      IndexedRecord stored) {
    CommandOp op = cmd.getOp();
    if (Kinds.POD.equals(kind)) {
      return pod(node, op, (Pod) object, (Pod) stored);
    }
    if (Kinds.NODE.equals(kind)) {
      if (!node.equals(cmd.getName())) {
        return Optional.of("node \"" + node + "\" is not allowed to modify node \"" + cmd.getName() + "\"");
      }
      if (op == CommandOp.UPDATE && stored instanceof Node before && object instanceof Node after
          && !Objects.equals(taints(before), taints(after))) {
        return Optional.of("node \"" + node + "\" is not allowed to modify taints");
      }
      return Optional.empty();
    }
    if (Kinds.LEASE.equals(kind)) {
      if (!NODE_LEASE_NAMESPACE.equals(cmd.getNamespace())) {
        return Optional.of("can only access leases in the \"" + NODE_LEASE_NAMESPACE + "\" system namespace");
      }
      if (!node.equals(cmd.getName())) {
        return Optional.of("can only access node lease with the same name as the requesting node");
      }
      return Optional.empty();
    }
    if (Kinds.PERSISTENT_VOLUME.equals(kind)) {
      if (op == CommandOp.CREATE && !pinnedTo(node, (PersistentVolume) object)) {
        return Optional.of("node \"" + node + "\" can only create persistent volumes with a node affinity to itself");
      }
      if (op == CommandOp.DELETE && stored != null && !pinnedTo(node, (PersistentVolume) stored)) {
        return Optional.of("node \"" + node + "\" can only delete persistent volumes with a node affinity to itself");
      }
      return Optional.empty();
    }
    if (Kinds.PERSISTENT_VOLUME_CLAIM.equals(kind) && op == CommandOp.UPDATE
        && !handsBack(node, (PersistentVolumeClaim) object, (PersistentVolumeClaim) stored)) {
      return Optional.of("node \"" + node + "\" can only remove the " + VolumeClaims.SELECTED_NODE
          + " annotation naming itself from persistent volume claims");
    }
    return Optional.empty();
  }

  /**
   * Whether the update only removes the claim's selected-node annotation, which names the node
   * (labels, other annotations, finalizers, owners and spec as stored).
   */
  static boolean handsBack(String node, PersistentVolumeClaim after, PersistentVolumeClaim before) {
    if (after == null || before == null || after.getMetadata() == null || before.getMetadata() == null
        || !node.equals(VolumeClaims.annotation(before.getMetadata(), VolumeClaims.SELECTED_NODE).orElse(null))
        || VolumeClaims.annotation(after.getMetadata(), VolumeClaims.SELECTED_NODE).isPresent()) {
      return false;
    }
    ObjectMeta a = after.getMetadata();
    ObjectMeta b = before.getMetadata();
    Map<String, String> rest = new HashMap<>(b.getAnnotations());
    rest.remove(VolumeClaims.SELECTED_NODE);
    return rest.equals(orEmpty(a.getAnnotations())) && orEmpty(b.getLabels()).equals(orEmpty(a.getLabels()))
        && Objects.equals(orEmpty(b.getFinalizers()), orEmpty(a.getFinalizers()))
        && Objects.equals(orEmpty(b.getOwnerReferences()), orEmpty(a.getOwnerReferences()))
        && Objects.equals(before.getSpec(), after.getSpec());
  }

  private static <K, V> Map<K, V> orEmpty(Map<K, V> m) {
    return m == null ? Map.of() : m;
  }

  private static <T> List<T> orEmpty(List<T> l) {
    return l == null ? List.of() : l;
  }

  private static Optional<String> pod(String node, CommandOp op, Pod object, Pod stored) {
    switch (op) {
      case CREATE -> {
        Map<String, String> annotations = object == null ? null : meta(object).getAnnotations();
        if (annotations == null || !annotations.containsKey(MIRROR_POD_ANNOTATION)) {
          return Optional.of("pod does not have \"" + MIRROR_POD_ANNOTATION + "\" annotation, node \"" + node
              + "\" can only create mirror pods");
        }
        if (!node.equals(nodeName(object))) {
          return Optional.of("node \"" + node + "\" can only create pods with spec.nodeName set to itself");
        }
        return Optional.empty();
      }
      case UPDATE_STATUS -> {
        if (stored == null) {
          return Optional.empty(); // not found: the write answers 404
        }
        if (!node.equals(nodeName(stored))) {
          return Optional.of("node \"" + node + "\" can only update pod status for pods with spec.nodeName set to"
              + " itself");
        }
        // kube also refuses label changes through pod status; here a status update keeps all of the
        // stored metadata (ResetObjectMetaForStatus), so a node's copy with stale labels is no threat.
        return Optional.empty();
      }
      case DELETE -> {
        if (stored != null && !node.equals(nodeName(stored))) {
          return Optional.of("node \"" + node + "\" can only delete pods with spec.nodeName set to itself");
        }
        return Optional.empty();
      }
      default -> {
        return Optional.of("unexpected operation \"" + (op == CommandOp.BIND ? "CREATE" : "UPDATE") + "\", node \""
            + node + "\" can only create and delete mirror pods");
      }
    }
  }

  /** Whether the volume's required node affinity is exactly {@code kubernetes.io/hostname In [node]}. */
  static boolean pinnedTo(String node, PersistentVolume pv) {
    if (pv == null || pv.getSpec() == null || pv.getSpec().getNodeAffinity() == null
        || pv.getSpec().getNodeAffinity().getRequired() == null) {
      return false;
    }
    List<NodeSelectorTerm> terms = pv.getSpec().getNodeAffinity().getRequired().getNodeSelectorTerms();
    if (terms == null || terms.isEmpty()) {
      return false;
    }
    // Every term must pin the volume to this node: terms are ORed, so one open term would let it elsewhere.
    for (NodeSelectorTerm t : terms) {
      boolean pinned = false;
      for (NodeSelectorRequirement r : t.getMatchExpressions() == null ? List.<NodeSelectorRequirement>of()
          : t.getMatchExpressions()) {
        if (HOSTNAME_LABEL.equals(r.getKey()) && "In".equals(r.getOperator()) && List.of(node).equals(r.getValues())) {
          pinned = true;
        }
      }
      if (!pinned) {
        return false;
      }
    }
    return true;
  }

  private static String nodeName(Pod pod) {
    return pod.getSpec() == null || pod.getSpec().getNodeName() == null ? "" : pod.getSpec().getNodeName();
  }

  private static Object taints(Node node) {
    return node.getSpec() == null || node.getSpec().getTaints() == null ? List.of() : node.getSpec().getTaints();
  }

  private static ObjectMeta meta(Pod pod) {
    return pod.getMetadata() == null ? new ObjectMeta() : pod.getMetadata();
  }
}
