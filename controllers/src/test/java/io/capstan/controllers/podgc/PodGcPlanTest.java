package io.capstan.controllers.podgc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.api.Node;
import io.capstan.api.NodeCondition;
import io.capstan.api.NodeSpec;
import io.capstan.api.NodeStatus;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.PodStatus;
import io.capstan.api.Taint;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a pass of the pod garbage collector deletes, decided without a cluster. */
class PodGcPlanTest {
  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

  private static Pod pod(String name, String node, String phase, String reason, Instant created, boolean deleting) {
    return Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("d").setName(name).setUid("uid-" + name)
            .setCreationTimestamp(created.toString()).setDeletionTimestamp(deleting ? created.toString() : null).build())
        .setSpec(PodSpec.newBuilder().setNodeName(node).setContainers(List.of()).build())
        .setStatus(PodStatus.newBuilder().setPhase(phase).setReason(reason).build()).build();
  }

  private static Node node(String name, String ready, Taint... taints) {
    return Node.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(name).build())
        .setSpec(NodeSpec.newBuilder().setTaints(List.of(taints)).build())
        .setStatus(NodeStatus.newBuilder().setConditions(List.of(NodeCondition.newBuilder().setType("Ready")
            .setStatus(ready).build())).build()).build();
  }

  private static List<String> names(Map<Pod, PodGcPlan.Reason> plan) {
    return plan.entrySet().stream().map(e -> e.getKey().getMetadata().getName() + ":" + e.getValue().label).toList();
  }

  @Test
  void terminatedPodsBeyondTheThresholdEvictedFirstThenOldestThenByName() {
    List<Pod> pods = List.of(
        pod("new", "n1", "Succeeded", null, T0.plusSeconds(30), false),
        pod("b-old", "n1", "Failed", null, T0, false),
        pod("a-old", "n1", "Succeeded", null, T0, false),
        pod("evicted", "n1", "Failed", "Evicted", T0.plusSeconds(60), false),
        pod("running", "n1", "Running", null, T0.minusSeconds(60), false),
        pod("unknown", "n1", "Unknown", null, T0.minusSeconds(60), false));
    List<Node> nodes = List.of(node("n1", "True"));
    assertEquals(List.of("evicted:terminated", "a-old:terminated", "b-old:terminated"),
        names(PodGcPlan.plan(pods, nodes, Set.of(), 1)));
    assertEquals(List.of(), names(PodGcPlan.plan(pods, nodes, Set.of(), 4)), "four terminated pods, four allowed");
    assertEquals(List.of(), names(PodGcPlan.plan(pods, nodes, Set.of(), 0)), "a threshold of 0 keeps them all");
  }

  @Test
  void orphansOutOfServiceAndUnscheduledTerminatingPodsEachOnceForTheirFirstReason() {
    Taint outOfService = Taint.newBuilder().setKey(PodGcPlan.OUT_OF_SERVICE).setEffect("NoExecute").build();
    List<Node> nodes = List.of(node("up", "True", outOfService), node("down", "False", outOfService),
        node("quiet", "Unknown"));
    List<Pod> pods = List.of(
        pod("on-gone", "gone", "Running", null, T0, false),
        pod("done-on-gone", "gone", "Succeeded", null, T0, false),
        pod("terminating-down", "down", "Running", null, T0, true),
        pod("running-down", "down", "Running", null, T0, false),
        pod("terminating-up", "up", "Running", null, T0, true),
        pod("terminating-quiet", "quiet", "Running", null, T0, true),
        pod("terminating-unbound", null, "Pending", null, T0, true),
        pod("pending", null, "Pending", null, T0, false));
    assertEquals(List.of("terminating-down:out-of-service", "on-gone:orphaned", "done-on-gone:orphaned",
        "terminating-unbound:terminating_unscheduled"), names(PodGcPlan.plan(pods, nodes, Set.of("gone"), 0)));
    // With a threshold of 1 and a second finished pod, the older finished one goes as terminated first.
    assertEquals(List.of("done-on-gone:terminated", "terminating-down:out-of-service", "on-gone:orphaned",
        "terminating-unbound:terminating_unscheduled"), names(withExtraTerminated(pods, nodes)));
  }

  /** The same pods plus a second finished one, with a threshold of 1: the older finished pod goes as terminated. */
  private static Map<Pod, PodGcPlan.Reason> withExtraTerminated(List<Pod> pods, List<Node> nodes) {
    List<Pod> more = new java.util.ArrayList<>(pods);
    more.add(pod("done-later", "up", "Succeeded", null, T0.plusSeconds(5), false));
    return PodGcPlan.plan(more, nodes, Set.of("gone"), 1);
  }

  @Test
  void aMissingNodeCountsAsGoneOnlyAfterItsWholeQuarantine() {
    PodGcPlan.MissingNodes missing = new PodGcPlan.MissingNodes(Duration.ofSeconds(40));
    List<Pod> pods = List.of(pod("p", "lost", "Running", null, T0, false), pod("q", "here", "Running", null, T0, false));
    List<Node> here = List.of(node("here", "True"));
    assertEquals(Set.of(), missing.gone(pods, here, T0));
    assertEquals(Optional.of(T0.plusSeconds(40)), missing.nextExpiry(T0));
    assertEquals(Set.of(), missing.gone(pods, here, T0.plusSeconds(39)));
    assertEquals(Set.of("lost"), missing.gone(pods, here, T0.plusSeconds(40)));
    assertEquals(Optional.empty(), missing.nextExpiry(T0.plusSeconds(40)), "no quarantine left running");
    // The node shows up again: its quarantine is forgotten, and starts afresh when it goes missing again.
    assertEquals(Set.of(), missing.gone(pods, List.of(node("here", "True"), node("lost", "True")), T0.plusSeconds(41)));
    assertEquals(Set.of(), missing.gone(pods, here, T0.plusSeconds(42)));
    assertEquals(Set.of(), missing.gone(pods, here, T0.plusSeconds(81)));
    assertEquals(Set.of("lost"), missing.gone(pods, here, T0.plusSeconds(82)));
  }
}
