package io.capstan.controllers.replicaset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.api.Pod;
import io.capstan.api.ReplicaSet;
import io.capstan.api.ReplicaSetSpec;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The ReplicaSet controller against a real broker and command processor. */
class ReplicaSetControllerKafkaTest {
  private static final Map<String, String> LABELS = Map.of("app", "web");

  @Test
  void keepsReplicasPodsAdoptsOrphansReleasesStrayPodsAndReplacesDeletedOnes() throws Exception {
    try (Cluster cluster = new Cluster("rs-it");
        ReplicaSetController controller = new ReplicaSetController(cluster.informers, cluster.writer,
            Clock.systemUTC(), 2, cluster.registry)) {
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      Informer<ReplicaSet> sets = cluster.informers.informerFor(Kinds.REPLICA_SET, ReplicaSet.class);
      Informer<io.capstan.api.Event> events = cluster.informers.informerFor(Kinds.EVENT, io.capstan.api.Event.class);
      AtomicInteger podsEverCreated = new AtomicInteger();
      Set<String> podNames = ConcurrentHashMap.newKeySet();
      pods.addHandler(new ResourceEventHandler<>() {
        @Override
        public void onAdd(Pod p) {
          if (podNames.add(p.getMetadata().getName())) {
            podsEverCreated.incrementAndGet();
          }
        }
      });
      cluster.startInformers();
      controller.start();
      cluster.namespace("rs");

      // an orphan that matches: adopted instead of creating a third pod
      Pod orphan = PodTemplates.copy(Pod.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace("rs").setName("orphan").setLabels(LABELS).build())
          .setSpec(Cluster.template(LABELS, "nginx").getSpec()).build());
      cluster.create(orphan);

      ReplicaSet rs = ReplicaSet.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace("rs").setName("web").build())
          .setSpec(ReplicaSetSpec.newBuilder().setReplicas(3).setSelector(Cluster.selector(LABELS))
              .setTemplate(Cluster.template(LABELS, "nginx")).build())
          .build();
      cluster.create(rs);
      String uid = awaitSet(sets).getMetadata().getUid();

      awaitOwnedPods(pods, uid, 3);
      Pod adopted = pods.get("rs", "orphan").orElseThrow();
      OwnerReference ref = OwnerRefs.controllerOf(adopted.getMetadata()).orElseThrow(() -> new AssertionError("not adopted"));
      assertEquals(uid, ref.getUid());
      for (Pod p : owned(pods, uid)) {
        OwnerReference r = OwnerRefs.controllerOf(p.getMetadata()).orElseThrow();
        assertEquals("ReplicaSet", r.getKind());
        assertEquals("apps/v1", r.getApiVersion());
        assertEquals("web", r.getName());
        assertTrue(r.getBlockOwnerDeletion());
        if (!p.getMetadata().getName().equals("orphan")) {
          assertTrue(p.getMetadata().getName().matches("web-[bcdfghjklmnpqrstvwxz2456789]{5}"), p.getMetadata().getName());
        }
      }
      Cluster.await("status replicas 3", () -> status(sets, s -> s.getStatus().getReplicas() == 3));
      assertEquals(1L, sets.get("rs", "web").orElseThrow().getStatus().getObservedGeneration());

      // ready pods show up in status
      for (Pod p : owned(pods, uid)) {
        cluster.makeReady(p, Instant.now());
      }
      Cluster.await("3 ready and available", () -> status(sets,
          s -> s.getStatus().getReadyReplicas() == 3 && s.getStatus().getAvailableReplicas() == 3
              && s.getStatus().getFullyLabeledReplicas() == 3));

      // scale up
      scale(cluster, sets, 5);
      awaitOwnedPods(pods, uid, 5);
      Cluster.await("observedGeneration 2", () -> status(sets, s -> s.getStatus().getObservedGeneration() == 2
          && s.getStatus().getReplicas() == 5));

      // scale down: the two not-ready new pods go, the ready ones stay
      List<String> ready = owned(pods, uid).stream().filter(p -> p.getStatus() != null
          && "Running".equals(p.getStatus().getPhase())).map(p -> p.getMetadata().getName()).toList();
      assertEquals(3, ready.size());
      scale(cluster, sets, 3);
      awaitOwnedPods(pods, uid, 3);
      assertEquals(Set.copyOf(ready), Set.copyOf(owned(pods, uid).stream().map(p -> p.getMetadata().getName()).toList()),
          "surplus pods are the not-ready ones");

      // a deleted pod is replaced
      String victim = ready.get(0);
      cluster.client.delete(Kinds.POD, "rs", victim, null).get(30, TimeUnit.SECONDS);
      Cluster.await("replacement", () -> owned(pods, uid).size() == 3
          && owned(pods, uid).stream().noneMatch(p -> p.getMetadata().getName().equals(victim)));

      // a pod whose labels stop matching is released and replaced
      Pod stray = PodTemplates.copy(pods.get("rs", ready.get(1)).orElseThrow());
      stray.getMetadata().setLabels(Map.of("app", "debug"));
      cluster.client.update(stray).get(30, TimeUnit.SECONDS);
      Cluster.await("released", () -> pods.get("rs", ready.get(1)).map(p -> p.getMetadata().getOwnerReferences() == null
          || p.getMetadata().getOwnerReferences().isEmpty()).orElse(false));
      awaitOwnedPods(pods, uid, 3);

      // Expectations: every pod that ever existed was needed. 1 orphan + 2 + 2 (scale up) + 1 + 1 replacements.
      Thread.sleep(500);
      assertEquals(7, podsEverCreated.get(), "pods ever created (a double create would show here): " + podNames);
      assertEquals(3, owned(pods, uid).size());

      // kubectl describe tells the story
      Cluster.await("SuccessfulCreate and SuccessfulDelete events", () -> {
        List<String> reasons = events.list("rs").stream()
            .filter(e -> e.getInvolvedObject().getName().equals("web")).map(e -> e.getReason()).toList();
        return reasons.stream().filter("SuccessfulCreate"::equals).count() == 6
            && reasons.contains("SuccessfulDelete");
      }, () -> events.list("rs").stream().map(e -> e.getReason() + ": " + e.getMessage()).toList().toString());
      assertTrue(events.list("rs").stream().anyMatch(e -> e.getMessage().matches("Created pod: web-\\w{5}")
          && e.getType().equals("Normal") && e.getInvolvedObject().getKind().equals("ReplicaSet")));

      String scrape = cluster.registry.scrape();
      assertTrue(scrape.contains("capstan_controller_reconcile_total{controller=\"replicaset\",result=\"success\"}"), scrape);
      assertTrue(scrape.contains("capstan_workqueue_depth{name=\"replicaset\"}"));
      assertTrue(scrape.contains("capstan_controller_reconcile_duration_seconds_count{controller=\"replicaset\"}"));
      assertFalse(controller.queue().isShuttingDown());
    }
  }

  private static ReplicaSet awaitSet(Informer<ReplicaSet> sets) throws InterruptedException {
    Cluster.await("rs cached", () -> sets.get("rs", "web").isPresent());
    return sets.get("rs", "web").orElseThrow();
  }

  private static boolean status(Informer<ReplicaSet> sets, java.util.function.Predicate<ReplicaSet> p) {
    return sets.get("rs", "web").filter(r -> r.getStatus() != null && r.getStatus().getReplicas() != null)
        .map(p::test).orElse(false);
  }

  private static void scale(Cluster cluster, Informer<ReplicaSet> sets, int replicas) throws Exception {
    ReplicaSet cur = PodTemplates.copy(sets.get("rs", "web").orElseThrow());
    cur.getSpec().setReplicas(replicas);
    // retried on conflict: the controller writes status concurrently
    for (int i = 0; i < 20; i++) {
      var r = cluster.client.update(cur).get(30, TimeUnit.SECONDS);
      if (r instanceof io.capstan.logschema.client.CommandResult.Accepted) {
        return;
      }
      Thread.sleep(50);
      cur = PodTemplates.copy(sets.get("rs", "web").orElseThrow());
      cur.getSpec().setReplicas(replicas);
    }
    throw new AssertionError("could not scale");
  }

  static List<Pod> owned(Informer<Pod> pods, String uid) {
    return pods.list("rs").stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .filter(p -> OwnerRefs.controllerOf(p.getMetadata()).map(r -> r.getUid().equals(uid)).orElse(false))
        .toList();
  }

  private static void awaitOwnedPods(Informer<Pod> pods, String uid, int n) throws InterruptedException {
    Cluster.await(n + " owned pods", () -> owned(pods, uid).size() == n,
        () -> owned(pods, uid).stream().map(p -> p.getMetadata().getName()).toList().toString());
  }
}
