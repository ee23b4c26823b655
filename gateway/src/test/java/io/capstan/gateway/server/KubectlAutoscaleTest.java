package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.gateway.testing.KubectlCli;
import io.capstan.gateway.testing.KubectlCli.Result;
import io.capstan.logschema.json.KubeJson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code autoscaling/v1} HorizontalPodAutoscalers, stored as v2 and converted both ways, with the
 * real kubectl: {@code kubectl autoscale} (v1.32 posts a v1 object as protobuf), the object read
 * back in both versions, patched through v1 (merge, strategic, JSON patch) without losing what
 * only v2 has, watched and listed as v1, discovery and OpenAPI (kubectl explain), and bad v1
 * input refused with v1's field names.
 */
class KubectlAutoscaleTest extends KubectlAgainstGateway {
  static JsonNode json(String... args) throws IOException, InterruptedException {
    return KubeJson.parse(ok(args).out());
  }

  static Path file(String name, String text) throws IOException {
    return Files.writeString(dataDir.resolve(name), text);
  }

  /** kubectl keeps the version of a resource.version.group only for a full resource name (for "hpa" it takes the preferred one). */
  static final String HPA_V1 = "horizontalpodautoscalers.v1.autoscaling";
  static final String HPA_V2 = "horizontalpodautoscalers.v2.autoscaling";
  static final String V1 = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers";

  /** A JSON body POSTed as the admin: for bodies kubectl would not send (another kind than the URL's). */
  static HttpResponse<String> post(String path, String json) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(server.url() + path))
        .header("Authorization", "Bearer " + server.adminToken()).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build();
    return HttpClient.newBuilder().sslContext(trustingGatewayCa()).build().send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void kubectlAutoscaleCreatesAV1AutoscalerReadAndPatchedInBothVersions() throws Exception {
    ok("create", "deployment", "web", "--image=busybox:1.36");
    Result autoscaled = ok("-v=8", "autoscale", "deployment", "web", "--cpu-percent=50", "--min=1", "--max=3");
    assertTrue(autoscaled.out().contains("horizontalpodautoscaler.autoscaling/web autoscaled"), autoscaled.both());
    assertTrue(autoscaled.err().contains("POST https://") && autoscaled.err().contains(
        "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers"), autoscaled.both());

    JsonNode v1 = json("get", HPA_V1, "web", "-o", "json");
    assertEquals("autoscaling/v1", v1.path("apiVersion").asText(), v1.toString());
    assertEquals(50, v1.at("/spec/targetCPUUtilizationPercentage").asInt(), v1.toString());
    assertEquals(1, v1.at("/spec/minReplicas").asInt());
    assertEquals(3, v1.at("/spec/maxReplicas").asInt());
    assertEquals("Deployment/apps/v1/web", v1.at("/spec/scaleTargetRef/kind").asText() + "/"
        + v1.at("/spec/scaleTargetRef/apiVersion").asText() + "/" + v1.at("/spec/scaleTargetRef/name").asText());
    JsonNode v2 = json("get", HPA_V2, "web", "-o", "json");
    assertEquals("autoscaling/v2", v2.path("apiVersion").asText());
    assertEquals(50, v2.at("/spec/metrics/0/resource/target/averageUtilization").asInt(), v2.toString());
    assertEquals(v1.at("/metadata/resourceVersion"), v2.at("/metadata/resourceVersion"));

    String table = ok("get", HPA_V1, "web").out();
    assertTrue(table.matches("(?s)NAME\\s+REFERENCE\\s+TARGETS\\s+MINPODS\\s+MAXPODS\\s+REPLICAS\\s+AGE\\n"
        + "web\\s+Deployment/web\\s+cpu: <unknown>/50%\\s+1\\s+3\\s+0\\s+\\S+\\n"), table);

    // What only v2 has (behavior) survives patches made through v1.
    ok("patch", HPA_V2, "web", "--type=merge", "-p",
        "{\"spec\":{\"behavior\":{\"scaleDown\":{\"stabilizationWindowSeconds\":15}}}}");
    ok("patch", HPA_V1, "web", "--type=merge", "-p",
        "{\"spec\":{\"targetCPUUtilizationPercentage\":70,\"maxReplicas\":5}}");
    ok("patch", HPA_V1, "web", "-p", "{\"spec\":{\"minReplicas\":2}}"); // strategic
    ok("patch", HPA_V1, "web", "--type=json", "-p",
        "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"tier\":\"web\"}}]");
    v2 = json("get", HPA_V2, "web", "-o", "json");
    assertEquals(70, v2.at("/spec/metrics/0/resource/target/averageUtilization").asInt(), v2.toString());
    assertEquals(1, v2.at("/spec/metrics").size(), v2.toString());
    assertEquals(5, v2.at("/spec/maxReplicas").asInt());
    assertEquals(2, v2.at("/spec/minReplicas").asInt());
    assertEquals("web", v2.at("/metadata/labels/tier").asText());
    assertEquals(15, v2.at("/spec/behavior/scaleDown/stabilizationWindowSeconds").asInt(), v2.toString());
    assertFalse(v2.at("/metadata/annotations").has("autoscaling.alpha.kubernetes.io/behavior"), v2.toString());
    v1 = json("get", HPA_V1, "web", "-o", "json");
    assertTrue(v1.at("/metadata/annotations/autoscaling.alpha.kubernetes.io~1behavior").asText()
        .contains("\"stabilizationWindowSeconds\":15"), v1.toString());

    // Lists and watches in v1 carry v1 objects.
    JsonNode list = json("get", "--raw", "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers");
    assertEquals("HorizontalPodAutoscalerList", list.path("kind").asText());
    assertEquals("autoscaling/v1", list.path("apiVersion").asText());
    assertEquals(70, list.at("/items/0/spec/targetCPUUtilizationPercentage").asInt(), list.toString());
    assertEquals("autoscaling/v1", list.at("/items/0/apiVersion").asText());
    String watched = ok("get", "--raw",
        "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers?watch=true&timeoutSeconds=1").out();
    JsonNode added = KubeJson.parse(watched.lines().findFirst().orElseThrow());
    assertEquals("ADDED", added.path("type").asText(), watched);
    assertEquals("autoscaling/v1", added.at("/object/apiVersion").asText(), watched);
    assertEquals(70, added.at("/object/spec/targetCPUUtilizationPercentage").asInt(), watched);

    ok("delete", HPA_V1, "web");
    assertTrue(ok("get", "hpa", "--ignore-not-found", "-o", "name").out().isBlank());
  }

  /** Discovery names both versions with v2 preferred, and kubectl explain reads v1's own schema. */
  @Test
  void discoveryAndOpenApiServeBothVersions() throws Exception {
    String versions = ok("api-versions").out();
    assertTrue(versions.contains("autoscaling/v1\n") && versions.contains("autoscaling/v2\n"), versions);
    JsonNode group = json("get", "--raw", "/apis/autoscaling");
    assertEquals("autoscaling/v2", group.at("/preferredVersion/groupVersion").asText(), group.toString());
    String explained = ok("explain", "hpa.spec.targetCPUUtilizationPercentage", "--api-version=autoscaling/v1").out();
    assertTrue(explained.contains("targetCPUUtilizationPercentage") && explained.contains("<integer>"), explained);
  }

  /** A v1 manifest created and applied (server-side) through v1, as kubectl sends them (JSON). */
  @Test
  void v1ManifestsCreateAndApply() throws Exception {
    Path manifest = file("hpa-v1.yaml", """
        apiVersion: autoscaling/v1
        kind: HorizontalPodAutoscaler
        metadata: {name: fromfile}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: fromfile}
          maxReplicas: 4
          targetCPUUtilizationPercentage: 60
        """);
    ok("create", "-f", manifest.toString());
    JsonNode v2 = json("get", HPA_V2, "fromfile", "-o", "json");
    assertEquals(60, v2.at("/spec/metrics/0/resource/target/averageUtilization").asInt(), v2.toString());
    assertEquals(1, v2.at("/spec/minReplicas").asInt(), "kube's default");

    String applied = Files.readString(manifest).replace("fromfile", "applied");
    ok("apply", "--server-side", "-f", file("hpa-v1-applied.yaml", applied).toString());
    ok("apply", "--server-side", "-f", file("hpa-v1-applied.yaml", applied.replace("maxReplicas: 4",
        "maxReplicas: 6").replace("targetCPUUtilizationPercentage: 60", "targetCPUUtilizationPercentage: 65"))
        .toString());
    v2 = json("get", HPA_V2, "applied", "-o", "json");
    assertEquals(6, v2.at("/spec/maxReplicas").asInt(), v2.toString());
    assertEquals(65, v2.at("/spec/metrics/0/resource/target/averageUtilization").asInt(), v2.toString());
    JsonNode v1 = json("get", HPA_V1, "applied", "-o", "json");
    assertEquals(65, v1.at("/spec/targetCPUUtilizationPercentage").asInt(), v1.toString());
  }

  /** Bad v1 input: another kind in the body is a 400, a bad CPU target a 422 naming v1's field; nothing is stored. */
  @Test
  void badV1InputIsRefusedInV1Terms() throws Exception {
    HttpResponse<String> wrongKind = post(V1, """
        {"apiVersion":"autoscaling/v1","kind":"Deployment","metadata":{"name":"wrongkind"},
         "spec":{"scaleTargetRef":{"kind":"Deployment","name":"x"},"maxReplicas":2}}
        """);
    assertEquals(400, wrongKind.statusCode(), wrongKind.body());
    assertEquals("kind: expected \"HorizontalPodAutoscaler\", got string \"Deployment\"",
        KubeJson.parse(wrongKind.body()).path("message").asText(), wrongKind.body());

    Result badTarget = kubectl("create", "-f", file("bad-target.yaml", """
        apiVersion: autoscaling/v1
        kind: HorizontalPodAutoscaler
        metadata: {name: badtarget}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: x}
          maxReplicas: 2
          targetCPUUtilizationPercentage: 0
        """).toString());
    assertEquals(1, badTarget.exit(), badTarget.both());
    assertTrue(badTarget.err().contains("The HorizontalPodAutoscaler \"badtarget\" is invalid: "
        + "spec.targetCPUUtilizationPercentage: Invalid value: 0: must be greater than 0"), badTarget.both());

    HttpResponse<String> notANumber = post(V1, """
        {"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"nan"},
         "spec":{"scaleTargetRef":{"kind":"Deployment","name":"x"},"maxReplicas":2,
                 "targetCPUUtilizationPercentage":"fifty"}}
        """);
    assertEquals(400, notANumber.statusCode(), notANumber.body());
    assertTrue(KubeJson.parse(notANumber.body()).path("message").asText()
        .startsWith("spec.targetCPUUtilizationPercentage: expected integer"), notANumber.body());

    for (String name : new String[] {"wrongkind", "badtarget", "nan"}) {
      assertTrue(ok("get", "hpa", name, "--ignore-not-found", "-o", "name").out().isBlank(), name + " was stored");
    }
  }
}
