package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.logschema.json.KubeJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
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
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final String CM = "/api/v1/namespaces/default/configmaps";

  @BeforeAll
  static void start() throws Exception {
    server = GatewayTestServer.start(new GatewayConfig("127.0.0.1", 0, dataDir, true, 2048, null, List.of()));
    gateway = server.gateway();
    assertEquals(201, send("POST", CM, "application/json",
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"existing\"},\"data\":{\"a\":\"1\"}}")
        .statusCode());
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
    expect(503, "ServiceUnavailable", send("GET", "/api/v1/namespaces/default/pods/p/log", null, null));

    JsonNode list = KubeJson.parse(send("GET", CM, null, null).body());
    List<String> names = list.get("items").findValuesAsText("name");
    assertTrue(List.of("existing", "p1", "p2", "p3").containsAll(names), "nothing stored by the bad requests: " + names);
    JsonNode existing = KubeJson.parse(send("GET", CM + "/existing", null, null).body());
    assertEquals("1", existing.at("/data/a").asText(), existing.toString());
    assertEquals("1", existing.at("/metadata/resourceVersion").asText(), "unchanged: " + existing);
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
  void discoveryDocuments() throws Exception {
    JsonNode apis = KubeJson.parse(send("GET", "/apis", null, null).body());
    assertEquals(List.of("apps", "batch", "coordination.k8s.io"), apis.get("groups").findValuesAsText("name"));
    JsonNode core = KubeJson.parse(send("GET", "/api/v1", null, null).body());
    assertTrue(core.get("resources").findValuesAsText("name").containsAll(
        List.of("pods", "pods/status", "pods/binding", "pods/log", "configmaps", "namespaces")), core.toString());
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
}
