package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.logschema.json.KubeJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import java.util.Map;
import java.util.ArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed and conflicting requests, each with its Status code and reason, and no stored change. */
class BadInputTest {
  @TempDir
  static Path dataDir;
  static GatewayTestServer server;
  static GatewayServer gateway;
  static String existingRv;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final String CM = "/api/v1/namespaces/default/configmaps";

  @BeforeAll
  static void start() throws Exception {
    server = GatewayTestServer.start(new GatewayConfig("127.0.0.1", 0, dataDir, true, 2048, null, List.of()));
    gateway = server.gateway();
    HttpResponse<String> existing = send("POST", CM, "application/json",
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"existing\"},\"data\":{\"a\":\"1\"}}");
    assertEquals(201, existing.statusCode(), existing.body());
    existingRv = KubeJson.parse(existing.body()).at("/metadata/resourceVersion").asText();
    assertEquals(201, send("POST", PODS, "application/json", pod("logged")).statusCode());
    assertEquals(201, send("POST", PODS, "application/json", pod("bound")).statusCode());
    assertEquals(201, send("POST", PODS + "/bound/binding", "application/json",
        "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"bound\"},"
            + "\"target\":{\"kind\":\"Node\",\"name\":\"node-1\"}}").statusCode());
    assertEquals(201, send("POST", DEPLOYS, "application/json", deployment("web")).statusCode());
  }

  static final String PODS = "/api/v1/namespaces/default/pods";
  static final String DEPLOYS = "/apis/apps/v1/namespaces/default/deployments";

  static String pod(String name) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\"},"
        + "\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":\"busybox:1.36\"}]}}";
  }

  static String deployment(String name) {
    return ("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'%s'},'spec':{'replicas':1,"
        + "'selector':{'matchLabels':{'app':'%s'}},'template':{'metadata':{'labels':{'app':'%s'}},"
        + "'spec':{'containers':[{'name':'app','image':'nginx:1.27'}]}}}}").formatted(name, name, name)
        .replace('\'', '"');
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static HttpResponse<String> send(String method, String path, String contentType, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.url() + path));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode expect(int code, String reason, HttpResponse<String> r) {
    assertEquals(code, r.statusCode(), r.body());
    JsonNode status = KubeJson.parse(r.body());
    assertEquals("Status", status.path("kind").asText(), r.body());
    assertEquals(reason, status.path("reason").asText(), r.body());
    assertEquals(code, status.path("code").asInt(), r.body());
    return status;
  }

  static String cm(String name, String extra) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name + "\"" + extra + "}}";
  }

  @Test
  void badRequestsEachGetTheirStatusAndStoreNothing() throws Exception {
    expect(413, "RequestEntityTooLarge", send("POST", CM, "application/json", cm("big", "") + " ".repeat(4096)));
    expect(415, "UnsupportedMediaType", send("POST", CM, "text/plain", cm("txt", "")));
    expect(400, "BadRequest", send("POST", CM, "application/json", "{\"apiVersion\": "));
    JsonNode wrongKind = expect(400, "BadRequest", send("POST", CM, "application/json",
        "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"}}"));
    assertTrue(wrongKind.get("message").asText().contains("kind"), wrongKind.toString());
    JsonNode ns = expect(400, "BadRequest", send("POST", CM, "application/json", cm("n", ",\"namespace\":\"other\"")));
    assertTrue(ns.get("message").asText().contains("does not match the namespace"), ns.toString());
    JsonNode invalid = expect(422, "Invalid", send("POST", CM, "application/json", cm("Bad_Name", "")));
    assertEquals("metadata.name", invalid.at("/details/causes/0/field").asText(), invalid.toString());
    expect(400, "BadRequest", send("POST", CM + "?fieldValidation=Strict", "application/json",
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"s\"},\"bogus\":1}"));
    expect(400, "BadRequest", send("GET", CM + "?labelSelector=app%20in%20web", null, null));
    expect(400, "BadRequest", send("GET", CM + "?fieldSelector=spec.nodeName%3Da", null, null));
    expect(400, "BadRequest", send("GET", CM + "?continue=garbage", null, null));
    expect(404, "NotFound", send("GET", CM + "/missing", null, null));
    expect(404, "NotFound", send("GET", "/api/v1/namespaces/default/widgets", null, null));
    expect(409, "AlreadyExists", send("POST", CM, "application/json", cm("existing", "")));
    expect(409, "Conflict", send("PUT", CM + "/existing", "application/json", cm("existing", ",\"resourceVersion\":\"999\"")));
    expect(400, "BadRequest", send("PUT", CM + "/existing", "application/json", cm("other", "")));
    expect(405, "MethodNotAllowed", send("POST", CM + "/existing", "application/json", cm("existing", "")));
    expect(415, "UnsupportedMediaType", send("PATCH", CM + "/existing", "application/json", "{}"));
    expect(422, "Invalid", send("PATCH", CM + "/existing", "application/json-patch+json",
        "[{\"op\":\"test\",\"path\":\"/data/a\",\"value\":\"2\"}]"));
    expect(400, "BadRequest", send("PATCH", CM + "/existing", "application/json-patch+json", "{\"op\":\"add\"}"));
    expect(404, "NotFound", send("GET", "/api/v1/namespaces/default/pods/p/log", null, null));

    JsonNode list = KubeJson.parse(send("GET", CM, null, null).body());
    List<String> names = list.get("items").findValuesAsText("name");
    assertTrue(List.of("existing", "p1", "p2", "p3").containsAll(names), "nothing stored by the bad requests: " + names);
    JsonNode existing = KubeJson.parse(send("GET", CM + "/existing", null, null).body());
    assertEquals("1", existing.at("/data/a").asText(), existing.toString());
    assertEquals(existingRv, existing.at("/metadata/resourceVersion").asText(), "unchanged: " + existing);
  }

  @Test
  void patchesApplyAndPaginationWorks() throws Exception {
    for (String n : List.of("p1", "p2", "p3")) {
      assertEquals(201, send("POST", CM, "application/json", cm(n, ",\"labels\":{\"set\":\"p\"}")).statusCode());
    }
    HttpResponse<String> patched = send("PATCH", CM + "/p1", "application/strategic-merge-patch+json",
        "{\"metadata\":{\"labels\":{\"extra\":\"yes\"}},\"data\":{\"k\":\"v\"}}");
    assertEquals(200, patched.statusCode(), patched.body());
    JsonNode p1 = KubeJson.parse(patched.body());
    assertEquals("p", p1.at("/metadata/labels/set").asText());
    assertEquals("yes", p1.at("/metadata/labels/extra").asText());
    assertEquals("v", p1.at("/data/k").asText());
    HttpResponse<String> merged = send("PATCH", CM + "/p1", "application/merge-patch+json",
        "{\"metadata\":{\"labels\":{\"extra\":null}}}");
    assertTrue(KubeJson.parse(merged.body()).at("/metadata/labels/extra").isMissingNode(), merged.body());

    JsonNode page1 = KubeJson.parse(send("GET", CM + "?labelSelector=set%3Dp&limit=2", null, null).body());
    assertEquals(2, page1.get("items").size(), page1.toString());
    assertEquals(1, page1.at("/metadata/remainingItemCount").asInt());
    String token = page1.at("/metadata/continue").asText();
    JsonNode page2 = KubeJson.parse(send("GET", CM + "?labelSelector=set%3Dp&limit=2&continue=" + token, null, null)
        .body());
    assertEquals(List.of("p3"), page2.get("items").findValuesAsText("name"), page2.toString());

    HttpResponse<String> table = HTTP.send(HttpRequest.newBuilder(URI.create(gateway.url() + CM + "/p2"))
        .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json").build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals("Table", KubeJson.parse(table.body()).get("kind").asText(), table.body());

    HttpResponse<String> deleted = send("DELETE", CM + "/p3", null, null);
    assertEquals(200, deleted.statusCode(), deleted.body());
    expect(404, "NotFound", send("GET", CM + "/p3", null, null));
  }

  @Test
  void resourceMetricsAreRefusedAndMissingInMetricsServersWords() throws Exception {
    String metrics = "/apis/metrics.k8s.io/v1beta1";
    JsonNode missing = expect(404, "NotFound", send("GET", metrics + "/namespaces/default/pods/nope", null, null));
    assertEquals("podmetrics.metrics.k8s.io \"default/nope\" not found", missing.get("message").asText());
    // bound to a node that has no agent: no readings, so NotFound by name and left out of lists
    expect(404, "NotFound", send("GET", metrics + "/namespaces/default/pods/bound", null, null));
    JsonNode list = KubeJson.parse(send("GET", metrics + "/namespaces/default/pods", null, null).body());
    assertEquals("PodMetricsList", list.get("kind").asText(), list.toString());
    assertEquals(0, list.get("items").size(), list.toString());
    JsonNode node = expect(404, "NotFound", send("GET", metrics + "/nodes/nope", null, null));
    assertEquals("nodemetrics.metrics.k8s.io \"nope\" not found", node.get("message").asText());
    expect(405, "MethodNotAllowed", send("GET", metrics + "/pods?watch=true", null, null));
    expect(400, "BadRequest", send("GET", metrics + "/pods?labelSelector=app%20in", null, null));
    expect(404, "NotFound", send("GET", metrics + "/services", null, null));
  }

  @Test
  void discoveryDocuments() throws Exception {
    JsonNode apis = KubeJson.parse(send("GET", "/apis", null, null).body());
    assertEquals(List.of("apps", "batch", "coordination.k8s.io", "apiextensions.k8s.io", "discovery.k8s.io",
        "rbac.authorization.k8s.io", "policy", "scheduling.k8s.io", "storage.k8s.io", "autoscaling", "authentication.k8s.io",
        "authorization.k8s.io", "metrics.k8s.io", "console.capstan.io"), apis.get("groups").findValuesAsText("name"));
    JsonNode console = KubeJson.parse(send("GET", "/apis/console.capstan.io/v1", null, null).body());
    assertEquals("console.capstan.io/v1", console.get("groupVersion").asText(), console.toString());
    assertEquals(List.of("timeline"), console.get("resources").findValuesAsText("name"), console.toString());
    assertEquals("[\"get\"]", console.at("/resources/0/verbs").toString(), "get only: nothing lists it");
    JsonNode consoleGroup = KubeJson.parse(send("GET", "/apis/console.capstan.io", null, null).body());
    assertEquals("console.capstan.io/v1", consoleGroup.at("/preferredVersion/groupVersion").asText());
    expect(404, "NotFound", send("GET", "/apis/console.capstan.io/v2", null, null));
    JsonNode metrics = KubeJson.parse(send("GET", "/apis/metrics.k8s.io/v1beta1", null, null).body());
    assertEquals(List.of("nodes", "pods"), metrics.get("resources").findValuesAsText("name"), metrics.toString());
    assertEquals(List.of("NodeMetrics", "PodMetrics"), metrics.get("resources").findValuesAsText("kind"));
    JsonNode reviews = KubeJson.parse(send("GET", "/apis/authorization.k8s.io/v1", null, null).body());
    assertEquals(List.of("localsubjectaccessreviews", "selfsubjectaccessreviews", "selfsubjectrulesreviews",
        "subjectaccessreviews"), reviews.get("resources").findValuesAsText("name"), reviews.toString());
    JsonNode core = KubeJson.parse(send("GET", "/api/v1", null, null).body());
    assertTrue(core.get("resources").findValuesAsText("name").containsAll(
        List.of("pods", "pods/status", "pods/binding", "pods/log", "pods/eviction", "configmaps", "namespaces")),
        core.toString());
    JsonNode apps = KubeJson.parse(send("GET", "/apis/apps/v1", null, null).body());
    assertTrue(apps.get("resources").findValuesAsText("name").contains("deployments/scale"), apps.toString());
    HttpResponse<String> index = send("GET", "/openapi/v3", null, null);
    String url = KubeJson.parse(index.body()).at("/paths/api~1v1/serverRelativeURL").asText();
    HttpResponse<String> doc = send("GET", url, null, null);
    assertEquals(200, doc.statusCode());
    assertEquals("public, immutable", doc.headers().firstValue("Cache-Control").orElse(""));
    HttpResponse<String> stale = send("GET", "/openapi/v3/api/v1?hash=OLD", null, null);
    assertEquals(301, stale.statusCode());
  }

  @Test
  void resourcePaths() {
    assertEquals(new ResourcePath("", "v1", "default", "pods", "p", "log"),
        ResourcePath.parse("/api/v1/namespaces/default/pods/p/log"));
    assertEquals(new ResourcePath("", "v1", null, "namespaces", "kube-system", "status"),
        ResourcePath.parse("/api/v1/namespaces/kube-system/status"));
    assertEquals(new ResourcePath("", "v1", null, "namespaces", "default", null),
        ResourcePath.parse("/api/v1/namespaces/default"));
    assertEquals(new ResourcePath("apps", "v1", null, "deployments", null, null),
        ResourcePath.parse("/apis/apps/v1/deployments"));
    assertEquals(null, ResourcePath.parse("/healthz"));
  }

  /**
   * One malformed or refused request: what it is, the request, the Status it must get and a
   * fragment its message must contain ({@code field:x} instead: a {@code details.causes[].field}).
   */
  record Case(String what, String method, String path, String contentType, String body, int code, String reason,
      String mentions) {}

  static final String BIG = " ".repeat(4096);
  static final String JSON = "application/json";
  static final String YAML = "application/yaml";
  static final String MERGE = "application/merge-patch+json";
  static final String EXISTING = CM + "/existing";

  static List<Case> cases() {
    String binding = "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"%s\"%s},\"target\":%s}";
    return List.of(
        // body over the limit (GatewayConfig.maxBodyBytes = 2048 here)
        new Case("create over the size limit", "POST", CM, JSON, cm("big", "") + BIG, 413, "RequestEntityTooLarge", "2048"),
        new Case("update over the size limit", "PUT", EXISTING, JSON, cm("existing", "") + BIG, 413,
            "RequestEntityTooLarge", "2048"),
        new Case("patch over the size limit", "PATCH", EXISTING, MERGE, "{}" + BIG, 413, "RequestEntityTooLarge", "2048"),
        // malformed JSON and YAML
        new Case("truncated JSON", "POST", CM, JSON, "{\"apiVersion\": ", 400, "BadRequest", ""),
        new Case("malformed YAML", "POST", CM, YAML, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [x\n", 400,
            "BadRequest", ""),
        new Case("YAML with bad indentation", "POST", CM, YAML,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n    labels: z\n", 400, "BadRequest", ""),
        new Case("two YAML documents", "POST", CM, YAML,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\n"
                + "metadata:\n  name: b\n", 400, "BadRequest", "exactly one document"),
        new Case("a JSON array", "POST", CM, JSON, "[]", 400, "BadRequest", "must be a JSON object"),
        new Case("an empty body", "POST", CM, JSON, "", 400, "BadRequest", "empty"),
        new Case("a field of the wrong type", "POST", CM, JSON,
            "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"t\"},\"data\":5}", 400, "BadRequest",
            "data"),
        new Case("truncated merge patch", "PATCH", EXISTING, MERGE, "{\"data\":", 400, "BadRequest", ""),
        new Case("merge patch that is not an object", "PATCH", EXISTING, MERGE, "[1]", 400, "BadRequest", ""),
        new Case("malformed DeleteOptions", "DELETE", EXISTING, JSON, "{bad", 400, "BadRequest", ""),
        // wrong kind or version for the path
        new Case("a Secret posted to configmaps", "POST", CM, JSON,
            "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"}}", 400, "BadRequest", "kind"),
        new Case("a ConfigMap with the wrong apiVersion", "POST", CM, JSON,
            "{\"apiVersion\":\"apps/v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"s\"}}", 400, "BadRequest",
            "apiVersion"),
        new Case("a Pod put on a configmap", "PUT", EXISTING, JSON, pod("existing"), 400, "BadRequest", "kind"),
        new Case("a Deployment put on a scale", "PUT", DEPLOYS + "/web/scale", JSON, deployment("web"), 400,
            "BadRequest", "Scale"),
        new Case("a ConfigMap posted as a binding", "POST", PODS + "/logged/binding", JSON, cm("logged", ""), 400,
            "BadRequest", "Binding"),
        // namespace and name mismatches
        new Case("create in another namespace", "POST", CM, JSON, cm("n", ",\"namespace\":\"other\""), 400,
            "BadRequest", "does not match the namespace"),
        new Case("update into another namespace", "PUT", EXISTING, JSON, cm("existing", ",\"namespace\":\"other\""),
            400, "BadRequest", "does not match the namespace"),
        new Case("patch moving the namespace", "PATCH", EXISTING, MERGE, "{\"metadata\":{\"namespace\":\"other\"}}",
            400, "BadRequest", "does not match the namespace"),
        new Case("binding in another namespace", "POST", PODS + "/logged/binding", JSON,
            binding.formatted("logged", ",\"namespace\":\"other\"", "{\"name\":\"n1\"}"), 400, "BadRequest",
            "does not match the namespace"),
        new Case("update renaming", "PUT", EXISTING, JSON, cm("renamed", ""), 400, "BadRequest", "does not match the name"),
        new Case("patch renaming", "PATCH", EXISTING, MERGE, "{\"metadata\":{\"name\":\"renamed\"}}", 400, "BadRequest",
            "not allowed"),
        new Case("binding for another pod", "POST", PODS + "/logged/binding", JSON,
            binding.formatted("bound", "", "{\"name\":\"n1\"}"), 400, "BadRequest", "does not match"),
        // media types
        new Case("text/plain body", "POST", CM, "text/plain", cm("txt", ""), 415, "UnsupportedMediaType", "text/plain"),
        new Case("protobuf body without the k8s\\0 magic", "POST", CM, "application/vnd.kubernetes.protobuf", "\u0000",
            400, "BadRequest", "magic"),
        new Case("patch without Content-Type", "PATCH", EXISTING, null, "{\"data\":{\"a\":\"2\"}}", 415,
            "UnsupportedMediaType", "application/merge-patch+json"),
        new Case("patch as plain JSON", "PATCH", EXISTING, JSON, "{}", 415, "UnsupportedMediaType",
            "application/merge-patch+json"),
        new Case("server-side apply without fieldManager", "PATCH", EXISTING, "application/apply-patch+yaml",
            "data: {a: '2'}", 400, "BadRequest", "must have a fieldManager"),
        new Case("server-side apply without apiVersion and kind", "PATCH", EXISTING + "?fieldManager=t",
            "application/apply-patch+yaml", "data: {a: '2'}", 400, "BadRequest", "must set apiVersion and kind"),
        new Case("server-side apply of another kind", "PATCH", EXISTING + "?fieldManager=t",
            "application/apply-patch+yaml", "apiVersion: v1\nkind: Secret\n", 400, "BadRequest", "v1 Secret"),
        new Case("server-side apply of a list", "PATCH", EXISTING + "?fieldManager=t",
            "application/apply-patch+yaml", "[1, 2]", 400, "BadRequest", "must be an object"),
        // verbs a resource does not support
        new Case("POST on an object", "POST", EXISTING, JSON, cm("existing", ""), 405, "MethodNotAllowed", "POST"),
        new Case("PUT on a collection", "PUT", CM, JSON, cm("x", ""), 405, "MethodNotAllowed", "PUT"),
        new Case("PATCH on a collection", "PATCH", CM, MERGE, "{}", 405, "MethodNotAllowed", "PATCH"),
        new Case("DELETE on pods/log", "DELETE", PODS + "/logged/log", null, null, 405, "MethodNotAllowed", "pods/log"),
        new Case("GET on pods/binding", "GET", PODS + "/logged/binding", null, null, 405, "MethodNotAllowed",
            "pods/binding"),
        new Case("DELETE on a scale", "DELETE", DEPLOYS + "/web/scale", null, null, 405, "MethodNotAllowed", "scale"),
        new Case("POST on a status", "POST", DEPLOYS + "/web/status", JSON, deployment("web"), 405, "MethodNotAllowed",
            "status"),
        new Case("POST on discovery", "POST", "/api/v1", JSON, "{}", 405, "MethodNotAllowed", "POST"),
        // unknown resources and objects
        new Case("unknown resource", "GET", "/api/v1/namespaces/default/widgets", null, null, 404, "NotFound", ""),
        new Case("unknown group", "GET", "/apis/nope.example.com/v1/things", null, null, 404, "NotFound", ""),
        new Case("unknown version", "GET", "/api/v2/pods", null, null, 404, "NotFound", ""),
        new Case("configmaps have no scale", "GET", EXISTING + "/scale", null, null, 404, "NotFound", ""),
        new Case("configmaps have no status", "PUT", EXISTING + "/status", JSON, cm("existing", ""), 404, "NotFound", ""),
        new Case("unknown subresource", "GET", PODS + "/logged/frobnicate", null, null, 404, "NotFound", ""),
        new Case("update of a missing object", "PUT", CM + "/missing", JSON, cm("missing", ""), 404, "NotFound",
            "configmaps \"missing\" not found"),
        new Case("patch of a missing object", "PATCH", CM + "/missing", MERGE, "{}", 404, "NotFound", "missing"),
        new Case("delete of a missing object", "DELETE", CM + "/missing", null, null, 404, "NotFound", "missing"),
        new Case("log of a missing pod", "GET", PODS + "/missing/log", null, null, 404, "NotFound", "missing"),
        new Case("binding of a missing pod", "POST", PODS + "/missing/binding", JSON,
            binding.formatted("missing", "", "{\"name\":\"n1\"}"), 404, "NotFound", "missing"),
        new Case("scale of a missing deployment", "GET", DEPLOYS + "/missing/scale", null, null, 404, "NotFound",
            "missing"),
        new Case("create in a missing namespace", "POST", "/api/v1/namespaces/ghost/configmaps", JSON, cm("g", ""), 404,
            "NotFound", "namespaces \"ghost\" not found"),
        // conflicts
        new Case("create of an existing name", "POST", CM, JSON, cm("existing", ""), 409, "AlreadyExists", "existing"),
        new Case("update at a stale resourceVersion", "PUT", EXISTING, JSON, cm("existing", ",\"resourceVersion\":\"2\""),
            409, "Conflict", "has been modified"),
        new Case("scale at a stale resourceVersion", "PUT", DEPLOYS + "/web/scale", JSON,
            "{\"kind\":\"Scale\",\"apiVersion\":\"autoscaling/v1\",\"metadata\":{\"name\":\"web\",\"resourceVersion\":\"2\"},"
                + "\"spec\":{\"replicas\":3}}", 409, "Conflict", "has been modified"),
        new Case("binding of a bound pod", "POST", PODS + "/bound/binding", JSON,
            binding.formatted("bound", "", "{\"name\":\"node-2\"}"), 409, "Conflict", "already assigned"),
        new Case("delete with a stale uid precondition", "DELETE", EXISTING, JSON,
            "{\"preconditions\":{\"uid\":\"not-the-uid\"}}", 409, "Conflict", "UID"),
        // invalid objects: 422 with the field at fault
        new Case("an invalid name", "POST", CM, JSON, cm("Bad_Name", ""), 422, "Invalid", "field:metadata.name"),
        new Case("a pod without containers", "POST", PODS, JSON,
            "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"empty\"},\"spec\":{\"containers\":[]}}", 422,
            "Invalid", "field:spec.containers"),
        new Case("a deployment whose selector misses its template", "POST", DEPLOYS, JSON,
            deployment("skew").replace("\"labels\":{\"app\":\"skew\"}", "\"labels\":{\"app\":\"other\"}"), 422, "Invalid",
            "field:spec.template.metadata.labels"),
        new Case("negative replicas through scale", "PUT", DEPLOYS + "/web/scale", JSON,
            "{\"kind\":\"Scale\",\"apiVersion\":\"autoscaling/v1\",\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":-1}}",
            422, "Invalid", "field:spec.replicas"),
        new Case("negative replicas through a scale patch", "PATCH", DEPLOYS + "/web/scale", MERGE,
            "{\"spec\":{\"replicas\":-3}}", 422, "Invalid", "field:spec.replicas"),
        new Case("a binding without a node", "POST", PODS + "/logged/binding", JSON,
            binding.formatted("logged", "", "{}"), 422, "Invalid", "field:target.name"),
        new Case("a binding to something not a node", "POST", PODS + "/logged/binding", JSON,
            binding.formatted("logged", "", "{\"kind\":\"Pod\",\"name\":\"x\"}"), 422, "Invalid", "field:target.kind"),
        new Case("a failing JSON patch test", "PATCH", EXISTING, "application/json-patch+json",
            "[{\"op\":\"test\",\"path\":\"/data/a\",\"value\":\"2\"}]", 422, "Invalid", ""),
        // bad query parameters
        new Case("a malformed label selector", "GET", CM + "?labelSelector=app%20in%20web", null, null, 400, "BadRequest",
            ""),
        new Case("a negative limit", "GET", CM + "?limit=-1", null, null, 400, "BadRequest", "limit"),
        new Case("an unknown dryRun", "POST", CM + "?dryRun=Some", JSON, cm("d", ""), 400, "BadRequest", "dryRun"),
        new Case("an unknown fieldValidation", "POST", CM + "?fieldValidation=Loose", JSON, cm("d", ""), 400,
            "BadRequest", "fieldValidation"),
        new Case("an unknown propagationPolicy", "DELETE", EXISTING + "?propagationPolicy=Sideways", null, null, 400,
            "BadRequest", "propagationPolicy"),
        new Case("a non-numeric grace period", "DELETE", EXISTING + "?gracePeriodSeconds=soon", null, null, 400,
            "BadRequest", "gracePeriodSeconds"),
        new Case("an unknown resourceVersionMatch", "GET", CM + "?resourceVersionMatch=Newest", null, null, 400,
            "BadRequest", "resourceVersionMatch"),
        // found by HostileInputTest
        new Case("a non-numeric timeoutSeconds", "GET", CM + "?timeoutSeconds=x", null, null, 400, "BadRequest",
            "timeoutSeconds"),
        new Case("a watch from a non-numeric resourceVersion", "GET", CM + "?watch=1&resourceVersion=abc", null, null,
            400, "BadRequest", "resourceVersion"),
        new Case("a watch with a non-numeric limit", "GET", CM + "?watch=1&limit=x", null, null, 400, "BadRequest",
            "limit"),
        new Case("a watch with resourceVersionMatch", "GET", CM + "?watch=1&resourceVersionMatch=NotOlderThan", null,
            null, 400, "BadRequest", "resourceVersionMatch"),
        new Case("preconditions that are not an object", "DELETE", EXISTING, JSON, "{\"preconditions\":5}", 400,
            "BadRequest", "preconditions"),
        new Case("a grace period that is not an integer", "DELETE", EXISTING, JSON, "{\"gracePeriodSeconds\":\"soon\"}",
            400, "BadRequest", "gracePeriodSeconds"),
        new Case("a form body", "POST", CM, "application/x-www-form-urlencoded", "a=%zz", 415, "UnsupportedMediaType",
            "x-www-form-urlencoded"),
        new Case("trailing data after the object", "POST", CM, JSON, cm("trail", "") + "}", 400, "BadRequest",
            "cannot parse"));
  }

  /** Every object of the kinds the cases touch, by key, with its resourceVersion. */
  static Map<String, String> snapshot() throws Exception {
    Map<String, String> all = new TreeMap<>();
    for (String list : List.of("/api/v1/namespaces", "/api/v1/configmaps", "/api/v1/pods", "/apis/apps/v1/deployments",
        "/apis/apps/v1/replicasets")) {
      HttpResponse<String> r = send("GET", list, null, null);
      assertEquals(200, r.statusCode(), r.body());
      for (JsonNode item : KubeJson.parse(r.body()).get("items")) {
        all.put(list + " " + item.at("/metadata/namespace").asText() + "/" + item.at("/metadata/name").asText(),
            item.at("/metadata/resourceVersion").asText());
      }
    }
    return all;
  }

  @Test
  void eachMalformedRequestGetsItsStatusAndStoresNothing() throws Exception {
    List<String> failures = new ArrayList<>();
    for (Case c : cases()) {
      Map<String, String> before = snapshot();
      HttpResponse<String> r = send(c.method(), c.path(), c.contentType(), c.body());
      String got = c.method() + " " + c.path() + " -> " + r.statusCode() + " " + r.body();
      try {
        JsonNode status = expect(c.code(), c.reason(), r);
        if (c.mentions().startsWith("field:")) {
          List<String> fields = status.at("/details/causes").findValuesAsText("field");
          assertTrue(fields.contains(c.mentions().substring(6)), "causes name " + c.mentions() + ": " + fields);
        } else {
          assertTrue(status.path("message").asText().contains(c.mentions()), "message mentions " + c.mentions());
        }
        assertEquals(before, snapshot(), "nothing stored");
      } catch (AssertionError e) {
        failures.add(c.what() + ": " + e.getMessage() + "\n    " + got);
      }
    }
    assertTrue(failures.isEmpty(), failures.size() + " of " + cases().size() + " cases failed:\n"
        + String.join("\n", failures));
  }

  /**
   * A create or update without Content-Type is read as JSON (kube-apiserver's input negotiation
   * takes its first media type); a patch without one is a 415 naming the patch formats.
   */
  @Test
  void aBodyWithoutContentTypeIsJsonButAPatchNeedsOne() throws Exception {
    String secrets = "/api/v1/namespaces/default/secrets";
    String secret = "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"untyped\"%s},"
        + "\"data\":{\"k\":\"%s\"}}";
    HttpResponse<String> created = send("POST", secrets, null, secret.formatted("", "MQ=="));
    assertEquals(201, created.statusCode(), created.body());
    String rv = KubeJson.parse(created.body()).at("/metadata/resourceVersion").asText();
    HttpResponse<String> updated = send("PUT", secrets + "/untyped", "",
        secret.formatted(",\"resourceVersion\":\"" + rv + "\"", "Mg=="));
    assertEquals(200, updated.statusCode(), updated.body());
    expect(400, "BadRequest", send("POST", secrets, null, "{\"apiVersion\": "));
    JsonNode patch = expect(415, "UnsupportedMediaType", send("PATCH", secrets + "/untyped", null,
        "{\"data\":{\"k\":\"Mw==\"}}"));
    assertTrue(patch.get("message").asText().contains("application/strategic-merge-patch+json"), patch.toString());
    JsonNode stored = KubeJson.parse(send("GET", secrets + "/untyped", null, null).body());
    assertEquals("Mg==", stored.at("/data/k").asText(), "the update stored, the patch not: " + stored);
  }

  @Test
  void dryRunCreateAnswersButStoresNothing() throws Exception {
    Map<String, String> before = snapshot();
    HttpResponse<String> r = send("POST", CM + "?dryRun=All", JSON, cm("dry", ""));
    assertEquals(201, r.statusCode(), r.body());
    assertEquals("dry", KubeJson.parse(r.body()).at("/metadata/name").asText());
    assertEquals(before, snapshot());
    expect(404, "NotFound", send("GET", CM + "/dry", null, null));
  }

  @Test
  void bindingAndScaleSubresources() throws Exception {
    assertEquals(201, send("POST", PODS, JSON, pod("to-bind")).statusCode());
    HttpResponse<String> bound = send("POST", PODS + "/to-bind/binding", JSON,
        "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"to-bind\"},"
            + "\"target\":{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":\"node-7\"}}");
    assertEquals(201, bound.statusCode(), bound.body());
    assertEquals("Success", KubeJson.parse(bound.body()).path("status").asText(), bound.body());
    JsonNode pod = KubeJson.parse(send("GET", PODS + "/to-bind", null, null).body());
    assertEquals("node-7", pod.at("/spec/nodeName").asText(), pod.toString());
    JsonNode conditions = pod.at("/status/conditions");
    assertEquals("PodScheduled", conditions.get(0).path("type").asText(), pod.toString());
    assertEquals("True", conditions.get(0).path("status").asText());

    assertEquals(201, send("POST", DEPLOYS, JSON, deployment("scalable")).statusCode());
    JsonNode scale = KubeJson.parse(send("GET", DEPLOYS + "/scalable/scale", null, null).body());
    assertEquals("Scale", scale.path("kind").asText(), scale.toString());
    assertEquals(1, scale.at("/spec/replicas").asInt());
    assertEquals("app=scalable", scale.at("/status/selector").asText());
    String rv = scale.at("/metadata/resourceVersion").asText();
    ((com.fasterxml.jackson.databind.node.ObjectNode) scale.get("spec")).put("replicas", 4);
    HttpResponse<String> put = send("PUT", DEPLOYS + "/scalable/scale", JSON, scale.toString());
    assertEquals(200, put.statusCode(), put.body());
    assertEquals(4, KubeJson.parse(put.body()).at("/spec/replicas").asInt());
    assertNotEquals(rv, KubeJson.parse(put.body()).at("/metadata/resourceVersion").asText());
    HttpResponse<String> patched = send("PATCH", DEPLOYS + "/scalable/scale", "application/strategic-merge-patch+json",
        "{\"spec\":{\"replicas\":6}}");
    assertEquals(200, patched.statusCode(), patched.body());
    JsonNode deploy = KubeJson.parse(send("GET", DEPLOYS + "/scalable", null, null).body());
    assertEquals(6, deploy.at("/spec/replicas").asInt(), deploy.toString());
    assertEquals(3, deploy.at("/metadata/generation").asInt(), "each scale changed the spec: " + deploy);

    HttpResponse<String> json = send("PATCH", "/apis/apps/v1/namespaces/default/replicasets/none/scale",
        "application/json-patch+json", "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":2}]");
    expect(404, "NotFound", json);
  }
}
