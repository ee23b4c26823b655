package io.capstan.scheduler.preemption;

import io.capstan.scheduler.framework.PodInfo;
import java.util.List;

/** A node where the pod fits once {@code victims} are gone. */
public record Candidate(String node, List<PodInfo> victims) {
  int highestVictimPriority() {
    return victims.stream().mapToInt(PodInfo::priority).max().orElse(Integer.MIN_VALUE);
  }

  /** Sum of victim priorities, each shifted so negative priorities still add up (as kube's MaxInt32 offset). */
  long prioritySum() {
    long sum = 0;
    for (PodInfo v : victims) {
      sum += (long) v.priority() + Integer.MAX_VALUE + 1;
    }
    return sum;
  }
}
