package io.capstan.controllers.statefulset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ControllerRevision;
import io.capstan.api.Event;
import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.PersistentVolumeClaimSpec;
import io.capstan.api.Pod;
import io.capstan.api.RollingUpdateStatefulSetStrategy;
import io.capstan.api.StatefulSet;
import io.capstan.api.StatefulSetSpec;
import io.capstan.api.StatefulSetPersistentVolumeClaimRetentionPolicy;
import io.capstan.api.StatefulSetStatus;
import io.capstan.api.StatefulSetUpdateStrategy;
import io.capstan.api.VolumeResourceRequirements;
import io.capstan.controllers.gc.GarbageCollector;
import io.capstan.controllers.gc.OwnerGraph;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodConditions;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.controllers.volume.PersistentVolumeBinder;
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

  @Test
  void claimsAreMadePerOrdinalReusedByTheRecreatedPodAndRetainedByDefault() throws Exception {
    try (WithStorage w = new WithStorage("sts-claims")) {
      Cluster cluster = w.cluster;
      Informer<Pod> pods = w.pods;
      Informer<StatefulSet> sets = w.sets;
      Informer<PersistentVolumeClaim> claims = w.claims;
      Informer<Event> events = w.events;

      cluster.create(statefulSet("db", 2, s -> {
        s.setPodManagementPolicy("Parallel");
        s.setVolumeClaimTemplates(List.of(claimTemplate("data")));
      }));
      Pod db0 = awaitPod(pods, "db-0");
      awaitPod(pods, "db-1");
      Cluster.await("claims data-db-0 and data-db-1", () -> claims.get(NS, "data-db-0").isPresent()
          && claims.get(NS, "data-db-1").isPresent(), () -> claims.list(NS).toString());
      PersistentVolumeClaim data0 = claims.get(NS, "data-db-0").orElseThrow();
      assertEquals("web", data0.getMetadata().getLabels().get("app"), "the set's selector labels");
      assertEquals("db", data0.getMetadata().getLabels().get("tier"), "the template's labels");
      assertEquals(null, data0.getMetadata().getOwnerReferences(), "Retain: nobody owns the claim");
      assertEquals("64Mi", data0.getSpec().getResources().getRequests().get("storage"));
      assertEquals("data-db-0", claimOf(db0, "data"));
      assertEquals("data-db-1", claimOf(pods.get(NS, "db-1").orElseThrow(), "data"));
      Cluster.await("SuccessfulCreate claim event", () -> hasEvent(events, "db", "SuccessfulCreate",
          "create Claim data-db-0 Pod db-0 in StatefulSet db success"), () -> events.list(NS).toString());
      Cluster.await("SuccessfulCreate pod event", () -> hasEvent(events, "db", "SuccessfulCreate",
          "create Pod db-0 in StatefulSet db successful"), () -> events.list(NS).toString());

      // a deleted pod comes back with the claim it had
      cluster.client.delete(Kinds.POD, NS, "db-0", null).get(30, TimeUnit.SECONDS);
      Cluster.await("db-0 back", () -> pods.get(NS, "db-0")
          .map(p -> !p.getMetadata().getUid().equals(db0.getMetadata().getUid())).orElse(false));
      assertEquals("data-db-0", claimOf(pods.get(NS, "db-0").orElseThrow(), "data"));
      assertEquals(data0.getMetadata().getUid(), claims.get(NS, "data-db-0").orElseThrow().getMetadata().getUid(),
          "the same claim, not a new one");

      // Retain: scaling down and deleting the set keep every claim
      updateSet(cluster, sets, "db", s -> s.getSpec().setReplicas(1));
      Cluster.await("db-1 gone", () -> pods.get(NS, "db-1").isEmpty());
      cluster.client.delete(Kinds.STATEFUL_SET, NS, "db", null).get(30, TimeUnit.SECONDS);
      Cluster.await("the set's pods collected", () -> pods.list(NS).isEmpty(),
          () -> pods.list(NS).stream().map(p -> p.getMetadata().getName()).toList().toString());
      Thread.sleep(1000);
      for (String name : List.of("data-db-0", "data-db-1")) {
        PersistentVolumeClaim c = claims.get(NS, name).orElseThrow(() -> new AssertionError(name + " deleted"));
        assertEquals(null, c.getMetadata().getDeletionTimestamp(), name + " is being deleted");
      }
    }
  }

  @Test
  void retentionDeleteTakesTheClaimsOfScaledDownPodsAndThenThoseOfTheSet() throws Exception {
    try (WithStorage w = new WithStorage("sts-claims-delete")) {
      Cluster cluster = w.cluster;
      Informer<Pod> pods = w.pods;
      Informer<StatefulSet> sets = w.sets;
      Informer<PersistentVolumeClaim> claims = w.claims;

      cluster.create(statefulSet("web", 3, s -> {
        s.setPodManagementPolicy("Parallel");
        s.setVolumeClaimTemplates(List.of(claimTemplate("www")));
        s.setPersistentVolumeClaimRetentionPolicy(StatefulSetPersistentVolumeClaimRetentionPolicy.newBuilder()
            .setWhenDeleted("Delete").setWhenScaled("Delete").build());
      }));
      Cluster.await("3 claims", () -> claimNames(claims).equals(List.of("www-web-0", "www-web-1", "www-web-2")),
          () -> claimNames(claims).toString());
      Cluster.await("3 pods", () -> images(pods, "web").size() == 3);
      String uid = sets.get(NS, "web").orElseThrow().getMetadata().getUid();
      for (PersistentVolumeClaim c : claims.list(NS)) {
        OwnerReference owner = OwnerRefs.controllerOf(c.getMetadata()).orElseThrow();
        assertEquals("StatefulSet", owner.getKind());
        assertEquals(uid, owner.getUid(), "whenDeleted Delete: the set controls " + c.getMetadata().getName());
      }

      // whenScaled Delete: the claims of web-1 and web-2 go with them, web-0's stays the set's
      updateSet(cluster, sets, "web", s -> s.getSpec().setReplicas(1));
      Cluster.await("claims of the scaled-down pods gone", () -> claimNames(claims).equals(List.of("www-web-0")),
          () -> claims.list(NS).toString());
      assertEquals(List.of("web-0"), List.copyOf(images(pods, "web").keySet()));
      assertEquals(uid, OwnerRefs.controllerOf(claims.get(NS, "www-web-0").orElseThrow().getMetadata())
          .orElseThrow().getUid());

      // scaled up again: web-1 gets a new claim
      updateSet(cluster, sets, "web", s -> s.getSpec().setReplicas(2));
      Cluster.await("a new www-web-1", () -> claimNames(claims).equals(List.of("www-web-0", "www-web-1"))
          && pods.get(NS, "web-1").isPresent(), () -> claims.list(NS).toString());

      // whenDeleted Delete: the set's deletion takes the rest
      cluster.client.delete(Kinds.STATEFUL_SET, NS, "web", null).get(30, TimeUnit.SECONDS);
      Cluster.await("all claims gone", () -> claims.list(NS).isEmpty(), () -> claims.list(NS).toString());
    }
  }

  // ---- helpers ----

  /**
   * A cluster with the StatefulSet controller, the garbage collector (which deletes claims whose
   * owners are gone) and the volume binder (which lets a claim no pod uses go), started.
   */
  private static final class WithStorage implements AutoCloseable {
    final Cluster cluster;
    final StatefulSetController controller;
    final GarbageCollector gc;
    final PersistentVolumeBinder binder;
    final Informer<Pod> pods;
    final Informer<StatefulSet> sets;
    final Informer<PersistentVolumeClaim> claims;
    final Informer<Event> events;

    WithStorage(String name) throws Exception {
      cluster = new Cluster(name);
      controller = new StatefulSetController(cluster.informers, cluster.writer, Clock.systemUTC(), 2, cluster.registry);
      gc = new GarbageCollector(cluster.informers, OwnerGraph.defaultKinds(), cluster.writer, 1, cluster.registry);
      binder = new PersistentVolumeBinder(cluster.informers, cluster.writer, Clock.systemUTC(), 1, cluster.registry);
      pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      sets = cluster.informers.informerFor(Kinds.STATEFUL_SET, StatefulSet.class);
      claims = cluster.informers.informerFor(Kinds.PERSISTENT_VOLUME_CLAIM, PersistentVolumeClaim.class);
      events = cluster.informers.informerFor(Kinds.EVENT, Event.class);
      cluster.startInformers();
      controller.start();
      gc.start();
      binder.start();
      cluster.namespace(NS);
    }

    @Override
    public void close() {
      binder.close();
      gc.close();
      controller.close();
      cluster.close();
    }
  }

  static PersistentVolumeClaim claimTemplate(String name) {
    return PersistentVolumeClaim.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(name).setLabels(Map.of("tier", "db")).build())
        .setSpec(PersistentVolumeClaimSpec.newBuilder().setAccessModes(List.of("ReadWriteOnce"))
            .setStorageClassName("manual")
            .setResources(VolumeResourceRequirements.newBuilder().setRequests(Map.of("storage", "64Mi")).build())
            .build())
        .build();
  }

  private static String claimOf(Pod pod, String volume) {
    return pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(volume)).findFirst()
        .map(v -> v.getPersistentVolumeClaim() == null ? "not a claim" : v.getPersistentVolumeClaim().getClaimName())
        .orElse("no volume " + volume);
  }

  private static List<String> claimNames(Informer<PersistentVolumeClaim> claims) {
    return claims.list(NS).stream().map(c -> c.getMetadata().getName()).sorted().toList();
  }

  private static boolean hasEvent(Informer<Event> events, String object, String reason, String message) {
    return events.list(NS).stream().anyMatch(e -> object.equals(e.getInvolvedObject().getName())
        && reason.equals(e.getReason()) && message.equals(e.getMessage()));
  }

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
