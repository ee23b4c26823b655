package io.capstan.scheduler.plugins;

import io.capstan.scheduler.framework.ClusterEvent;
import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.FilterPlugin;
import io.capstan.scheduler.framework.HostPort;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.Status;
import java.util.Set;

/** A host port (IP, protocol, port) may be taken once per node; 0.0.0.0 takes the port on every IP. */
public final class NodePorts implements FilterPlugin {
  public static final String NAME = "NodePorts";
  public static final String REASON = "node(s) didn't have free ports for the requested pod ports";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<ClusterEvent> events() {
    return Set.of(ClusterEvent.NODE_ADD, ClusterEvent.ASSIGNED_POD_DELETE, ClusterEvent.UNSCHEDULED_POD_UPDATE);
  }

  @Override
  public Status filter(CycleState state, PodInfo pod, NodeInfo node) {
    for (HostPort wanted : pod.hostPorts()) {
      for (HostPort used : node.usedPorts()) {
        if (wanted.conflictsWith(used)) {
          return Status.unschedulable(REASON);
        }
      }
    }
    return Status.SUCCESS;
  }
}
