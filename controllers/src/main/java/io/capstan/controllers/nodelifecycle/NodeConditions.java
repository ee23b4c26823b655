package io.capstan.controllers.nodelifecycle;

import io.capstan.api.Node;
import io.capstan.api.NodeCondition;
import io.capstan.controllers.runtime.PodConditions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Reading a Node's conditions as nodeutil.GetNodeCondition does. */
final class NodeConditions {
  static final String READY = "Ready";
  static final String MEMORY_PRESSURE = "MemoryPressure";
  static final String DISK_PRESSURE = "DiskPressure";
  static final String PID_PRESSURE = "PIDPressure";
  static final String NETWORK_UNAVAILABLE = "NetworkUnavailable";
  static final String TRUE = "True";
  static final String FALSE = "False";
  static final String UNKNOWN = "Unknown";

  private NodeConditions() {}

  static List<NodeCondition> all(Node node) {
    return node.getStatus() == null || node.getStatus().getConditions() == null
        ? List.of() : node.getStatus().getConditions();
  }

  static Optional<NodeCondition> condition(Node node, String type) {
    return all(node).stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  /** The Ready condition's status ({@code True}, {@code False}, {@code Unknown}), or null when it was never posted. */
  static String ready(Node node) {
    return condition(node, READY).map(NodeCondition::getStatus).orElse(null);
  }

  static Instant created(Node node) {
    return PodConditions.instant(node.getMetadata().getCreationTimestamp()).orElse(Instant.EPOCH);
  }
}
