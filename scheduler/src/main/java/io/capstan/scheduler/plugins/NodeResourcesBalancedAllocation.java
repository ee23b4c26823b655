package io.capstan.scheduler.plugins;

import io.capstan.scheduler.framework.ClusterEvent;
import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.Resources;
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
  private final String[] names;
  private final Resources.Field[] fields;

  public NodeResourcesBalancedAllocation() {
    this(ResourceWeight.DEFAULTS);
  }

  public NodeResourcesBalancedAllocation(List<ResourceWeight> resources) {
    this.resources = List.copyOf(resources);
    this.names = this.resources.stream().map(ResourceWeight::name).toArray(String[]::new);
    this.fields = this.resources.stream().map(ResourceWeight::field).toArray(Resources.Field[]::new);
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
    // The two-resource default (cpu, memory) without an array: this runs on every feasible node.
    double first = 0;
    double second = 0;
    double[] fractions = names.length > 2 ? new double[names.length] : null;
    int n = 0;
    double total = 0;
    for (int i = 0; i < names.length; i++) {
      long alloc = node.allocatable().get(fields[i], names[i]);
      if (alloc == 0) {
        continue;
      }
      double f = Math.min(1.0, (double) NodeResourcesFit.requestedWithPod(node, pod, fields[i], names[i], true) / alloc);
      if (fractions != null) {
        fractions[n] = f;
      } else if (n == 0) {
        first = f;
      } else {
        second = f;
      }
      n++;
      total += f;
    }
    double std = 0;
    if (n == 2) {
      std = fractions != null ? Math.abs((fractions[0] - fractions[1]) / 2) : Math.abs((first - second) / 2);
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
