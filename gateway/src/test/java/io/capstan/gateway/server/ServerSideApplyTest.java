package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.security.AdminToken;
import io.capstan.gateway.testing.Fabric8Clients;
import io.capstan.gateway.testing.KafkaGatewayFixture;
import io.capstan.gateway.testing.KubectlCli;
import io.capstan.gateway.testing.KubectlCli.Result;
import io.capstan.logschema.json.KubeJson;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server-side apply through the gateway on the real backbone: the real kubectl ({@code apply
 * --server-side}, {@code --force-conflicts}, {@code diff --server-side}, {@code
 * --show-managed-fields}), fabric8's {@code serverSideApply()}, and many managers applying to
 * one object at once, none losing another's fields.
 */
class ServerSideApplyTest {
  @TempDir
  static Path dataDir;
  static KafkaGatewayFixture backend;
  static KubectlCli cli;
  static KubernetesClient client;

  @BeforeAll
  static void start() throws Exception {
    KubectlCli.require();
    backend = KafkaGatewayFixture.start("ssa", WatchCacheConfig.defaults());
    GatewayServer gateway = backend.startServer(dataDir);
    cli = new KubectlCli(gateway.kubeconfig(), dataDir.resolve("kube-cache"));
    GatewayConfig config = GatewayConfig.defaults(dataDir);
    client = Fabric8Clients.of(gateway.url(), config.pkiDir().resolve("ca.crt"), AdminToken.ensure(config.tokenFile()));
    Result ns = cli.run("create", "namespace", "ssa");
    assertEquals(0, ns.exit(), ns.both());
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (client != null) {
        client.close();
      }
      if (backend != null) {
        backend.close();
      }
    } finally {
      io.capstan.logschema.kinds.Kinds.unregister("Widget"); // the kind registry is JVM-wide
    }
  }

  private static Path manifest(String name, String text) throws Exception {
    Path p = dataDir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  @Test
  void kubectlApplyServerSideConflictForceDiffAndManagedFields() throws Exception {
    Path v1 = manifest("settings-v1.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
          namespace: ssa
        data:
          mode: fast
          level: "1"
        """);
    Result created = cli.run("apply", "--server-side", "-f", v1.toString());
    assertEquals(0, created.exit(), created.both());
    assertTrue(created.out().contains("configmap/settings serverside-applied"), created.both());

    Path ops = manifest("settings-ops.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
          namespace: ssa
        data:
          mode: safe
        """);
    Result conflict = cli.run("apply", "--server-side", "--field-manager=ops", "-f", ops.toString());
    assertNotEquals(0, conflict.exit(), conflict.both());
    assertTrue(conflict.err().contains("Apply failed with 1 conflict: conflict with \"kubectl\": .data.mode"),
        conflict.both());

    Path diffed = manifest("settings-v2.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
          namespace: ssa
        data:
          mode: fast
          level: "2"
        """);
    Result diff = cli.run("diff", "--server-side", "-f", diffed.toString());
    assertEquals(1, diff.exit(), "kubectl diff exits 1 when there are differences: " + diff.both());
    assertTrue(diff.out().contains("-  level: \"1\"") && diff.out().contains("+  level: \"2\""), diff.both());
    assertEquals("1", KubeJson.parse(cli.run("get", "cm", "settings", "-n", "ssa", "-o", "json").out())
        .at("/data/level").asText(), "a server-side dry run changes nothing");

    Result forced = cli.run("apply", "--server-side", "--field-manager=ops", "--force-conflicts", "-f",
        ops.toString());
    assertEquals(0, forced.exit(), forced.both());

    Result shown = cli.run("get", "cm", "settings", "-n", "ssa", "-o", "json", "--show-managed-fields");
    assertEquals(0, shown.exit(), shown.both());
    JsonNode cm = KubeJson.parse(shown.out());
    assertEquals("safe", cm.at("/data/mode").asText());
    JsonNode managed = cm.at("/metadata/managedFields");
    assertEquals(2, managed.size(), shown.out());
    assertEquals("kubectl", managed.get(0).path("manager").asText());
    assertEquals(KubeJson.parse("{\"f:data\":{\"f:level\":{}}}"), managed.get(0).path("fieldsV1"));
    assertEquals("ops", managed.get(1).path("manager").asText());
    assertEquals("Apply", managed.get(1).path("operation").asText());
    assertEquals(KubeJson.parse("{\"f:data\":{\"f:mode\":{}}}"), managed.get(1).path("fieldsV1"));

    Result hidden = cli.run("get", "cm", "settings", "-n", "ssa", "-o", "json");
    assertTrue(KubeJson.parse(hidden.out()).at("/metadata/managedFields").isMissingNode(),
        "kubectl leaves them out unless asked: " + hidden.out());
  }

  @Test
  void kubectlEditsAreUpdatesThatTakeOwnershipFromTheApplier() throws Exception {
    Path app = manifest("owned.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: owned
          namespace: ssa
        data:
          size: "1"
        """);
    assertEquals(0, cli.run("apply", "--server-side", "-f", app.toString()).exit());
    Result patched = cli.run("patch", "cm", "owned", "-n", "ssa", "--type=merge", "-p", "{\"data\":{\"size\":\"5\"}}");
    assertEquals(0, patched.exit(), patched.both());
    Result conflict = cli.run("apply", "--server-side", "-f", app.toString());
    assertNotEquals(0, conflict.exit(), conflict.both());
    assertTrue(conflict.err().contains("conflict with \"kubectl-patch\" using v1"), conflict.both());
  }

  @Test
  void fabric8ServerSideApplyCreatesConflictsAndForces() {
    ConfigMap mine = new ConfigMapBuilder().withNewMetadata().withName("f8").withNamespace("ssa").endMetadata()
        .withData(Map.of("owner", "operator")).build();
    ConfigMap applied = client.configMaps().inNamespace("ssa").resource(mine).fieldManager("operator")
        .serverSideApply();
    assertEquals("operator", applied.getData().get("owner"));
    List<ManagedFieldsEntry> m = applied.getMetadata().getManagedFields();
    assertEquals("operator", m.get(0).getManager());
    assertEquals("Apply", m.get(0).getOperation());

    ConfigMap theirs = new ConfigMapBuilder().withNewMetadata().withName("f8").withNamespace("ssa").endMetadata()
        .withData(Map.of("owner", "someone-else")).build();
    KubernetesClientException e = org.junit.jupiter.api.Assertions.assertThrows(KubernetesClientException.class,
        () -> client.configMaps().inNamespace("ssa").resource(theirs).fieldManager("other").serverSideApply());
    assertEquals(409, e.getCode());
    ConfigMap forced = client.configMaps().inNamespace("ssa").resource(theirs).fieldManager("other")
        .forceConflicts().serverSideApply();
    assertEquals("someone-else", forced.getData().get("owner"));
  }

  @Test
  void customKindsMergeByTheirSchemasListTypes() throws Exception {
    Path crd = manifest("widget-crd.yaml", """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.ssa.example.com
        spec:
          group: ssa.example.com
          scope: Namespaced
          names: {plural: widgets, singular: widget, kind: Widget}
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
                      ports:
                        type: array
                        x-kubernetes-list-type: map
                        x-kubernetes-list-map-keys: [port, protocol]
                        items:
                          type: object
                          required: [port, protocol]
                          properties:
                            port: {type: integer}
                            protocol: {type: string}
                            name: {type: string}
                      tags:
                        type: array
                        x-kubernetes-list-type: set
                        items: {type: string}
        """);
    Result made = cli.run("create", "-f", crd.toString());
    assertEquals(0, made.exit(), made.both());
    Result established = cli.run("wait", "--for", "condition=established", "--timeout=60s",
        "crd/widgets.ssa.example.com");
    assertEquals(0, established.exit(), established.both());

    Path web = manifest("widget-web.yaml", """
        apiVersion: ssa.example.com/v1
        kind: Widget
        metadata: {name: w, namespace: ssa}
        spec:
          ports: [{port: 80, protocol: TCP, name: http}]
          tags: [web]
        """);
    Path dns = manifest("widget-dns.yaml", """
        apiVersion: ssa.example.com/v1
        kind: Widget
        metadata: {name: w, namespace: ssa}
        spec:
          ports: [{port: 80, protocol: UDP, name: dns}]
          tags: [dns]
        """);
    Result first = cli.run("apply", "--server-side", "--field-manager=web", "-f", web.toString());
    assertEquals(0, first.exit(), first.both());
    Result second = cli.run("apply", "--server-side", "--field-manager=dns", "-f", dns.toString());
    assertEquals(0, second.exit(), second.both());
    JsonNode w = KubeJson.parse(cli.run("get", "widget", "w", "-n", "ssa", "-o", "json").out());
    assertEquals(2, w.at("/spec/ports").size(), "80/TCP and 80/UDP are two elements: " + w);
    assertEquals(KubeJson.parse("[\"web\",\"dns\"]"), w.at("/spec/tags"), w.toString());

    Path rename = manifest("widget-rename.yaml", """
        apiVersion: ssa.example.com/v1
        kind: Widget
        metadata: {name: w, namespace: ssa}
        spec:
          ports: [{port: 80, protocol: TCP, name: www}]
        """);
    Result conflict = cli.run("apply", "--server-side", "--field-manager=dns", "-f", rename.toString());
    assertNotEquals(0, conflict.exit(), conflict.both());
    assertTrue(conflict.err().contains(
        "conflict with \"web\": .spec.ports[port=80,protocol=\"TCP\"].name"), conflict.both());

    Result dropped = cli.run("apply", "--server-side", "--field-manager=web", "-f", manifest("widget-none.yaml", """
        apiVersion: ssa.example.com/v1
        kind: Widget
        metadata: {name: w, namespace: ssa}
        spec: {}
        """).toString());
    assertEquals(0, dropped.exit(), dropped.both());
    JsonNode after = KubeJson.parse(cli.run("get", "widget", "w", "-n", "ssa", "-o", "json").out());
    assertEquals(1, after.at("/spec/ports").size(), "web's element goes, dns's stays: " + after);
    assertEquals("UDP", after.at("/spec/ports/0/protocol").asText());
    assertEquals(KubeJson.parse("[\"dns\"]"), after.at("/spec/tags"), after.toString());
  }

  /** 20 managers apply at once to one object, each its own key and all one shared one: nothing is lost. */
  @Test
  void twentyConcurrentManagersKeepEveryField() throws Exception {
    int managers = 20;
    ExecutorService pool = Executors.newFixedThreadPool(managers);
    try {
      List<Future<ConfigMap>> done = new ArrayList<>();
      for (int i = 0; i < managers; i++) {
        int n = i;
        done.add(pool.submit(() -> client.configMaps().inNamespace("ssa").resource(new ConfigMapBuilder()
            .withNewMetadata().withName("shared").withNamespace("ssa").endMetadata()
            .withData(Map.of("key-" + n, "v" + n, "common", "same")).build())
            .fieldManager("manager-" + n).serverSideApply()));
      }
      for (Future<ConfigMap> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    ConfigMap cm = client.configMaps().inNamespace("ssa").withName("shared").get();
    assertEquals(managers + 1, cm.getData().size(), cm.getData().toString());
    for (int i = 0; i < managers; i++) {
      assertEquals("v" + i, cm.getData().get("key-" + i));
    }
    Set<String> owners = new HashSet<>();
    for (ManagedFieldsEntry e : cm.getMetadata().getManagedFields()) {
      owners.add(e.getManager());
      assertTrue(e.getFieldsV1().getAdditionalProperties().toString().contains("f:common"),
          "the same value is shared by every applier: " + e);
    }
    assertEquals(managers, owners.size());
    assertNull(cm.getMetadata().getManagedFields().stream().filter(e -> e.getOperation().equals("Update"))
        .findAny().orElse(null));
  }
}
