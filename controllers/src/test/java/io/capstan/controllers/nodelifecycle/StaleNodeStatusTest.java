package io.capstan.controllers.nodelifecycle;

import static io.capstan.controllers.nodelifecycle.Nodes.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Node;
import io.capstan.api.NodeCondition;
import io.capstan.api.NodeStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What a silent node's status becomes (tryUpdateNodeHealth past the grace period). */
class StaleNodeStatusTest {
  private static final Instant NOW = T0.plusSeconds(60);

  private static Map<String, NodeCondition> byType(NodeStatus s) {
    return s.getConditions().stream().collect(Collectors.toMap(NodeCondition::getType, c -> c));
  }

  @Test
  void kubeletConditionsBecomeUnknownKeepingTheirHeartbeat() {
    Node n = Nodes.ready("n1", T0);
    List<NodeCondition> conditions = new ArrayList<>(n.getStatus().getConditions());
    conditions.add(Nodes.condition("NetworkUnavailable", "False", T0));
    n.getStatus().setConditions(conditions);
    Map<String, NodeCondition> c = byType(StaleNodeStatus.markUnknown(n, NOW).orElseThrow());
    for (String type : List.of("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")) {
      assertEquals("Unknown", c.get(type).getStatus(), type);
      assertEquals("NodeStatusUnknown", c.get(type).getReason());
      assertEquals("Kubelet stopped posting node status.", c.get(type).getMessage());
      assertEquals(NOW.toString(), c.get(type).getLastTransitionTime());
      assertEquals(T0.toString(), c.get(type).getLastHeartbeatTime(), "the last time the node was heard of stays");
    }
    assertEquals("False", c.get("NetworkUnavailable").getStatus(), "the network plugin's condition is left alone");
    assertEquals("True", NodeConditions.ready(n), "the cached node is not modified");
  }

  @Test
  void conditionsNeverPostedAreAddedAsNeverUpdated() {
    Node n = Nodes.node("n1", List.of(), List.of());
    Map<String, NodeCondition> c = byType(StaleNodeStatus.markUnknown(n, NOW).orElseThrow());
    assertEquals(4, c.size());
    assertEquals("NodeStatusNeverUpdated", c.get("Ready").getReason());
    assertEquals("Kubelet never posted node status.", c.get("Ready").getMessage());
    assertEquals(n.getMetadata().getCreationTimestamp(), c.get("Ready").getLastHeartbeatTime());
  }

  @Test
  void nothingToWriteWhenReadyIsUnknownAlready() {
    Node n = Nodes.withReady(Nodes.ready("n1", T0), "Unknown");
    assertTrue(StaleNodeStatus.markUnknown(n, NOW).isEmpty(), "Kubernetes writes only when Ready changes");
    Node notReady = Nodes.withReady(Nodes.ready("n1", T0), "False");
    assertEquals("Unknown", byType(StaleNodeStatus.markUnknown(notReady, NOW).orElseThrow()).get("Ready").getStatus());
  }
}
