package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.testing.KafkaGatewayFixture;
import io.capstan.gateway.testing.KubeconfigCredentials;
import io.capstan.gateway.testing.KubectlCli;
import io.capstan.gateway.testing.KubectlCli.Result;
import io.capstan.logschema.json.KubeJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import io.capstan.stateviews.testing.KafkaFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Historical reads ({@code asOf}, {@code asOfResourceVersion}, {@code history=true}) through the
 * gateway on the real backbone, with the real kubectl: a ConfigMap created, patched, deleted and
 * made again, read at each instant between, by get, list and Table; the bad inputs; RBAC.
 */
class HistoricalReadsKafkaTest {
  private static final String CMS = "/api/v1/namespaces/default/configmaps";

  @TempDir
  static Path dataDir;
  static KafkaGatewayFixture backend;
  static GatewayServer gateway;
  static KubectlCli cli;

  @BeforeAll
  static void start() throws Exception {
    KubectlCli.require();
    backend = KafkaGatewayFixture.start("history", WatchCacheConfig.defaults());
    backend.store().keepHistoryIn(dataDir.resolve("history"));
    gateway = backend.startServer(dataDir);
    cli = new KubectlCli(gateway.kubeconfig(), dataDir.resolve("kube-cache"));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (backend != null) {
        backend.close();
      }
    } finally {
      io.capstan.logschema.kinds.Kinds.unregister("Widget"); // the kind registry is JVM-wide
    }
  }

  private static Result ok(String... args) throws Exception {
    Result r = cli.run(args);
    assertEquals(0, r.exit(), String.join(" ", args) + ": " + r.both());
    return r;
  }

  private static JsonNode raw(String path) throws Exception {
    return KubeJson.parse(ok("get", "--raw", path).out());
  }

  private static Result failing(String... args) throws Exception {
    Result r = cli.run(args);
    assertNotEquals(0, r.exit(), String.join(" ", args) + " should fail: " + r.both());
    return r;
  }

  private static Instant tick() throws InterruptedException {
    Thread.sleep(5); // instants apart from the writes around them
    Instant t = Instant.now();
    Thread.sleep(5);
    return t;
  }

  private static List<String> names(JsonNode list) {
    return list.get("items").findValuesAsText("name");
  }

  @Test
  void readsEachInstantOfAnObjectThatWasCreatedPatchedDeletedAndMadeAgain() throws Exception {
    Instant before = tick();
    ok("create", "configmap", "tt", "--from-literal=mode=slow");
    ok("create", "configmap", "stays", "--from-literal=k=v");
    Instant created = tick();
    ok("patch", "configmap", "tt", "--type", "merge", "-p", "{\"data\":{\"mode\":\"fast\"}}");
    Instant patched = tick();
    ok("delete", "configmap", "tt");
    Instant deleted = tick();
    ok("create", "configmap", "tt", "--from-literal=mode=again");

    // get at each instant
    assertTrue(failing("get", "--raw", CMS + "/tt?asOf=" + before).err().contains("NotFound"), "not made yet");
    JsonNode first = raw(CMS + "/tt?asOf=" + created);
    assertEquals("slow", first.at("/data/mode").asText(), first.toString());
    assertEquals("ConfigMap", first.get("kind").asText(), "the live read's shape: " + first);
    assertEquals("v1", first.get("apiVersion").asText());
    assertEquals("fast", raw(CMS + "/tt?asOf=" + patched).at("/data/mode").asText());
    Result gone = failing("get", "--raw", CMS + "/tt?asOf=" + deleted);
    assertTrue(gone.err().contains("(NotFound)") && gone.err().contains("configmaps \"tt\" not found"), gone.both());
    assertEquals("again", raw(CMS + "/tt?asOf=" + Instant.now().plusSeconds(3600)).at("/data/mode").asText(),
        "a time to come is the live state");
    assertTrue(failing("get", "--raw", CMS + "/never?asOf=" + patched).err().contains("NotFound"));

    // asOfResourceVersion: the version the create made
    String firstRv = first.at("/metadata/resourceVersion").asText();
    assertEquals("slow", raw(CMS + "/tt?asOfResourceVersion=" + firstRv).at("/data/mode").asText());
    assertEquals(firstRv, raw(CMS + "/tt?asOfResourceVersion=" + firstRv).at("/metadata/resourceVersion").asText());

    // lists: every object of the namespace then, the deleted one included until its delete
    JsonNode atCreated = raw(CMS + "?asOf=" + created);
    assertEquals("ConfigMapList", atCreated.get("kind").asText(), atCreated.toString());
    assertTrue(names(atCreated).containsAll(List.of("tt", "stays")), atCreated.toString());
    assertTrue(!names(raw(CMS + "?asOf=" + deleted)).contains("tt"), "deleted then");
    assertTrue(!names(raw(CMS + "?asOf=" + before)).contains("stays"), "not made yet");
    JsonNode everywhere = raw("/api/v1/configmaps?asOf=" + patched + "&fieldSelector=metadata.name%3Dtt");
    assertEquals(List.of("tt"), names(everywhere), everywhere.toString());
    assertEquals("fast", everywhere.at("/items/0/data/mode").asText());

    // in chunks, as a live list: the token and the same asOf give the rest
    JsonNode chunk = raw(CMS + "?asOf=" + created + "&limit=1");
    assertEquals(1, chunk.get("items").size(), chunk.toString());
    String next = chunk.at("/metadata/continue").asText();
    assertTrue(!next.isEmpty() && chunk.at("/metadata/remainingItemCount").asInt() >= 1, chunk.toString());
    JsonNode rest = raw(CMS + "?asOf=" + created + "&continue=" + next);
    List<String> all = new java.util.ArrayList<>(names(chunk));
    all.addAll(names(rest));
    assertEquals(names(atCreated), all, rest.toString());

    // Table, as kubectl get asks for it
    JsonNode table = KubeJson.parse(https(CMS + "?asOf=" + created,
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json").body());
    assertEquals("Table", table.get("kind").asText(), table.toString());
    assertTrue(table.get("rows").findValuesAsText("name").contains("tt"), table.toString());
    int age = table.get("columnDefinitions").findValuesAsText("name").indexOf("Age");
    int seen = 0;
    for (JsonNode row : table.get("rows")) {
      if (row.at("/object/metadata/name").asText().equals("tt")) {
        assertTrue(List.of("0s", "1s").contains(row.at("/cells/" + age).asText()), "ages count to asOf: " + row);
        seen++;
      }
    }
    assertEquals(1, seen, table.toString());
    JsonNode one = KubeJson.parse(https(CMS + "/tt?asOf=" + patched,
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json").body());
    assertEquals("Table", one.get("kind").asText(), one.toString());
    assertEquals(1, one.get("rows").size(), one.toString());

    // the object's history: who, when, how, what changed
    JsonNode history = raw(CMS + "/tt?history=true");
    assertEquals("ObjectHistory", history.get("kind").asText(), history.toString());
    JsonNode items = history.get("items");
    assertEquals(List.of("CREATED", "UPDATED", "DELETED", "CREATED"), items.findValuesAsText("operation"),
        history.toString());
    assertEquals(io.capstan.gateway.security.AdminToken.ADMIN_USER, items.get(1).get("actor").asText());
    assertEquals("data.mode", items.get(1).at("/diff/0/path").asText(), history.toString());
    assertEquals("slow", items.get(1).at("/diff/0/from").asText());
    assertEquals("fast", items.get(1).at("/diff/0/to").asText());
    assertTrue(Instant.parse(items.get(1).get("time").asText()).isBefore(patched), history.toString());
    assertNotEquals(items.get(0).get("uid").asText(), items.get(3).get("uid").asText(), "made again: a new uid");

    // A Secret's values never show in the past, whoever asks; its history says when they changed
    ok("create", "secret", "generic", "tt-secret", "--from-literal=password=hunter2");
    ok("patch", "secret", "tt-secret", "--type", "merge", "-p", "{\"stringData\":{\"password\":\"swordfish\"}}");
    assertEquals("c3dvcmRmaXNo", KubeJson.parse(ok("get", "secret", "tt-secret", "-o", "json").out())
        .at("/data/password").asText(), "a live read opens the values");
    JsonNode pastSecret = raw("/api/v1/namespaces/default/secrets/tt-secret?asOf=" + tick());
    assertTrue(pastSecret.path("data").isMissingNode(), pastSecret.toString());
    assertEquals("values are not shown in historical reads",
        pastSecret.at("/metadata/annotations/capstan.io~1encryption").asText(), pastSecret.toString());
    JsonNode secretHistory = raw("/api/v1/namespaces/default/secrets/tt-secret?history=true");
    assertTrue(secretHistory.at("/items/1/changedPaths").toString().contains("\"data\""), secretHistory.toString());
    assertTrue(!secretHistory.toString().contains("hunter2") && !secretHistory.toString().contains("aHVudGVyMg")
        && !secretHistory.toString().contains("swordfish"), secretHistory.toString());

    // Bad input, in the API's words
    Result unparseable = failing("get", "--raw", CMS + "/tt?asOf=yesterday");
    assertTrue(unparseable.err().contains("(BadRequest)") && unparseable.err().contains("must be an RFC 3339 time"),
        unparseable.both());
    assertTrue(failing("get", "--raw", CMS + "?asOfResourceVersion=-1").err().contains("asOfResourceVersion"));
    assertTrue(failing("get", "--raw", CMS + "?asOf=" + created + "&asOfResourceVersion=1").err()
        .contains("not both"));
    assertTrue(failing("get", "--raw", CMS + "?history=true").err().contains("a history is of one object"));
    assertTrue(failing("get", "--raw", CMS + "/absent?history=true").err().contains("NotFound"));

    // RBAC as for live reads: a user who may not list or get configmaps reads no history of them
    Result denied = failing("get", "--raw", CMS + "?asOf=" + created, "--as", "history-nobody");
    assertTrue(denied.err().contains("(Forbidden)") && denied.err().contains("cannot list resource \"configmaps\""),
        denied.both());
    assertTrue(failing("get", "--raw", CMS + "/tt?history=true", "--as", "history-nobody").err()
        .contains("cannot get resource \"configmaps\""));

    // A custom kind reads the past as a built-in one does
    Path crd = Files.writeString(dataDir.resolve("widgets-crd.yaml"), """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.history.capstan.io
        spec:
          group: history.capstan.io
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
                      size: {type: integer}
        """);
    ok("apply", "-f", crd.toString());
    ok("wait", "--for=condition=Established", "crd/widgets.history.capstan.io", "--timeout=120s");
    Path widget = Files.writeString(dataDir.resolve("widget.yaml"), """
        apiVersion: history.capstan.io/v1
        kind: Widget
        metadata: {name: w1}
        spec: {size: 1}
        """);
    Result made = cli.run("apply", "-f", widget.toString());
    for (int i = 0; made.exit() != 0 && made.err().contains("the server could not find") && i < 60; i++) {
      Thread.sleep(500); // discovery may lag the establishment a moment
      made = cli.run("apply", "-f", widget.toString());
    }
    assertEquals(0, made.exit(), made.both());
    Instant small = tick();
    ok("patch", "widget", "w1", "--type", "merge", "-p", "{\"spec\":{\"size\":2}}");
    String widgets = "/apis/history.capstan.io/v1/namespaces/default/widgets";
    JsonNode pastWidget = raw(widgets + "/w1?asOf=" + small);
    assertEquals(1, pastWidget.at("/spec/size").asInt(), pastWidget.toString());
    assertEquals("Widget", pastWidget.get("kind").asText());
    assertEquals("history.capstan.io/v1", pastWidget.get("apiVersion").asText());
    assertEquals(List.of("w1"), names(raw(widgets + "?asOf=" + small)));
    JsonNode widgetHistory = raw(widgets + "/w1?history=true");
    assertEquals("[\"metadata.generation\",\"spec.size\"]", widgetHistory.at("/items/1/changedPaths").toString(),
        widgetHistory.toString());

    // Retention removes the log up to now: what was before is gone (410), the live state stays readable
    trimEventLog();
    Result expired = failing("get", "--raw", CMS + "/tt?asOf=" + created);
    assertTrue(expired.err().contains("before the retained start of the event log"), expired.both());
    Result expiredList = failing("get", "--raw", CMS + "?asOfResourceVersion=" + firstRv);
    assertTrue(expiredList.err().contains("before the retained start"), expiredList.both());
    assertEquals("again", raw(CMS + "/tt?asOf=" + Instant.now().plusSeconds(60)).at("/data/mode").asText());

    // Without historical reads for a while the history is let go (its thread, index and spill file)
    assertTrue(backend.store().holdsHistory());
    backend.store().keepHistoryFor(java.time.Duration.ofMillis(200));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while ((backend.store().holdsHistory() || historyThreadAlive()) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(!backend.store().holdsHistory(), "let go after 200 ms without historical reads");
    assertTrue(!historyThreadAlive(), "its thread has ended");
    // its index was saved: the next historical read loads it and reads on from its snapshot, and
    // the log still starts where retention left it
    assertTrue(java.nio.file.Files.size(dataDir.resolve("history").resolve("index")) > 1_000, "the index saved");
    try (var files = java.nio.file.Files.list(dataDir.resolve("history"))) {
      Path objects = files.filter(f -> f.getFileName().toString().startsWith("objects-")).findFirst().orElseThrow();
      assertTrue(java.nio.file.Files.size(objects) > 1_000, "its objects saved");
    }
    assertTrue(failing("get", "--raw", CMS + "/tt?asOf=" + created).err().contains("before the retained start"),
        "loaded again, the log still starts where retention left it");
    assertEquals("again", raw(CMS + "/tt?asOf=" + Instant.now().plusSeconds(60)).at("/data/mode").asText());
    // the log holds none of tt's versions any more: only the loaded index can answer this
    assertEquals("again", raw(CMS + "/tt?asOfResourceVersion=999999999999999999").at("/data/mode").asText(),
        "its newest version, from the loaded index");
  }

  private static boolean historyThreadAlive() {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().startsWith("capstan-gateway-history") && t.isAlive());
  }

  /** Deletes every event written so far, as retention would. */
  private static void trimEventLog() throws Exception {
    String events = backend.layout().events();
    try (Admin admin = Admin.create(KafkaFixture.clientConfig())) {
      TopicDescription d = admin.describeTopics(List.of(events)).allTopicNames().get(30, TimeUnit.SECONDS).get(events);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      d.partitions().forEach(p -> latest.put(new TopicPartition(events, p.partition()), OffsetSpec.latest()));
      Map<TopicPartition, RecordsToDelete> delete = new HashMap<>();
      admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS)
          .forEach((tp, o) -> delete.put(tp, RecordsToDelete.beforeOffset(o.offset())));
      admin.deleteRecords(delete).all().get(30, TimeUnit.SECONDS);
    }
  }

  /** A GET with the admin's token from the kubeconfig, trusting the CA it embeds. */
  private static HttpResponse<String> https(String path, String accept) throws Exception {
    KubeconfigCredentials admin = KubeconfigCredentials.read(gateway.kubeconfig());
    HttpResponse<String> r = HttpClient.newBuilder().sslContext(admin.tls()).build().send(HttpRequest.newBuilder(
        URI.create(gateway.url() + path)).header("Accept", accept).header("Authorization", "Bearer " + admin.token())
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r;
  }
}
