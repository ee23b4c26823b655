package io.capstan.controllers.deployment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Deployment;
import io.capstan.api.DeploymentCondition;
import io.capstan.api.DeploymentSpec;
import io.capstan.api.DeploymentStrategy;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.ReplicaSet;
import io.capstan.api.RollingUpdateDeployment;
import io.capstan.controllers.replicaset.ReplicaSetController;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Deployments against a real broker and command processor, with the ReplicaSet controller
 * making the pods and the test playing node agent (every new pod becomes Running and Ready).
 */
class DeploymentControllerKafkaTest {
  private static final Map<String, String> LABELS = Map.of("app", "web");

  /** One ReplicaSet change, as the event log has it: ordered by resourceVersion across partitions. */
  record SetChange(long rv, String name, int replicas, int available, int statusReplicas) {}

  @Test
  void rollingUpdateRollbackAndHistoryWithinTheSurgeAndUnavailabilityBounds() throws Exception {
    try (Cluster cluster = new Cluster("deploy-it");
        ReplicaSetController rsc = new ReplicaSetController(cluster.informers, cluster.writer, Clock.systemUTC(), 2,
            cluster.registry);
        DeploymentController dc = new DeploymentController(cluster.informers, cluster.writer, Clock.systemUTC(), 2,
            cluster.registry)) {
      Informer<Deployment> deployments = cluster.informers.informerFor(Kinds.DEPLOYMENT, Deployment.class);
      Informer<ReplicaSet> sets = cluster.informers.informerFor(Kinds.REPLICA_SET, ReplicaSet.class);
      Informer<io.capstan.api.Event> events = cluster.informers.informerFor(Kinds.EVENT, io.capstan.api.Event.class);
      List<SetChange> changes = java.util.Collections.synchronizedList(new ArrayList<>());
      recordSetChanges(sets, changes);
      ExecutorService agent = nodeAgent(cluster);
      cluster.startInformers();
      rsc.start();
      dc.start();
      cluster.namespace("dep");

      Deployment d = Deployment.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace("dep").setName("web").build())
          .setSpec(DeploymentSpec.newBuilder().setReplicas(3).setSelector(Cluster.selector(LABELS))
              .setTemplate(Cluster.template(LABELS, "nginx:1"))
              .setRevisionHistoryLimit(1)
              .setStrategy(DeploymentStrategy.newBuilder().setType("RollingUpdate")
                  .setRollingUpdate(RollingUpdateDeployment.newBuilder().setMaxSurge(1).setMaxUnavailable(0).build())
                  .build())
              .build())
          .build();
      cluster.create(d);
      awaitRolledOut(deployments, 1);
      ReplicaSet first = onlyActiveSet(sets);
      String hash = first.getMetadata().getLabels().get(TemplateHash.LABEL);
      assertEquals("web-" + hash, first.getMetadata().getName());
      assertEquals(hash, first.getSpec().getSelector().getMatchLabels().get(TemplateHash.LABEL));
      assertEquals(hash, first.getSpec().getTemplate().getMetadata().getLabels().get(TemplateHash.LABEL));
      assertEquals("1", first.getMetadata().getAnnotations().get(DeploymentController.REVISION));
      assertEquals("1", deployments.get("dep", "web").orElseThrow().getMetadata().getAnnotations()
          .get(DeploymentController.REVISION));
      Deployment done = deployments.get("dep", "web").orElseThrow();
      assertEquals("True", condition(done, "Available").getStatus());
      assertEquals(DeploymentStatuses.NEW_RS_AVAILABLE, condition(done, "Progressing").getReason());
      int changesBeforeUpdate = changes.size();

      // rolling update to a new image
      edit(cluster, deployments, x -> x.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("nginx:2"));
      awaitRolledOut(deployments, 2);
      ReplicaSet second = onlyActiveSet(sets);
      assertNotEquals(first.getMetadata().getName(), second.getMetadata().getName());
      assertEquals("2", second.getMetadata().getAnnotations().get(DeploymentController.REVISION));
      assertEquals(0, sets.get("dep", first.getMetadata().getName()).orElseThrow().getSpec().getReplicas());
      checkBounds(changes.subList(changesBeforeUpdate, changes.size()), 3, 1, 0);

      // rollback: kubectl rollout undo puts the old template back; the old set is reused as revision 3
      int changesBeforeUndo = changes.size();
      edit(cluster, deployments, x -> x.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("nginx:1"));
      awaitRolledOut(deployments, 3);
      ReplicaSet back = onlyActiveSet(sets);
      assertEquals(first.getMetadata().getName(), back.getMetadata().getName(), "the old set is reused");
      assertEquals("3", back.getMetadata().getAnnotations().get(DeploymentController.REVISION));
      assertEquals("1", back.getMetadata().getAnnotations().get(DeploymentController.REVISION_HISTORY));
      assertEquals("3", deployments.get("dep", "web").orElseThrow().getMetadata().getAnnotations()
          .get(DeploymentController.REVISION));
      checkBounds(changes.subList(changesBeforeUndo, changes.size()), 3, 1, 0);

      // a third template: with revisionHistoryLimit 1 the oldest scaled-down set is deleted
      edit(cluster, deployments, x -> x.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("nginx:3"));
      awaitRolledOut(deployments, 4);
      Cluster.await("history limited to one old set", () -> owned(sets, deployments).size() == 2,
          () -> owned(sets, deployments).stream().map(rs -> rs.getMetadata().getName()).toList().toString());
      assertTrue(sets.get("dep", second.getMetadata().getName()).isEmpty(), "revision 2 (the oldest) was deleted");
      assertTrue(sets.get("dep", first.getMetadata().getName()).isPresent(), "revision 3 is kept");

      String scrape = cluster.registry.scrape();
      assertTrue(scrape.contains("capstan_controller_reconcile_total{controller=\"deployment\",result=\"success\"}"));
      String scaledDown = "Scaled down replica set " + first.getMetadata().getName() + " from 1 to 0";
      Cluster.await("ScalingReplicaSet events", () -> events.list("dep").stream()
          .anyMatch(e -> "ScalingReplicaSet".equals(e.getReason()) && scaledDown.equals(e.getMessage())),
          () -> events.list("dep").stream().map(e -> e.getReason() + ": " + e.getMessage()).toList().toString());
      agent.shutdownNow();
    }
  }

  @Test
  void recreateStopsEveryOldPodBeforeStartingNewOnes() throws Exception {
    try (Cluster cluster = new Cluster("recreate-it");
        ReplicaSetController rsc = new ReplicaSetController(cluster.informers, cluster.writer, Clock.systemUTC(), 2,
            cluster.registry);
        DeploymentController dc = new DeploymentController(cluster.informers, cluster.writer, Clock.systemUTC(), 2,
            cluster.registry)) {
      Informer<Deployment> deployments = cluster.informers.informerFor(Kinds.DEPLOYMENT, Deployment.class);
      Informer<ReplicaSet> sets = cluster.informers.informerFor(Kinds.REPLICA_SET, ReplicaSet.class);
      List<SetChange> changes = java.util.Collections.synchronizedList(new ArrayList<>());
      recordSetChanges(sets, changes);
      ExecutorService agent = nodeAgent(cluster);
      cluster.startInformers();
      rsc.start();
      dc.start();
      cluster.namespace("dep");
      cluster.create(Deployment.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace("dep").setName("web").build())
          .setSpec(DeploymentSpec.newBuilder().setReplicas(2).setSelector(Cluster.selector(LABELS))
              .setTemplate(Cluster.template(LABELS, "db:1"))
              .setStrategy(DeploymentStrategy.newBuilder().setType("Recreate").build())
              .build())
          .build());
      awaitRolledOut(deployments, 1);
      String oldName = onlyActiveSet(sets).getMetadata().getName();
      int from = changes.size();
      edit(cluster, deployments, x -> x.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("db:2"));
      awaitRolledOut(deployments, 2);
      String newName = onlyActiveSet(sets).getMetadata().getName();
      assertNotEquals(oldName, newName);
      // in resourceVersion order: the new set asks for pods only after the old one has none left
      List<SetChange> seq = new ArrayList<>(changes.subList(from, changes.size()));
      seq.sort(Comparator.comparingLong(SetChange::rv));
      Map<String, SetChange> latest = new HashMap<>();
      for (SetChange c : seq) {
        latest.put(c.name(), c);
        SetChange o = latest.get(oldName);
        SetChange n = latest.get(newName);
        if (n != null && n.replicas() > 0) {
          assertEquals(0, o.statusReplicas(), "new pods wanted while old ones ran: " + seq);
        }
      }
      agent.shutdownNow();
    }
  }

  private static void recordSetChanges(Informer<ReplicaSet> sets, List<SetChange> changes) {
    sets.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(ReplicaSet rs) {
        record(rs);
      }

      @Override
      public void onUpdate(ReplicaSet old, ReplicaSet rs) {
        record(rs);
      }

      @Override
      public void onDelete(ReplicaSet rs) {
        changes.add(new SetChange(Long.MAX_VALUE, rs.getMetadata().getName(), 0, 0, 0));
      }

      private void record(ReplicaSet rs) {
        var s = rs.getStatus();
        changes.add(new SetChange(Long.parseLong(rs.getMetadata().getResourceVersion()), rs.getMetadata().getName(),
            rs.getSpec().getReplicas(), s == null || s.getAvailableReplicas() == null ? 0 : s.getAvailableReplicas(),
            s == null || s.getReplicas() == null ? 0 : s.getReplicas()));
      }
    });
  }

  /** Replays the changes in resourceVersion order and checks the rollout bounds at every step. */
  private static void checkBounds(List<SetChange> window, int replicas, int maxSurge, int maxUnavailable) {
    List<SetChange> seq = new ArrayList<>(window);
    seq.sort(Comparator.comparingLong(SetChange::rv));
    Map<String, SetChange> latest = new HashMap<>();
    int steps = 0;
    for (SetChange c : seq) {
      if (c.rv() == Long.MAX_VALUE) {
        continue;
      }
      latest.put(c.name(), c);
      int total = latest.values().stream().mapToInt(SetChange::replicas).sum();
      int available = latest.values().stream().mapToInt(SetChange::available).sum();
      assertTrue(total <= replicas + maxSurge, "spec total " + total + " above " + (replicas + maxSurge) + " at " + c);
      if (latest.size() > 1) {
        assertTrue(available >= replicas - maxUnavailable, "available " + available + " below "
            + (replicas - maxUnavailable) + " at " + c + " in " + seq);
      }
      steps++;
    }
    assertTrue(steps >= 4, "a rollout takes several steps: " + seq);
  }

  /** Plays node agent: every new pod is made Running and Ready. */
  private static ExecutorService nodeAgent(Cluster cluster) {
    ExecutorService agent = Executors.newSingleThreadExecutor();
    Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
    pods.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod p) {
        if (p.getMetadata().getDeletionTimestamp() == null) {
          agent.submit(() -> {
            try {
              cluster.makeReady(p, Instant.now());
            } catch (Exception e) {
              throw new RuntimeException(e);
            }
            return null;
          });
        }
      }
    });
    return agent;
  }

  private static void edit(Cluster cluster, Informer<Deployment> deployments, Consumer<Deployment> change)
      throws Exception {
    for (int i = 0; i < 50; i++) {
      Deployment cur = PodTemplates.copy(deployments.get("dep", "web").orElseThrow());
      change.accept(cur);
      if (cluster.client.update(cur).get(30, TimeUnit.SECONDS) instanceof CommandResult.Accepted) {
        return;
      }
      Thread.sleep(50); // the controller wrote meanwhile
    }
    throw new AssertionError("could not update the deployment");
  }

  /** What kubectl rollout status waits for, and the expected generation. */
  private static void awaitRolledOut(Informer<Deployment> deployments, long generation) throws InterruptedException {
    Cluster.await("rollout of generation " + generation, () -> deployments.get("dep", "web").map(d -> {
      var s = d.getStatus();
      int want = d.getSpec().getReplicas();
      return d.getMetadata().getGeneration() == generation && s != null && s.getObservedGeneration() != null
          && s.getObservedGeneration() >= generation && s.getUpdatedReplicas() == want && s.getReplicas() == want
          && s.getAvailableReplicas() == want && s.getUnavailableReplicas() == 0
          && condition(d, "Progressing") != null
          && DeploymentStatuses.NEW_RS_AVAILABLE.equals(condition(d, "Progressing").getReason());
    }).orElse(false), () -> String.valueOf(deployments.get("dep", "web").map(Deployment::getStatus).orElse(null)));
  }

  private static DeploymentCondition condition(Deployment d, String type) {
    return d.getStatus().getConditions().stream().filter(c -> c.getType().equals(type)).findFirst().orElse(null);
  }

  private static List<ReplicaSet> owned(Informer<ReplicaSet> sets, Informer<Deployment> deployments) {
    String uid = deployments.get("dep", "web").orElseThrow().getMetadata().getUid();
    return sets.list("dep").stream()
        .filter(rs -> OwnerRefs.controllerOf(rs.getMetadata()).map(r -> r.getUid().equals(uid)).orElse(false)).toList();
  }

  private static ReplicaSet onlyActiveSet(Informer<ReplicaSet> sets) {
    List<ReplicaSet> active = sets.list("dep").stream().filter(rs -> rs.getSpec().getReplicas() > 0).toList();
    assertEquals(1, active.size(), "one active set: " + active);
    return active.get(0);
  }
}
