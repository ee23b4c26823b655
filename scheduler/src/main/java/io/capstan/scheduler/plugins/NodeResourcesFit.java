package io.capstan.scheduler.plugins;

import io.capstan.scheduler.framework.ClusterEvent;
import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.FilterPlugin;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.Resources;
import io.capstan.scheduler.framework.ScorePlugin;
import io.capstan.scheduler.framework.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Filter: the pod's requests must fit in what the node has left (allocatable minus what its pods
 * request), for the pod count, cpu, memory, ephemeral-storage and every scalar resource; each
 * shortage is a reason ({@code Insufficient cpu}, {@code Too many pods}). Score: LeastAllocated or
 * MostAllocated over the weighted resources, counting containers without requests at the
 * scoring defaults (100m, 200Mi).
 */
public final class NodeResourcesFit implements FilterPlugin, ScorePlugin {
  public static final String NAME = "NodeResourcesFit";
  public static final String TOO_MANY_PODS = "Too many pods";

  private final ScoringStrategy strategy;
  private final List<ResourceWeight> resources;
  /** The resources, resolved once: score runs on every feasible node of every cycle. */
  private final String[] names;
  private final Resources.Field[] fields;
  private final long[] weightOf;

  public NodeResourcesFit() {
    this(ScoringStrategy.LEAST_ALLOCATED, ResourceWeight.DEFAULTS);
  }

  public NodeResourcesFit(ScoringStrategy strategy, List<ResourceWeight> resources) {
    this.strategy = strategy;
    this.resources = List.copyOf(resources);
    this.names = this.resources.stream().map(ResourceWeight::name).toArray(String[]::new);
    this.fields = this.resources.stream().map(ResourceWeight::field).toArray(Resources.Field[]::new);
    this.weightOf = this.resources.stream().mapToLong(ResourceWeight::weight).toArray();
  }

  @Override
  public String name() {
    return NAME;
  }

  public ScoringStrategy strategy() {
    return strategy;
  }

  @Override
  public Set<ClusterEvent> events() {
    return Set.of(ClusterEvent.NODE_ADD, ClusterEvent.NODE_UPDATE, ClusterEvent.ASSIGNED_POD_DELETE,
        ClusterEvent.ASSIGNED_POD_UPDATE, ClusterEvent.UNSCHEDULED_POD_UPDATE);
  }

  public static String insufficient(String resource) {
    return "Insufficient " + resource;
  }

  @Override
  public Status filter(CycleState state, PodInfo pod, NodeInfo node) {
    Resources alloc = node.allocatable();
    Resources used = node.requested();
    Resources req = pod.requests();
    // The common case first, without allocating: everything fits.
    if (node.pods().size() + 1 <= alloc.allowedPodNumber && req.scalar.isEmpty()
        && req.milliCpu <= alloc.milliCpu - used.milliCpu && req.memory <= alloc.memory - used.memory
        && req.ephemeralStorage <= alloc.ephemeralStorage - used.ephemeralStorage) {
      return Status.SUCCESS;
    }
    List<String> reasons = new ArrayList<>(2);
    boolean resolvable = false;
    if (node.pods().size() + 1 > alloc.allowedPodNumber) {
      reasons.add(TOO_MANY_PODS);
      resolvable |= alloc.allowedPodNumber > 0;
    }
    if (!(req.milliCpu == 0 && req.memory == 0 && req.ephemeralStorage == 0 && req.scalar.isEmpty())) {
      resolvable |= check(reasons, Resources.CPU, req.milliCpu, alloc.milliCpu, used.milliCpu);
      resolvable |= check(reasons, Resources.MEMORY, req.memory, alloc.memory, used.memory);
      resolvable |= check(reasons, Resources.EPHEMERAL_STORAGE, req.ephemeralStorage, alloc.ephemeralStorage, used.ephemeralStorage);
      for (Map.Entry<String, Long> e : req.scalar.entrySet()) {
        resolvable |= check(reasons, e.getKey(), e.getValue(), alloc.get(e.getKey()), used.get(e.getKey()));
      }
    }
    if (reasons.isEmpty()) {
      return Status.SUCCESS;
    }
    String[] r = reasons.toArray(String[]::new);
    // When the pod asks more than the node has in total, evicting pods cannot help (preemption skips the node).
    return resolvable ? Status.unschedulable(r) : Status.unresolvable(r);
  }

  /** Adds the reason when short; returns whether removing pods could make room. */
  private static boolean check(List<String> reasons, String name, long want, long allocatable, long requested) {
    if (want > 0 && want > allocatable - requested) {
      reasons.add(insufficient(name));
      return want <= allocatable;
    }
    return false;
  }

  @Override
  public long score(CycleState state, PodInfo pod, NodeInfo node) {
    long total = 0;
    long weights = 0;
    for (int i = 0; i < names.length; i++) {
      long alloc = node.allocatable().get(fields[i], names[i]);
      if (alloc == 0) {
        continue;
      }
      long req = requestedWithPod(node, pod, fields[i], names[i], false);
      long s = strategy == ScoringStrategy.LEAST_ALLOCATED ? leastRequested(req, alloc) : mostRequested(req, alloc);
      total += s * weightOf[i];
      weights += weightOf[i];
    }
    return weights == 0 ? 0 : total / weights;
  }

  /**
   * What the node would have requested with the pod on it (calculateResourceAllocatableRequest):
   * cpu and memory at their non-zero scoring values unless {@code actual} asks for real requests.
   */
  static long requestedWithPod(NodeInfo node, PodInfo pod, String resource, boolean actual) {
    return requestedWithPod(node, pod, Resources.Field.of(resource), resource, actual);
  }

  static long requestedWithPod(NodeInfo node, PodInfo pod, Resources.Field field, String resource, boolean actual) {
    if (!actual && field == Resources.Field.CPU) {
      return node.nonZeroRequested().milliCpu + pod.nonZeroRequests().milliCpu;
    }
    if (!actual && field == Resources.Field.MEMORY) {
      return node.nonZeroRequested().memory + pod.nonZeroRequests().memory;
    }
    return node.requested().get(field, resource) + pod.requests().get(field, resource);
  }

  static long leastRequested(long requested, long capacity) {
    if (capacity == 0 || requested > capacity) {
      return 0;
    }
    return (capacity - requested) * MAX_NODE_SCORE / capacity;
  }

  static long mostRequested(long requested, long capacity) {
    if (capacity == 0) {
      return 0;
    }
    return Math.min(requested, capacity) * MAX_NODE_SCORE / capacity;
  }
}
