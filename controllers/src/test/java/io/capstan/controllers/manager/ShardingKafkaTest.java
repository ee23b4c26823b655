package io.capstan.controllers.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.ReplicaSet;
import io.capstan.api.ReplicaSetSpec;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two controller-managers split the keys by consumer-group assignment; when one stops, the
 * other takes its partitions and finishes the work, and no pod is ever created twice.
 */
class ShardingKafkaTest {
  private static final int SETS = 8;

  @Test
  void twoManagersShareTheWorkAndTheSurvivorTakesOver() throws Exception {
    try (Cluster cluster = new Cluster("shard-it", 4)) {
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      Informer<ReplicaSet> sets = cluster.informers.informerFor(Kinds.REPLICA_SET, ReplicaSet.class);
      Set<String> everCreated = ConcurrentHashMap.newKeySet();
      pods.addHandler(new ResourceEventHandler<>() {
        @Override
        public void onAdd(Pod p) {
          everCreated.add(p.getMetadata().getName());
        }
      });
      cluster.startInformers();
      cluster.namespace("shard");
      Map<String, Object> kafka = KafkaFixture.clientConfig();
      PrometheusMeterRegistry regA = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      PrometheusMeterRegistry regB = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      ControllerManager b = new ControllerManager(ControllerManagerConfig.defaults(kafka, cluster.layout), regB);
      try (b) {
        ControllerManager a = new ControllerManager(ControllerManagerConfig.defaults(kafka, cluster.layout), regA);
        try (a) {
          a.start();
          b.start();
          a.awaitReady(Duration.ofSeconds(60));
          b.awaitReady(Duration.ofSeconds(60));
          Cluster.await("the partitions split between the two", () -> a.ownedPartitions().size() + b.ownedPartitions().size() == 4
              && !a.ownedPartitions().isEmpty() && !b.ownedPartitions().isEmpty(),
              () -> a.ownedPartitions() + " / " + b.ownedPartitions());
          Set<Integer> overlap = new HashSet<>(a.ownedPartitions());
          overlap.retainAll(b.ownedPartitions());
          assertTrue(overlap.isEmpty(), "no partition is reconciled by both: " + overlap);

          for (int i = 0; i < SETS; i++) {
            cluster.create(ReplicaSet.newBuilder()
                .setMetadata(ObjectMeta.newBuilder().setNamespace("shard").setName("rs-" + i).build())
                .setSpec(ReplicaSetSpec.newBuilder().setReplicas(2).setSelector(Cluster.selector(Map.of("set", "rs-" + i)))
                    .setTemplate(Cluster.template(Map.of("set", "rs-" + i), "nginx")).build())
                .build());
          }
          Cluster.await("2 pods per set", () -> pods.list("shard").size() == 2 * SETS);
          String series = "capstan_controller_reconcile_total{controller=\"replicaset\",result=\"success\"}";
          assertTrue(regA.scrape().contains(series), "instance A reconciled its share");
          assertTrue(regB.scrape().contains(series), "instance B reconciled its share");
        }
        // A is gone: B takes all partitions and serves every set
        long stopped = System.nanoTime();
        Cluster.await("the survivor owns every partition", () -> b.ownedPartitions().size() == 4,
            () -> b.ownedPartitions().toString());
        long takeoverMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped);
        assertTrue(takeoverMillis < 30_000, "took over in " + takeoverMillis + " ms");
        for (int i = 0; i < SETS; i++) {
          scale(cluster, sets, "rs-" + i, 3);
        }
        Cluster.await("3 pods per set", () -> pods.list("shard").size() == 3 * SETS
            && sets.list("shard").stream().allMatch(r -> r.getStatus() != null && r.getStatus().getReplicas() != null
                && r.getStatus().getReplicas() == 3));
        Thread.sleep(500);
        assertEquals(3 * SETS, everCreated.size(), "no pod was created twice: " + everCreated.size());
        assertFalse(b.ownedPartitions().isEmpty());
      }
    }
  }

  private static void scale(Cluster cluster, Informer<ReplicaSet> sets, String name, int replicas) throws Exception {
    for (int i = 0; i < 50; i++) {
      ReplicaSet cur = PodTemplates.copy(sets.get("shard", name).orElseThrow());
      cur.getSpec().setReplicas(replicas);
      if (cluster.client.update(cur).get(30, TimeUnit.SECONDS) instanceof CommandResult.Accepted) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("could not scale " + name);
  }
}
