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
import io.capstan.gateway.testing.KafkaGatewayFixture;
import io.capstan.stateviews.testing.KafkaFixture;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
 * completes a deletion answers 200 with the object as it was removed, and an object deleted and
 * made again never comes back with its old uid.
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
    controllers = new ControllerManager(ControllerManagerConfig.defaults(KafkaFixture.clientConfig(), backend.layout()),
        backend.registry());
    controllers.start();
    controllers.awaitReady(Duration.ofSeconds(60));
    Config config = new ConfigBuilder(Config.empty())
        .withMasterUrl(gateway.url())
        .withCaCertFile(gatewayConfig.pkiDir().resolve("ca.crt").toString())
        .withOauthToken(AdminToken.ensure(gatewayConfig.tokenFile()))
        .withTrustCerts(false)
        .withRequestTimeout(30_000)
        // A 500 must fail the test, not be retried into the 404 that follows it.
        .withRequestRetryBackoffLimit(0)
        .build();
    client = new KubernetesClientBuilder().withConfig(config).build();
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
}
