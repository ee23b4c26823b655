package io.capstan.scheduler.preemption;

import io.capstan.scheduler.algorithm.Diagnosis;
import io.capstan.scheduler.framework.ClusterSnapshot;
import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.Profile;
import io.capstan.scheduler.framework.Status;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * DefaultPreemption. Eligible pods (preemptionPolicy not Never, no lower-priority victims of
 * theirs still terminating on their nominated node) look at the nodes the filters rejected as
 * merely Unschedulable. On each, every lower-priority pod is removed; if the pod then fits, the
 * victims are added back one by one, most important first, and kept whenever the pod still fits
 * (reprieve). The node chosen has the lowest highest-victim priority, then the lowest priority
 * sum, then the fewest victims, then the most recently started highest-priority victim
 * (pickOneNodeForPreemption; PodDisruptionBudgets are not modelled yet).
 */
public final class Preemptor {
  static final String NOT_HELPFUL = "Preemption is not helpful for scheduling";
  static final String NO_VICTIMS = "No preemption victims found for incoming pod";

  private final Profile profile;

  public Preemptor(Profile profile) {
    this.profile = profile;
  }

  /**
   * Finds victims for {@code pod}, which fit nowhere as {@code diagnosis} says. Empty when
   * preemption cannot help; the diagnosis then carries Kubernetes' "preemption: …" message.
   */
  public Optional<Candidate> preempt(PodInfo pod, ClusterSnapshot snapshot, Diagnosis diagnosis) {
    if ("Never".equals(pod.spec().getPreemptionPolicy())) {
      diagnosis.setPostFilterMessage("not eligible due to preemptionPolicy=Never.");
      return Optional.empty();
    }
    String nominated = pod.pod().getStatus() == null ? null : pod.pod().getStatus().getNominatedNodeName();
    if (nominated != null && !nominated.isEmpty()) {
      NodeInfo n = snapshot.get(nominated);
      // Victims of an earlier preemption still going away: wait for them rather than evict more.
      if (n != null && n.pods().stream().anyMatch(p -> p.isTerminating() && p.priority() < pod.priority())) {
        diagnosis.setPostFilterMessage("not eligible: waiting for earlier victims on " + nominated + " to terminate.");
        return Optional.empty();
      }
    }
    Map<String, String> reasons = new HashMap<>();
    List<Candidate> candidates = new ArrayList<>();
    for (NodeInfo node : snapshot.nodes()) {
      Status s = diagnosis.nodeStatuses().get(node.name());
      if (s == null) {
        continue;
      }
      if (s.code() != Status.Code.UNSCHEDULABLE) {
        reasons.put(node.name(), NOT_HELPFUL);
        continue;
      }
      Optional<Candidate> c = selectVictims(pod, node, snapshot);
      if (c.isPresent()) {
        candidates.add(c.get());
      } else {
        reasons.put(node.name(), NO_VICTIMS);
      }
    }
    if (candidates.isEmpty()) {
      Map<String, Integer> histogram = new HashMap<>();
      reasons.values().forEach(r -> histogram.merge(r, 1, Integer::sum));
      List<String> parts = new ArrayList<>();
      histogram.forEach((r, n) -> parts.add(n + " " + r));
      Collections.sort(parts);
      diagnosis.setPostFilterMessage("preemption: 0/" + snapshot.nodes().size() + " nodes are available: "
          + String.join(", ", parts) + ".");
      return Optional.empty();
    }
    return Optional.of(pick(candidates));
  }

  /** SelectVictimsOnNode: remove every lower-priority pod, then reprieve as many as possible. */
  Optional<Candidate> selectVictims(PodInfo pod, NodeInfo node, ClusterSnapshot snapshot) {
    NodeInfo trial = node.copy();
    List<PodInfo> lower = new ArrayList<>();
    for (PodInfo p : node.pods()) {
      if (p.priority() < pod.priority() && !p.isTerminating()) {
        lower.add(p);
        trial.removePod(p);
      }
    }
    if (lower.isEmpty() || !fits(pod, trial, snapshot)) {
      return Optional.empty();
    }
    // Most important first: higher priority, then earlier start (MoreImportantPod).
    lower.sort(Comparator.comparingInt(PodInfo::priority).reversed().thenComparing(Preemptor::startTime));
    List<PodInfo> victims = new ArrayList<>();
    for (PodInfo p : lower) {
      trial.addPod(p);
      if (!fits(pod, trial, snapshot)) {
        trial.removePod(p);
        victims.add(p);
      }
    }
    return Optional.of(new Candidate(node.name(), victims));
  }

  private boolean fits(PodInfo pod, NodeInfo trial, ClusterSnapshot snapshot) {
    List<NodeInfo> nodes = new ArrayList<>(snapshot.nodes().size());
    for (NodeInfo n : snapshot.nodes()) {
      nodes.add(n.name().equals(trial.name()) ? trial : n);
    }
    ClusterSnapshot changed = new ClusterSnapshot(nodes, snapshot.namespaceLabels());
    CycleState state = new CycleState();
    HashSet<String> skip = new HashSet<>();
    if (!profile.runPreFilter(state, pod, changed, skip).isSuccess()) {
      return false;
    }
    return profile.runFilters(state, pod, trial, skip).isSuccess();
  }

  static Candidate pick(List<Candidate> candidates) {
    Comparator<Candidate> order = Comparator.comparingInt(Candidate::highestVictimPriority)
        .thenComparingLong(Candidate::prioritySum)
        .thenComparingInt(c -> c.victims().size())
        // Later start of the most important victim is better: it has run the shortest.
        .thenComparing(c -> latestStartOfHighest(c), Comparator.reverseOrder());
    return candidates.stream().min(order).orElseThrow();
  }

  private static String latestStartOfHighest(Candidate c) {
    int highest = c.highestVictimPriority();
    return c.victims().stream().filter(v -> v.priority() == highest).map(Preemptor::startTime)
        .max(Comparator.naturalOrder()).orElse("");
  }

  /** status.startTime, else creationTimestamp; RFC 3339 UTC strings sort by time. */
  static String startTime(PodInfo p) {
    String t = p.pod().getStatus() == null ? null : p.pod().getStatus().getStartTime();
    if (t == null) {
      t = p.pod().getMetadata().getCreationTimestamp();
    }
    return t == null ? "" : t;
  }
}
