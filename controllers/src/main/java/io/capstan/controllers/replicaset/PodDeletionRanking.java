package io.capstan.controllers.replicaset;

import io.capstan.api.Pod;
import io.capstan.controllers.runtime.PodConditions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which surplus pods go first, as Kubernetes' ActivePodsWithRanks: the pods that cost least to
 * lose. In order of the criteria:
 * <ol>
 *   <li>not yet assigned to a node before assigned;
 *   <li>Pending before Unknown before Running;
 *   <li>not ready before ready;
 *   <li>pods on a node that runs more of the owner's related pods before the others ("doubled up");
 *   <li>ready for a shorter time before a longer time;
 *   <li>more container restarts before fewer;
 *   <li>newer before older (then by name, so the order is total).
 * </ol>
 */
public final class PodDeletionRanking {
  private static final Map<String, Integer> PHASE_ORDER = Map.of(
      PodConditions.PENDING, 0, PodConditions.UNKNOWN, 1, PodConditions.RUNNING, 2);

  private PodDeletionRanking() {}

  /**
   * The {@code count} pods to delete from {@code candidates}; {@code related} (the owner's pods,
   * or all pods of the owner's owner) gives the per-node rank.
   */
  public static List<Pod> podsToDelete(List<Pod> candidates, List<Pod> related, int count) {
    if (count <= 0) {
      return List.of();
    }
    Map<String, Integer> onNode = new HashMap<>();
    for (Pod p : related) {
      String node = PodConditions.nodeName(p);
      if (!node.isEmpty() && PodConditions.isActive(p)) {
        onNode.merge(node, 1, Integer::sum);
      }
    }
    List<Pod> sorted = new ArrayList<>(candidates);
    sorted.sort(order(onNode));
    return List.copyOf(sorted.subList(0, Math.min(count, sorted.size())));
  }

  /** The deletion order: the first pod is deleted first. */
  public static Comparator<Pod> order(Map<String, Integer> relatedPodsPerNode) {
    return (a, b) -> {
      boolean aAssigned = !PodConditions.nodeName(a).isEmpty();
      boolean bAssigned = !PodConditions.nodeName(b).isEmpty();
      if (aAssigned != bAssigned) {
        return aAssigned ? 1 : -1;
      }
      int pa = PHASE_ORDER.getOrDefault(PodConditions.phase(a), -1);
      int pb = PHASE_ORDER.getOrDefault(PodConditions.phase(b), -1);
      if (pa != pb) {
        return Integer.compare(pa, pb);
      }
      boolean aReady = PodConditions.isReady(a);
      boolean bReady = PodConditions.isReady(b);
      if (aReady != bReady) {
        return aReady ? 1 : -1;
      }
      int ra = relatedPodsPerNode.getOrDefault(PodConditions.nodeName(a), 0);
      int rb = relatedPodsPerNode.getOrDefault(PodConditions.nodeName(b), 0);
      if (ra != rb) {
        return Integer.compare(rb, ra); // more doubled up first
      }
      if (aReady) {
        Instant sa = PodConditions.readySince(a).orElse(Instant.MAX);
        Instant sb = PodConditions.readySince(b).orElse(Instant.MAX);
        if (!sa.equals(sb)) {
          return sb.compareTo(sa); // ready more recently first
        }
      }
      int restarts = Integer.compare(PodConditions.restarts(b), PodConditions.restarts(a));
      if (restarts != 0) {
        return restarts;
      }
      int created = PodConditions.created(b).compareTo(PodConditions.created(a)); // newer first
      if (created != 0) {
        return created;
      }
      return a.getMetadata().getName().compareTo(b.getMetadata().getName());
    };
  }
}
