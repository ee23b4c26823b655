package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.testing.KafkaGatewayFixture;
import io.capstan.gateway.testing.KubeconfigCredentials;
import io.capstan.gateway.testing.KubectlCli;
import io.capstan.logschema.json.KubeJson;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web console's side of the gateway on the real backbone: its files at {@code /ui/} (public,
 * with a strict Content-Security-Policy and no inline script), and the timeline API (writes per
 * bucket and markers from the event log; 401 without a token, 400 for bad parameters).
 */
class ConsoleKafkaTest {
  private static final String TIMELINE = "/apis/console.capstan.io/v1/timeline";

  @TempDir
  static Path dataDir;
  static KafkaGatewayFixture backend;
  static GatewayServer gateway;
  static KubectlCli cli;
  static HttpClient http;
  static String token;

  @BeforeAll
  static void start() throws Exception {
    KubectlCli.require();
    backend = KafkaGatewayFixture.start("console", WatchCacheConfig.defaults());
    gateway = backend.startServer(dataDir);
    cli = new KubectlCli(gateway.kubeconfig(), dataDir.resolve("kube-cache"));
    KubeconfigCredentials admin = KubeconfigCredentials.read(gateway.kubeconfig());
    token = admin.token();
    http = HttpClient.newBuilder().sslContext(admin.tls()).build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (backend != null) {
      backend.close();
    }
  }

  private static HttpResponse<String> send(String method, String path, String bearer) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.url() + path))
        .method(method, HttpRequest.BodyPublishers.noBody());
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theConsolesFilesArePublicUnderAStrictContentSecurityPolicy() throws Exception {
    HttpResponse<String> index = send("GET", "/ui/", null);
    assertEquals(200, index.statusCode(), index.body());
    assertEquals("text/html; charset=utf-8", index.headers().firstValue("Content-Type").orElse(""));
    String csp = index.headers().firstValue("Content-Security-Policy").orElse("");
    assertTrue(csp.startsWith("default-src 'self'"), csp);
    assertEquals("nosniff", index.headers().firstValue("X-Content-Type-Options").orElse(""));
    assertEquals("DENY", index.headers().firstValue("X-Frame-Options").orElse(""));
    String html = index.body();
    assertTrue(html.contains("<script type=\"module\" src=\"app.js\"></script>"), html);
    assertFalse(Pattern.compile("<script(?![^>]*\\bsrc=)").matcher(html).find(), "no inline script");
    assertFalse(Pattern.compile("\\s(on[a-z]+|style)=").matcher(html).find(), "no inline handler or style");
    assertTrue(html.contains("<label for=\"token\">") && html.contains("<main") && html.contains("<nav"),
        "labels and landmarks");

    for (String name : ConsoleFiles.FILES) {
      HttpResponse<String> f = send("GET", "/ui/" + name, null);
      assertEquals(200, f.statusCode(), name);
      assertFalse(f.body().isEmpty(), name);
      if (name.endsWith(".js")) {
        assertEquals("text/javascript; charset=utf-8", f.headers().firstValue("Content-Type").orElse(""), name);
        assertFalse(f.body().contains("innerHTML") || f.body().contains("eval("), name + " builds the DOM, not HTML text");
      }
    }
    assertEquals(404, send("GET", "/ui/secrets.txt", null).statusCode());
    HttpResponse<String> escape = send("GET", "/ui/../kubeconfig", null);
    assertTrue(escape.statusCode() == 404 || escape.statusCode() == 401, escape.statusCode() + " " + escape.body());
    HttpResponse<String> bare = send("GET", "/ui", null);
    assertEquals(301, bare.statusCode());
    assertEquals("/ui/", bare.headers().firstValue("Location").orElse(""));
    assertEquals(405, send("POST", "/ui/", null).statusCode());
    // The console's data are API calls: no token, no answer.
    assertEquals(401, send("GET", "/api/v1/pods", null).statusCode());
  }

  @Test
  void theTimelineCountsTheLogsWritesAndMarksDeploymentsAndWarnings() throws Exception {
    Instant before = Instant.now();
    KubectlCli.Result d = cli.run("create", "deployment", "shop", "--image=capstan.local/busybox");
    assertEquals(0, d.exit(), d.both());
    Path event = dataDir.resolve("event.yaml");
    Files.writeString(event, """
        apiVersion: v1
        kind: Event
        metadata: {name: shop.boom, namespace: default}
        involvedObject: {kind: Deployment, name: shop, namespace: default}
        type: Warning
        reason: BackOff
        message: the shop fell over
        """);
    KubectlCli.Result e = cli.run("create", "-f", event.toString());
    assertEquals(0, e.exit(), e.both());

    assertEquals(401, send("GET", TIMELINE, null).statusCode(), "no token");
    assertEquals(401, send("GET", TIMELINE, "not-a-token").statusCode(), "a bad token");

    HttpResponse<String> r = send("GET", TIMELINE + "?buckets=40", token);
    assertEquals(200, r.statusCode(), r.body());
    JsonNode t = KubeJson.parse(r.body());
    assertEquals("Timeline", t.get("kind").asText());
    assertEquals(40, t.get("writes").size());
    long writes = 0;
    for (JsonNode w : t.get("writes")) {
      writes += w.asLong();
    }
    assertTrue(writes >= 2, "the namespaces, the Deployment, the event: " + r.body());
    assertTrue(Instant.parse(t.get("from").asText()).isBefore(before), "from the log's start: " + r.body());
    assertTrue(t.get("bucketSeconds").asDouble() > 0);
    JsonNode deployment = null;
    JsonNode warning = null;
    for (JsonNode m : t.get("markers")) {
      if (m.get("type").asText().equals("Deployment") && m.get("name").asText().equals("shop")
          && m.get("operation").asText().equals("CREATED")) {
        deployment = m;
      }
      if (m.get("type").asText().equals("Warning") && m.get("name").asText().equals("shop")) {
        warning = m;
      }
    }
    assertTrue(deployment != null && deployment.get("namespace").asText().equals("default"), r.body());
    assertTrue(!Instant.parse(deployment.get("time").asText()).isBefore(before), r.body());
    assertTrue(warning != null && warning.get("reason").asText().equals("BackOff")
        && warning.get("message").asText().equals("the shop fell over")
        && warning.get("kind").asText().equals("Deployment"), r.body());

    // A window that ends before the Deployment has neither it nor its writes.
    String to = URLEncoder.encode(before.toString(), StandardCharsets.UTF_8);
    JsonNode earlier = KubeJson.parse(send("GET", TIMELINE + "?buckets=5&to=" + to, token).body());
    for (JsonNode m : earlier.get("markers")) {
      assertFalse(m.get("name").asText().equals("shop"), earlier.toString());
    }

    HttpResponse<String> zero = send("GET", TIMELINE + "?buckets=0", token);
    assertEquals(400, zero.statusCode());
    assertTrue(zero.body().contains("buckets: Invalid value: \\\"0\\\": must be an integer from 1 to 2000"), zero.body());
    HttpResponse<String> garbled = send("GET", TIMELINE + "?from=yesterday", token);
    assertEquals(400, garbled.statusCode());
    assertTrue(garbled.body().contains("from: Invalid value: \\\"yesterday\\\": must be an RFC 3339 time"),
        garbled.body());
    HttpResponse<String> backwards = send("GET", TIMELINE + "?from=2026-12-06T10:00:00Z&to=2026-12-06T09:00:00Z",
        token);
    assertEquals(400, backwards.statusCode());
    assertTrue(backwards.body().contains("must be before to"), backwards.body());
  }
}
