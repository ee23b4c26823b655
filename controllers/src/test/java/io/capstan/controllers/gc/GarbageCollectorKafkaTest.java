package io.capstan.controllers.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.api.Pod;
import io.capstan.api.ReplicaSet;
import io.capstan.api.ReplicaSetSpec;
import io.capstan.controllers.replicaset.ReplicaSetController;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Cascading deletes in all three modes, and dangling owners, against a real broker and processor. */
class GarbageCollectorKafkaTest {

  private static ConfigMap configMap(String name, List<String> finalizers, OwnerReference... owners) {
    return ConfigMap.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("gc").setName(name)
            .setOwnerReferences(owners.length == 0 ? null : List.of(owners)).setFinalizers(finalizers).build())
        .setData(Map.of("k", "v"))
        .build();
  }

  private static OwnerReference ref(ConfigMap owner, boolean block) {
    return OwnerReference.newBuilder().setApiVersion("v1").setKind("ConfigMap")
        .setName(owner.getMetadata().getName()).setUid(owner.getMetadata().getUid())
        .setBlockOwnerDeletion(block).build();
  }

  private static ConfigMap created(Cluster cluster, ConfigMap cm) throws Exception {
    return cluster.create(cm).objectAs(ConfigMap.class);
  }

  private static DeleteOptions policy(String p) {
    return DeleteOptions.newBuilder().setPropagationPolicy(p).build();
  }

  @Test
  void backgroundForegroundOrphanAndDanglingOwners() throws Exception {
    try (Cluster cluster = new Cluster("gc-it");
        GarbageCollector gc = new GarbageCollector(cluster.informers, OwnerGraph.defaultKinds(), cluster.writer, 2,
            cluster.registry);
        ReplicaSetController rsc = new ReplicaSetController(cluster.informers, cluster.writer, Clock.systemUTC(), 2,
            cluster.registry)) {
      Informer<ConfigMap> cms = cluster.informers.informerFor(Kinds.CONFIG_MAP, ConfigMap.class);
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      cluster.startInformers();
      gc.start();
      rsc.start();
      cluster.namespace("gc");

      // Background: the owner goes at once, then its dependents
      ConfigMap bg = created(cluster, configMap("bg", null));
      created(cluster, configMap("bg-child-1", null, ref(bg, false)));
      created(cluster, configMap("bg-child-2", null, ref(bg, true)));
      Cluster.await("children cached", () -> cms.get("gc", "bg-child-2").isPresent());
      Thread.sleep(300);
      assertTrue(cms.get("gc", "bg-child-1").isPresent(), "a dependent with a live owner is kept");
      cluster.client.delete(Kinds.CONFIG_MAP, "gc", "bg", policy("Background")).get(30, TimeUnit.SECONDS);
      Cluster.await("background cascade", () -> cms.get("gc", "bg-child-1").isEmpty()
          && cms.get("gc", "bg-child-2").isEmpty() && cms.get("gc", "bg").isEmpty());

      // Foreground: the owner stays (with its finalizer) until the blocking dependent is gone
      ConfigMap fg = created(cluster, configMap("fg", null));
      created(cluster, configMap("fg-child", List.of("test.capstan.io/hold"), ref(fg, true)));
      created(cluster, configMap("fg-grandchild", null, ref(cms_get(cms, "fg-child"), true)));
      cluster.client.delete(Kinds.CONFIG_MAP, "gc", "fg", policy("Foreground")).get(30, TimeUnit.SECONDS);
      Cluster.await("grandchild deleted first", () -> cms.get("gc", "fg-grandchild").isEmpty());
      Cluster.await("child marked for deletion", () -> cms.get("gc", "fg-child")
          .map(c -> c.getMetadata().getDeletionTimestamp() != null).orElse(false));
      Thread.sleep(500);
      ConfigMap waiting = cms.get("gc", "fg").orElseThrow(() -> new AssertionError("owner went before its dependents"));
      assertNotNull(waiting.getMetadata().getDeletionTimestamp());
      assertTrue(waiting.getMetadata().getFinalizers().contains("foregroundDeletion"));
      // the dependent's own finalizer is released: then it goes, then the owner
      ConfigMap child = PodTemplates.copy(cms.get("gc", "fg-child").orElseThrow());
      child.getMetadata().setFinalizers(null);
      assertTrue(cluster.client.update(child).get(30, TimeUnit.SECONDS) instanceof CommandResult.Accepted);
      Cluster.await("owner gone after its dependents", () -> cms.get("gc", "fg").isEmpty()
          && cms.get("gc", "fg-child").isEmpty());

      // Orphan: the dependents stay, without the reference
      ConfigMap or = created(cluster, configMap("or", null));
      OwnerReference other = ref(created(cluster, configMap("other-owner", null)), false);
      created(cluster, configMap("or-child", null, ref(or, true)));
      created(cluster, configMap("or-child-2", null, ref(or, true), other));
      cluster.client.delete(Kinds.CONFIG_MAP, "gc", "or", policy("Orphan")).get(30, TimeUnit.SECONDS);
      Cluster.await("orphan owner gone", () -> cms.get("gc", "or").isEmpty());
      Thread.sleep(300);
      ConfigMap orphan = cms.get("gc", "or-child").orElseThrow(() -> new AssertionError("orphaned dependent deleted"));
      assertNull(orphan.getMetadata().getOwnerReferences());
      ConfigMap orphan2 = cms.get("gc", "or-child-2").orElseThrow();
      assertEquals(List.of(other), orphan2.getMetadata().getOwnerReferences(), "other owners are kept");

      // Dangling: an owner that never existed, or a name reused by another object
      OwnerReference ghost = OwnerReference.newBuilder().setApiVersion("v1").setKind("ConfigMap").setName("ghost")
          .setUid("00000000-0000-0000-0000-000000000000").build();
      created(cluster, configMap("haunted", null, ghost));
      OwnerReference reused = OwnerReference.newBuilder(other).setUid("11111111-1111-1111-1111-111111111111").build();
      created(cluster, configMap("stale-uid", null, reused));
      OwnerReference live = ref(cms_get(cms, "other-owner"), false);
      created(cluster, configMap("half-dangling", null, live, ghost));
      Cluster.await("dangling dependents deleted", () -> cms.get("gc", "haunted").isEmpty()
          && cms.get("gc", "stale-uid").isEmpty());
      Cluster.await("dangling reference dropped", () -> cms.get("gc", "half-dangling")
          .map(c -> c.getMetadata().getOwnerReferences().equals(List.of(live))).orElse(false));

      // A ReplicaSet deleted in the foreground: its pods go first, and the set does not replace them
      ReplicaSet rs = ReplicaSet.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace("gc").setName("web").build())
          .setSpec(ReplicaSetSpec.newBuilder().setReplicas(3).setSelector(Cluster.selector(Map.of("app", "web")))
              .setTemplate(Cluster.template(Map.of("app", "web"), "nginx")).build())
          .build();
      cluster.create(rs);
      Cluster.await("3 pods", () -> pods.list("gc").size() == 3);
      cluster.client.delete(Kinds.REPLICA_SET, "gc", "web", policy("Foreground")).get(30, TimeUnit.SECONDS);
      Informer<ReplicaSet> sets = cluster.informers.informerFor(Kinds.REPLICA_SET, ReplicaSet.class);
      Cluster.await("set and pods gone", () -> pods.list("gc").isEmpty() && sets.get("gc", "web").isEmpty(),
          () -> pods.list("gc").size() + " pods, set " + sets.get("gc", "web").isPresent());
      assertTrue(cluster.registry.scrape().contains("capstan_controller_reconcile_total{controller=\"garbage-collector\""));
    }
  }

  private static ConfigMap cms_get(Informer<ConfigMap> cms, String name) throws InterruptedException {
    Cluster.await(name + " cached", () -> cms.get("gc", name).isPresent());
    return cms.get("gc", name).orElseThrow();
  }
}
