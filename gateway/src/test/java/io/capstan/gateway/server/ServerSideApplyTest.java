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
  static GatewayServer gateway;
  static GatewayConfig config;

  @BeforeAll
  static void start() throws Exception {
    KubectlCli.require();
    backend = KafkaGatewayFixture.start("ssa", WatchCacheConfig.defaults());
    gateway = backend.startServer(dataDir);
    cli = new KubectlCli(gateway.kubeconfig(), dataDir.resolve("kube-cache"));
    config = GatewayConfig.defaults(dataDir);
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
  void secretsAreAppliedWithTheirValuesComparedOpenAndConflictsAsForOtherKinds() throws Exception {
    Path v1 = manifest("creds.yaml", """
        apiVersion: v1
        kind: Secret
        metadata:
          name: creds
          namespace: ssa
        stringData:
          user: admin
        data:
          password: c2VjcmV0LTE=
        """);
    Result created = cli.run("apply", "--server-side", "-f", v1.toString());
    assertEquals(0, created.exit(), created.both());
    assertTrue(created.out().contains("secret/creds serverside-applied"), created.both());
    Result again = cli.run("apply", "--server-side", "-f", v1.toString());
    assertEquals(0, again.exit(), "the same values again are no conflict and no change: " + again.both());

    Path other = manifest("creds-rotator.yaml", """
        apiVersion: v1
        kind: Secret
        metadata:
          name: creds
          namespace: ssa
        data:
          password: c2VjcmV0LTI=
        """);
    Result conflict = cli.run("apply", "--server-side", "--field-manager=rotator", "-f", other.toString());
    assertNotEquals(0, conflict.exit(), conflict.both());
    assertTrue(conflict.err().contains("Apply failed with 1 conflict: conflict with \"kubectl\": .data.password"),
        conflict.both());
    Result forced = cli.run("apply", "--server-side", "--field-manager=rotator", "--force-conflicts", "-f",
        other.toString());
    assertEquals(0, forced.exit(), forced.both());

    JsonNode secret = KubeJson.parse(cli.run("get", "secret", "creds", "-n", "ssa", "-o", "json",
        "--show-managed-fields").out());
    assertEquals("c2VjcmV0LTI=", secret.at("/data/password").asText(), secret.toString());
    assertEquals("YWRtaW4=", secret.at("/data/user").asText(), "stringData is merged into data: " + secret);
    Map<String, String> owners = new java.util.TreeMap<>();
    secret.at("/metadata/managedFields").forEach(e -> owners.put(e.path("manager").asText(),
        e.path("operation").asText() + " " + e.path("fieldsV1")));
    assertEquals(Map.of("kubectl", "Apply {\"f:stringData\":{\"f:user\":{}}}",
        "rotator", "Apply {\"f:data\":{\"f:password\":{}}}"), owners);

    // dropped by its only manager: removed
    Path dropped = manifest("creds-rotator-2.yaml", """
        apiVersion: v1
        kind: Secret
        metadata:
          name: creds
          namespace: ssa
        data:
          other: b3RoZXI=
        """);
    assertEquals(0, cli.run("apply", "--server-side", "--field-manager=rotator", "-f", dropped.toString()).exit());
    JsonNode after = KubeJson.parse(cli.run("get", "secret", "creds", "-n", "ssa", "-o", "json").out());
    assertTrue(after.at("/data/password").isMissingNode(), after.toString());
    assertEquals("b3RoZXI=", after.at("/data/other").asText(), after.toString());
  }

  @Test
  void rbacObjectsAreAppliedMergedInTheGatewayWithConflictsAsForOtherKinds() throws Exception {
    Path role = manifest("reader-role.yaml", """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata:
          name: reader
          namespace: ssa
        rules:
        - apiGroups: [""]
          resources: [configmaps]
          verbs: [get, list]
        """);
    Result created = cli.run("apply", "--server-side", "-f", role.toString());
    assertEquals(0, created.exit(), created.both());
    assertTrue(created.out().contains("role.rbac.authorization.k8s.io/reader serverside-applied"), created.both());
    Path wider = manifest("reader-role-wider.yaml", """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata:
          name: reader
          namespace: ssa
        rules:
        - apiGroups: [""]
          resources: [configmaps, secrets]
          verbs: [get, list, watch]
        """);
    Result conflict = cli.run("apply", "--server-side", "--field-manager=other", "-f", wider.toString());
    assertNotEquals(0, conflict.exit(), conflict.both());
    assertTrue(conflict.err().contains("conflict with \"kubectl\": .rules"), conflict.both());
    Result binding = cli.run("apply", "--server-side", "-f", manifest("reader-binding.yaml", """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata:
          name: reader
          namespace: ssa
        subjects:
        - kind: User
          name: reader-user
          apiGroup: rbac.authorization.k8s.io
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: Role
          name: reader
        """).toString());
    assertEquals(0, binding.exit(), binding.both());
    JsonNode got = KubeJson.parse(cli.run("get", "role", "reader", "-n", "ssa", "-o", "json",
        "--show-managed-fields").out());
    assertEquals("kubectl", got.at("/metadata/managedFields/0/manager").asText(), got.toString());
    assertEquals(2, got.at("/rules/0/verbs").size(), "the conflicting apply changed nothing: " + got);
  }

  @Test
  void clientSideAppliedObjectsMoveToServerSideApplyWithoutConflicts() throws Exception {
    Path csa = manifest("migrated-csa.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: migrated
          namespace: ssa
        data:
          mode: fast
          level: "1"
        """);
    Result created = cli.run("apply", "-f", csa.toString());
    assertEquals(0, created.exit(), created.both());
    JsonNode before = KubeJson.parse(cli.run("get", "cm", "migrated", "-n", "ssa", "-o", "json").out());
    assertTrue(before.at("/metadata/annotations").has("kubectl.kubernetes.io/last-applied-configuration"),
        before.toString());

    Path ssa = manifest("migrated-ssa.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: migrated
          namespace: ssa
        data:
          mode: safe
          level: "1"
        """);
    Result moved = cli.run("apply", "--server-side", "-f", ssa.toString());
    assertEquals(0, moved.exit(), "no conflict with client-side apply's fields: " + moved.both());
    JsonNode after = KubeJson.parse(cli.run("get", "cm", "migrated", "-n", "ssa", "-o", "json",
        "--show-managed-fields").out());
    assertEquals("safe", after.at("/data/mode").asText(), after.toString());
    JsonNode kubectl = null;
    for (JsonNode e : after.at("/metadata/managedFields")) {
      if (e.path("manager").asText().equals("kubectl") && e.path("operation").asText().equals("Apply")) {
        kubectl = e;
      }
    }
    assertTrue(kubectl != null && kubectl.at("/fieldsV1/f:data").has("f:mode")
        && kubectl.at("/fieldsV1/f:data").has("f:level"), "kubectl's apply owns the data now: " + after);
    assertTrue(after.at("/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration").asText()
        .contains("safe"), "the client-side annotation follows: " + after);

    // and the client-side apply after it still works from that annotation
    Result back = cli.run("apply", "-f", csa.toString());
    assertEquals(0, back.exit(), back.both());
    assertEquals("fast", KubeJson.parse(cli.run("get", "cm", "migrated", "-n", "ssa", "-o", "json").out())
        .at("/data/mode").asText());
  }

  @Test
  void managedFieldsAreClearedByOneEmptyEntryAndKeptByAnEmptyList() throws Exception {
    Path app = manifest("cleared.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: cleared
          namespace: ssa
        data:
          size: "1"
        """);
    assertEquals(0, cli.run("apply", "--server-side", "-f", app.toString()).exit());
    Result kept = cli.run("patch", "cm", "cleared", "-n", "ssa", "--type=merge", "-p",
        "{\"metadata\":{\"managedFields\":[]}}");
    assertEquals(0, kept.exit(), kept.both());
    JsonNode still = KubeJson.parse(cli.run("get", "cm", "cleared", "-n", "ssa", "-o", "json",
        "--show-managed-fields").out());
    assertEquals("kubectl", still.at("/metadata/managedFields/0/manager").asText(), still.toString());
    Result cleared = cli.run("patch", "cm", "cleared", "-n", "ssa", "--type=merge", "-p",
        "{\"metadata\":{\"managedFields\":[{}]}}");
    assertEquals(0, cleared.exit(), cleared.both());
    JsonNode none = KubeJson.parse(cli.run("get", "cm", "cleared", "-n", "ssa", "-o", "json",
        "--show-managed-fields").out());
    assertTrue(none.at("/metadata/managedFields").isMissingNode(), none.toString());
    Path other = manifest("cleared-other.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: cleared
          namespace: ssa
        data:
          size: "2"
        """);
    Result takesIt = cli.run("apply", "--server-side", "--field-manager=other", "-f", other.toString());
    assertEquals(0, takesIt.exit(), "nobody owns size any more: " + takesIt.both());
  }

  /** A PATCH of an apply configuration with the admin token, trusting the gateway's CA. */
  private static java.net.http.HttpResponse<String> applyPatch(String path, String yaml) throws Exception {
    java.security.KeyStore trust = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
    trust.load(null, null);
    try (java.io.InputStream in = Files.newInputStream(config.pkiDir().resolve("ca.crt"))) {
      trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
          .generateCertificate(in));
    }
    javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
        javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return java.net.http.HttpClient.newBuilder().sslContext(ssl).build().send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(gateway.url() + path)).header("Accept", "application/json")
        .header("Content-Type", "application/apply-patch+yaml")
        .header("Authorization", "Bearer " + AdminToken.ensure(config.tokenFile()))
        .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString(yaml)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theScaleSubresourceTakesAnApplyOfItsReplicasWithOwnershipOfItsOwn() throws Exception {
    Path web = manifest("scaled-web.yaml", """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: scaled
          namespace: ssa
        spec:
          replicas: 2
          selector:
            matchLabels: {app: scaled}
          template:
            metadata:
              labels: {app: scaled}
            spec:
              containers:
              - name: app
                image: nginx
        """);
    Result created = cli.run("apply", "--server-side", "-f", web.toString());
    assertEquals(0, created.exit(), created.both());
    String scalePath = "/apis/apps/v1/namespaces/ssa/deployments/scaled/scale?fieldManager=autoscaler";
    String scale = "apiVersion: autoscaling/v1\nkind: Scale\nmetadata:\n  name: scaled\nspec:\n  replicas: 4\n";
    java.net.http.HttpResponse<String> conflict = applyPatch(scalePath, scale);
    assertEquals(409, conflict.statusCode(), conflict.body());
    assertTrue(conflict.body().contains("conflict with \\\"kubectl\\\": .spec.replicas"), conflict.body());

    java.net.http.HttpResponse<String> forced = applyPatch(scalePath + "&force=true", scale);
    assertEquals(200, forced.statusCode(), forced.body());
    JsonNode answer = KubeJson.parse(forced.body());
    assertEquals("Scale", answer.path("kind").asText(), forced.body());
    assertEquals(4, answer.at("/spec/replicas").asInt(), forced.body());

    JsonNode deployment = KubeJson.parse(cli.run("get", "deployment", "scaled", "-n", "ssa", "-o", "json",
        "--show-managed-fields").out());
    assertEquals(4, deployment.at("/spec/replicas").asInt(), deployment.toString());
    JsonNode autoscaler = null;
    for (JsonNode e : deployment.at("/metadata/managedFields")) {
      if (e.path("manager").asText().equals("autoscaler")) {
        autoscaler = e;
      }
    }
    assertTrue(autoscaler != null && autoscaler.path("subresource").asText().equals("scale")
        && autoscaler.path("operation").asText().equals("Apply"), deployment.toString());
    assertEquals(KubeJson.parse("{\"f:spec\":{\"f:replicas\":{}}}"), autoscaler.path("fieldsV1"));
    assertEquals(404, applyPatch("/apis/apps/v1/namespaces/ssa/deployments/absent/scale?fieldManager=autoscaler",
        scale.replace("scaled", "absent")).statusCode(), "an apply to a subresource creates nothing");
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
