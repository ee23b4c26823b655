package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.json.KubeJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The eviction subresource on the real backbone: 404 for a missing pod, 429 in kube's words when a
 * budget allows no disruption (or has not been processed yet), the pod deleted otherwise, and
 * concurrent evictions against one budget never taking more than it allows. No disruption
 * controller runs here: each budget's status is set by the test through its status subresource.
 */
class PodEvictionTest {
  @TempDir
  static Path dataDir;
  static GatewayTestServer server;
  static GatewayServer gateway;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final String NS = "/api/v1/namespaces/default";
  static final String PDBS = "/apis/policy/v1/namespaces/default/poddisruptionbudgets";

  @BeforeAll
  static void start() throws Exception {
    server = GatewayTestServer.start(new GatewayConfig("127.0.0.1", 0, dataDir, true, 1 << 20, null, List.of()));
    gateway = server.gateway();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.url() + path))
        .header("Content-Type", "application/json");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static CompletableFuture<HttpResponse<String>> evictAsync(String pod, String extra) {
    String body = "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"" + pod
        + "\",\"namespace\":\"default\"}" + extra + "}";
    return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(gateway.url() + NS + "/pods/" + pod + "/eviction"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> evict(String pod) throws Exception {
    return evictAsync(pod, "").get();
  }

  static JsonNode expect(int code, String reason, HttpResponse<String> r) {
    assertEquals(code, r.statusCode(), r.body());
    JsonNode status = KubeJson.parse(r.body());
    assertEquals("Status", status.path("kind").asText(), r.body());
    assertEquals(reason, status.path("reason").asText(), r.body());
    return status;
  }

  /** A pod with {@code app} as its label, running and ready (as a node agent would report it). */
  static void readyPod(String name, String app) throws Exception {
    runningPod(name, app, true);
  }

  /** A pod with {@code app} as its label, running, ready or not. */
  static void runningPod(String name, String app, boolean ready) throws Exception {
    HttpResponse<String> created = send("POST", NS + "/pods", ("{'apiVersion':'v1','kind':'Pod','metadata':{'name':"
        + "'%s','labels':{'app':'%s'}},'spec':{'containers':[{'name':'main','image':'busybox:1.36'}]}}")
        .formatted(name, app).replace('\'', '"'));
    assertEquals(201, created.statusCode(), created.body());
    ObjectNode pod = (ObjectNode) KubeJson.parse(created.body());
    pod.set("status", KubeJson.parse("{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\""
        + (ready ? "True" : "False") + "\"}]}"));
    HttpResponse<String> statusPut = send("PUT", NS + "/pods/" + name + "/status", pod.toString());
    assertEquals(200, statusPut.statusCode(), statusPut.body());
  }

  /** A budget over {@code app} whose status (as the disruption controller would write it) allows {@code allowed}. */
  static void budget(String name, String app, int allowed, int desired, int current, boolean observed)
      throws Exception {
    budget(name, app, allowed, desired, current, observed, "IfHealthyBudget");
  }

  /** {@link #budget(String, String, int, int, int, boolean)} with an unhealthyPodEvictionPolicy. */
  static void budget(String name, String app, int allowed, int desired, int current, boolean observed,
      String unhealthyPodEvictionPolicy) throws Exception {
    HttpResponse<String> created = send("POST", PDBS, ("{'apiVersion':'policy/v1','kind':'PodDisruptionBudget',"
        + "'metadata':{'name':'%s'},'spec':{'minAvailable':%d,'selector':{'matchLabels':{'app':'%s'}},"
        + "'unhealthyPodEvictionPolicy':'%s'}}")
        .formatted(name, desired, app, unhealthyPodEvictionPolicy).replace('\'', '"'));
    assertEquals(201, created.statusCode(), created.body());
    ObjectNode pdb = (ObjectNode) KubeJson.parse(created.body());
    long generation = pdb.at("/metadata/generation").asLong(1);
    pdb.set("status", KubeJson.parse(("{'observedGeneration':%d,'disruptionsAllowed':%d,'desiredHealthy':%d,"
        + "'currentHealthy':%d,'expectedPods':%d}").formatted(observed ? generation : generation - 1, allowed, desired,
        current, current).replace('\'', '"')));
    HttpResponse<String> status = send("PUT", PDBS + "/" + name + "/status", pdb.toString());
    assertEquals(200, status.statusCode(), status.body());
  }

  /** Gone, or going (a graceful deletion leaves the pod with a deletionTimestamp for a while). */
  static boolean deletedOrGoing(String pod) throws Exception {
    HttpResponse<String> r = send("GET", NS + "/pods/" + pod, null);
    return r.statusCode() == 404 || KubeJson.parse(r.body()).at("/metadata/deletionTimestamp").isTextual();
  }

  @Test
  void aMissingPodIs404() throws Exception {
    JsonNode status = expect(404, "NotFound", evict("ghost"));
    assertEquals("pods \"ghost\" not found", status.path("message").asText(), status.toString());
  }

  @Test
  void aPodNoBudgetCoversIsDeleted() throws Exception {
    readyPod("free", "free");
    HttpResponse<String> r = evict("free");
    assertEquals(201, r.statusCode(), r.body());
    JsonNode status = KubeJson.parse(r.body());
    assertEquals("Success", status.path("status").asText(), r.body());
    assertTrue(deletedOrGoing("free"));
  }

  @Test
  void aBudgetAllowingNoDisruptionAnswers429InKubesWords() throws Exception {
    readyPod("guarded-1", "guarded");
    readyPod("guarded-2", "guarded");
    budget("guarded", "guarded", 0, 2, 2, true);
    JsonNode status = expect(429, "TooManyRequests", evict("guarded-1"));
    assertEquals("Cannot evict pod as it would violate the pod's disruption budget.",
        status.path("message").asText(), status.toString());
    assertEquals("DisruptionBudget", status.at("/details/causes/0/reason").asText(), status.toString());
    assertEquals("The disruption budget guarded needs 2 healthy pods and has 2 currently",
        status.at("/details/causes/0/message").asText(), status.toString());
    assertFalse(deletedOrGoing("guarded-1"), "the pod stays");
  }

  @Test
  void aBudgetNotYetProcessedAnswers429() throws Exception {
    readyPod("fresh-1", "fresh");
    budget("fresh", "fresh", 1, 1, 2, false);
    JsonNode status = expect(429, "TooManyRequests", evict("fresh-1"));
    assertEquals("The disruption budget fresh is still being processed by the server.",
        status.at("/details/causes/0/message").asText(), status.toString());
    assertFalse(deletedOrGoing("fresh-1"));
  }

  @Test
  void aPendingPodIsEvictedWhateverTheBudget() throws Exception {
    HttpResponse<String> created = send("POST", NS + "/pods", ("{'apiVersion':'v1','kind':'Pod','metadata':"
        + "{'name':'waiting','labels':{'app':'waiting'}},'spec':{'containers':[{'name':'main','image':'busybox'}]}}")
        .replace('\'', '"'));
    assertEquals(201, created.statusCode(), created.body());
    budget("waiting", "waiting", 0, 1, 0, true);
    assertEquals(201, evict("waiting").statusCode());
    assertTrue(deletedOrGoing("waiting"));
  }

  @Test
  void anUnhealthyPodGoesIfTheBudgetIsMetOrItsPolicyAlwaysAllows() throws Exception {
    // IfHealthyBudget (the default): an unready pod of a budget not met is guarded like any other.
    runningPod("sick-1", "sick", false);
    readyPod("sick-2", "sick");
    budget("sick", "sick", 0, 2, 1, true);
    JsonNode status = expect(429, "TooManyRequests", evict("sick-1"));
    assertEquals("The disruption budget sick needs 2 healthy pods and has 1 currently",
        status.at("/details/causes/0/message").asText(), status.toString());
    assertFalse(deletedOrGoing("sick-1"));

    // IfHealthyBudget with the budget met: the unready pod goes, taking no disruption.
    runningPod("met-1", "met", false);
    readyPod("met-2", "met");
    budget("met", "met", 0, 1, 1, true);
    assertEquals(201, evict("met-1").statusCode());
    assertTrue(deletedOrGoing("met-1"));

    // AlwaysAllow: the unready pod goes even though the budget allows no disruption.
    runningPod("ailing-1", "ailing", false);
    readyPod("ailing-2", "ailing");
    budget("ailing", "ailing", 0, 2, 1, true, "AlwaysAllow");
    assertEquals(201, evict("ailing-1").statusCode());
    assertTrue(deletedOrGoing("ailing-1"));
    assertFalse(deletedOrGoing("ailing-2"));
    JsonNode pdb = KubeJson.parse(send("GET", PDBS + "/ailing", null).body());
    assertEquals(0, pdb.at("/status/disruptionsAllowed").asInt(), pdb.toString());
  }

  @Test
  void aDryRunDecidesButChangesNothing() throws Exception {
    readyPod("dry-1", "dry");
    readyPod("dry-2", "dry");
    budget("dry", "dry", 1, 1, 2, true);
    HttpResponse<String> r = evictAsync("dry-1", ",\"deleteOptions\":{\"dryRun\":[\"All\"]}").get();
    assertEquals(201, r.statusCode(), r.body());
    assertFalse(deletedOrGoing("dry-1"));
    JsonNode pdb = KubeJson.parse(send("GET", PDBS + "/dry", null).body());
    assertEquals(1, pdb.at("/status/disruptionsAllowed").asInt(), pdb.toString());
    assertTrue(pdb.at("/status/disruptedPods").isMissingNode() || pdb.at("/status/disruptedPods").isEmpty(),
        pdb.toString());
  }

  @Test
  void badEvictionsAre400() throws Exception {
    readyPod("named", "named");
    HttpResponse<String> mismatch = HTTP.send(HttpRequest.newBuilder(URI.create(gateway.url() + NS
            + "/pods/named/eviction")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"other\"}}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals("name in URL does not match name in Eviction object",
        expect(400, "BadRequest", mismatch).path("message").asText());
    HttpResponse<String> wrongKind = HTTP.send(HttpRequest.newBuilder(URI.create(gateway.url() + NS
            + "/pods/named/eviction")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"named\"}}")).build(),
        HttpResponse.BodyHandlers.ofString());
    expect(400, "BadRequest", wrongKind);
    assertFalse(deletedOrGoing("named"));
  }

  @Test
  void concurrentEvictionsNeverTakeMoreThanTheBudgetAllows() throws Exception {
    int pods = 8;
    int allowed = 3;
    for (int i = 0; i < pods; i++) {
      readyPod("herd-" + i, "herd");
    }
    budget("herd", "herd", allowed, pods - allowed, pods, true);
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    for (int i = 0; i < pods; i++) {
      all.add(evictAsync("herd-" + i, ""));
    }
    int evicted = 0;
    int refused = 0;
    for (CompletableFuture<HttpResponse<String>> f : all) {
      HttpResponse<String> r = f.get();
      if (r.statusCode() == 201) {
        evicted++;
      } else {
        expect(429, "TooManyRequests", r);
        refused++;
      }
    }
    assertEquals(allowed, evicted, "evictions allowed");
    assertEquals(pods - allowed, refused);
    int gone = 0;
    for (int i = 0; i < pods; i++) {
      gone += deletedOrGoing("herd-" + i) ? 1 : 0;
    }
    assertEquals(allowed, gone, "pods deleted");
    JsonNode pdb = KubeJson.parse(send("GET", PDBS + "/herd", null).body());
    assertEquals(0, pdb.at("/status/disruptionsAllowed").asInt(), pdb.toString());
    assertEquals(allowed, pdb.at("/status/disruptedPods").size(), pdb.toString());
    assertEquals("False", pdb.at("/status/conditions/0/status").asText(), pdb.toString());
    assertEquals("InsufficientPods", pdb.at("/status/conditions/0/reason").asText(), pdb.toString());
  }
}
