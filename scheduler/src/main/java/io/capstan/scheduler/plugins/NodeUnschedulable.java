package io.capstan.scheduler.plugins;

import io.capstan.api.Taint;
import io.capstan.scheduler.framework.ClusterEvent;
import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.FilterPlugin;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.Status;
import java.util.Set;

/** Keeps pods off cordoned nodes ({@code spec.unschedulable}) unless they tolerate the unschedulable taint. */
public final class NodeUnschedulable implements FilterPlugin {
  public static final String NAME = "NodeUnschedulable";
  public static final String REASON = "node(s) were unschedulable";
  static final Taint UNSCHEDULABLE_TAINT = Taint.newBuilder()
      .setKey("node.kubernetes.io/unschedulable").setEffect("NoSchedule").build();

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
    if (!node.unschedulable() || Tolerations.tolerated(UNSCHEDULABLE_TAINT, pod.tolerations())) {
      return Status.SUCCESS;
    }
    return Status.unresolvable(REASON);
  }
}
