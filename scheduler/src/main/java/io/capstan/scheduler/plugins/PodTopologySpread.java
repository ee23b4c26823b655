package io.capstan.scheduler.plugins;

import io.capstan.api.Taint;
import io.capstan.api.TopologySpreadConstraint;
import io.capstan.scheduler.framework.ClusterEvent;
import io.capstan.scheduler.framework.ClusterSnapshot;
import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.FilterPlugin;
import io.capstan.scheduler.framework.LabelMatcher;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.PreFilterPlugin;
import io.capstan.scheduler.framework.PreScorePlugin;
import io.capstan.scheduler.framework.ScorePlugin;
import io.capstan.scheduler.framework.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pod topology spread constraints. DoNotSchedule constraints filter: placing the pod in a node's
 * domain may not make that domain's count of matching pods exceed the smallest domain's by more
 * than maxSkew (the smallest is 0 while fewer than minDomains domains exist). ScheduleAnyway
 * constraints score: fewer matching pods in the node's domain is better, each constraint weighted
 * by log(number of domains + 2). Only nodes that carry every constraint's topology key, and (by
 * the default nodeAffinityPolicy Honor) match the pod's node affinity, count as domains.
 */
public final class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  public static final String NAME = "PodTopologySpread";
  public static final String REASON_CONSTRAINTS = "node(s) didn't match pod topology spread constraints";
  public static final String REASON_MISSING_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)";
  static final String HOSTNAME = "kubernetes.io/hostname";
  private static final String PRE_FILTER = "PreFilter" + NAME;
  private static final String PRE_SCORE = "PreScore" + NAME;

  /** One constraint compiled (topologySpreadConstraint). */
  record Constraint(int maxSkew, String topologyKey, LabelMatcher selector, int minDomains,
      boolean honorAffinity, boolean honorTaints) {
    static List<Constraint> of(PodInfo pod, String whenUnsatisfiable) {
      List<TopologySpreadConstraint> all = pod.spec().getTopologySpreadConstraints();
      List<Constraint> out = new ArrayList<>();
      if (all == null) {
        return out;
      }
      for (TopologySpreadConstraint c : all) {
        if (!whenUnsatisfiable.equals(c.getWhenUnsatisfiable())) {
          continue;
        }
        Map<String, String> extra = new HashMap<>();
        if (c.getMatchLabelKeys() != null) {
          for (String k : c.getMatchLabelKeys()) {
            if (pod.labels().containsKey(k)) {
              extra.put(k, pod.labels().get(k));
            }
          }
        }
        LabelMatcher selector = c.getLabelSelector() == null ? LabelMatcher.NOTHING : LabelMatcher.of(c.getLabelSelector(), extra);
        out.add(new Constraint(c.getMaxSkew(), c.getTopologyKey(), selector,
            c.getMinDomains() == null ? 1 : c.getMinDomains(),
            !"Ignore".equals(c.getNodeAffinityPolicy()), "Honor".equals(c.getNodeTaintsPolicy())));
      }
      return out;
    }

    boolean includes(PodInfo pod, NodeInfo node) {
      if (honorAffinity && !NodeAffinity.requiredMatches(pod.spec(), node.name(), node.labels())) {
        return false;
      }
      if (honorTaints) {
        Taint t = Tolerations.firstUntolerated(node.taints(), pod.tolerations(),
            taint -> "NoSchedule".equals(taint.getEffect()) || "NoExecute".equals(taint.getEffect()));
        return t == null;
      }
      return true;
    }
  }

  /** PreFilter's result: matching pods per domain of each DoNotSchedule constraint, and each one's minimum. */
  record FilterState(List<Constraint> constraints, List<Map<String, Integer>> counts, int[] minMatch) {}

  record ScoreState(List<Constraint> constraints, List<Map<String, Integer>> counts, double[] weights, Set<String> ignored) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<ClusterEvent> events() {
    return Set.of(ClusterEvent.NODE_ADD, ClusterEvent.NODE_UPDATE, ClusterEvent.ASSIGNED_POD_ADD,
        ClusterEvent.ASSIGNED_POD_DELETE, ClusterEvent.ASSIGNED_POD_UPDATE, ClusterEvent.UNSCHEDULED_POD_UPDATE);
  }

  static boolean hasAllKeys(NodeInfo node, List<Constraint> constraints) {
    for (Constraint c : constraints) {
      if (!node.labels().containsKey(c.topologyKey)) {
        return false;
      }
    }
    return true;
  }

  /** countPodsMatchSelector: pods of the namespace matching the selector, not being deleted. */
  static int countMatching(List<PodInfo> pods, LabelMatcher selector, String namespace) {
    int n = 0;
    for (PodInfo p : pods) {
      // The selector first: it rejects most pods from the labels the PodInfo holds, without
      // reaching into each Pod's metadata (this loop visits every pod in the cluster each cycle).
      if (selector.matches(p.labels()) && p.namespace().equals(namespace) && !p.isTerminating()) {
        n++;
      }
    }
    return n;
  }

  @Override
  public Status preFilter(CycleState state, PodInfo pod, ClusterSnapshot snapshot) {
    List<Constraint> constraints = Constraint.of(pod, "DoNotSchedule");
    if (constraints.isEmpty()) {
      return Status.SKIP;
    }
    List<Map<String, Integer>> counts = new ArrayList<>();
    constraints.forEach(c -> counts.add(new HashMap<>()));
    int n = constraints.size();
    String[][] values = new String[n][];
    for (int i = 0; i < n; i++) {
      values[i] = snapshot.labelValues(constraints.get(i).topologyKey);
    }
    List<NodeInfo> nodes = snapshot.nodes();
    for (int k = 0; k < nodes.size(); k++) {
      // Only nodes with every constraint's topology key count (as hasAllKeys).
      boolean allKeys = true;
      for (int i = 0; i < n && allKeys; i++) {
        allKeys = values[i][k] != null;
      }
      if (!allKeys) {
        continue;
      }
      NodeInfo node = nodes.get(k);
      List<PodInfo> pods = node.pods();
      for (int i = 0; i < n; i++) {
        Constraint c = constraints.get(i);
        if (c.includes(pod, node)) {
          // An empty node still makes its domain exist (with 0), which the minimum needs.
          int matching = pods.isEmpty() ? 0 : countMatching(pods, c.selector, pod.namespace());
          counts.get(i).merge(values[i][k], matching, Integer::sum);
        }
      }
    }
    int[] min = new int[constraints.size()];
    for (int i = 0; i < constraints.size(); i++) {
      Map<String, Integer> domains = counts.get(i);
      // Fewer domains than minDomains: the global minimum is taken as 0 (KEP-3022).
      min[i] = domains.size() < constraints.get(i).minDomains || domains.isEmpty() ? 0
          : domains.values().stream().mapToInt(Integer::intValue).min().orElse(0);
    }
    state.write(PRE_FILTER, new FilterState(constraints, counts, min));
    return Status.SUCCESS;
  }

  @Override
  public Status filter(CycleState state, PodInfo pod, NodeInfo node) {
    FilterState s = state.read(PRE_FILTER, FilterState.class);
    if (s == null) {
      return Status.SUCCESS;
    }
    for (int i = 0; i < s.constraints.size(); i++) {
      Constraint c = s.constraints.get(i);
      String value = node.labels().get(c.topologyKey);
      if (value == null) {
        return Status.unresolvable(REASON_MISSING_LABEL);
      }
      int self = c.selector.matches(pod.labels()) ? 1 : 0;
      int skew = s.counts.get(i).getOrDefault(value, 0) + self - s.minMatch[i];
      if (skew > c.maxSkew) {
        return Status.unschedulable(REASON_CONSTRAINTS);
      }
    }
    return Status.SUCCESS;
  }

  @Override
  public Status preScore(CycleState state, PodInfo pod, List<NodeInfo> feasible, ClusterSnapshot snapshot) {
    List<Constraint> constraints = Constraint.of(pod, "ScheduleAnyway");
    if (constraints.isEmpty()) {
      return Status.SKIP;
    }
    Set<String> ignored = new HashSet<>();
    List<Set<String>> domains = new ArrayList<>();
    constraints.forEach(c -> domains.add(new HashSet<>()));
    for (NodeInfo node : feasible) {
      if (!hasAllKeys(node, constraints)) {
        ignored.add(node.name());
        continue;
      }
      for (int i = 0; i < constraints.size(); i++) {
        domains.get(i).add(node.labels().get(constraints.get(i).topologyKey));
      }
    }
    double[] weights = new double[constraints.size()];
    for (int i = 0; i < constraints.size(); i++) {
      int size = HOSTNAME.equals(constraints.get(i).topologyKey) ? feasible.size() - ignored.size() : domains.get(i).size();
      weights[i] = Math.log(size + 2);
    }
    List<Map<String, Integer>> counts = new ArrayList<>();
    constraints.forEach(c -> counts.add(new HashMap<>()));
    for (NodeInfo node : snapshot.nodes()) {
      if (!hasAllKeys(node, constraints)) {
        continue;
      }
      for (int i = 0; i < constraints.size(); i++) {
        Constraint c = constraints.get(i);
        String value = node.labels().get(c.topologyKey);
        if (HOSTNAME.equals(c.topologyKey) || !domains.get(i).contains(value) || !c.includes(pod, node)) {
          continue;
        }
        counts.get(i).merge(value, countMatching(node.pods(), c.selector, pod.namespace()), Integer::sum);
      }
    }
    state.write(PRE_SCORE, new ScoreState(constraints, counts, weights, ignored));
    return Status.SUCCESS;
  }

  @Override
  public long score(CycleState state, PodInfo pod, NodeInfo node) {
    ScoreState s = state.read(PRE_SCORE, ScoreState.class);
    if (s == null || s.ignored.contains(node.name())) {
      return 0;
    }
    double score = 0;
    for (int i = 0; i < s.constraints.size(); i++) {
      Constraint c = s.constraints.get(i);
      String value = node.labels().get(c.topologyKey);
      if (value == null) {
        continue;
      }
      long count = HOSTNAME.equals(c.topologyKey) ? countMatching(node.pods(), c.selector, pod.namespace())
          : s.counts.get(i).getOrDefault(value, 0);
      score += count * s.weights[i] + (c.maxSkew - 1);
    }
    return Math.round(score);
  }

  @Override
  public void normalize(CycleState state, PodInfo pod, NodeInfo[] nodes, long[] scores) {
    ScoreState s = state.read(PRE_SCORE, ScoreState.class);
    if (s == null) {
      return;
    }
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < nodes.length; i++) {
      if (s.ignored.contains(nodes[i].name())) {
        continue;
      }
      min = Math.min(min, scores[i]);
      max = Math.max(max, scores[i]);
    }
    for (int i = 0; i < nodes.length; i++) {
      if (s.ignored.contains(nodes[i].name())) {
        scores[i] = 0;
      } else if (max == 0) {
        scores[i] = MAX_NODE_SCORE;
      } else {
        scores[i] = MAX_NODE_SCORE * (max + min - scores[i]) / max;
      }
    }
  }
}
