package io.capstan.scheduler.plugins;

import io.capstan.scheduler.framework.ClusterEvent;
import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.ScorePlugin;
import java.util.List;
import java.util.Set;

/**
 * Prefers nodes whose resources would be used evenly with the pod on them: 100 × (1 − the standard
 * deviation of the requested/allocatable fractions), on actual requests as Kubernetes does.
 */
public final class NodeResourcesBalancedAllocation implements ScorePlugin {
  public static final String NAME = "NodeResourcesBalancedAllocation";
  private final List<ResourceWeight> resources;

  public NodeResourcesBalancedAllocation() {
    this(ResourceWeight.DEFAULTS);
  }

  public NodeResourcesBalancedAllocation(List<ResourceWeight> resources) {
    this.resources = List.copyOf(resources);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<ClusterEvent> events() {
    return Set.of();
  }

  @Override
  public long score(CycleState state, PodInfo pod, NodeInfo node) {
    double[] fractions = new double[resources.size()];
    int n = 0;
    double total = 0;
    for (ResourceWeight rw : resources) {
      long alloc = node.allocatable().get(rw.name());
      if (alloc == 0) {
        continue;
      }
      double f = Math.min(1.0, (double) NodeResourcesFit.requestedWithPod(node, pod, rw.name(), true) / alloc);
      fractions[n++] = f;
      total += f;
    }
    double std = 0;
    if (n == 2) {
      std = Math.abs((fractions[0] - fractions[1]) / 2);
    } else if (n > 2) {
      double mean = total / n;
      double sum = 0;
      for (int i = 0; i < n; i++) {
        sum += (fractions[i] - mean) * (fractions[i] - mean);
      }
      std = Math.sqrt(sum / n);
    }
    return (long) ((1 - std) * MAX_NODE_SCORE);
  }
}
