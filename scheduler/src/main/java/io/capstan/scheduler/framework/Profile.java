package io.capstan.scheduler.framework;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A configured framework (a kube-scheduler profile): the enabled plugins per extension point,
 * in order, and the score weights (a score plugin with weight 0 or none is not scored). Runs one extension point at a time for the algorithm.
 */
public final class Profile {
  private final String schedulerName;
  private final List<PreFilterPlugin> preFilters;
  private final List<FilterPlugin> filters;
  private final FilterPlugin[] allFilters;
  private final List<PreScorePlugin> preScores;
  private final List<WeightedScore> scores;
  private final Map<String, Plugin> byName = new LinkedHashMap<>();

  public Profile(String schedulerName, List<Plugin> plugins, Map<String, Integer> weights) {
    this.schedulerName = schedulerName;
    List<PreFilterPlugin> pf = new ArrayList<>();
    List<FilterPlugin> f = new ArrayList<>();
    List<PreScorePlugin> ps = new ArrayList<>();
    List<WeightedScore> s = new ArrayList<>();
    for (Plugin p : plugins) {
      if (byName.put(p.name(), p) != null) {
        throw new IllegalArgumentException("plugin " + p.name() + " is enabled twice");
      }
      if (p instanceof PreFilterPlugin x) {
        pf.add(x);
      }
      if (p instanceof FilterPlugin x) {
        f.add(x);
      }
      if (p instanceof PreScorePlugin x) {
        ps.add(x);
      }
      if (p instanceof ScorePlugin x && weights.getOrDefault(p.name(), 0) > 0) {
        s.add(new WeightedScore(x, weights.get(p.name())));
      }
    }
    this.preFilters = List.copyOf(pf);
    this.filters = List.copyOf(f);
    this.allFilters = f.toArray(FilterPlugin[]::new);
    this.preScores = List.copyOf(ps);
    this.scores = List.copyOf(s);
  }

  public String schedulerName() {
    return schedulerName;
  }

  public Map<String, Plugin> plugins() {
    return byName;
  }

  public List<WeightedScore> scorePlugins() {
    return scores;
  }

  /** Runs every PreFilter; the first rejection ends the cycle for all nodes. Skipped plugins' Filters are not run. */
  public Status runPreFilter(CycleState state, PodInfo pod, ClusterSnapshot snapshot, Set<String> skipFilter) {
    for (PreFilterPlugin p : preFilters) {
      Status s = p.preFilter(state, pod, snapshot);
      if (s.isSkip()) {
        skipFilter.add(p.name());
      } else if (!s.isSuccess()) {
        return s.withPlugin(p.name());
      }
    }
    return Status.SUCCESS;
  }

  /** Runs the Filters in order and stops at the first that rejects (RunFilterPlugins). */
  public Status runFilters(CycleState state, PodInfo pod, NodeInfo node, Set<String> skip) {
    return runFilters(state, pod, node, activeFilters(skip));
  }

  /**
   * The Filters this cycle runs, in order: those whose PreFilter did not answer Skip. Worked out
   * once per cycle rather than looked up per node and plugin.
   */
  public FilterPlugin[] activeFilters(Set<String> skip) {
    if (skip.isEmpty()) {
      return allFilters;
    }
    return filters.stream().filter(p -> !skip.contains(p.name())).toArray(FilterPlugin[]::new);
  }

  /** {@link #runFilters(CycleState, PodInfo, NodeInfo, Set)} with the cycle's {@link #activeFilters}. */
  public Status runFilters(CycleState state, PodInfo pod, NodeInfo node, FilterPlugin[] active) {
    for (FilterPlugin p : active) {
      Status s = p.filter(state, pod, node);
      if (!s.isSuccess()) {
        return s.withPlugin(p.name());
      }
    }
    return Status.SUCCESS;
  }

  /**
   * PreScore, Score, NormalizeScore and weights over the feasible nodes; the totals are parallel
   * to {@code nodes}.
   */
  public long[] runScore(CycleState state, PodInfo pod, NodeInfo[] nodes, ClusterSnapshot snapshot) {
    Set<String> skip = Set.of();
    List<NodeInfo> feasible = Arrays.asList(nodes);
    for (PreScorePlugin p : preScores) {
      Status s = p.preScore(state, pod, feasible, snapshot);
      if (s.isSkip()) {
        if (skip.isEmpty()) {
          skip = new HashSet<>();
        }
        skip.add(p.name());
      } else if (!s.isSuccess()) {
        throw new IllegalStateException("PreScore " + p.name() + ": " + s.message());
      }
    }
    long[] total = new long[nodes.length];
    long[] scores = new long[nodes.length];
    for (WeightedScore ws : this.scores) {
      ScorePlugin p = ws.plugin();
      if (!skip.isEmpty() && skip.contains(p.name())) {
        continue;
      }
      for (int i = 0; i < nodes.length; i++) {
        scores[i] = p.score(state, pod, nodes[i]);
      }
      p.normalize(state, pod, nodes, scores);
      for (int i = 0; i < nodes.length; i++) {
        long s = scores[i];
        if (s < ScorePlugin.MIN_NODE_SCORE || s > ScorePlugin.MAX_NODE_SCORE) {
          throw new IllegalStateException("plugin " + p.name() + " returned score " + s + " for node "
              + nodes[i].name() + ", outside [0, 100]");
        }
        total[i] += s * ws.weight();
      }
    }
    return total;
  }

  /** The plugins whose registered events may help a pod they rejected. */
  public Set<ClusterEvent> eventsOf(String plugin) {
    Plugin p = byName.get(plugin);
    return p == null ? Set.of(ClusterEvent.values()) : p.events();
  }
}
