package io.capstan.controllers.replicaset;

import static io.capstan.controllers.replicaset.PodDeletionRankingTest.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.capstan.api.LabelSelector;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodTemplateSpec;
import io.capstan.api.ReplicaSet;
import io.capstan.api.ReplicaSetSpec;
import io.capstan.api.ReplicaSetStatus;
import io.capstan.controllers.runtime.SlowStart;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplicaSetStatusesTest {
  static {
    io.capstan.logschema.kinds.TrustedModelClasses.install(); // generated classes are trusted before any is built
  }


  private static ReplicaSet rs(int minReady) {
    return ReplicaSet.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName("web").setNamespace("ns").setGeneration(7L).build())
        .setSpec(ReplicaSetSpec.newBuilder().setReplicas(3).setMinReadySeconds(minReady)
            .setSelector(LabelSelector.newBuilder().setMatchLabels(Map.of("app", "web")).build())
            .setTemplate(PodTemplateSpec.newBuilder()
                .setMetadata(ObjectMeta.newBuilder().setLabels(Map.of("app", "web", "tier", "front")).build()).build())
            .build())
        .build();
  }

  private static Pod labelled(Pod p, Map<String, String> labels) {
    p.getMetadata().setLabels(labels);
    return p;
  }

  @Test
  void countsReadyAvailableAndFullyLabeled() {
    Instant now = Instant.parse("2026-01-01T00:01:00Z");
    List<Pod> pods = List.of(
        labelled(pod("a", "n", "Running", "2026-01-01T00:00:00Z", 0, "2026-01-01T00:00:00Z"),
            Map.of("app", "web", "tier", "front")),
        labelled(pod("b", "n", "Running", "2026-01-01T00:00:55Z", 0, "2026-01-01T00:00:00Z"),
            Map.of("app", "web", "tier", "front", "extra", "x")),
        labelled(pod("c", "n", "Pending", null, 0, "2026-01-01T00:00:00Z"), Map.of("app", "web")));
    ReplicaSetStatus s = ReplicaSetStatuses.calculate(rs(10), pods, null, now);
    assertEquals(3, s.getReplicas());
    assertEquals(2, s.getFullyLabeledReplicas());
    assertEquals(2, s.getReadyReplicas());
    assertEquals(1, s.getAvailableReplicas(), "b has been ready 5 s of the 10 minReadySeconds");
    assertEquals(7L, s.getObservedGeneration());
    assertNull(s.getConditions());
    assertEquals(2, ReplicaSetStatuses.calculate(rs(0), pods, null, now).getAvailableReplicas());
  }

  @Test
  void aFailedCreateSetsReplicaFailureAndSuccessClearsIt() {
    ReplicaSet set = rs(0);
    ReplicaSetStatus failed = ReplicaSetStatuses.calculate(set, List.of(), "create pods: 403 Forbidden: quota", Instant.now());
    assertEquals("ReplicaFailure", failed.getConditions().get(0).getType());
    assertEquals("FailedCreate", failed.getConditions().get(0).getReason());
    set.setStatus(failed);
    assertNull(ReplicaSetStatuses.calculate(set, List.of(), null, Instant.now()).getConditions());
  }

  @Test
  void slowStartBatchesDouble() {
    assertEquals(List.of(1, 2, 4, 3), SlowStart.batches(10));
    assertEquals(List.of(1), SlowStart.batches(1));
    assertEquals(List.of(), SlowStart.batches(0));
    assertEquals(List.of(1, 2, 4, 8, 16, 32, 64, 128, 245), SlowStart.batches(500));
  }
}
