package io.capstan.gateway.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.logschema.kinds.Kinds;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A typed fabric8 {@code CustomResource<Spec, Status>} against the real gateway: create, get, list
 * (and by label), update, the status subresource, optimistic concurrency, delete; and a
 * {@link SharedIndexInformer} on it seeing ADD, UPDATE and DELETE, and its resyncs.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TypedCustomResourceFabric8Test {
  @TempDir
  static Path dataDir;
  static ExampleCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = new ExampleCluster("typed-cr", dataDir);
    cluster.define(Gizmo.DEFINITION);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (cluster != null) {
        cluster.close();
      }
    } finally {
      Kinds.unregister("Gizmo"); // the kind registry is JVM-wide
    }
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  @Test
  void createGetListUpdateStatusDelete() {
    String ns = cluster.namespace("typed-crud");
    var gizmos = cluster.client.resources(Gizmo.class).inNamespace(ns);
    Gizmo created = gizmos.resource(Gizmo.of("g1", "red", 1)).create();
    assertNotNull(created.getMetadata().getUid());
    assertEquals("typed.capstan.io/v1", created.getApiVersion());
    assertEquals("Gizmo", created.getKind());
    assertEquals(1L, created.getMetadata().getGeneration());
    gizmos.resource(Gizmo.of("g2", "blue", 2)).create();

    Gizmo got = gizmos.withName("g1").get();
    assertEquals("red", got.getSpec().getColor());
    assertEquals(created.getMetadata().getResourceVersion(), got.getMetadata().getResourceVersion());
    assertEquals(List.of("g1", "g2"), gizmos.list().getItems().stream().map(g -> g.getMetadata().getName()).sorted()
        .toList());
    assertEquals(2, gizmos.withLabel("app", "gizmo").list().getItems().size());
    assertEquals(0, gizmos.withLabel("app", "other").list().getItems().size());

    got.getSpec().setSize(5);
    Gizmo updated = gizmos.resource(got).update();
    assertEquals(5, updated.getSpec().getSize());
    assertEquals(2L, updated.getMetadata().getGeneration(), "a spec change bumps the generation");
    assertNotEquals(got.getMetadata().getResourceVersion(), updated.getMetadata().getResourceVersion());

    // a stale resourceVersion is a 409 Conflict
    got.getSpec().setSize(6);
    KubernetesClientException conflict = org.junit.jupiter.api.Assertions.assertThrows(KubernetesClientException.class,
        () -> gizmos.resource(got).update());
    assertEquals(409, conflict.getCode());

    // the status subresource: status changes, spec and generation do not
    Gizmo withStatus = gizmos.withName("g1").get();
    withStatus.setStatus(new Gizmo.Status());
    withStatus.getStatus().setPhase("Ready");
    withStatus.getSpec().setColor("ignored");
    Gizmo statusWritten = gizmos.resource(withStatus).updateStatus();
    assertEquals("Ready", statusWritten.getStatus().getPhase());
    assertEquals("red", statusWritten.getSpec().getColor(), "the status subresource leaves the spec alone");
    assertEquals(2L, statusWritten.getMetadata().getGeneration());
    // and an update of the main resource leaves the status alone
    Gizmo main = gizmos.withName("g1").get();
    main.getStatus().setPhase("Hacked");
    main.getSpec().setColor("green");
    Gizmo mainWritten = gizmos.resource(main).update();
    assertEquals("Ready", mainWritten.getStatus().getPhase());
    assertEquals("green", mainWritten.getSpec().getColor());

    assertEquals(1, gizmos.withName("g1").delete().size());
    assertNull(gizmos.withName("g1").get());
    assertEquals(List.of("g2"), gizmos.list().getItems().stream().map(g -> g.getMetadata().getName()).toList());
  }

  @Test
  void sharedIndexInformerSeesAddUpdateDeleteAndResyncs() throws Exception {
    String ns = cluster.namespace("typed-informer");
    var gizmos = cluster.client.resources(Gizmo.class).inNamespace(ns);
    gizmos.resource(Gizmo.of("before", "red", 1)).create(); // listed, then watched
    List<String> events = new CopyOnWriteArrayList<>();
    List<String> resyncs = new CopyOnWriteArrayList<>();
    ResourceEventHandler<Gizmo> handler = new ResourceEventHandler<>() {
      @Override
      public void onAdd(Gizmo g) {
        events.add("ADD " + g.getMetadata().getName());
      }

      @Override
      public void onUpdate(Gizmo old, Gizmo g) {
        if (old.getMetadata().getResourceVersion().equals(g.getMetadata().getResourceVersion())) {
          resyncs.add(g.getMetadata().getName());
        } else {
          events.add("UPDATE " + g.getMetadata().getName() + " size=" + g.getSpec().getSize());
        }
      }

      @Override
      public void onDelete(Gizmo g, boolean deletedFinalStateUnknown) {
        events.add("DELETE " + g.getMetadata().getName());
      }
    };
    try (SharedIndexInformer<Gizmo> informer = gizmos.inform(handler, 1000)) {
      informer.addIndexers(java.util.Map.of("color", g -> List.of(g.getSpec().getColor())));
      await("initial list", () -> events.contains("ADD before"));
      gizmos.resource(Gizmo.of("after", "blue", 1)).create();
      await("added", () -> events.contains("ADD after"));
      gizmos.withName("after").edit(g -> {
        g.getSpec().setSize(7);
        return g;
      });
      await("updated", () -> events.contains("UPDATE after size=7"));
      assertEquals(1, informer.getIndexer().byIndex("color", "blue").size());
      gizmos.withName("after").delete();
      await("deleted", () -> events.contains("DELETE after"));
      assertEquals(List.of("before"), informer.getStore().list().stream().map(g -> g.getMetadata().getName()).toList());
      int seen = resyncs.size();
      await("resyncs of the cached object", () -> resyncs.size() >= seen + 2);
      assertTrue(resyncs.stream().allMatch("before"::equals), "only cached objects resync: " + resyncs);
      assertEquals(List.of("ADD before", "ADD after", "UPDATE after size=7", "DELETE after"), events);
    }
  }
}
