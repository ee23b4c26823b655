package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.controllers.manager.ControllerManager;
import io.capstan.controllers.manager.ControllerManagerConfig;
import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.security.AdminToken;
import io.capstan.gateway.testing.Fabric8Clients;
import io.capstan.gateway.testing.KafkaGatewayFixture;
import io.capstan.gateway.testing.KubectlCli;
import io.capstan.gateway.testing.KubectlCli.Result;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.testing.KafkaFixture;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CustomResourceDefinitions and custom objects through the real kubectl and fabric8, on the real
 * backbone (one gateway and processor for the class; each scenario uses names of its own): a
 * definition is validated by the single writer, established only once its kind's topic exists,
 * and its kind is then served like a built-in one.
 */
class CustomResourcesTest {
  private static final ResourceDefinitionContext WIDGETS = new ResourceDefinitionContext.Builder()
      .withGroup("example.com").withVersion("v1").withPlural("widgets").withKind("Widget").withNamespaced(true)
      .build();

  @TempDir
  static Path dataDir;
  static KafkaGatewayFixture backend;
  static KubectlCli cli;
  static KubernetesClient client;
  /** The controllers: the definition cleanup controller deletes a deleted definition's objects. */
  static ControllerManager controllers;

  @BeforeAll
  static void start() throws Exception {
    KubectlCli.require();
    backend = KafkaGatewayFixture.start("crd", WatchCacheConfig.defaults());
    GatewayServer gateway = backend.startServer(dataDir);
    cli = new KubectlCli(gateway.kubeconfig(), dataDir.resolve("kube-cache"));
    GatewayConfig config = GatewayConfig.defaults(dataDir);
    client = Fabric8Clients.of(gateway.url(), config.pkiDir().resolve("ca.crt"), AdminToken.ensure(config.tokenFile()));
    controllers = new ControllerManager(ControllerManagerConfig.defaults(KafkaFixture.clientConfig(), backend.layout()),
        backend.registry());
    controllers.start();
    controllers.awaitReady(Duration.ofSeconds(60));
    Result applied = kubectl("apply", "-f", file("widgets.yaml", resource("widgets.yaml")).toString());
    assertEquals(0, applied.exit(), applied.both());
    Result established = kubectl("wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=60s");
    assertEquals(0, established.exit(), established.both());
  }

  /**
   * Deleting the definition stops serving its kind; the kind leaves the registry, which belongs to
   * the whole process (the test JVM's other gateway tests must not see Widgets).
   */
  @AfterAll
  static void stop() throws Exception {
    try {
      if (cli != null) {
        Result deleted = kubectl("delete", "crd", "widgets.example.com");
        assertEquals(0, deleted.exit(), deleted.both());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (Kinds.byName("Widget").isPresent() && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertTrue(Kinds.byName("Widget").isEmpty(), "the kind of a deleted definition is not served");
        Result gone = kubectl("get", "widgets");
        assertNotEquals(0, gone.exit(), gone.both());
      }
    } finally {
      Kinds.unregister("Widget");
      Kinds.unregister("Sprocket");
      Kinds.unregister("Gizmo");
      Kinds.unregister("Rule");
      close();
    }
  }

  private static void close() throws Exception {
    if (controllers != null) {
      controllers.close();
    }
    if (client != null) {
      client.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  /** kubectl with a request timeout: a request the gateway never answers fails the test instead of hanging it. */
  static Result kubectl(String... args) throws IOException, InterruptedException {
    String[] withTimeout = new String[args.length + 1];
    withTimeout[0] = "--request-timeout=30s";
    System.arraycopy(args, 0, withTimeout, 1, args.length);
    return cli.run(withTimeout);
  }

  static String resource(String name) throws IOException {
    try (InputStream in = CustomResourcesTest.class.getResourceAsStream("/crd/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static Path file(String name, String text) throws IOException {
    Path p = dataDir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  static JsonNode json(Result r) {
    assertEquals(0, r.exit(), r.both());
    return KubeJson.parse(r.out());
  }

  @Test
  void anEstablishedDefinitionShowsItsConditionsAndNames() throws Exception {
    JsonNode crd = json(kubectl("get", "crd", "widgets.example.com", "-o", "json"));
    assertEquals("apiextensions.k8s.io/v1", crd.path("apiVersion").asText());
    Map<String, String> conditions = new java.util.HashMap<>();
    crd.path("status").path("conditions").forEach(c -> conditions.put(c.path("type").asText(), c.path("status").asText()));
    assertEquals(Map.of("NamesAccepted", "True", "Established", "True"), conditions);
    assertEquals("Widget", crd.path("status").path("acceptedNames").path("kind").asText());
    assertEquals("WidgetList", crd.path("status").path("acceptedNames").path("listKind").asText());
    assertEquals("[\"v1\"]", crd.path("status").path("storedVersions").toString());
    // The schema comes back as the JSON it was, not as a string.
    assertEquals("object", crd.at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/type").asText());
    // Discovery: the group, and the resource with its short names and categories.
    JsonNode resources = json(kubectl("get", "--raw", "/apis/example.com/v1"));
    JsonNode widgets = resources.path("resources").get(0);
    assertEquals("widgets", widgets.path("name").asText());
    assertEquals("[\"wd\"]", widgets.path("shortNames").toString());
    Result apiResources = kubectl("api-resources", "--api-group=example.com", "--no-headers");
    assertTrue(apiResources.out().contains("widgets") && apiResources.out().contains("Widget"), apiResources.both());
  }

  @Test
  void anInvalidDefinitionIsRefusedNamingTheFieldAndNothingIsStored() throws Exception {
    String misnamed = resource("widgets.yaml").replace("name: widgets.example.com", "name: gadgets.example.com");
    Result r = kubectl("apply", "-f", file("misnamed.yaml", misnamed).toString());
    assertNotEquals(0, r.exit());
    assertTrue(r.err().contains("metadata.name: Invalid value: \"gadgets.example.com\": must be"
        + " spec.names.plural+\".\"+spec.group"), r.both());
    String twoStorage = resource("widgets.yaml").replace("name: widgets.example.com", "name: things.example.com")
        .replace("plural: widgets", "plural: things").replace("singular: widget", "singular: thing")
        .replace("kind: Widget", "kind: Thing").replace("shortNames: [wd]", "shortNames: [th]")
        .replace("  versions:\n", "  versions:\n  - name: v2\n    served: true\n    storage: true\n"
            + "    schema:\n      openAPIV3Schema: {type: object}\n");
    r = kubectl("create", "-f", file("two-storage.yaml", twoStorage).toString());
    assertNotEquals(0, r.exit());
    assertTrue(r.err().contains("spec.versions: Invalid value") && r.err().contains("exactly one version marked as"
        + " storage version"), r.both());
    String nonStructural = twoStorage.replace("  - name: v2\n    served: true\n    storage: true\n"
        + "    schema:\n      openAPIV3Schema: {type: object}\n", "")
        .replace("              replicas:\n                type: integer\n", "              replicas:\n");
    r = kubectl("create", "-f", file("non-structural.yaml", nonStructural).toString());
    assertNotEquals(0, r.exit());
    assertTrue(r.err().contains("spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[replicas].type:"
        + " Required value"), r.both());
    for (String name : List.of("gadgets.example.com", "things.example.com")) {
      Result missing = kubectl("get", "crd", name);
      assertTrue(missing.err().contains("NotFound") || missing.err().contains("not found"), missing.both());
    }
    Result things = kubectl("get", "things");
    assertNotEquals(0, things.exit(), "a refused definition serves nothing: " + things.both());
  }

  @Test
  void customObjectsThroughKubectl() throws Exception {
    String widget = """
        apiVersion: example.com/v1
        kind: Widget
        metadata: {name: w1, namespace: default, labels: {app: demo}}
        spec:
          size: small
          replicas: 1
          port: 8080
          extra: {free: [1, {form: true}]}
        """;
    Result created = kubectl("create", "-f", file("w1.yaml", widget).toString());
    assertEquals(0, created.exit(), created.both());
    JsonNode w = json(kubectl("get", "wd", "w1", "-o", "json"));
    assertEquals("example.com/v1", w.path("apiVersion").asText());
    assertEquals("Widget", w.path("kind").asText());
    assertEquals("small", w.at("/spec/size").asText());
    assertEquals(8080, w.at("/spec/port").asInt());
    assertEquals("{\"free\":[1,{\"form\":true}]}", w.at("/spec/extra").toString());
    assertEquals(1, w.at("/metadata/generation").asInt());
    Result table = kubectl("get", "widgets");
    assertTrue(table.out().contains("w1"), table.both());
    Result byGroup = kubectl("get", "widgets.example.com", "-l", "app=demo", "-o", "name");
    assertEquals("widget.example.com/w1", byGroup.out().trim(), byGroup.both());

    // Merge and JSON patch; a strategic merge patch is refused as Kubernetes refuses it for custom resources.
    assertEquals(0, kubectl("patch", "widget", "w1", "--type", "merge", "-p", "{\"spec\":{\"replicas\":5}}").exit());
    assertEquals(0, kubectl("patch", "widget", "w1", "--type", "json",
        "-p", "[{\"op\":\"replace\",\"path\":\"/spec/size\",\"value\":\"large\"}]").exit());
    w = json(kubectl("get", "widget", "w1", "-o", "json"));
    assertEquals(5, w.at("/spec/replicas").asInt());
    assertEquals("large", w.at("/spec/size").asText());
    assertEquals(3, w.at("/metadata/generation").asInt());
    Result strategic = kubectl("patch", "widget", "w1", "--type", "strategic", "-p", "{\"spec\":{\"replicas\":2}}");
    assertNotEquals(0, strategic.exit());
    assertTrue(strategic.err().contains("application/strategic-merge-patch+json is not supported by example.com/v1,"
        + " Kind=Widget: the body of the request was in an unknown format - accepted media types include:"
        + " application/json-patch+json, application/merge-patch+json"), strategic.both());

    // The status subresource: status changes only through it, and it leaves the spec alone.
    Result status = kubectl("patch", "widget", "w1", "--subresource=status", "--type", "merge",
        "-p", "{\"status\":{\"replicas\":4,\"ready\":true}}");
    assertEquals(0, status.exit(), status.both());
    assertEquals(0, kubectl("patch", "widget", "w1", "--type", "merge", "-p", "{\"status\":{\"replicas\":9}}").exit());
    w = json(kubectl("get", "widget", "w1", "-o", "json"));
    assertEquals(4, w.at("/status/replicas").asInt());
    assertEquals(3, w.at("/metadata/generation").asInt());

    // Schema violations are 422 with the field's path.
    Result badEnum = kubectl("create", "-f", file("w2.yaml", widget.replace("w1", "w2").replace("small", "huge")).toString());
    assertNotEquals(0, badEnum.exit());
    assertTrue(badEnum.err().contains("spec.size: Unsupported value: \"huge\": supported values: \"small\", \"large\""),
        badEnum.both());
    Result missing = kubectl("create", "-f", file("w3.yaml", widget.replace("w1", "w3").replace("  size: small\n", "")).toString());
    assertNotEquals(0, missing.exit());
    assertTrue(missing.err().contains("spec.size: Required value"), missing.both());
    Result badType = kubectl("create", "-f", file("w4.yaml", widget.replace("w1", "w4").replace("replicas: 1", "replicas: many")).toString());
    assertNotEquals(0, badType.exit());
    assertTrue(badType.err().contains("The Widget \"w4\" is invalid: spec.replicas: Invalid value: \"many\":"
        + " spec.replicas in body must be of type integer: \"many\""), badType.both());

    assertEquals(0, kubectl("delete", "widget", "w1").exit());
    Result gone = kubectl("get", "widget", "w1");
    assertTrue(gone.err().contains("NotFound") || gone.err().contains("not found"), gone.both());
  }

  @Test
  void customObjectsThroughFabric8GenericResources() throws Exception {
    BlockingQueue<String> events = new LinkedBlockingQueue<>();
    try (Watch watch = client.genericKubernetesResources(WIDGETS).inNamespace("default")
        .watch(new Watcher<GenericKubernetesResource>() {
          @Override
          public void eventReceived(Action action, GenericKubernetesResource resource) {
            if (resource.getMetadata().getName().startsWith("f8-")) {
              events.add(action + " " + resource.getMetadata().getName());
            }
          }

          @Override
          public void onClose(WatcherException cause) {}
        })) {
      GenericKubernetesResource created = client.genericKubernetesResources(WIDGETS).inNamespace("default")
          .resource(new GenericKubernetesResourceBuilder().withApiVersion("example.com/v1").withKind("Widget")
              .withNewMetadata().withName("f8-1").endMetadata()
              .addToAdditionalProperties("spec", Map.of("size", "large", "replicas", 2, "tags", List.of("x")))
              .build())
          .create();
      assertEquals("1", String.valueOf(created.getMetadata().getGeneration()));
      assertEquals("ADDED f8-1", events.poll(30, TimeUnit.SECONDS));
      GenericKubernetesResource got = client.genericKubernetesResources(WIDGETS).inNamespace("default")
          .withName("f8-1").get();
      assertEquals(Map.of("size", "large", "replicas", 2, "tags", List.of("x")), got.getAdditionalProperties().get("spec"));
      assertEquals(1, client.genericKubernetesResources(WIDGETS).inNamespace("default").list().getItems().stream()
          .filter(r -> r.getMetadata().getName().startsWith("f8-")).count());
      client.genericKubernetesResources(WIDGETS).inNamespace("default").withName("f8-1")
          .edit(r -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> spec = new java.util.HashMap<>((Map<String, Object>) r.getAdditionalProperties().get("spec"));
            spec.put("replicas", 3);
            r.setAdditionalProperty("spec", spec);
            return r;
          });
      assertEquals("MODIFIED f8-1", events.poll(30, TimeUnit.SECONDS));
      KubernetesClientException invalid = org.junit.jupiter.api.Assertions.assertThrows(KubernetesClientException.class,
          () -> client.genericKubernetesResources(WIDGETS).inNamespace("default")
              .resource(new GenericKubernetesResourceBuilder().withApiVersion("example.com/v1").withKind("Widget")
                  .withNewMetadata().withName("f8-bad").endMetadata()
                  .addToAdditionalProperties("spec", Map.of("size", "medium")).build())
              .create());
      assertEquals(422, invalid.getCode());
      client.genericKubernetesResources(WIDGETS).inNamespace("default").withName("f8-1").delete();
      assertEquals("DELETED f8-1", events.poll(30, TimeUnit.SECONDS));
      assertNull(client.genericKubernetesResources(WIDGETS).inNamespace("default").withName("f8-1").get());
    }
  }

  /**
   * Several served versions, one storage version, conversion None: an object reads the same in
   * each, with apiVersion naming the version asked for; a deprecated version warns on every
   * request; webhook conversion is refused with 422.
   */
  @Test
  void servedVersionsRewriteTheApiVersionAndWarnWhenDeprecated() throws Exception {
    String widget = """
        apiVersion: example.com/v1beta1
        kind: Widget
        metadata: {name: mv1, namespace: default}
        spec: {size: large, replicas: 2}
        """;
    Result created = kubectl("create", "-f", file("mv1.yaml", widget).toString());
    try {
      assertEquals(0, created.exit(), created.both());
      assertTrue(created.err().contains("Warning: example.com/v1beta1 Widget is deprecated; use example.com/v1 Widget"),
          created.both());
      Result beta = kubectl("get", "widgets.v1beta1.example.com", "mv1", "-o", "json");
      JsonNode old = json(beta);
      assertEquals("example.com/v1beta1", old.path("apiVersion").asText());
      assertTrue(beta.err().contains("is deprecated"), beta.both());
      JsonNode current = json(kubectl("get", "widgets.v1.example.com", "mv1", "-o", "json"));
      assertEquals("example.com/v1", current.path("apiVersion").asText());
      assertEquals(old.path("spec"), current.path("spec"));
      assertEquals(old.at("/metadata/resourceVersion"), current.at("/metadata/resourceVersion"));
      JsonNode list = json(kubectl("get", "--raw", "/apis/example.com/v1beta1/namespaces/default/widgets"));
      assertEquals("example.com/v1beta1", list.path("apiVersion").asText());
      list.path("items").forEach(i -> assertEquals("example.com/v1beta1", i.path("apiVersion").asText(), i.toString()));
      JsonNode crd = json(kubectl("get", "crd", "widgets.example.com", "-o", "json"));
      assertEquals("[\"v1\"]", crd.path("status").path("storedVersions").toString());

      // fabric8 in the old version: its watch and reads name the version it asked for.
      ResourceDefinitionContext betaWidgets = new ResourceDefinitionContext.Builder().withGroup("example.com")
          .withVersion("v1beta1").withPlural("widgets").withKind("Widget").withNamespaced(true).build();
      GenericKubernetesResource read = client.genericKubernetesResources(betaWidgets).inNamespace("default")
          .withName("mv1").get();
      assertEquals("example.com/v1beta1", read.getApiVersion());

      String webhook = resource("widgets.yaml").replace("name: widgets.example.com", "name: hooks.example.com")
          .replace("plural: widgets", "plural: hooks").replace("singular: widget", "singular: hook")
          .replace("kind: Widget", "kind: Hook").replace("shortNames: [wd]", "shortNames: [hk]")
          .replace("  versions:\n", "  conversion:\n    strategy: Webhook\n  versions:\n");
      Result refused = kubectl("create", "-f", file("webhook.yaml", webhook).toString());
      assertNotEquals(0, refused.exit());
      assertTrue(refused.err().contains("is invalid") && refused.err().contains("spec.conversion.strategy")
          && refused.err().contains("webhook conversion is not supported"), refused.both());
    } finally {
      kubectl("delete", "widget", "mv1");
    }
  }

  /**
   * Defaults from the schema on writes, unknown fields pruned (fieldValidation: Strict refuses
   * naming them, Warn warns, Ignore drops them silently), list-type set uniqueness.
   */
  @Test
  void defaultingPruningAndListTypes() throws Exception {
    String widget = """
        apiVersion: example.com/v1
        kind: Widget
        metadata: {name: dp1, namespace: default}
        spec: {size: small, options: {}, bogus: 1}
        """;
    Path f = file("dp1.yaml", widget);
    try {
      Result strict = kubectl("create", "--validate=strict", "-f", f.toString());
      assertNotEquals(0, strict.exit());
      assertTrue(strict.err().contains("unknown field \"spec.bogus\""), strict.both());
      assertTrue(notFound(kubectl("get", "widget", "dp1")), "nothing is stored under Strict");

      Result warn = kubectl("create", "--validate=warn", "-f", f.toString());
      assertEquals(0, warn.exit(), warn.both());
      assertTrue(warn.err().contains("Warning: unknown field \"spec.bogus\""), warn.both());
      JsonNode w = json(kubectl("get", "widget", "dp1", "-o", "json"));
      assertTrue(w.at("/spec/bogus").isMissingNode(), "pruned: " + w);
      assertEquals("blue", w.at("/spec/options/color").asText(), "defaulted: " + w);

      Result ignore = kubectl("create", "--validate=false", "-f",
          file("dp2.yaml", widget.replace("dp1", "dp2")).toString());
      assertEquals(0, ignore.exit(), ignore.both());
      assertTrue(!ignore.err().contains("unknown field"), ignore.both());

      Result duplicate = kubectl("create", "-f", file("dp3.yaml", widget.replace("dp1", "dp3")
          .replace("bogus: 1", "tags: [a, b, a]")).toString());
      assertNotEquals(0, duplicate.exit());
      assertTrue(duplicate.err().contains("spec.tags[2]: Duplicate value: \"a\""), duplicate.both());
    } finally {
      kubectl("delete", "widget", "dp1", "dp2", "--ignore-not-found");
    }
  }

  /**
   * x-kubernetes-validations: a rule that fails is 422 with its path and message (kubectl prints
   * it as for Kubernetes), a transition rule sees the stored value, and a definition whose rule
   * does not compile is refused with 422 naming the rule.
   */
  @Test
  void celRulesOnObjectsAndDefinitions() throws Exception {
    String widget = """
        apiVersion: example.com/v1
        kind: Widget
        metadata: {name: cel1, namespace: default}
        spec: {size: large, replicas: 200}
        """;
    try {
      Result tooMany = kubectl("create", "-f", file("cel1.yaml", widget).toString());
      assertNotEquals(0, tooMany.exit());
      assertTrue(tooMany.err().contains("The Widget \"cel1\" is invalid: spec.replicas: Invalid value: \"object\":"
          + " replicas must be at most 100"), tooMany.both());
      Result created = kubectl("create", "-f", file("cel1.yaml", widget.replace("200", "2")).toString());
      assertEquals(0, created.exit(), created.both());
      Result shrink = kubectl("patch", "widget", "cel1", "--type", "merge", "-p", "{\"spec\":{\"size\":\"small\"}}");
      assertNotEquals(0, shrink.exit());
      assertTrue(shrink.err().contains("spec.size: Invalid value: \"small\": size cannot shrink from large to small"),
          shrink.both());

      String bad = resource("widgets.yaml").replace("name: widgets.example.com", "name: rules.example.com")
          .replace("plural: widgets", "plural: rules").replace("singular: widget", "singular: rule")
          .replace("kind: Widget", "kind: Rule").replace("shortNames: [wd]", "shortNames: [rl]")
          .replace("self.replicas <= 100", "self.replicas <=");
      Result refused = kubectl("create", "-f", file("bad-rule.yaml", bad).toString());
      assertNotEquals(0, refused.exit());
      assertTrue(refused.err().contains("spec.versions[0].schema.openAPIV3Schema.properties[spec]"
          + ".x-kubernetes-validations[0].rule: Invalid value: \"!has(self.replicas) || self.replicas <=\":"
          + " compilation failed"), refused.both());
      assertTrue(notFound(kubectl("get", "crd", "rules.example.com")));

      // A rule whose estimated cost exceeds the budget: an unbounded list compared with itself.
      String costly = bad.replace("self.replicas <=", "self.replicas <= 100")
          .replace("              tags:\n                type: array\n",
              "              tags:\n                type: array\n                x-kubernetes-validations:\n"
              + "                - rule: \"self.all(a, self.all(b, a == b || a != b))\"\n");
      Result expensive = kubectl("create", "-f", file("costly-rule.yaml", costly).toString());
      assertNotEquals(0, expensive.exit());
      assertTrue(expensive.err().contains("spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[tags]"
          + ".x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than"
          + " 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps,"
          + " and strings are declared)"), expensive.both());
      assertTrue(notFound(kubectl("get", "crd", "rules.example.com")));
      Result bounded = kubectl("create", "-f", file("bounded-rule.yaml", costly.replace(
          "                type: array\n                x-kubernetes-validations:\n",
          "                type: array\n                maxItems: 10\n                x-kubernetes-validations:\n")
          .replace("                items:\n                  type: string\n",
              "                items:\n                  type: string\n                  maxLength: 64\n")).toString());
      assertEquals(0, bounded.exit(), "bounded by maxItems and maxLength, the rule is cheap: " + bounded.both());
      assertEquals(0, kubectl("delete", "crd", "rules.example.com").exit());
      awaitTrue("the Rule kind leaves the registry", () -> Kinds.byName("Rule").isEmpty());

      // Transition rules in the items of a map list see the old item with the same key.
      String ports = costly.replaceFirst("              replicas:\n                type: integer\n",
          "              ports:\n                type: array\n                maxItems: 8\n"
          + "                x-kubernetes-list-type: map\n                x-kubernetes-list-map-keys: [name]\n"
          + "                items:\n                  type: object\n                  required: [name, port]\n"
          + "                  properties:\n                    name: {type: string, maxLength: 16}\n"
          + "                    port: {type: integer}\n                  x-kubernetes-validations:\n"
          + "                  - {rule: \"self.port >= oldSelf.port\", message: port may not go down}\n"
          + "              replicas:\n                type: integer\n")
          .replace("                - rule: \"self.all(a, self.all(b, a == b || a != b))\"\n", "                - rule: \"true\"\n");
      establish(file("ports-rule.yaml", ports), "rules.example.com");
      String rule = """
          apiVersion: example.com/v1
          kind: Rule
          metadata: {name: r1, namespace: default}
          spec: {size: small, ports: [{name: http, port: 80}, {name: dns, port: 53}]}
          """;
      Result r1 = kubectl("create", "-f", file("r1.yaml", rule).toString());
      assertEquals(0, r1.exit(), r1.both());
      Result lowered = kubectl("patch", "rule", "r1", "--type", "merge",
          "-p", "{\"spec\":{\"ports\":[{\"name\":\"dns\",\"port\":53},{\"name\":\"http\",\"port\":70}]}}");
      assertNotEquals(0, lowered.exit());
      assertTrue(lowered.err().contains("The Rule \"r1\" is invalid: spec.ports[1]: Invalid value: \"object\":"
          + " port may not go down"), lowered.both());
      Result raised = kubectl("patch", "rule", "r1", "--type", "merge",
          "-p", "{\"spec\":{\"ports\":[{\"name\":\"ssh\",\"port\":22},{\"name\":\"http\",\"port\":90}]}}");
      assertEquals(0, raised.exit(), "raised, and a new item without an old one: " + raised.both());
      assertEquals(0, kubectl("delete", "crd", "rules.example.com").exit());
      awaitTrue("the Rule kind leaves the registry", () -> Kinds.byName("Rule").isEmpty());
    } finally {
      Kinds.unregister("Rule");
      kubectl("delete", "widget", "cel1", "--ignore-not-found");
    }
  }

  /** OpenAPI v3 per custom group-version, from the definition's schema: {@code kubectl explain} works. */
  @Test
  void explainReadsTheDefinitionsSchema() throws Exception {
    JsonNode index = json(kubectl("get", "--raw", "/openapi/v3"));
    assertTrue(index.path("paths").has("apis/example.com/v1"), index.toString());
    Result explained = kubectl("explain", "widgets.spec");
    assertEquals(0, explained.exit(), explained.both());
    assertTrue(explained.out().contains("KIND:       Widget") || explained.out().contains("KIND:     Widget"),
        explained.out());
    for (String field : List.of("size", "replicas", "tags", "labels")) {
      assertTrue(explained.out().lines().anyMatch(l -> l.trim().startsWith(field)), field + " in " + explained.out());
    }
    Result size = kubectl("explain", "widget.spec.size");
    assertEquals(0, size.exit(), size.both());
    assertTrue(size.out().contains("string"), size.out());
  }

  /**
   * The scale subresource from the definition's paths ({@code kubectl scale}, GET/PUT/PATCH of
   * {@code /scale} as autoscaling/v1 Scale), the printer columns in {@code kubectl get} (priority
   * above 0 only with {@code -o wide}), and category {@code all} in {@code kubectl get all}.
   */
  @Test
  void scaleSubresourcePrinterColumnsAndCategories() throws Exception {
    String widget = """
        apiVersion: example.com/v1
        kind: Widget
        metadata: {name: sc1, namespace: default}
        spec: {size: small, replicas: 1}
        """;
    assertEquals(0, kubectl("create", "-f", file("sc1.yaml", widget).toString()).exit());
    try {
      Result scaled = kubectl("scale", "widget", "sc1", "--replicas=3");
      assertEquals(0, scaled.exit(), scaled.both());
      assertEquals(3, json(kubectl("get", "widget", "sc1", "-o", "json")).at("/spec/replicas").asInt());
      assertEquals(0, kubectl("patch", "widget", "sc1", "--subresource=status", "--type", "merge",
          "-p", "{\"status\":{\"replicas\":2,\"selector\":\"app=sc1\"}}").exit());
      String scalePath = "/apis/example.com/v1/namespaces/default/widgets/sc1/scale";
      JsonNode scale = json(kubectl("get", "--raw", scalePath));
      assertEquals("autoscaling/v1", scale.path("apiVersion").asText());
      assertEquals("Scale", scale.path("kind").asText());
      assertEquals("sc1", scale.at("/metadata/name").asText());
      assertEquals(3, scale.at("/spec/replicas").asInt());
      assertEquals(2, scale.at("/status/replicas").asInt());
      assertEquals("app=sc1", scale.at("/status/selector").asText());
      // PUT of a Scale changes only the replicas at specReplicasPath.
      String replaced = client.raw(scalePath, "PUT", Map.of("apiVersion", "autoscaling/v1", "kind", "Scale",
          "metadata", Map.of("name", "sc1", "namespace", "default"), "spec", Map.of("replicas", 4)));
      assertEquals(4, KubeJson.parse(replaced).at("/spec/replicas").asInt(), replaced);
      JsonNode w = json(kubectl("get", "widget", "sc1", "-o", "json"));
      assertEquals(4, w.at("/spec/replicas").asInt());
      assertEquals("small", w.at("/spec/size").asText());
      assertTrue(json(kubectl("get", "--raw", "/apis/example.com/v1")).toString().contains("\"widgets/scale\""));

      // Printer columns: name, then the definition's columns; Ready has priority 1 (-o wide only).
      Result table = kubectl("get", "widget", "sc1");
      assertEquals(0, table.exit(), table.both());
      List<String> header = List.of(table.out().lines().findFirst().orElseThrow().trim().split("\\s+"));
      assertEquals(List.of("NAME", "SIZE", "REPLICAS", "AGE"), header, table.out());
      List<String> row = List.of(table.out().lines().skip(1).findFirst().orElseThrow().trim().split("\\s+"));
      assertEquals(List.of("sc1", "small", "4"), row.subList(0, 3), table.out());
      Result wide = kubectl("get", "widget", "sc1", "-o", "wide");
      List<String> wideHeader = List.of(wide.out().lines().findFirst().orElseThrow().trim().split("\\s+"));
      assertEquals(List.of("NAME", "SIZE", "REPLICAS", "READY", "AGE"), wideHeader, wide.out());
      // status.ready is not set: an empty cell, printed blank as kubectl does for custom columns.
      List<String> wideRow = List.of(wide.out().lines().skip(1).findFirst().orElseThrow().trim().split("\\s+"));
      assertEquals(List.of("sc1", "small", "4"), wideRow.subList(0, 3), wide.out());
      assertEquals(4, wideRow.size(), wide.out());
      assertEquals(0, kubectl("patch", "widget", "sc1", "--subresource=status", "--type", "merge",
          "-p", "{\"status\":{\"ready\":true}}").exit());
      wide = kubectl("get", "widget", "sc1", "-o", "wide");
      wideRow = List.of(wide.out().lines().skip(1).findFirst().orElseThrow().trim().split("\\s+"));
      assertEquals(List.of("sc1", "small", "4", "true"), wideRow.subList(0, 4), wide.out());

      // Category all: kubectl get all lists widgets beside the built-in kinds.
      Result all = kubectl("get", "all", "-n", "default", "-o", "name");
      assertEquals(0, all.exit(), all.both());
      assertTrue(all.out().lines().anyMatch("widget.example.com/sc1"::equals), all.both());
    } finally {
      kubectl("delete", "widget", "sc1");
    }
  }

  /**
   * Deleting a definition deletes its objects first, as Kubernetes does: the definition gets the
   * cleanup finalizer and {@code Terminating}, new objects are refused, and it goes (and its kind
   * stops being served) only once its last object is gone; created again, it starts empty.
   */
  @Test
  void deletingADefinitionDeletesItsObjectsFirst() throws Exception {
    try {
      Path crdFile = file("sprockets.yaml", resource("sprockets.yaml"));
      establish(crdFile, "sprockets.example.com");
      String sprocket = """
          apiVersion: example.com/v1
          kind: Sprocket
          metadata: {name: s1, namespace: default}
          spec: {teeth: 12}
          """;
      assertEquals(0, kubectl("create", "-f", file("s1.yaml", sprocket).toString()).exit());
      // s2 holds the definition: a finalizer of its own keeps it (and so the definition) until released.
      String held = sprocket.replace("name: s1,", "name: s2, finalizers: [example.com/hold],");
      Result s2 = kubectl("create", "-f", file("s2.yaml", held).toString());
      assertEquals(0, s2.exit(), s2.both());

      Result deleted = kubectl("delete", "crd", "sprockets.example.com", "--wait=false");
      assertEquals(0, deleted.exit(), deleted.both());
      awaitTrue("s1 is deleted by the cleanup", () -> notFound(kubectl("get", "sprocket", "s1")));
      JsonNode crd = json(kubectl("get", "crd", "sprockets.example.com", "-o", "json"));
      assertTrue(crd.at("/metadata/deletionTimestamp").isTextual(), crd.toString());
      assertEquals("[\"customresourcecleanup.apiextensions.k8s.io\"]", crd.at("/metadata/finalizers").toString());
      JsonNode terminating = condition(crd, "Terminating");
      assertEquals("True", terminating.path("status").asText(), crd.toString());
      Result listed = kubectl("get", "crd", "sprockets.example.com");
      assertTrue(listed.exit() == 0 && listed.out().contains("sprockets.example.com"), listed.both());
      JsonNode s2Now = json(kubectl("get", "sprocket", "s2", "-o", "json"));
      assertTrue(s2Now.at("/metadata/deletionTimestamp").isTextual(), "s2 is being deleted: " + s2Now);
      Result refused = kubectl("create", "-f", file("s3.yaml", sprocket.replace("name: s1", "name: s3")).toString());
      assertNotEquals(0, refused.exit());
      assertTrue(refused.err().contains("create not allowed while custom resource definition is terminating"),
          refused.both());
      crd = json(kubectl("get", "crd", "sprockets.example.com", "-o", "json"));
      assertEquals("InstanceDeletionInProgress", condition(crd, "Terminating").path("reason").asText(), crd.toString());

      // The last object goes: then the definition, and its kind is no longer served.
      Result released = kubectl("patch", "sprocket", "s2", "--type", "merge", "-p", "{\"metadata\":{\"finalizers\":null}}");
      assertEquals(0, released.exit(), released.both());
      Result gone = kubectl("wait", "--for=delete", "crd/sprockets.example.com", "--timeout=60s");
      assertEquals(0, gone.exit(), gone.both());
      assertTrue(notFound(kubectl("get", "crd", "sprockets.example.com")));
      awaitTrue("the kind of a deleted definition leaves the registry", () -> Kinds.byName("Sprocket").isEmpty());
      Result unserved = kubectl("get", "--raw", "/apis/example.com/v1/namespaces/default/sprockets");
      assertNotEquals(0, unserved.exit(), unserved.both());
      assertTrue(notFound(unserved), unserved.both());

      // Created again, the definition starts empty.
      establish(crdFile, "sprockets.example.com");
      Result empty = kubectl("get", "sprockets", "-A", "-o", "name");
      assertEquals(0, empty.exit(), empty.both());
      assertEquals("", empty.out().trim(), empty.both());
      Result again = kubectl("delete", "crd", "sprockets.example.com");
      assertEquals(0, again.exit(), again.both());
      assertTrue(notFound(kubectl("get", "crd", "sprockets.example.com")));
    } finally {
      Kinds.unregister("Sprocket");
    }
  }

  /**
   * A cluster-scoped custom kind: objects without a namespace through kubectl and fabric8
   * (create, get, list, delete), and {@code kubectl delete --all}.
   */
  @Test
  void aClusterScopedKindThroughKubectlAndFabric8() throws Exception {
    ResourceDefinitionContext gizmos = new ResourceDefinitionContext.Builder().withGroup("example.com")
        .withVersion("v1").withPlural("gizmos").withKind("Gizmo").withNamespaced(false).build();
    try {
      establish(file("gizmos.yaml", resource("gizmos.yaml")), "gizmos.example.com");
      JsonNode discovery = json(kubectl("get", "--raw", "/apis/example.com/v1"));
      boolean clusterScoped = false;
      for (JsonNode r : discovery.path("resources")) {
        clusterScoped |= r.path("name").asText().equals("gizmos") && !r.path("namespaced").asBoolean(true);
      }
      assertTrue(clusterScoped, discovery.toString());
      String gizmo = """
          apiVersion: example.com/v1
          kind: Gizmo
          metadata: {name: g1}
          spec: {color: red}
          """;
      Result created = kubectl("create", "-f", file("g1.yaml", gizmo).toString());
      assertEquals(0, created.exit(), created.both());
      JsonNode g1 = json(kubectl("get", "gizmo", "g1", "-o", "json"));
      assertTrue(g1.at("/metadata/namespace").isMissingNode(), "no namespace: " + g1);
      assertEquals("red", g1.at("/spec/color").asText());
      JsonNode raw = json(kubectl("get", "--raw", "/apis/example.com/v1/gizmos/g1"));
      assertEquals(g1.at("/metadata/uid"), raw.at("/metadata/uid"));
      // A namespaced path for a cluster-scoped kind is not served, as in Kubernetes.
      assertTrue(notFound(kubectl("get", "--raw", "/apis/example.com/v1/namespaces/default/gizmos/g1")));

      GenericKubernetesResource f8 = client.genericKubernetesResources(gizmos)
          .resource(new GenericKubernetesResourceBuilder().withApiVersion("example.com/v1").withKind("Gizmo")
              .withNewMetadata().withName("g2").endMetadata()
              .addToAdditionalProperties("spec", Map.of("color", "blue")).build())
          .create();
      assertNull(f8.getMetadata().getNamespace());
      assertEquals(Map.of("color", "blue"),
          client.genericKubernetesResources(gizmos).withName("g2").get().getAdditionalProperties().get("spec"));
      assertEquals(List.of("g1", "g2"), client.genericKubernetesResources(gizmos).list().getItems().stream()
          .map(r -> r.getMetadata().getName()).sorted().toList());
      Result names = kubectl("get", "gz", "-o", "name");
      assertEquals("gizmo.example.com/g1\ngizmo.example.com/g2", names.out().trim(), names.both());
      client.genericKubernetesResources(gizmos).withName("g2").delete();
      awaitTrue("g2 is deleted", () -> client.genericKubernetesResources(gizmos).withName("g2").get() == null);

      assertEquals(0, kubectl("create", "-f", file("g3.yaml", gizmo.replace("g1", "g3")).toString()).exit());
      Result all = kubectl("delete", "gizmos", "--all");
      assertEquals(0, all.exit(), all.both());
      assertTrue(all.out().contains("\"g1\" deleted") && all.out().contains("\"g3\" deleted"), all.both());
      Result none = kubectl("get", "gizmos", "-o", "name");
      assertEquals("", none.out().trim(), none.both());
      assertEquals(0, kubectl("delete", "crd", "gizmos.example.com").exit());
      awaitTrue("the Gizmo kind leaves the registry", () -> Kinds.byName("Gizmo").isEmpty());
    } finally {
      Kinds.unregister("Gizmo");
    }
  }

  /**
   * The generic paths every kind takes, for a custom kind: generateName, finalizers (a delete
   * waits until the last one is removed), deletecollection, field selectors on metadata.name and
   * metadata.namespace, limit/continue, watch with sendInitialEvents and bookmarks, and the body
   * size limit (413).
   */
  @Test
  void genericPathsForCustomKinds() throws Exception {
    String widgets = "/apis/example.com/v1/namespaces/default/widgets";
    try {
      // generateName: the server completes the name.
      String generated = """
          apiVersion: example.com/v1
          kind: Widget
          metadata: {generateName: gen-, namespace: default, labels: {suite: generic}}
          spec: {size: small}
          """;
      Result g = kubectl("create", "-f", file("gen.yaml", generated).toString(), "-o", "json");
      JsonNode gen = json(g);
      assertTrue(gen.at("/metadata/name").asText().matches("gen-[a-z0-9]{5}"), gen.toString());
      assertEquals("gen-", gen.at("/metadata/generateName").asText());

      // Finalizers: the delete marks the object; it goes when the last finalizer is removed.
      String held = """
          apiVersion: example.com/v1
          kind: Widget
          metadata: {name: held, namespace: default, finalizers: [example.com/hold], labels: {suite: generic}}
          spec: {size: small}
          """;
      assertEquals(0, kubectl("create", "-f", file("held.yaml", held).toString()).exit());
      Result deleting = kubectl("delete", "widget", "held", "--wait=false");
      assertEquals(0, deleting.exit(), deleting.both());
      JsonNode marked = json(kubectl("get", "widget", "held", "-o", "json"));
      assertTrue(marked.at("/metadata/deletionTimestamp").isTextual(), marked.toString());
      assertEquals("[\"example.com/hold\"]", marked.at("/metadata/finalizers").toString());
      Result released = kubectl("patch", "widget", "held", "--type", "json",
          "-p", "[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]");
      assertEquals(0, released.exit(), released.both());
      Result gone = kubectl("wait", "--for=delete", "widget/held", "--timeout=30s");
      assertEquals(0, gone.exit(), gone.both());

      // Three more to list, select and page through.
      for (String n : List.of("pg-a", "pg-b", "pg-c")) {
        String w = """
            apiVersion: example.com/v1
            kind: Widget
            metadata: {name: %s, namespace: default, labels: {suite: generic}}
            spec: {size: small}
            """.formatted(n);
        assertEquals(0, kubectl("create", "-f", file(n + ".yaml", w).toString()).exit());
      }
      Result byName = kubectl("get", "widgets", "-A", "--field-selector", "metadata.name=pg-b", "-o", "name");
      assertEquals("widget.example.com/pg-b", byName.out().trim(), byName.both());
      Result byNamespace = kubectl("get", "widgets", "-A", "-l", "suite=generic",
          "--field-selector", "metadata.namespace=default,metadata.name!=pg-a", "-o", "name");
      assertEquals(List.of("widget.example.com/" + gen.at("/metadata/name").asText(), "widget.example.com/pg-b",
          "widget.example.com/pg-c"), byNamespace.out().trim().lines().sorted().toList(), byNamespace.both());
      Result otherField = kubectl("get", "widgets", "--field-selector", "spec.size=small");
      assertNotEquals(0, otherField.exit());
      assertTrue(otherField.err().contains("field label not supported: spec.size"), otherField.both());

      // limit/continue: two pages of two, the continue token from the first.
      JsonNode first = json(kubectl("get", "--raw", widgets + "?labelSelector=suite%3Dgeneric&limit=2"));
      assertEquals(2, first.path("items").size(), first.toString());
      String token = first.at("/metadata/continue").asText();
      assertTrue(!token.isEmpty(), first.toString());
      JsonNode second = json(kubectl("get", "--raw", widgets + "?labelSelector=suite%3Dgeneric&limit=2&continue="
          + java.net.URLEncoder.encode(token, StandardCharsets.UTF_8)));
      assertEquals(2, second.path("items").size(), second.toString());
      assertTrue(second.at("/metadata/continue").asText().isEmpty(), second.toString());
      Result chunked = kubectl("get", "widgets", "-l", "suite=generic", "--chunk-size=1", "-o", "name");
      assertEquals(4, chunked.out().trim().lines().count(), chunked.both());

      // Watch: the initial events, then the bookmark that ends them; the stream ends at timeoutSeconds.
      Result watched = kubectl("get", "--raw", widgets + "?watch=1&labelSelector=suite%3Dgeneric"
          + "&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=2");
      assertEquals(0, watched.exit(), watched.both());
      List<JsonNode> events = watched.out().lines().filter(l -> !l.isBlank()).map(KubeJson::parse).toList();
      assertEquals(5, events.size(), watched.out());
      for (int i = 0; i < 4; i++) {
        assertEquals("ADDED", events.get(i).path("type").asText(), watched.out());
        assertEquals("Widget", events.get(i).at("/object/kind").asText(), watched.out());
      }
      JsonNode bookmark = events.get(4);
      assertEquals("BOOKMARK", bookmark.path("type").asText(), watched.out());
      assertEquals("example.com/v1", bookmark.at("/object/apiVersion").asText(), watched.out());
      assertEquals("Widget", bookmark.at("/object/kind").asText(), watched.out());
      assertEquals("true", bookmark.at("/object/metadata/annotations/k8s.io~1initial-events-end").asText(),
          watched.out());

      // deletecollection: one request deletes every object the selector matches.
      Result collection = kubectl("delete", "--raw", widgets + "?labelSelector=suite%3Dgeneric");
      assertEquals(0, collection.exit(), collection.both());
      awaitTrue("deletecollection removed the selected widgets", () -> kubectl("get", "widgets", "-l", "suite=generic",
          "-o", "name").out().isBlank());

      // Over the size limit: 413.
      String huge = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: huge, namespace: default}\n"
          + "spec: {size: small, extra: {blob: \"" + "x".repeat(4 * 1024 * 1024) + "\"}}\n";
      Result tooLarge = kubectl("create", "-f", file("huge.yaml", huge).toString());
      assertNotEquals(0, tooLarge.exit());
      assertTrue(tooLarge.err().contains("(RequestEntityTooLarge)"), tooLarge.both());
      String large = huge.replace("x".repeat(4 * 1024 * 1024), "x".repeat(2 * 1024 * 1024));
      Result stillTooLarge = kubectl("create", "-f", file("large.yaml", large).toString());
      assertNotEquals(0, stillTooLarge.exit());
      assertTrue(stillTooLarge.err().contains("(RequestEntityTooLarge)"), "under the body limit, over what is stored: "
          + stillTooLarge.both());
      assertTrue(notFound(kubectl("get", "widget", "huge")));
    } finally {
      kubectl("delete", "widgets", "-l", "suite=generic", "--ignore-not-found");
    }
  }

  static void establish(Path crdFile, String name) throws Exception {
    Result applied = kubectl("apply", "-f", crdFile.toString());
    assertEquals(0, applied.exit(), applied.both());
    Result established = kubectl("wait", "--for=condition=Established", "crd/" + name, "--timeout=60s");
    assertEquals(0, established.exit(), established.both());
  }

  static JsonNode condition(JsonNode crd, String type) {
    for (JsonNode c : crd.path("status").path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c;
      }
    }
    throw new AssertionError("no " + type + " condition: " + crd);
  }

  static boolean notFound(Result r) {
    return r.exit() != 0 && (r.err().contains("NotFound") || r.err().contains("not found"));
  }

  interface Check {
    boolean holds() throws Exception;
  }

  static void awaitTrue(String what, Check check) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!check.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 60 s: " + what);
      }
      Thread.sleep(100);
    }
  }
}
