package io.capstan.controllers.nodelifecycle;

import io.capstan.api.Node;
import io.capstan.api.NodeCondition;
import io.capstan.api.NodeStatus;
import io.capstan.controllers.runtime.PodTemplates;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The status the controller posts for a node that went silent for longer than its grace period
 * (tryUpdateNodeHealth): Ready, MemoryPressure, DiskPressure and PIDPressure become Unknown with
 * reason {@code NodeStatusUnknown} ("Kubelet stopped posting node status."), or are added as
 * Unknown with reason {@code NodeStatusNeverUpdated} when the node never posted them.
 * NetworkUnavailable is left alone: the network plugin owns it. The heartbeat times stay what the
 * node last wrote, so {@code kubectl describe node} shows when it was last heard of.
 */
final class StaleNodeStatus {
  static final String REASON_UNKNOWN = "NodeStatusUnknown";
  static final String MESSAGE_UNKNOWN = "Kubelet stopped posting node status.";
  static final String REASON_NEVER_UPDATED = "NodeStatusNeverUpdated";
  static final String MESSAGE_NEVER_UPDATED = "Kubelet never posted node status.";
  /** The conditions kubelet owns, in the order kubelet posts them. */
  static final List<String> KUBELET_CONDITIONS = List.of(NodeConditions.READY, NodeConditions.MEMORY_PRESSURE,
      NodeConditions.DISK_PRESSURE, NodeConditions.PID_PRESSURE);

  private StaleNodeStatus() {}

  /**
   * The node's status with its kubelet conditions Unknown, or empty when its Ready condition is
   * Unknown already (the controller writes only when Ready changes, as Kubernetes does).
   */
  static Optional<NodeStatus> markUnknown(Node node, Instant now) {
    NodeStatus status = node.getStatus() == null ? NodeStatus.newBuilder().build() : PodTemplates.copy(node.getStatus());
    List<NodeCondition> conditions = status.getConditions() == null ? new ArrayList<>()
        : new ArrayList<>(status.getConditions());
    NodeCondition readyBefore = NodeConditions.condition(node, NodeConditions.READY).orElse(null);
    for (String type : KUBELET_CONDITIONS) {
      Optional<NodeCondition> current = conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
      if (current.isEmpty()) {
        conditions.add(NodeCondition.newBuilder().setType(type).setStatus(NodeConditions.UNKNOWN)
            .setReason(REASON_NEVER_UPDATED).setMessage(MESSAGE_NEVER_UPDATED)
            .setLastHeartbeatTime(node.getMetadata().getCreationTimestamp())
            .setLastTransitionTime(now.toString()).build());
      } else if (!NodeConditions.UNKNOWN.equals(current.get().getStatus())) {
        NodeCondition c = current.get();
        c.setStatus(NodeConditions.UNKNOWN);
        c.setReason(REASON_UNKNOWN);
        c.setMessage(MESSAGE_UNKNOWN);
        c.setLastTransitionTime(now.toString());
      }
    }
    status.setConditions(conditions);
    NodeCondition readyAfter = conditions.stream().filter(c -> NodeConditions.READY.equals(c.getType())).findFirst()
        .orElseThrow();
    return Objects.equals(readyBefore, readyAfter) ? Optional.empty() : Optional.of(status);
  }
}
