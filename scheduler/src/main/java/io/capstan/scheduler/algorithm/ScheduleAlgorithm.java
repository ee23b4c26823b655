package io.capstan.scheduler.algorithm;

import io.capstan.logschema.nodeaffinity.NodeSelectorMatcher;
import io.capstan.scheduler.framework.ClusterSnapshot;
import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.FilterPlugin;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.Profile;
import io.capstan.scheduler.framework.Status;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * kube-scheduler's schedulePod for one profile: PreFilter; Filter from a rotating start index
 * until enough feasible nodes are found (percentageOfNodesToScore); then Score, and the highest
 * total wins, ties broken at random. Used by one scheduling thread.
 */
public final class ScheduleAlgorithm {
  /** minFeasibleNodesToFind: below this many nodes every node is looked at. */
  public static final int MIN_FEASIBLE_NODES_TO_FIND = 100;
  /** minFeasibleNodesPercentageToFind: the adaptive percentage never drops below this. */
  public static final int MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;
  /** The adaptive percentage starts here and loses one point per 125 nodes. */
  public static final int BASE_PERCENTAGE_OF_NODES_TO_SCORE = 50;

  private final Profile profile;
  private final int percentageOfNodesToScore;
  private final Random random;
  private int nextStartNodeIndex;

  /** @param percentageOfNodesToScore 0 for Kubernetes' adaptive default, else 1–100 */
  public ScheduleAlgorithm(Profile profile, int percentageOfNodesToScore, Random random) {
    if (percentageOfNodesToScore < 0 || percentageOfNodesToScore > 100) {
      throw new IllegalArgumentException("percentageOfNodesToScore must be between 0 and 100, got " + percentageOfNodesToScore);
    }
    this.profile = profile;
    this.percentageOfNodesToScore = percentageOfNodesToScore;
    this.random = random;
  }

  public Profile profile() {
    return profile;
  }

  /**
   * numFeasibleNodesToFind: every node below 100; otherwise the configured percentage, or
   * 50% minus one point per 125 nodes (at least 5%), and never fewer than 100 nodes.
   */
  public static int numFeasibleNodesToFind(int percentage, int numAllNodes) {
    if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND || percentage >= 100) {
      return numAllNodes;
    }
    int adaptive = percentage;
    if (adaptive <= 0) {
      adaptive = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND, BASE_PERCENTAGE_OF_NODES_TO_SCORE - numAllNodes / 125);
    }
    int n = (int) ((long) numAllNodes * adaptive / 100);
    return Math.max(n, MIN_FEASIBLE_NODES_TO_FIND);
  }

  public ScheduleResult schedule(PodInfo pod, ClusterSnapshot snapshot) throws FitError {
    List<NodeInfo> all = snapshot.nodes();
    if (all.isEmpty()) {
      throw new FitError(0, new Diagnosis());
    }
    CycleState state = new CycleState();
    Diagnosis diagnosis = new Diagnosis();
    Set<String> skipFilter = new HashSet<>();
    Status pre = profile.runPreFilter(state, pod, snapshot, skipFilter);
    if (!pre.isSuccess()) {
      diagnosis.preFilterMessage = pre.message();
      for (NodeInfo n : all) {
        diagnosis.record(n.name(), pre);
      }
      throw new FitError(all.size(), diagnosis);
    }
    FilterPlugin[] filters = profile.activeFilters(skipFilter);
    ScheduleResult named = scheduleOnNamedNodes(state, pod, snapshot, filters);
    if (named != null) {
      return named;
    }
    int toFind = numFeasibleNodesToFind(percentageOfNodesToScore, all.size());
    List<NodeInfo> feasible = new ArrayList<>(Math.min(toFind, all.size()));
    int n = all.size();
    int processed = 0;
    int start = nextStartNodeIndex % n;
    for (int i = 0; i < n && feasible.size() < toFind; i++) {
      NodeInfo node = all.get((start + i) % n);
      processed++;
      Status s = profile.runFilters(state, pod, node, filters);
      if (s.isSuccess()) {
        feasible.add(node);
      } else {
        diagnosis.record(node.name(), s);
      }
    }
    nextStartNodeIndex = (start + processed) % n;
    if (feasible.isEmpty()) {
      throw new FitError(n, diagnosis);
    }
    if (feasible.size() == 1) {
      return new ScheduleResult(feasible.get(0).name(), processed, 1);
    }
    NodeInfo[] nodes = feasible.toArray(NodeInfo[]::new);
    long[] totals = profile.runScore(state, pod, nodes, snapshot);
    return new ScheduleResult(selectHost(nodes, totals), processed, nodes.length);
  }

  /**
   * NodeAffinity's PreFilterResult: a pod whose required node affinity names its nodes
   * ({@code metadata.name In}, as a DaemonSet's pods do) is filtered on those nodes only, not on
   * every node of the cluster. Null when the pod names no nodes or none of them fits; the full
   * search then runs and explains why.
   */
  private ScheduleResult scheduleOnNamedNodes(CycleState state, PodInfo pod, ClusterSnapshot snapshot,
      FilterPlugin[] filters) {
    Optional<Set<String>> names = NodeSelectorMatcher.requiredNodeNames(pod.spec());
    if (names.isEmpty() || names.get().isEmpty()) {
      return null;
    }
    List<NodeInfo> feasible = new ArrayList<>(names.get().size());
    int processed = 0;
    for (String name : names.get()) {
      NodeInfo node = snapshot.get(name);
      if (node == null) {
        continue;
      }
      processed++;
      if (profile.runFilters(state, pod, node, filters).isSuccess()) {
        feasible.add(node);
      }
    }
    if (feasible.isEmpty()) {
      return null;
    }
    if (feasible.size() == 1) {
      return new ScheduleResult(feasible.get(0).name(), processed, 1);
    }
    NodeInfo[] nodes = feasible.toArray(NodeInfo[]::new);
    long[] totals = profile.runScore(state, pod, nodes, snapshot);
    return new ScheduleResult(selectHost(nodes, totals), processed, nodes.length);
  }

  /** The highest score; among equals each is equally likely (reservoir sampling, as selectHost). */
  String selectHost(NodeInfo[] nodes, long[] totals) {
    int best = 0;
    int ties = 1;
    for (int i = 1; i < nodes.length; i++) {
      if (totals[i] > totals[best]) {
        best = i;
        ties = 1;
      } else if (totals[i] == totals[best]) {
        ties++;
        if (random.nextInt(ties) == 0) {
          best = i;
        }
      }
    }
    return nodes[best].name();
  }
}
