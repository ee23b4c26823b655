package io.capstan.controllers.podgc;

import io.capstan.api.Node;
import io.capstan.api.Pod;
import io.capstan.api.Taint;
import io.capstan.controllers.runtime.PodConditions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What one pass of the pod garbage collector deletes, and why (PodGCController.gc), given the
 * pods and nodes in the cache: nothing is written here.
 * <ol>
 *   <li><b>terminated</b>: the terminated pods beyond the threshold, evicted ones first, then the
 *       oldest (by creation, then name);</li>
 *   <li><b>out of service</b>: terminating pods on a node that is not Ready and carries the
 *       {@value #OUT_OF_SERVICE} taint (their kubelet will never finish them);</li>
 *   <li><b>orphaned</b>: pods bound to a node missing from the cache for the whole quarantine
 *       ({@link MissingNodes});</li>
 *   <li><b>unscheduled terminating</b>: pods being deleted that were never bound to a node.</li>
 * </ol>
 * A pod is deleted for its first reason only.
 */
final class PodGcPlan {
  /** The taint an administrator puts on a node that is shut down for good (non-graceful node shutdown). */
  static final String OUT_OF_SERVICE = "node.kubernetes.io/out-of-service";

  /** Why a pod is deleted: kube's {@code reason} label of pod_gc_collector_force_delete_pods_total. */
  enum Reason {
    TERMINATED("terminated"), OUT_OF_SERVICE("out-of-service"), ORPHANED("orphaned"),
    UNSCHEDULED_TERMINATING("terminating_unscheduled");

    final String label;

    Reason(String label) {
      this.label = label;
    }
  }

  private PodGcPlan() {}

  /**
   * The pods to delete, each with its reason, in the order kube goes through them.
   *
   * @param gone the nodes whose quarantine ran out ({@link MissingNodes#gone})
   */
  static Map<Pod, Reason> plan(Collection<Pod> pods, Collection<Node> nodes, Set<String> gone, int threshold) {
    Map<String, Pod> byUid = new LinkedHashMap<>();
    Map<Pod, Reason> out = new LinkedHashMap<>();
    java.util.function.BiConsumer<Pod, Reason> add = (p, r) -> {
      if (byUid.putIfAbsent(p.getMetadata().getUid(), p) == null) {
        out.put(p, r);
      }
    };
    terminatedBeyond(pods, threshold).forEach(p -> add.accept(p, Reason.TERMINATED));
    terminatingOutOfService(pods, nodes).forEach(p -> add.accept(p, Reason.OUT_OF_SERVICE));
    for (Pod p : pods) {
      if (!PodConditions.nodeName(p).isEmpty() && gone.contains(PodConditions.nodeName(p))) {
        add.accept(p, Reason.ORPHANED);
      }
    }
    for (Pod p : pods) {
      if (p.getMetadata().getDeletionTimestamp() != null && PodConditions.nodeName(p).isEmpty()) {
        add.accept(p, Reason.UNSCHEDULED_TERMINATING);
      }
    }
    return out;
  }

  /** gcTerminated: how many terminated pods exceed the threshold, those to go first (none when the threshold is 0 or less). */
  static List<Pod> terminatedBeyond(Collection<Pod> pods, int threshold) {
    if (threshold <= 0) {
      return List.of();
    }
    List<Pod> terminated = new ArrayList<>();
    for (Pod p : pods) {
      if (isTerminated(p)) {
        terminated.add(p);
      }
    }
    int excess = terminated.size() - threshold;
    if (excess <= 0) {
      return List.of();
    }
    terminated.sort(BY_EVICTION_AND_CREATION);
    return terminated.subList(0, excess);
  }

  /** gcTerminating: terminating pods on nodes shut down for good. */
  static List<Pod> terminatingOutOfService(Collection<Pod> pods, Collection<Node> nodes) {
    Set<String> outOfService = new HashSet<>();
    for (Node n : nodes) {
      boolean ready = n.getStatus() != null && n.getStatus().getConditions() != null && n.getStatus().getConditions()
          .stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
      List<Taint> taints = n.getSpec() == null || n.getSpec().getTaints() == null ? List.of() : n.getSpec().getTaints();
      if (!ready && taints.stream().anyMatch(t -> OUT_OF_SERVICE.equals(t.getKey()))) {
        outOfService.add(n.getMetadata().getName());
      }
    }
    List<Pod> out = new ArrayList<>();
    for (Pod p : pods) {
      if (p.getMetadata().getDeletionTimestamp() != null && outOfService.contains(PodConditions.nodeName(p))) {
        out.add(p);
      }
    }
    out.sort(BY_EVICTION_AND_CREATION);
    return out;
  }

  /** isPodTerminated: neither Pending, Running nor Unknown. */
  static boolean isTerminated(Pod p) {
    String phase = PodConditions.phase(p);
    return !phase.isEmpty() && !PodConditions.PENDING.equals(phase) && !PodConditions.RUNNING.equals(phase)
        && !PodConditions.UNKNOWN.equals(phase);
  }

  /** eviction.PodIsEvicted: failed with reason Evicted. */
  static boolean isEvicted(Pod p) {
    return p.getStatus() != null && PodConditions.FAILED.equals(p.getStatus().getPhase())
        && "Evicted".equals(p.getStatus().getReason());
  }

  /** byEvictionAndCreationTimestamp: evicted pods first, then the oldest, names breaking ties. */
  static final Comparator<Pod> BY_EVICTION_AND_CREATION = Comparator
      .comparing((Pod p) -> !isEvicted(p))
      .thenComparing(PodConditions::created)
      .thenComparing(p -> p.getMetadata().getName());

  /**
   * The quarantine of nodes that pods are bound to but the cache does not hold (the PodGC's
   * delaying node queue): a node missing for the whole quarantine is taken as deleted. Used by one
   * pass at a time.
   */
  static final class MissingNodes {
    private final Duration quarantine;
    private final Map<String, Instant> missingSince = new HashMap<>();

    MissingNodes(Duration quarantine) {
      this.quarantine = quarantine;
    }

    /** Notes which bound nodes are missing now; returns those missing for the whole quarantine. */
    Set<String> gone(Collection<Pod> pods, Collection<Node> nodes, Instant now) {
      Set<String> existing = new HashSet<>();
      nodes.forEach(n -> existing.add(n.getMetadata().getName()));
      Set<String> missing = new HashSet<>();
      for (Pod p : pods) {
        String node = PodConditions.nodeName(p);
        if (!node.isEmpty() && !existing.contains(node)) {
          missing.add(node);
        }
      }
      missingSince.keySet().retainAll(missing); // came back, or no pod is bound to it any more
      Set<String> gone = new HashSet<>();
      for (String node : missing) {
        Instant since = missingSince.computeIfAbsent(node, n -> now);
        if (!since.plus(quarantine).isAfter(now)) {
          gone.add(node);
        }
      }
      return gone;
    }

    /** When the next quarantine still running after {@code now} runs out, if one is. */
    Optional<Instant> nextExpiry(Instant now) {
      return missingSince.values().stream().map(t -> t.plus(quarantine)).filter(t -> t.isAfter(now))
          .min(Comparator.naturalOrder());
    }
  }
}
