package io.capstan.scheduler.plugins;

import io.capstan.api.PodSpec;
import io.capstan.api.PreferredSchedulingTerm;
import io.capstan.logschema.nodeaffinity.NodeSelectorMatcher;
import io.capstan.scheduler.framework.ClusterEvent;
import io.capstan.scheduler.framework.ClusterSnapshot;
import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.FilterPlugin;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.PreScorePlugin;
import io.capstan.scheduler.framework.ScorePlugin;
import io.capstan.scheduler.framework.Status;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code spec.nodeSelector} and required node affinity as a filter (both must hold), preferred
 * node affinity as a score: the weights of the matching preferred terms, scaled to 0–100.
 */
public final class NodeAffinity implements FilterPlugin, PreScorePlugin, ScorePlugin {
  public static final String NAME = "NodeAffinity";
  public static final String REASON = "node(s) didn't match Pod's node affinity/selector";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<ClusterEvent> events() {
    return Set.of(ClusterEvent.NODE_ADD, ClusterEvent.NODE_UPDATE, ClusterEvent.UNSCHEDULED_POD_UPDATE);
  }

  @Override
  public Status filter(CycleState state, PodInfo pod, NodeInfo node) {
    return requiredMatches(pod.spec(), node.name(), node.labels()) ? Status.SUCCESS : Status.unresolvable(REASON);
  }

  /** GetRequiredNodeAffinity(pod).Match(node): the node selector's labels, then the required terms. */
  public static boolean requiredMatches(PodSpec spec, String nodeName, Map<String, String> labels) {
    return NodeSelectorMatcher.requiredMatches(spec, nodeName, labels);
  }

  /** As NodeAffinity's PreScore: a pod without preferred node affinity has nothing to score here (Skip). */
  @Override
  public Status preScore(CycleState state, PodInfo pod, List<NodeInfo> feasible, ClusterSnapshot snapshot) {
    PodSpec spec = pod.spec();
    List<PreferredSchedulingTerm> preferred = spec.getAffinity() == null || spec.getAffinity().getNodeAffinity() == null
        ? null : spec.getAffinity().getNodeAffinity().getPreferredDuringSchedulingIgnoredDuringExecution();
    return preferred == null || preferred.isEmpty() ? Status.SKIP : Status.SUCCESS;
  }

  @Override
  public long score(CycleState state, PodInfo pod, NodeInfo node) {
    PodSpec spec = pod.spec();
    if (spec.getAffinity() == null || spec.getAffinity().getNodeAffinity() == null) {
      return 0;
    }
    List<PreferredSchedulingTerm> preferred = spec.getAffinity().getNodeAffinity().getPreferredDuringSchedulingIgnoredDuringExecution();
    long total = 0;
    if (preferred != null) {
      for (PreferredSchedulingTerm t : preferred) {
        if (t.getWeight() != 0 && NodeSelectorMatcher.termMatches(t.getPreference(), node.name(), node.labels())) {
          total += t.getWeight();
        }
      }
    }
    return total;
  }

  @Override
  public void normalize(CycleState state, PodInfo pod, NodeInfo[] nodes, long[] scores) {
    ScorePlugin.defaultNormalize(scores, false);
  }
}
