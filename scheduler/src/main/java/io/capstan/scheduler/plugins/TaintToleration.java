package io.capstan.scheduler.plugins;

import io.capstan.api.Taint;
import io.capstan.api.Toleration;
import io.capstan.scheduler.framework.ClusterEvent;
import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.FilterPlugin;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.ScorePlugin;
import io.capstan.scheduler.framework.Status;
import java.util.Set;

/**
 * Filter: the pod must tolerate every NoSchedule and NoExecute taint of the node; the first one
 * it does not is named in the reason. Score: fewer untolerated PreferNoSchedule taints is better.
 */
public final class TaintToleration implements FilterPlugin, ScorePlugin {
  public static final String NAME = "TaintToleration";

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
    Taint t = Tolerations.firstUntolerated(node.taints(), pod.tolerations(),
        taint -> "NoSchedule".equals(taint.getEffect()) || "NoExecute".equals(taint.getEffect()));
    if (t == null) {
      return Status.SUCCESS;
    }
    return Status.unresolvable(reason(t));
  }

  /** Kubernetes' wording: {@code node(s) had untolerated taint {key: value}}. */
  public static String reason(Taint t) {
    return "node(s) had untolerated taint {" + t.getKey() + ": " + Tolerations.nz(t.getValue()) + "}";
  }

  @Override
  public long score(CycleState state, PodInfo pod, NodeInfo node) {
    long count = 0;
    for (Taint taint : node.taints()) {
      if (!"PreferNoSchedule".equals(taint.getEffect())) {
        continue;
      }
      boolean tolerated = false;
      for (Toleration t : pod.tolerations()) {
        // Only tolerations for PreferNoSchedule (or every effect) count here, as getAllTolerationPreferNoSchedule.
        boolean relevant = t.getEffect() == null || t.getEffect().isEmpty() || "PreferNoSchedule".equals(t.getEffect());
        if (relevant && Tolerations.tolerates(t, taint)) {
          tolerated = true;
          break;
        }
      }
      if (!tolerated) {
        count++;
      }
    }
    return count;
  }

  @Override
  public void normalize(CycleState state, PodInfo pod, NodeInfo[] nodes, long[] scores) {
    ScorePlugin.defaultNormalize(scores, true);
  }
}
