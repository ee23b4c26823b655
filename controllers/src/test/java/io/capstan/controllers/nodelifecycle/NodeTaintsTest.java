package io.capstan.controllers.nodelifecycle;

import static io.capstan.controllers.nodelifecycle.Nodes.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Node;
import io.capstan.api.Taint;
import io.capstan.logschema.taints.TaintKeys;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The condition taints (TaintNodesByCondition) and the NoExecute taints of taint-based eviction. */
class NodeTaintsTest {
  private static final Instant NOW = T0.plusSeconds(60);
  private static final Taint USERS = Nodes.taint("dedicated", TaintKeys.NO_EXECUTE, null);

  private static List<String> ids(List<Taint> taints) {
    return taints.stream().map(t -> t.getKey() + ":" + t.getEffect()).toList();
  }

  @Test
  void aReadyNodeWithoutTaintsNeedsNone() {
    assertTrue(NodeTaints.reconcile(Nodes.ready("n1", T0), NOW).isEmpty());
  }

  @Test
  void unknownGetsUnreachableNoScheduleAndNoExecuteAndKeepsTheUsersTaints() {
    Node n = Nodes.withReady(Nodes.ready("n1", T0), "Unknown");
    n.getSpec().setTaints(List.of(USERS));
    List<Taint> t = NodeTaints.reconcile(n, NOW).orElseThrow();
    assertEquals(List.of("dedicated:NoExecute", "node.kubernetes.io/unreachable:NoSchedule",
        "node.kubernetes.io/unreachable:NoExecute"), ids(t));
    assertEquals(NOW.toString(), t.get(2).getTimeAdded(), "the eviction countdown starts now");
  }

  @Test
  void notReadySwapsUnreachableForNotReadyAndKeepsTimeAddedOfWhatStays() {
    Node n = Nodes.withReady(Nodes.ready("n1", T0), "False");
    Taint oldNoSchedule = Nodes.taint(TaintKeys.UNREACHABLE, TaintKeys.NO_SCHEDULE, T0);
    n.getSpec().setTaints(List.of(oldNoSchedule, Nodes.unreachable(T0),
        Nodes.taint(TaintKeys.NOT_READY, TaintKeys.NO_EXECUTE, T0)));
    List<Taint> t = NodeTaints.reconcile(n, NOW).orElseThrow();
    assertEquals(List.of("node.kubernetes.io/not-ready:NoExecute", "node.kubernetes.io/not-ready:NoSchedule"), ids(t));
    assertEquals(T0.toString(), t.get(0).getTimeAdded(), "a taint already there keeps its time");
  }

  @Test
  void readyAgainRemovesTheControllersTaintsOnly() {
    Node n = Nodes.ready("n1", T0);
    n.getSpec().setTaints(List.of(Nodes.taint(TaintKeys.UNREACHABLE, TaintKeys.NO_SCHEDULE, T0), USERS,
        Nodes.unreachable(T0), Nodes.taint(TaintKeys.UNREACHABLE, TaintKeys.PREFER_NO_SCHEDULE, null)));
    assertEquals(List.of("dedicated:NoExecute", "node.kubernetes.io/unreachable:PreferNoSchedule"),
        ids(NodeTaints.reconcile(n, NOW).orElseThrow()), "other effects of the same key are not ours");
  }

  @Test
  void pressureConditionsAndCordonGiveNoScheduleTaints() {
    Node n = Nodes.node("n1", List.of(Nodes.condition("MemoryPressure", "True", T0),
        Nodes.condition("DiskPressure", "True", T0), Nodes.condition("PIDPressure", "False", T0),
        Nodes.condition("NetworkUnavailable", "True", T0), Nodes.condition("Ready", "True", T0)), List.of());
    n.getSpec().setUnschedulable(true);
    assertEquals(List.of("node.kubernetes.io/memory-pressure:NoSchedule", "node.kubernetes.io/disk-pressure:NoSchedule",
        "node.kubernetes.io/network-unavailable:NoSchedule", "node.kubernetes.io/unschedulable:NoSchedule"),
        ids(NodeTaints.reconcile(n, NOW).orElseThrow()));
  }

  @Test
  void aNodeThatNeverPostedReadyKeepsItsNoExecuteTaints() {
    Node n = Nodes.node("n1", List.of(), List.of(Nodes.unreachable(T0)));
    assertTrue(NodeTaints.reconcile(n, NOW).isEmpty());
  }
}
