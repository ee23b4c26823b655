package io.capstan.controllers.manager;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Deployment;
import io.capstan.api.DeploymentSpec;
import io.capstan.api.DeploymentStrategy;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.ReplicaSet;
import io.capstan.api.RollingUpdateDeployment;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two controller-managers; the one reconciling a Deployment is stopped in the middle of its
 * rolling update. The survivor finishes the rollout, and replaying the ReplicaSet changes in
 * resourceVersion order shows maxSurge and maxUnavailable held at every step.
 */
class FailoverRolloutKafkaTest {
  private static final int REPLICAS = 6;

  record SetChange(long rv, String name, int replicas, int available) {}

  @Test
  void theSurvivorFinishesARolloutWithinItsBounds() throws Exception {
    try (Cluster cluster = new Cluster("failover-it", 4)) {
      Informer<Deployment> deployments = cluster.informers.informerFor(Kinds.DEPLOYMENT, Deployment.class);
      Informer<ReplicaSet> sets = cluster.informers.informerFor(Kinds.REPLICA_SET, ReplicaSet.class);
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      List<SetChange> changes = Collections.synchronizedList(new ArrayList<>());
      sets.addHandler(new ResourceEventHandler<>() {
        @Override
        public void onAdd(ReplicaSet rs) {
          record(rs);
        }

        @Override
        public void onUpdate(ReplicaSet old, ReplicaSet rs) {
          record(rs);
        }

        private void record(ReplicaSet rs) {
          var s = rs.getStatus();
          changes.add(new SetChange(Long.parseLong(rs.getMetadata().getResourceVersion()), rs.getMetadata().getName(),
              rs.getSpec().getReplicas(), s == null || s.getAvailableReplicas() == null ? 0 : s.getAvailableReplicas()));
        }
      });
      // the node agent: a pod becomes ready 200 ms after it appears, so the rollout takes a while
      ScheduledExecutorService agent = Executors.newSingleThreadScheduledExecutor();
      pods.addHandler(new ResourceEventHandler<>() {
        @Override
        public void onAdd(Pod p) {
          agent.schedule(() -> {
            try {
              cluster.makeReady(p, Instant.now());
            } catch (Exception e) {
              throw new RuntimeException(e);
            }
            return null;
          }, 200, TimeUnit.MILLISECONDS);
        }
      });
      cluster.startInformers();
      cluster.namespace("fo");
      Map<String, Object> kafka = KafkaFixture.clientConfig();
      ControllerManager a = new ControllerManager(ControllerManagerConfig.defaults(kafka, cluster.layout), new SimpleMeterRegistry());
      ControllerManager b = new ControllerManager(ControllerManagerConfig.defaults(kafka, cluster.layout), new SimpleMeterRegistry());
      try {
        a.start();
        b.start();
        a.awaitReady(Duration.ofSeconds(60));
        b.awaitReady(Duration.ofSeconds(60));
        Cluster.await("both hold partitions", () -> !a.ownedPartitions().isEmpty() && !b.ownedPartitions().isEmpty()
            && a.ownedPartitions().size() + b.ownedPartitions().size() == 4);
        Map<String, String> labels = Map.of("app", "fo");
        cluster.create(Deployment.newBuilder()
            .setMetadata(ObjectMeta.newBuilder().setNamespace("fo").setName("web").build())
            .setSpec(DeploymentSpec.newBuilder().setReplicas(REPLICAS).setSelector(Cluster.selector(labels))
                .setTemplate(Cluster.template(labels, "app:1"))
                .setStrategy(DeploymentStrategy.newBuilder().setType("RollingUpdate")
                    .setRollingUpdate(RollingUpdateDeployment.newBuilder().setMaxSurge(1).setMaxUnavailable(1).build())
                    .build())
                .build())
            .build());
        Cluster.await("first rollout", () -> available(deployments) == REPLICAS);
        int from = changes.size();

        for (int i = 0; i < 50; i++) {
          Deployment cur = PodTemplates.copy(deployments.get("fo", "web").orElseThrow());
          cur.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("app:2");
          if (cluster.client.update(cur).get(30, TimeUnit.SECONDS) instanceof CommandResult.Accepted) {
            break;
          }
          Thread.sleep(50);
        }
        // stop the instance that reconciles the Deployment as soon as the new set is part-way up
        int partition = ObjectPartitioner.partition("Deployment/fo/web", 4);
        ControllerManager owner = a.ownedPartitions().contains(partition) ? a : b;
        ControllerManager survivor = owner == a ? b : a;
        Cluster.await("the rollout under way", () -> sets.list("fo").stream()
            .anyMatch(rs -> !rs.getSpec().getTemplate().getSpec().getContainers().get(0).getImage().equals("app:1")
                && rs.getSpec().getReplicas() > 0));
        owner.close();
        Cluster.await("the survivor owns every partition", () -> survivor.ownedPartitions().size() == 4);
        Cluster.await("the rollout finished", () -> deployments.get("fo", "web").map(d -> d.getStatus() != null
            && d.getMetadata().getGeneration() == 2 && d.getStatus().getObservedGeneration() == 2
            && d.getStatus().getUpdatedReplicas() == REPLICAS && d.getStatus().getAvailableReplicas() == REPLICAS
            && d.getStatus().getReplicas() == REPLICAS).orElse(false),
            () -> String.valueOf(deployments.get("fo", "web").map(Deployment::getStatus).orElse(null)));

        List<SetChange> seq = new ArrayList<>(changes.subList(from, changes.size()));
        seq.sort(Comparator.comparingLong(SetChange::rv));
        Map<String, SetChange> latest = new HashMap<>();
        for (SetChange c : seq) {
          latest.put(c.name(), c);
          int total = latest.values().stream().mapToInt(SetChange::replicas).sum();
          int available = latest.values().stream().mapToInt(SetChange::available).sum();
          assertTrue(total <= REPLICAS + 1, "maxSurge exceeded: " + total + " at " + c + " in " + seq);
          if (latest.size() > 1) {
            assertTrue(available >= REPLICAS - 1, "maxUnavailable exceeded: " + available + " at " + c + " in " + seq);
          }
        }
        assertTrue(seq.size() >= 6, "several steps: " + seq);
      } finally {
        agent.shutdownNow();
        a.close();
        b.close();
      }
    }
  }

  private static int available(Informer<Deployment> deployments) {
    return deployments.get("fo", "web").map(d -> d.getStatus() == null || d.getStatus().getAvailableReplicas() == null
        ? 0 : d.getStatus().getAvailableReplicas()).orElse(0);
  }
}
