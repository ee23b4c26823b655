package io.capstan.controllers.deployment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Deployment;
import io.capstan.api.DeploymentCondition;
import io.capstan.api.DeploymentSpec;
import io.capstan.api.DeploymentStatus;
import io.capstan.api.LabelSelector;
import io.capstan.api.ObjectMeta;
import io.capstan.api.PodTemplateSpec;
import io.capstan.api.ReplicaSet;
import io.capstan.api.ReplicaSetSpec;
import io.capstan.api.ReplicaSetStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DeploymentStatusesTest {
  static {
    io.capstan.logschema.kinds.TrustedModelClasses.install();
  }

  private static final Instant NOW = Instant.parse("2026-01-01T00:10:00Z");

  private static Deployment deployment(int replicas, long generation, DeploymentStatus status) {
    return Deployment.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName("web").setNamespace("ns").setGeneration(generation).build())
        .setSpec(DeploymentSpec.newBuilder().setReplicas(replicas).setProgressDeadlineSeconds(600)
            .setSelector(LabelSelector.newBuilder().setMatchLabels(Map.of("a", "b")).build())
            .setTemplate(PodTemplateSpec.newBuilder().build()).build())
        .setStatus(status)
        .build();
  }

  private static ReplicaSet set(String name, int spec, int replicas, int ready, int available) {
    return ReplicaSet.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(name).setNamespace("ns").build())
        .setSpec(ReplicaSetSpec.newBuilder().setReplicas(spec)
            .setSelector(LabelSelector.newBuilder().build()).build())
        .setStatus(ReplicaSetStatus.newBuilder().setReplicas(replicas).setReadyReplicas(ready)
            .setAvailableReplicas(available).build())
        .build();
  }

  private static DeploymentCondition cond(DeploymentStatus s, String type) {
    return s.getConditions().stream().filter(c -> c.getType().equals(type)).findFirst().orElseThrow();
  }

  @Test
  void countsAndAvailability() {
    Deployment d = deployment(4, 2, null);
    ReplicaSet newSet = set("new", 2, 2, 2, 1);
    DeploymentStatus s = DeploymentStatuses.counts(d, newSet, List.of(set("old", 3, 3, 3, 3), newSet), 1, NOW);
    assertEquals(5, s.getReplicas());
    assertEquals(2, s.getUpdatedReplicas());
    assertEquals(5, s.getReadyReplicas());
    assertEquals(4, s.getAvailableReplicas());
    assertEquals(1, s.getUnavailableReplicas(), "spec total 5 minus 4 available");
    assertEquals(2L, s.getObservedGeneration());
    assertEquals("True", cond(s, "Available").getStatus());
    DeploymentStatus short1 = DeploymentStatuses.counts(d, newSet, List.of(set("old", 2, 2, 2, 1), newSet), 1, NOW);
    assertEquals("False", cond(short1, "Available").getStatus(), "2 available < 4 - 1");
    assertEquals("MinimumReplicasUnavailable", cond(short1, "Available").getReason());
  }

  @Test
  void progressingWalksThroughCreatedUpdatedAvailableAndTimedOut() {
    Deployment d = deployment(2, 1, null);
    ReplicaSet newSet = set("web-abc", 1, 0, 0, 0);
    DeploymentStatus s = DeploymentStatuses.counts(d, newSet, List.of(newSet), 0, NOW);
    Optional<Duration> recheck = DeploymentStatuses.progress(d, s, "web-abc", true, NOW);
    assertEquals("NewReplicaSetCreated", cond(s, "Progressing").getReason());
    assertEquals(Optional.of(Duration.ofSeconds(600)), recheck);

    // progress: one pod became ready
    Deployment d2 = deployment(2, 1, s);
    ReplicaSet progressed = set("web-abc", 2, 1, 1, 1);
    DeploymentStatus s2 = DeploymentStatuses.counts(d2, progressed, List.of(progressed), 0, NOW.plusSeconds(30));
    DeploymentStatuses.progress(d2, s2, "web-abc", false, NOW.plusSeconds(30));
    assertEquals("ReplicaSetUpdated", cond(s2, "Progressing").getReason());
    assertEquals(NOW.plusSeconds(30).toString(), cond(s2, "Progressing").getLastUpdateTime());

    // no progress for the whole deadline: timed out
    Deployment d3 = deployment(2, 1, s2);
    DeploymentStatus s3 = DeploymentStatuses.counts(d3, progressed, List.of(progressed), 0, NOW.plusSeconds(100));
    Optional<Duration> left = DeploymentStatuses.progress(d3, s3, "web-abc", false, NOW.plusSeconds(100));
    assertEquals(Optional.of(Duration.ofSeconds(530)), left, "recheck when the deadline passes");
    DeploymentStatus s4 = DeploymentStatuses.counts(d3, progressed, List.of(progressed), 0, NOW.plusSeconds(631));
    assertTrue(DeploymentStatuses.progress(d3, s4, "web-abc", false, NOW.plusSeconds(631)).isEmpty());
    DeploymentCondition timedOut = cond(s4, "Progressing");
    assertEquals("False", timedOut.getStatus());
    assertEquals("ProgressDeadlineExceeded", timedOut.getReason());
    assertEquals("ReplicaSet \"web-abc\" has timed out progressing.", timedOut.getMessage());

    // all available: complete, as kubectl rollout status waits for
    ReplicaSet done = set("web-abc", 2, 2, 2, 2);
    DeploymentStatus s5 = DeploymentStatuses.counts(deployment(2, 1, s4), done, List.of(done), 0, NOW.plusSeconds(700));
    DeploymentStatuses.progress(deployment(2, 1, s4), s5, "web-abc", false, NOW.plusSeconds(700));
    assertEquals("NewReplicaSetAvailable", cond(s5, "Progressing").getReason());
    assertEquals("True", cond(s5, "Progressing").getStatus());
    assertTrue(DeploymentStatuses.complete(deployment(2, 1, s5), s5));
    assertTrue(!DeploymentStatuses.complete(deployment(2, 2, s5), s5), "a newer generation is not complete yet");
  }

  @Test
  void pausedDeploymentsReportPausedAndNoDeadline() {
    Deployment d = deployment(2, 1, null);
    d.getSpec().setPaused(true);
    DeploymentStatus s = DeploymentStatuses.counts(d, null, new ArrayList<>(), 0, NOW);
    assertTrue(DeploymentStatuses.progress(d, s, null, false, NOW).isEmpty());
    assertEquals("Unknown", cond(s, "Progressing").getStatus());
    assertEquals("DeploymentPaused", cond(s, "Progressing").getReason());
  }

  @Test
  void templateHashIgnoresItsOwnLabelAndMapOrder() {
    PodTemplateSpec a = io.capstan.controllers.testing.Cluster.template(Map.of("app", "x", "tier", "y"), "img:1");
    PodTemplateSpec b = io.capstan.controllers.testing.Cluster.template(
        new java.util.LinkedHashMap<>(Map.of("tier", "y", "app", "x")), "img:1");
    assertEquals(TemplateHash.of(a, null), TemplateHash.of(b, null));
    PodTemplateSpec hashed = io.capstan.controllers.runtime.PodTemplates.copy(a);
    hashed.getMetadata().setLabels(Map.of("app", "x", "tier", "y", TemplateHash.LABEL, "abc"));
    assertTrue(TemplateHash.equalIgnoringHash(a, hashed));
    assertEquals(TemplateHash.of(a, null), TemplateHash.of(hashed, null));
    PodTemplateSpec other = io.capstan.controllers.testing.Cluster.template(Map.of("app", "x", "tier", "y"), "img:2");
    assertTrue(!TemplateHash.of(a, null).equals(TemplateHash.of(other, null)));
    assertTrue(!TemplateHash.of(a, null).equals(TemplateHash.of(a, 1)), "the collision count changes the hash");
    assertTrue(TemplateHash.of(a, null).matches("[bcdfghjklmnpqrstvwxz2456789]+"));
  }
}
