package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.controllers.manager.ControllerManager;
import io.capstan.controllers.manager.ControllerManagerConfig;
import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.security.AdminToken;
import io.capstan.gateway.testing.Fabric8Clients;
import io.capstan.gateway.testing.KafkaGatewayFixture;
import io.capstan.stateviews.replay.IncarnationCheck;
import io.capstan.stateviews.replay.Replay;
import io.capstan.stateviews.testing.KafkaFixture;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Write-path correctness through the fabric8 client, against the gateway on the real backbone
 * with the real controllers (Deployment, ReplicaSet, garbage collector) running: a write that
 * completes a deletion answers 200 with the object as it was removed, a ReplicaSet deleted
 * and made again never shows up with its predecessor's uid, and every namespace has the
 * cluster CA as {@code kube-root-ca.crt} (the root CA publisher).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WritePathFabric8Test {
  private static final String FINALIZER = "test.capstan.io/hold";

  @TempDir
  static Path dataDir;
  static KafkaGatewayFixture backend;
  static ControllerManager controllers;
  static KubernetesClient client;

  @BeforeAll
  static void start() throws Exception {
    backend = KafkaGatewayFixture.start("writepath", WatchCacheConfig.defaults());
    GatewayServer gateway = backend.startServer(dataDir);
    GatewayConfig gatewayConfig = GatewayConfig.defaults(dataDir);
    controllers = new ControllerManager(ControllerManagerConfig.defaults(KafkaFixture.clientConfig(), backend.layout())
        .withRootCaFile(gatewayConfig.pkiDir().resolve("ca.crt")), backend.registry());
    controllers.start();
    controllers.awaitReady(Duration.ofSeconds(60));
    client = Fabric8Clients.of(gateway.url(), gatewayConfig.pkiDir().resolve("ca.crt"), AdminToken.ensure(gatewayConfig.tokenFile()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (controllers != null) {
      controllers.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  static String namespace(String name) {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    return name;
  }

  static void await(String what, Supplier<Boolean> condition) throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(60);
    while (!condition.get()) {
      if (Instant.now().isAfter(deadline)) {
        fail("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  // ---- removing the last finalizer of an object being deleted ----

  /** A Secret held by a finalizer, deleted: it stays with a deletionTimestamp. */
  private static Secret heldAndDeleted(String ns, String name) {
    var secrets = client.secrets().inNamespace(ns);
    secrets.resource(new SecretBuilder().withNewMetadata().withName(name).withFinalizers(FINALIZER).endMetadata()
        .addToStringData("k", "v").build()).create();
    secrets.withName(name).delete();
    Secret marked = secrets.withName(name).get();
    assertNotNull(marked, "the finalizer holds " + name);
    assertNotNull(marked.getMetadata().getDeletionTimestamp(), name + " is marked for deletion");
    return marked;
  }

  /** What Kubernetes answers: 200 with the object as it was removed; then it is gone. */
  private static void assertRemovedWith(String ns, String name, Secret answer, Secret marked) {
    assertNotNull(answer, "the write that completes the deletion answers with the object");
    assertEquals(name, answer.getMetadata().getName());
    assertEquals(marked.getMetadata().getUid(), answer.getMetadata().getUid());
    assertEquals(marked.getMetadata().getDeletionTimestamp(), answer.getMetadata().getDeletionTimestamp());
    assertTrue(answer.getMetadata().getFinalizers() == null || answer.getMetadata().getFinalizers().isEmpty(),
        "no finalizers left: " + answer.getMetadata().getFinalizers());
    assertNull(client.secrets().inNamespace(ns).withName(name).get(), name + " is gone");
  }

  @Test
  void everyNamespaceGetsTheClusterCaAsKubeRootCaCrtAndItComesBackWhenDeleted() throws Exception {
    String ns = namespace("wp-root-ca");
    String caPem = Files.readString(GatewayConfig.defaults(dataDir).pkiDir().resolve("ca.crt"));
    Resource<ConfigMap> rootCa = client.configMaps().inNamespace(ns).withName("kube-root-ca.crt");
    ConfigMap published = awaitPublished(rootCa, c -> c != null && c.getData() != null);
    assertEquals(caPem, published.getData().get("ca.crt"));
    String uid = published.getMetadata().getUid();
    rootCa.delete();
    ConfigMap again = awaitPublished(rootCa, c -> c != null && !uid.equals(c.getMetadata().getUid()));
    assertEquals(caPem, again.getData().get("ca.crt"), "published again after a delete");
  }

  /**
   * fabric8's wait (a list, then a watch from its version) for the condition; when it times out,
   * the failure says whether a plain get finds the ConfigMap (the watch missed it) or not (it was
   * never published).
   */
  private static ConfigMap awaitPublished(Resource<ConfigMap> rootCa, java.util.function.Predicate<ConfigMap> condition) {
    try {
      return rootCa.waitUntilCondition(condition, 60, TimeUnit.SECONDS);
    } catch (io.fabric8.kubernetes.client.KubernetesClientTimeoutException e) {
      ConfigMap now = rootCa.get();
      throw new AssertionError("not seen through the watch in 60 s; a get now finds "
          + (now == null ? "no ConfigMap" : "it, which " + (condition.test(now) ? "meets" : "does not meet")
          + " the condition: " + now), e);
    }
  }

  @Test
  void removingTheLastFinalizerByEveryWritePathAnswersTheRemovedObject() {
    String ns = namespace("wp-finalizers");
    var secrets = client.secrets().inNamespace(ns);
    Map<String, Function<Secret, Secret>> writes = Map.of(
        "put", marked -> secrets.resource(new SecretBuilder(marked).editMetadata().withFinalizers(List.of())
            .endMetadata().build()).update(),
        "json-patch", marked -> secrets.withName(marked.getMetadata().getName()).patch(
            PatchContext.of(PatchType.JSON), "[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]"),
        "merge-patch", marked -> secrets.withName(marked.getMetadata().getName()).patch(
            PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"finalizers\":null}}"),
        "strategic-merge-patch", marked -> secrets.withName(marked.getMetadata().getName()).patch(
            PatchContext.of(PatchType.STRATEGIC_MERGE), "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\""
                + FINALIZER + "\"]}}"),
        "edit", marked -> secrets.withName(marked.getMetadata().getName())
            .edit(s -> new SecretBuilder(s).editMetadata().withFinalizers(List.of()).endMetadata().build()));
    for (Map.Entry<String, Function<Secret, Secret>> w : writes.entrySet()) {
      String name = "held-by-" + w.getKey();
      Secret marked = heldAndDeleted(ns, name);
      Secret answer = w.getValue().apply(marked);
      assertRemovedWith(ns, name, answer, marked);
    }
  }

  // ---- a ReplicaSet made again never shows its predecessor's uid ----

  static Deployment deployment(String name) {
    return new DeploymentBuilder()
        .withNewMetadata().withName(name).addToLabels("app", name).endMetadata()
        .withNewSpec().withReplicas(1)
        .withNewSelector().addToMatchLabels("app", name).endSelector()
        .withNewTemplate().withNewMetadata().addToLabels("app", name).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("nginx:1.27").endContainer().endSpec()
        .endTemplate().endSpec().build();
  }

  private static List<String> uids(List<ReplicaSet> sets) {
    return sets.stream().map(rs -> rs.getMetadata().getUid()).toList();
  }

  /**
   * The reported steps: create a Deployment, note its ReplicaSet's uid, delete the Deployment
   * (background, grace 0), wait until a watch shows no ReplicaSet with its labels, create it
   * again. The new ReplicaSet (same name: same template hash) has a new uid, and a list right
   * after the watch showed the delete no longer shows the deleted set: it was served at a
   * consistent cut from before the delete, which made the old set look like the new one.
   */
  @Test
  void aDeploymentMadeAgainShowsOnlyANewReplicaSetWithANewUid() throws Exception {
    String ns = namespace("wp-uids");
    var deployments = client.apps().deployments().inNamespace(ns);
    var sets = client.apps().replicaSets().inNamespace(ns).withLabel("app", "web");
    Map<String, String> watched = new ConcurrentHashMap<>(); // name -> uid, as the watch shows them
    Watch watch = sets.watch(new Watcher<>() {
      @Override
      public void eventReceived(Action action, ReplicaSet rs) {
        if (action == Action.DELETED) {
          watched.remove(rs.getMetadata().getName());
        } else if (action == Action.ADDED || action == Action.MODIFIED) {
          watched.put(rs.getMetadata().getName(), rs.getMetadata().getUid());
        }
      }

      @Override
      public void onClose(WatcherException cause) {
      }
    });
    Set<String> given = new HashSet<>();
    List<String> history = new ArrayList<>();
    try {
      for (int round = 0; round < 4; round++) {
        String r = "round " + round + " (sets so far " + history + ")";
        Deployment d = deployments.resource(deployment("web")).create();
        await(r + ": the watch shows the deployment's replica set", () -> watched.size() == 1
            && !given.contains(watched.values().iterator().next()));
        String uid = watched.values().iterator().next();
        history.add(watched.keySet().iterator().next() + "=" + uid);
        given.add(uid);
        // Read after the watch showed it: the list has it, and only it.
        List<ReplicaSet> listed = sets.list().getItems();
        assertEquals(List.of(uid), uids(listed), r);
        assertEquals(d.getMetadata().getUid(), listed.get(0).getMetadata().getOwnerReferences().get(0).getUid(), r);

        deployments.withName("web").withPropagationPolicy(DeletionPropagation.BACKGROUND).withGracePeriod(0).delete();
        await(r + ": the watch shows no replica set", watched::isEmpty);
        assertEquals(List.of(), uids(sets.list().getItems()), r + ": a list after the watch showed the delete");
      }
    } finally {
      watch.close();
    }
    // And the write path never gave a uid twice nor wrote an object after its delete.
    IncarnationCheck log = new IncarnationCheck();
    Replay.fromEvents(KafkaFixture.clientConfig(), backend.layout(), Long.MAX_VALUE, null, log);
    assertTrue(log.holds(), log.summary(20));
    assertTrue(log.events() > 0);
  }
}
