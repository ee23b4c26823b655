package io.capstan.controllers.replicaset;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.api.ContainerStatus;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodSpec;
import io.capstan.api.PodStatus;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodDeletionRankingTest {
  static {
    io.capstan.logschema.kinds.TrustedModelClasses.install(); // generated classes are trusted before any is built
  }


  static Pod pod(String name, String node, String phase, String readySince, int restarts, String created) {
    List<PodCondition> conditions = readySince == null ? List.of()
        : List.of(PodCondition.newBuilder().setType("Ready").setStatus("True").setLastTransitionTime(readySince).build());
    return Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(name).setNamespace("ns").setCreationTimestamp(created).build())
        .setSpec(PodSpec.newBuilder().setNodeName(node).build())
        .setStatus(PodStatus.newBuilder().setPhase(phase).setConditions(conditions)
            .setContainerStatuses(List.of(ContainerStatus.newBuilder().setName("c").setRestartCount(restarts).build()))
            .build())
        .build();
  }

  private static List<String> order(List<Pod> pods) {
    List<Pod> shuffled = new ArrayList<>(pods);
    Collections.reverse(shuffled);
    return PodDeletionRanking.podsToDelete(shuffled, shuffled, pods.size()).stream()
        .map(p -> p.getMetadata().getName()).toList();
  }

  private static final String T0 = "2026-01-01T00:00:00Z";

  @Test
  void unassignedBeforeAssigned() {
    assertEquals(List.of("unassigned", "assigned"), order(List.of(
        pod("unassigned", null, "Pending", null, 0, T0),
        pod("assigned", "n1", "Pending", null, 0, T0))));
  }

  @Test
  void pendingBeforeUnknownBeforeRunning() {
    assertEquals(List.of("pending", "unknown", "running"), order(List.of(
        pod("pending", "n1", "Pending", null, 0, T0),
        pod("unknown", "n2", "Unknown", null, 0, T0),
        pod("running", "n3", "Running", null, 0, T0))));
  }

  @Test
  void notReadyBeforeReady() {
    assertEquals(List.of("not-ready", "ready"), order(List.of(
        pod("not-ready", "n1", "Running", null, 0, T0),
        pod("ready", "n2", "Running", T0, 0, T0))));
  }

  @Test
  void doubledUpNodesFirst() {
    assertEquals(List.of("b1", "b2", "alone"), order(List.of(
        pod("b1", "busy", "Running", T0, 0, T0),
        pod("alone", "quiet", "Running", T0, 0, T0),
        pod("b2", "busy", "Running", T0, 0, "2025-01-01T00:00:00Z"))));
  }

  @Test
  void readyMoreRecentlyFirst() {
    assertEquals(List.of("recent", "long"), order(List.of(
        pod("long", "n1", "Running", "2026-01-01T00:00:00Z", 0, T0),
        pod("recent", "n2", "Running", "2026-01-02T00:00:00Z", 0, T0))));
  }

  @Test
  void moreRestartsFirstThenNewerFirst() {
    assertEquals(List.of("crashy", "new", "old"), order(List.of(
        pod("old", "n1", "Running", T0, 0, "2025-01-01T00:00:00Z"),
        pod("crashy", "n2", "Running", T0, 7, "2024-01-01T00:00:00Z"),
        pod("new", "n3", "Running", T0, 0, "2026-01-01T00:00:00Z"))));
  }

  @Test
  void takesOnlyAsManyAsAsked() {
    List<Pod> pods = List.of(pod("a", "n1", "Running", T0, 0, T0), pod("b", null, "Pending", null, 0, T0),
        pod("c", "n2", "Running", null, 0, T0));
    assertEquals(List.of("b", "c"), PodDeletionRanking.podsToDelete(pods, pods, 2).stream()
        .map(p -> p.getMetadata().getName()).toList());
    assertEquals(List.of(), PodDeletionRanking.podsToDelete(pods, pods, 0));
  }
}
