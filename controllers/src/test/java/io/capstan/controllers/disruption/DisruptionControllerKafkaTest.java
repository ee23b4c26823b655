package io.capstan.controllers.disruption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodDisruptionBudget;
import io.capstan.api.PodDisruptionBudgetSpec;
import io.capstan.api.PodDisruptionBudgetStatus;
import io.capstan.api.ReplicaSet;
import io.capstan.api.ReplicaSetSpec;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Budget statuses follow their pods and their ReplicaSet's scale, on the real broker. */
class DisruptionControllerKafkaTest {
  static final Map<String, String> WEB = Map.of("app", "web");

  static Pod pod(String name, ReplicaSet rs) {
    return Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("pdb").setName(name).setLabels(WEB)
            .setOwnerReferences(List.of(OwnerRefs.controllerRef(Kinds.REPLICA_SET, rs.getMetadata()))).build())
        .setSpec(Cluster.template(WEB, "nginx").getSpec()).build();
  }

  static PodDisruptionBudget budget(String name, Object minAvailable, Object maxUnavailable) {
    return PodDisruptionBudget.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("pdb").setName(name).build())
        .setSpec(PodDisruptionBudgetSpec.newBuilder().setMinAvailable(minAvailable).setMaxUnavailable(maxUnavailable)
            .setSelector(Cluster.selector(WEB)).build())
        .build();
  }

  static String describe(Informer<PodDisruptionBudget> budgets, String name) {
    return budgets.get("pdb", name).map(b -> String.valueOf(b.getStatus())).orElse("absent");
  }

  /** The status has these counts ({@code expected} -1: any). */
  static boolean has(Informer<PodDisruptionBudget> budgets, String name, int expected, int desired, int healthy,
      int allowed) {
    PodDisruptionBudgetStatus s = budgets.get("pdb", name).map(PodDisruptionBudget::getStatus).orElse(null);
    return s != null && (expected < 0 || s.getExpectedPods() == expected) && s.getDesiredHealthy() == desired
        && s.getCurrentHealthy() == healthy && s.getDisruptionsAllowed() == allowed;
  }

  @Test
  void statusFollowsPodsReadinessScaleAndEvictions() throws Exception {
    try (Cluster cluster = new Cluster("pdb-it");
        DisruptionController dc = new DisruptionController(cluster.informers, cluster.writer, Clock.systemUTC(), 1,
            cluster.registry)) {
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      Informer<PodDisruptionBudget> budgets = cluster.informers.informerFor(Kinds.POD_DISRUPTION_BUDGET,
          PodDisruptionBudget.class);
      cluster.startInformers();
      dc.start();
      cluster.namespace("pdb");
      ReplicaSet rs = cluster.create(ReplicaSet.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace("pdb").setName("web").build())
          .setSpec(ReplicaSetSpec.newBuilder().setReplicas(3).setSelector(Cluster.selector(WEB))
              .setTemplate(Cluster.template(WEB, "nginx")).build())
          .build()).objectAs(ReplicaSet.class);
      for (String name : List.of("a", "b", "c")) {
        cluster.create(pod(name, rs));
      }
      for (String name : List.of("a", "b")) {
        Cluster.await(name + " cached", () -> pods.get("pdb", name).isPresent());
        cluster.makeReady(pods.get("pdb", name).orElseThrow(), Instant.now());
      }
      cluster.create(budget("one-down", null, 1)); // expected 3 (the ReplicaSet's scale), 2 must stay healthy
      cluster.create(budget("two-up", 2, null)); // expected: the 3 pods there are
      Cluster.await("one-down: 2 healthy of 2 desired", () -> has(budgets, "one-down", 3, 2, 2, 0),
          () -> describe(budgets, "one-down"));
      Cluster.await("two-up: 2 healthy of 2 desired", () -> has(budgets, "two-up", 3, 2, 2, 0),
          () -> describe(budgets, "two-up"));
      assertEquals("InsufficientPods", budgets.get("pdb", "one-down").orElseThrow().getStatus().getConditions().get(0)
          .getReason());
      assertEquals(1L, budgets.get("pdb", "one-down").orElseThrow().getStatus().getObservedGeneration());

      cluster.makeReady(pods.get("pdb", "c").orElseThrow(), Instant.now());
      Cluster.await("one-down allows one", () -> has(budgets, "one-down", 3, 2, 3, 1), () -> describe(budgets, "one-down"));
      assertEquals("SufficientPods", budgets.get("pdb", "one-down").orElseThrow().getStatus().getConditions().get(0)
          .getReason());

      // The ReplicaSet is scaled up: one-down expects 4 now, so 3 must stay healthy.
      ReplicaSet bigger = PodTemplates.copy(cluster.informers.informerFor(Kinds.REPLICA_SET, ReplicaSet.class)
          .get("pdb", "web").orElseThrow());
      bigger.getSpec().setReplicas(4);
      cluster.client.update(bigger).get(30, TimeUnit.SECONDS);
      Cluster.await("one-down follows the scale", () -> has(budgets, "one-down", 4, 3, 3, 0),
          () -> describe(budgets, "one-down"));

      Cluster.await("two-up allows one", () -> has(budgets, "two-up", 3, 2, 3, 1), () -> describe(budgets, "two-up"));
      // An eviction as the eviction subresource records it: the pod is no longer counted healthy.
      CommandResult written;
      int tries = 0;
      do { // a conflict means the controller wrote in between: decide again on the newer budget, as the subresource does
        PodDisruptionBudget evicting = PodTemplates.copy(budgets.get("pdb", "two-up").orElseThrow());
        evicting.getStatus().setDisruptionsAllowed(0);
        evicting.getStatus().setDisruptedPods(Map.of("a", Instant.now().toString()));
        written = cluster.client.updateStatus(evicting).get(30, TimeUnit.SECONDS);
        if (!(written instanceof CommandResult.Accepted)) {
          Thread.sleep(100);
        }
      } while (!(written instanceof CommandResult.Accepted) && ++tries < 20);
      assertTrue(written instanceof CommandResult.Accepted, String.valueOf(written));
      Cluster.await("two-up leaves the evicted pod out", () -> has(budgets, "two-up", 3, 2, 2, 0)
          && budgets.get("pdb", "two-up").orElseThrow().getStatus().getDisruptedPods() != null,
          () -> describe(budgets, "two-up"));
      cluster.client.delete(Kinds.POD, "pdb", "a", null).get(30, TimeUnit.SECONDS);
      Cluster.await("the deleted pod leaves disruptedPods", () -> has(budgets, "two-up", -1, 2, 2, 0)
          && budgets.get("pdb", "two-up").orElseThrow().getStatus().getDisruptedPods() == null,
          () -> describe(budgets, "two-up"));
    }
  }
}
