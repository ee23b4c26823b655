package io.capstan.scheduler.plugins;

import io.capstan.scheduler.framework.ClusterEvent;
import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.FilterPlugin;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.Status;
import java.util.Set;

/** A pod that names its node ({@code spec.nodeName}) fits only there. */
public final class NodeName implements FilterPlugin {
  public static final String NAME = "NodeName";
  public static final String REASON = "node(s) didn't match the requested node name";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<ClusterEvent> events() {
    return Set.of(ClusterEvent.NODE_ADD, ClusterEvent.UNSCHEDULED_POD_UPDATE);
  }

  @Override
  public Status filter(CycleState state, PodInfo pod, NodeInfo node) {
    String wanted = pod.spec().getNodeName();
    if (wanted == null || wanted.isEmpty() || wanted.equals(node.name())) {
      return Status.SUCCESS;
    }
    return Status.unresolvable(REASON);
  }
}
