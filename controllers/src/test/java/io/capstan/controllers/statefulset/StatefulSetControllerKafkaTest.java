package io.capstan.controllers.statefulset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ControllerRevision;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.RollingUpdateStatefulSetStrategy;
import io.capstan.api.StatefulSet;
import io.capstan.api.StatefulSetSpec;
import io.capstan.api.StatefulSetStatus;
import io.capstan.api.StatefulSetUpdateStrategy;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodConditions;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The StatefulSet controller against a real broker and command processor. The test plays the node
 * agents: it makes pods Running and Ready when it wants them to be.
 */
class StatefulSetControllerKafkaTest {
  private static final String NS = "sts";
  private static final Map<String, String> LABELS = Map.of("app", "web");

  /** Pod adds and deletes in the order the informer saw them ("+web-0", "-web-2"). */
  private static List<String> journal(Informer<Pod> pods) {
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    pods.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod p) {
        seen.add("+" + p.getMetadata().getName());
      }

      @Override
      public void onUpdate(Pod old, Pod p) {}

      @Override
      public void onDelete(Pod p) {
        seen.add("-" + p.getMetadata().getName());
      }
    });
    return seen;
  }

  @Test
  void orderedReadyCreatesInOrderWaitsForReadinessScalesDownInReverseAndKeepsNames() throws Exception {
    try (Cluster cluster = new Cluster("sts-ordered");
        StatefulSetController controller = new StatefulSetController(cluster.informers, cluster.writer,
            Clock.systemUTC(), 2, cluster.registry)) {
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      Informer<StatefulSet> sets = cluster.informers.informerFor(Kinds.STATEFUL_SET, StatefulSet.class);
      List<String> journal = journal(pods);
      cluster.startInformers();
      controller.start();
      cluster.namespace(NS);

      cluster.create(statefulSet("web", 3, s -> s.setServiceName("nginx")));
      Pod web0 = awaitPod(pods, "web-0");
      // identity: labels, hostname and subdomain, controlled by the set, at the set's only revision
      String uid = sets.get(NS, "web").orElseThrow().getMetadata().getUid();
      assertEquals("web-0", web0.getMetadata().getLabels().get(StatefulPods.POD_NAME_LABEL));
      assertEquals("0", web0.getMetadata().getLabels().get(StatefulPods.POD_INDEX_LABEL));
      assertEquals("web", web0.getMetadata().getLabels().get("app"));
      assertEquals("web-0", web0.getSpec().getHostname());
      assertEquals("nginx", web0.getSpec().getSubdomain());
      assertEquals(uid, OwnerRefs.controllerOf(web0.getMetadata()).orElseThrow().getUid());
      Cluster.await("update revision in status", () -> status(sets, "web", st -> st.getUpdateRevision() != null
          && st.getReplicas() == 1));
      String revision = sets.get(NS, "web").orElseThrow().getStatus().getUpdateRevision();
      assertEquals(revision, StatefulPods.revision(web0));
      assertTrue(revision.startsWith("web-"), revision);

      // web-1 waits for web-0 to be Running and Ready
      Thread.sleep(1500);
      assertFalse(pods.get(NS, "web-1").isPresent(), "web-1 made before web-0 was ready");
      cluster.makeReady(web0, Instant.now());
      Pod web1 = awaitPod(pods, "web-1");
      Thread.sleep(500);
      assertFalse(pods.get(NS, "web-2").isPresent(), "web-2 made before web-1 was ready");
      cluster.makeReady(web1, Instant.now());
      cluster.makeReady(awaitPod(pods, "web-2"), Instant.now());
      Cluster.await("3 ready", () -> status(sets, "web", st -> st.getReadyReplicas() == 3 && st.getReplicas() == 3
          && st.getCurrentReplicas() == 3 && st.getUpdatedReplicas() == 3 && st.getAvailableReplicas() == 3
          && revision.equals(st.getCurrentRevision()) && st.getObservedGeneration() == 1L),
          () -> String.valueOf(sets.get(NS, "web").orElseThrow().getStatus()));
      assertEquals(List.of("+web-0", "+web-1", "+web-2"), List.copyOf(journal));

      // a deleted pod comes back with its name (and a new uid)
      Pod old1 = pods.get(NS, "web-1").orElseThrow();
      cluster.client.delete(Kinds.POD, NS, "web-1", null).get(30, TimeUnit.SECONDS);
      Cluster.await("web-1 back", () -> pods.get(NS, "web-1")
          .map(p -> !p.getMetadata().getUid().equals(old1.getMetadata().getUid())).orElse(false));
      assertEquals("web-1", pods.get(NS, "web-1").orElseThrow().getSpec().getHostname());
      cluster.makeReady(pods.get(NS, "web-1").orElseThrow(), Instant.now());
      Cluster.await("3 ready again", () -> status(sets, "web", st -> st.getReadyReplicas() == 3));

      // scale down to 1: web-2 goes first, then web-1
      journal.clear();
      updateSet(cluster, sets, "web", s -> s.getSpec().setReplicas(1));
      Cluster.await("scaled to 1", () -> pods.list(NS).size() == 1 && pods.get(NS, "web-0").isPresent(),
          () -> pods.list(NS).stream().map(p -> p.getMetadata().getName()).toList().toString());
      assertEquals(List.of("-web-2", "-web-1"), List.copyOf(journal));
      Cluster.await("status 1", () -> status(sets, "web", st -> st.getReplicas() == 1 && st.getReadyReplicas() == 1
          && st.getObservedGeneration() == 2L));
    }
  }

  @Test
  void partitionedRollingUpdateWithinMaxUnavailableThenTheRestAndTheHistoryLimit() throws Exception {
    try (Cluster cluster = new Cluster("sts-roll");
        StatefulSetController controller = new StatefulSetController(cluster.informers, cluster.writer,
            Clock.systemUTC(), 2, cluster.registry)) {
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      Informer<StatefulSet> sets = cluster.informers.informerFor(Kinds.STATEFUL_SET, StatefulSet.class);
      Informer<ControllerRevision> revisions =
          cluster.informers.informerFor(Kinds.CONTROLLER_REVISION, ControllerRevision.class);
      cluster.startInformers();
      controller.start();
      cluster.namespace(NS);

      cluster.create(statefulSet("db", 5, s -> {
        s.setPodManagementPolicy("Parallel");
        s.setRevisionHistoryLimit(1);
        s.setUpdateStrategy(StatefulSetUpdateStrategy.newBuilder().setType("RollingUpdate")
            .setRollingUpdate(RollingUpdateStatefulSetStrategy.newBuilder().setPartition(3).setMaxUnavailable(2)
                .build()).build());
      }));
      // Parallel: all five at once, without waiting for readiness
      Cluster.await("5 pods", () -> images(pods, "db").size() == 5);
      driveReady(cluster, pods, sets, "db", "app:1", 5);
      String first = sets.get(NS, "db").orElseThrow().getStatus().getUpdateRevision();

      // partition 3: db-3 and db-4 move to app:2, db-0..2 stay
      updateSet(cluster, sets, "db", s -> s.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("app:2"));
      int worst = driveUntil(cluster, pods, "db", 5, m -> m.equals(Map.of("db-0", "app:1", "db-1", "app:1",
          "db-2", "app:1", "db-3", "app:2", "db-4", "app:2")));
      assertTrue(worst <= 2, "at most maxUnavailable (2) pods down at once, saw " + worst);
      Cluster.await("partitioned status", () -> status(sets, "db", st -> st.getUpdatedReplicas() == 2
          && st.getCurrentReplicas() == 3 && first.equals(st.getCurrentRevision())
          && !first.equals(st.getUpdateRevision()) && st.getReadyReplicas() == 5),
          () -> String.valueOf(sets.get(NS, "db").orElseThrow().getStatus()));
      Thread.sleep(500);
      assertEquals("app:1", images(pods, "db").get("db-2"), "below the partition nothing moves");
      String second = sets.get(NS, "db").orElseThrow().getStatus().getUpdateRevision();
      assertEquals(second, StatefulPods.revision(pods.get(NS, "db-4").orElseThrow()));

      // partition 0: the rest follow, highest ordinal first; then the update revision is the current one
      updateSet(cluster, sets, "db", s -> s.getSpec().getUpdateStrategy().getRollingUpdate().setPartition(0));
      worst = driveUntil(cluster, pods, "db", 5, m -> m.values().stream().allMatch("app:2"::equals) && m.size() == 5);
      assertTrue(worst <= 2, "at most maxUnavailable (2) pods down at once, saw " + worst);
      Cluster.await("rollout complete", () -> status(sets, "db", st -> st.getUpdatedReplicas() == 5
          && st.getCurrentReplicas() == 5 && second.equals(st.getCurrentRevision())
          && second.equals(st.getUpdateRevision())),
          () -> String.valueOf(sets.get(NS, "db").orElseThrow().getStatus()));

      // a third template: with revisionHistoryLimit 1 only the newest old revision stays
      updateSet(cluster, sets, "db", s -> s.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("app:3"));
      driveUntil(cluster, pods, "db", 5, m -> m.values().stream().allMatch("app:3"::equals) && m.size() == 5);
      Cluster.await("rollout 3 complete", () -> status(sets, "db", st -> st.getUpdatedReplicas() == 5
          && st.getCurrentRevision().equals(st.getUpdateRevision()) && !second.equals(st.getCurrentRevision())));
      Cluster.await("two revisions", () -> revisions.list(NS).size() == 2,
          () -> revisions.list(NS).stream().map(r -> r.getMetadata().getName() + "@" + r.getRevision()).toList()
              .toString());
      assertFalse(revisions.get(NS, first).isPresent(), "the oldest revision was pruned");
      assertTrue(revisions.get(NS, second).isPresent(), "the newest old revision is kept");
      assertEquals(3L, revisions.get(NS, sets.get(NS, "db").orElseThrow().getStatus().getUpdateRevision())
          .orElseThrow().getRevision());
    }
  }

  @Test
  void onDeleteReplacesOnlyThePodsTheUserDeletes() throws Exception {
    try (Cluster cluster = new Cluster("sts-ondelete");
        StatefulSetController controller = new StatefulSetController(cluster.informers, cluster.writer,
            Clock.systemUTC(), 2, cluster.registry)) {
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      Informer<StatefulSet> sets = cluster.informers.informerFor(Kinds.STATEFUL_SET, StatefulSet.class);
      cluster.startInformers();
      controller.start();
      cluster.namespace(NS);
      cluster.create(statefulSet("cache", 2, s -> {
        s.setPodManagementPolicy("Parallel");
        s.setUpdateStrategy(StatefulSetUpdateStrategy.newBuilder().setType("OnDelete").build());
      }));
      Cluster.await("2 pods", () -> images(pods, "cache").size() == 2);
      driveReady(cluster, pods, sets, "cache", "app:1", 2);
      updateSet(cluster, sets, "cache",
          s -> s.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("app:2"));
      Cluster.await("new update revision", () -> status(sets, "cache",
          st -> !st.getUpdateRevision().equals(st.getCurrentRevision()) && st.getObservedGeneration() == 2L));
      Thread.sleep(1000);
      assertEquals(Map.of("cache-0", "app:1", "cache-1", "app:1"), images(pods, "cache"), "OnDelete replaces nothing");
      cluster.client.delete(Kinds.POD, NS, "cache-1", null).get(30, TimeUnit.SECONDS);
      Cluster.await("cache-1 at app:2", () -> "app:2".equals(images(pods, "cache").get("cache-1")));
      assertEquals("app:1", images(pods, "cache").get("cache-0"));
      cluster.makeReady(pods.get(NS, "cache-1").orElseThrow(), Instant.now());
      Cluster.await("one updated, one current", () -> status(sets, "cache",
          st -> st.getUpdatedReplicas() == 1 && st.getCurrentReplicas() == 1 && st.getReadyReplicas() == 2));
    }
  }

  // ---- helpers ----

  static StatefulSet statefulSet(String name, int replicas, Consumer<StatefulSetSpec> shape) {
    Map<String, String> labels = new HashMap<>(LABELS);
    StatefulSetSpec spec = StatefulSetSpec.newBuilder().setReplicas(replicas)
        .setSelector(Cluster.selector(labels)).setTemplate(Cluster.template(labels, "app:1")).build();
    shape.accept(spec);
    return StatefulSet.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName(name).build())
        .setSpec(spec).build();
  }

  private static Pod awaitPod(Informer<Pod> pods, String name) throws InterruptedException {
    Cluster.await(name, () -> pods.get(NS, name).isPresent(),
        () -> pods.list(NS).stream().map(p -> p.getMetadata().getName()).toList().toString());
    return pods.get(NS, name).orElseThrow();
  }

  /** The set's pods not being deleted, by name, with their image. */
  private static Map<String, String> images(Informer<Pod> pods, String set) {
    Map<String, String> out = new TreeMap<>();
    for (Pod p : pods.list(NS)) {
      if (p.getMetadata().getName().startsWith(set + "-") && p.getMetadata().getDeletionTimestamp() == null) {
        out.put(p.getMetadata().getName(), p.getSpec().getContainers().get(0).getImage());
      }
    }
    return out;
  }

  private static void driveReady(Cluster cluster, Informer<Pod> pods, Informer<StatefulSet> sets, String set,
      String image, int n) throws Exception {
    driveUntil(cluster, pods, set, n, m -> m.size() == n && m.values().stream().allMatch(image::equals));
    Cluster.await(n + " ready", () -> status(sets, set, st -> st.getReadyReplicas() == n && st.getReplicas() == n));
  }

  /**
   * Plays the node agents (every pod of the set becomes Ready) until its pods' images satisfy
   * {@code done} and all are ready; returns the most of the {@code replicas} seen missing, unready or
   * being deleted at once.
   */
  private static int driveUntil(Cluster cluster, Informer<Pod> pods, String set, int replicas,
      Predicate<Map<String, String>> done) throws Exception {
    int worst = 0;
    long deadline = System.nanoTime() + Cluster.WAIT.toNanos();
    while (true) {
      List<Pod> mine = pods.list(NS).stream().filter(p -> p.getMetadata().getName().startsWith(set + "-")).toList();
      long healthy = mine.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null
          && PodConditions.isReady(p)).count();
      Map<String, String> images = images(pods, set);
      worst = Math.max(worst, (int) (replicas - healthy));
      if (done.test(images) && healthy == images.size()) {
        return worst;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("pods of " + set + " did not reach the wanted state: " + images);
      }
      for (Pod p : mine) {
        if (!PodConditions.isReady(p) && p.getMetadata().getDeletionTimestamp() == null) {
          cluster.makeReady(p, Instant.now());
        }
      }
      Thread.sleep(20);
    }
  }

  private static void updateSet(Cluster cluster, Informer<StatefulSet> sets, String name, Consumer<StatefulSet> change)
      throws Exception {
    for (int i = 0; i < 20; i++) {
      StatefulSet s = PodTemplates.copy(sets.get(NS, name).orElseThrow());
      change.accept(s);
      if (cluster.client.update(s).get(30, TimeUnit.SECONDS) instanceof CommandResult.Accepted) {
        return;
      }
      Thread.sleep(50); // the controller writes status concurrently
    }
    throw new AssertionError("could not update statefulset " + name);
  }

  private static boolean status(Informer<StatefulSet> sets, String name, Predicate<StatefulSetStatus> p) {
    Optional<StatefulSet> s = sets.get(NS, name);
    return s.filter(x -> x.getStatus() != null && x.getStatus().getReplicas() != null)
        .map(x -> p.test(x.getStatus())).orElse(false);
  }
}
