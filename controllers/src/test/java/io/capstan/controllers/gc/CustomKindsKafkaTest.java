package io.capstan.controllers.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.CustomResourceDefinition;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.api.ResourceQuota;
import io.capstan.api.ResourceQuotaSpec;
import io.capstan.controllers.namespace.NamespaceController;
import io.capstan.controllers.quota.ResourceQuotaController;
import io.capstan.controllers.testing.Cluster;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;

/**
 * The controllers that work across kinds follow custom kinds as they are registered, on the real
 * broker and processor: the garbage collector collects a custom object owned by a ConfigMap and a
 * ConfigMap owned by a custom object (background and foreground), the namespace controller deletes
 * a namespace's custom objects, and the quota controller counts them ({@code count/<plural>.<group>}).
 */
class CustomKindsKafkaTest {
  private static final String NS = "crgc";
  private static final String GROUP = "gc.capstan.test";
  private static final String CRD = """
      apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata:
        name: gadgets.gc.capstan.test
      spec:
        group: gc.capstan.test
        scope: Namespaced
        names: {plural: gadgets, singular: gadget, kind: Gadget}
        versions:
        - name: v1
          served: true
          storage: true
          schema:
            openAPIV3Schema:
              type: object
              properties:
                spec:
                  type: object
                  properties:
                    size: {type: string}
      """;

  private static IndexedRecord gadget(Kind kind, String ns, String name, OwnerReference... owners) {
    String refs = owners.length == 0 ? "" : ", \"ownerReferences\": " + KubeJson.valueToJson(
        org.apache.avro.Schema.createArray(OwnerReference.getClassSchema()), List.of(owners));
    String json = "{\"apiVersion\": \"" + GROUP + "/v1\", \"kind\": \"Gadget\", \"metadata\": {\"namespace\": \"" + ns
        + "\", \"name\": \"" + name + "\"" + refs + "}, \"spec\": {\"size\": \"small\"}}";
    return KubeJson.<IndexedRecord>fromJson(kind, KubeJson.parse(json)).object();
  }

  private static ConfigMap configMap(String ns, String name, OwnerReference... owners) {
    return ConfigMap.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name)
        .setOwnerReferences(owners.length == 0 ? null : List.of(owners)).build()).setData(Map.of("k", "v")).build();
  }

  private static OwnerReference ref(String apiVersion, String kind, IndexedRecord owner, boolean block) {
    ObjectMeta m = OwnerGraph.meta(owner);
    return OwnerReference.newBuilder().setApiVersion(apiVersion).setKind(kind).setName(m.getName()).setUid(m.getUid())
        .setBlockOwnerDeletion(block).build();
  }

  private static DeleteOptions policy(String p) {
    return DeleteOptions.newBuilder().setPropagationPolicy(p).build();
  }

  @Test
  void garbageCollectionNamespaceDeletionAndQuotaFollowCustomKinds() throws Exception {
    try (Cluster cluster = new Cluster("crgc-it");
        GarbageCollector gc = new GarbageCollector(cluster.informers, OwnerGraph.defaultKinds(), cluster.writer, 2,
            cluster.registry);
        NamespaceController nsc = new NamespaceController(cluster.informers, cluster.writer, Clock.systemUTC(), 1,
            cluster.registry);
        ResourceQuotaController qc = new ResourceQuotaController(cluster.informers, cluster.writer,
            Duration.ofSeconds(30), 1, cluster.registry)) {
      Informer<ConfigMap> cms = cluster.informers.informerFor(Kinds.CONFIG_MAP, ConfigMap.class);
      Informer<Namespace> namespaces = cluster.informers.informerFor(Kinds.NAMESPACE, Namespace.class);
      Informer<ResourceQuota> quotas = cluster.informers.informerFor(Kinds.RESOURCE_QUOTA, ResourceQuota.class);
      cluster.startInformers();
      // started before the kind exists: they must pick it up when it is registered
      gc.start();
      nsc.start();
      qc.start();
      cluster.namespace(NS);
      cluster.namespace("crgc-doomed");

      CustomResourceDefinition crd = KubeJson.<CustomResourceDefinition>fromText(Kinds.CUSTOM_RESOURCE_DEFINITION, CRD)
          .object();
      assertInstanceOf(CommandResult.Accepted.class, cluster.client.create(crd).get(30, TimeUnit.SECONDS));
      Cluster.await("Gadget registered", () -> Kinds.byName("Gadget").isPresent());
      Kind kind = Kinds.require("Gadget");
      Informer<IndexedRecord> gadgets = cluster.informers.informerFor(kind, IndexedRecord.class);
      cluster.startInformers();
      try {
        // a custom object owned by a ConfigMap goes with it (Background)
        ConfigMap cmOwner = cluster.create(configMap(NS, "cm-owner")).objectAs(ConfigMap.class);
        cluster.create(gadget(kind, NS, "owned-by-cm", ref("v1", "ConfigMap", cmOwner, false)));
        Cluster.await("dependent cached", () -> gadgets.get(NS, "owned-by-cm").isPresent());
        Thread.sleep(300);
        assertTrue(gadgets.get(NS, "owned-by-cm").isPresent(), "a custom dependent with a live owner is kept");
        cluster.client.delete(Kinds.CONFIG_MAP, NS, "cm-owner", policy("Background")).get(30, TimeUnit.SECONDS);
        Cluster.await("custom dependent of a ConfigMap collected", () -> gadgets.get(NS, "owned-by-cm").isEmpty());

        // a ConfigMap owned by a custom object goes with it (Background)
        IndexedRecord gOwner = cluster.create(gadget(kind, NS, "g-owner")).object();
        cluster.create(configMap(NS, "owned-by-gadget", ref(GROUP + "/v1", "Gadget", gOwner, false)));
        Cluster.await("ConfigMap dependent cached", () -> cms.get(NS, "owned-by-gadget").isPresent());
        Thread.sleep(300);
        assertTrue(cms.get(NS, "owned-by-gadget").isPresent(), "a dependent of a live custom owner is kept");
        cluster.client.delete(kind, NS, "g-owner", policy("Background")).get(30, TimeUnit.SECONDS);
        Cluster.await("ConfigMap dependent of a custom object collected", () -> cms.get(NS, "owned-by-gadget").isEmpty());

        // Foreground: the custom owner waits for its ConfigMap and custom dependents
        IndexedRecord fg = cluster.create(gadget(kind, NS, "fg")).object();
        cluster.create(configMap(NS, "fg-cm", ref(GROUP + "/v1", "Gadget", fg, true)));
        cluster.create(gadget(kind, NS, "fg-gadget", ref(GROUP + "/v1", "Gadget", fg, true)));
        Cluster.await("foreground dependents cached", () -> cms.get(NS, "fg-cm").isPresent()
            && gadgets.get(NS, "fg-gadget").isPresent());
        cluster.client.delete(kind, NS, "fg", policy("Foreground")).get(30, TimeUnit.SECONDS);
        Cluster.await("foreground owner marked", () -> gadgets.get(NS, "fg")
            .map(o -> OwnerGraph.meta(o).getDeletionTimestamp() != null).orElse(true));
        Cluster.await("foreground cascade: dependents then owner", () -> cms.get(NS, "fg-cm").isEmpty()
            && gadgets.get(NS, "fg-gadget").isEmpty() && gadgets.get(NS, "fg").isEmpty());

        // object-count quota counts custom objects: recounted when the quota comes, charged on create after
        cluster.create(gadget(kind, NS, "q-1"));
        cluster.create(gadget(kind, NS, "q-2"));
        Cluster.await("counted objects cached", () -> gadgets.get(NS, "q-2").isPresent());
        String count = "count/gadgets." + GROUP;
        cluster.create(ResourceQuota.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName("q").build())
            .setSpec(ResourceQuotaSpec.newBuilder().setHard(Map.of(count, "3")).build()).build());
        Cluster.await("custom objects counted by the quota controller", () -> quotas.get(NS, "q")
            .map(q -> q.getStatus() != null && q.getStatus().getUsed() != null
                && "2".equals(q.getStatus().getUsed().get(count))).orElse(false),
            () -> String.valueOf(quotas.get(NS, "q").map(ResourceQuota::getStatus).orElse(null)));
        cluster.create(gadget(kind, NS, "q-3"));
        CommandResult refused = cluster.client.create(gadget(kind, NS, "q-4")).get(30, TimeUnit.SECONDS);
        CommandResult.Rejected rej = assertInstanceOf(CommandResult.Rejected.class, refused);
        assertEquals(403, rej.status().getCode(), rej.status().getMessage());
        assertTrue(rej.status().getMessage().contains("exceeded quota: q"), rej.status().getMessage());

        // deleting a namespace deletes its custom objects, then the namespace
        cluster.create(gadget(kind, "crgc-doomed", "d-1"));
        cluster.create(gadget(kind, "crgc-doomed", "d-2"));
        Cluster.await("doomed objects cached", () -> gadgets.list("crgc-doomed").size() == 2);
        cluster.client.delete(Kinds.NAMESPACE, "", "crgc-doomed", null).get(30, TimeUnit.SECONDS);
        Cluster.await("namespace emptied of custom objects and removed", () -> gadgets.list("crgc-doomed").isEmpty()
            && namespaces.get("", "crgc-doomed").isEmpty(),
            () -> gadgets.list("crgc-doomed").size() + " gadgets left; namespace "
                + namespaces.get("", "crgc-doomed").map(n -> String.valueOf(n.getMetadata().getDeletionTimestamp()))
                    .orElse("gone"));
        assertNotNull(gadgets.get(NS, "q-1"), "other namespaces untouched");
        assertTrue(gadgets.get(NS, "q-1").isPresent(), "other namespaces untouched");
      } finally {
        Kinds.unregister("Gadget"); // the registry is JVM-wide
      }
    }
  }
}
