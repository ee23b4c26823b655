package io.capstan.scheduler.plugins;

import io.capstan.scheduler.framework.AffinityTerm;
import io.capstan.scheduler.framework.ClusterEvent;
import io.capstan.scheduler.framework.ClusterSnapshot;
import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.FilterPlugin;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.PreFilterPlugin;
import io.capstan.scheduler.framework.PreScorePlugin;
import io.capstan.scheduler.framework.ScorePlugin;
import io.capstan.scheduler.framework.Status;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Inter-pod affinity and anti-affinity. Filter (required terms): the node's domain must hold a
 * pod each affinity term selects (unless no pod anywhere matches and the pod matches its own
 * terms: the first of a group may start), no pod an anti-affinity term selects, and no existing
 * pod whose own anti-affinity selects the incoming pod. Score (preferred terms, both ways, plus
 * existing pods' required affinity at hardPodAffinityWeight): the summed weights per topology
 * domain, scaled between the lowest and highest node.
 */
public final class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  public static final String NAME = "InterPodAffinity";
  public static final String REASON_EXISTING_ANTI = "node(s) didn't satisfy existing pods anti-affinity rules";
  public static final String REASON_AFFINITY = "node(s) didn't match pod affinity rules";
  public static final String REASON_ANTI = "node(s) didn't match pod anti-affinity rules";
  private static final String PRE_FILTER = "PreFilter" + NAME;
  private static final String PRE_SCORE = "PreScore" + NAME;

  /** A topology domain: a label key and value. */
  record Domain(String key, String value) {}

  record FilterState(Map<Domain, Integer> existingAnti, Map<Domain, Integer> affinity, Map<Domain, Integer> anti) {}

  record ScoreState(Map<Domain, Long> scores) {}

  private final long hardPodAffinityWeight;

  public InterPodAffinity() {
    this(1);
  }

  public InterPodAffinity(long hardPodAffinityWeight) {
    this.hardPodAffinityWeight = hardPodAffinityWeight;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<ClusterEvent> events() {
    return Set.of(ClusterEvent.NODE_ADD, ClusterEvent.NODE_UPDATE, ClusterEvent.ASSIGNED_POD_ADD,
        ClusterEvent.ASSIGNED_POD_DELETE, ClusterEvent.ASSIGNED_POD_UPDATE, ClusterEvent.UNSCHEDULED_POD_UPDATE);
  }

  @Override
  public Status preFilter(CycleState state, PodInfo pod, ClusterSnapshot snapshot) {
    Map<String, Map<String, String>> nsLabels = snapshot.namespaceLabels();
    Map<Domain, Integer> existingAnti = new HashMap<>();
    for (NodeInfo node : snapshot.nodesWithRequiredAntiAffinityPods()) {
      for (PodInfo existing : node.pods()) {
        for (AffinityTerm t : existing.requiredAntiAffinity()) {
          // Whether the term selects the pod first: it is usually false, and cheaper than the node label lookup.
          if (!t.matches(pod, nsLabels)) {
            continue;
          }
          String v = node.labels().get(t.topologyKey());
          if (v != null) {
            existingAnti.merge(new Domain(t.topologyKey(), v), 1, Integer::sum);
          }
        }
      }
    }
    Map<Domain, Integer> affinity = new HashMap<>();
    Map<Domain, Integer> anti = new HashMap<>();
    if (!pod.requiredAffinity().isEmpty() || !pod.requiredAntiAffinity().isEmpty()) {
      for (NodeInfo node : snapshot.nodes()) {
        List<PodInfo> pods = node.pods();
        for (int i = 0; i < pods.size(); i++) {
          PodInfo existing = pods.get(i);
          count(pod.requiredAffinity(), existing, node, nsLabels, affinity);
          count(pod.requiredAntiAffinity(), existing, node, nsLabels, anti);
        }
      }
    }
    if (existingAnti.isEmpty() && pod.requiredAffinity().isEmpty() && pod.requiredAntiAffinity().isEmpty()) {
      return Status.SKIP;
    }
    state.write(PRE_FILTER, new FilterState(existingAnti, affinity, anti));
    return Status.SUCCESS;
  }

  private static void count(List<AffinityTerm> terms, PodInfo existing, NodeInfo node,
      Map<String, Map<String, String>> nsLabels, Map<Domain, Integer> into) {
    for (int i = 0; i < terms.size(); i++) {
      AffinityTerm t = terms.get(i);
      // Every pod in the cluster passes here each cycle: the label match rejects most, so it goes first.
      if (!t.matches(existing, nsLabels)) {
        continue;
      }
      String v = node.labels().get(t.topologyKey());
      if (v != null) {
        into.merge(new Domain(t.topologyKey(), v), 1, Integer::sum);
      }
    }
  }

  @Override
  public Status filter(CycleState state, PodInfo pod, NodeInfo node) {
    FilterState s = state.read(PRE_FILTER, FilterState.class);
    if (s == null) {
      return Status.SUCCESS;
    }
    if (!satisfiesAffinity(s, pod, node)) {
      return Status.unresolvable(REASON_AFFINITY);
    }
    for (AffinityTerm t : pod.requiredAntiAffinity()) {
      String v = node.labels().get(t.topologyKey());
      if (v != null && s.anti.getOrDefault(new Domain(t.topologyKey(), v), 0) > 0) {
        return Status.unschedulable(REASON_ANTI);
      }
    }
    if (!s.existingAnti.isEmpty()) {
      for (Map.Entry<String, String> label : node.labels().entrySet()) {
        if (s.existingAnti.getOrDefault(new Domain(label.getKey(), label.getValue()), 0) > 0) {
          return Status.unschedulable(REASON_EXISTING_ANTI);
        }
      }
    }
    return Status.SUCCESS;
  }

  private static boolean satisfiesAffinity(FilterState s, PodInfo pod, NodeInfo node) {
    boolean podsExist = true;
    for (AffinityTerm t : pod.requiredAffinity()) {
      String v = node.labels().get(t.topologyKey());
      if (v == null) {
        return false;
      }
      if (s.affinity.getOrDefault(new Domain(t.topologyKey(), v), 0) <= 0) {
        podsExist = false;
      }
    }
    if (podsExist) {
      return true;
    }
    // The first pod of a group with affinity to itself may go anywhere its topologies exist.
    if (s.affinity.isEmpty()) {
      for (AffinityTerm t : pod.requiredAffinity()) {
        if (!t.matches(pod, Map.of())) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  @Override
  public Status preScore(CycleState state, PodInfo pod, List<NodeInfo> feasible, ClusterSnapshot snapshot) {
    boolean hasConstraints = !pod.preferredAffinity().isEmpty() || !pod.preferredAntiAffinity().isEmpty();
    List<NodeInfo> nodes = hasConstraints ? snapshot.nodes() : snapshot.nodesWithAffinityPods();
    Map<String, Map<String, String>> nsLabels = snapshot.namespaceLabels();
    Map<Domain, Long> scores = new HashMap<>();
    for (NodeInfo node : nodes) {
      if (node.labels().isEmpty()) {
        continue;
      }
      for (PodInfo existing : node.pods()) {
        if (!hasConstraints && !existing.hasAffinity()) {
          continue;
        }
        add(scores, pod.preferredAffinity(), existing, node, nsLabels, 1, false);
        add(scores, pod.preferredAntiAffinity(), existing, node, nsLabels, -1, false);
        if (hardPodAffinityWeight > 0) {
          for (AffinityTerm t : existing.requiredAffinity()) {
            String v = node.labels().get(t.topologyKey());
            if (v != null && t.matches(pod, nsLabels)) {
              scores.merge(new Domain(t.topologyKey(), v), hardPodAffinityWeight, Long::sum);
            }
          }
        }
        add(scores, existing.preferredAffinity(), pod, node, nsLabels, 1, true);
        add(scores, existing.preferredAntiAffinity(), pod, node, nsLabels, -1, true);
      }
    }
    if (scores.isEmpty()) {
      return Status.SKIP;
    }
    state.write(PRE_SCORE, new ScoreState(scores));
    return Status.SUCCESS;
  }

  /** For each term matching {@code target}, adds its weight to the domain of {@code node}. */
  private static void add(Map<Domain, Long> scores, List<AffinityTerm> terms, PodInfo target, NodeInfo node,
      Map<String, Map<String, String>> nsLabels, int sign, boolean useNsLabels) {
    for (AffinityTerm t : terms) {
      String v = node.labels().get(t.topologyKey());
      if (v != null && t.matches(target, useNsLabels ? nsLabels : Map.of())) {
        scores.merge(new Domain(t.topologyKey(), v), (long) sign * t.weight(), Long::sum);
      }
    }
  }

  @Override
  public long score(CycleState state, PodInfo pod, NodeInfo node) {
    ScoreState s = state.read(PRE_SCORE, ScoreState.class);
    if (s == null) {
      return 0;
    }
    long total = 0;
    for (Map.Entry<Domain, Long> e : s.scores.entrySet()) {
      if (e.getKey().value.equals(node.labels().get(e.getKey().key))) {
        total += e.getValue();
      }
    }
    return total;
  }

  @Override
  public void normalize(CycleState state, PodInfo pod, NodeInfo[] nodes, long[] scores) {
    if (state.read(PRE_SCORE, ScoreState.class) == null) {
      return;
    }
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (long s : scores) {
      min = Math.min(min, s);
      max = Math.max(max, s);
    }
    long diff = max - min;
    for (int i = 0; i < scores.length; i++) {
      scores[i] = diff > 0 ? (long) (MAX_NODE_SCORE * ((double) (scores[i] - min) / diff)) : 0;
    }
  }
}
