package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.gateway.store.InMemoryResourceStore;
import io.capstan.logschema.json.KubeJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Watch semantics on the wire, as kube-apiserver's: resuming from a resourceVersion replays what
 * followed it in order; no resourceVersion starts with the current objects as ADDED;
 * {@code sendInitialEvents} ends its initial list with the {@code k8s.io/initial-events-end}
 * bookmark; an object leaving a label selection arrives as DELETED; a version older than the
 * store's window gets one ERROR event with a 410 Status. Each watch is bounded by
 * {@code timeoutSeconds}, so the server ends the stream.
 */
class WatchTest {
  static final String CM = "/api/v1/namespaces/default/configmaps";
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir
  static Path dataDir;
  @TempDir
  static Path smallWindowDir;
  static GatewayTestServer server;
  /** A store that remembers only five changes. */
  static GatewayTestServer smallWindow;

  @BeforeAll
  static void start() throws Exception {
    server = GatewayTestServer.start(insecure(dataDir));
    smallWindow = GatewayTestServer.start(insecure(smallWindowDir), new InMemoryResourceStore(5));
  }

  static GatewayConfig insecure(Path dir) {
    return new GatewayConfig("127.0.0.1", 0, dir, true, GatewayConfig.DEFAULT_MAX_BODY_BYTES, null, List.of());
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    smallWindow.close();
  }

  static HttpResponse<String> send(GatewayTestServer s, String method, String path, String contentType, String body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url() + path));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(r.statusCode() < 300, method + " " + path + ": " + r.body());
    return r;
  }

  static String cm(String name, String labels, String value) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name + "\",\"labels\":{" + labels
        + "}},\"data\":{\"v\":\"" + value + "\"}}";
  }

  /** The events of a watch the server ends after one second, as "TYPE name v" (BOOKMARK: its annotations). */
  static List<String> watch(GatewayTestServer s, String query) throws Exception {
    HttpResponse<Stream<String>> r = HTTP.send(HttpRequest.newBuilder(URI.create(s.url() + CM + "?watch=1&timeoutSeconds=1"
        + query)).build(), HttpResponse.BodyHandlers.ofLines());
    assertEquals(200, r.statusCode());
    try (Stream<String> lines = r.body()) {
      return lines.filter(l -> !l.isBlank()).map(l -> {
        JsonNode e = KubeJson.parse(l);
        JsonNode o = e.get("object");
        return switch (e.get("type").asText()) {
          case "BOOKMARK" -> "BOOKMARK " + o.path("kind").asText() + " " + o.at("/metadata/annotations");
          case "ERROR" -> "ERROR " + o.path("code").asInt() + " " + o.path("message").asText();
          default -> e.get("type").asText() + " " + o.at("/metadata/name").asText() + " " + o.at("/data/v").asText();
        };
      }).toList();
    }
  }

  @Test
  void resumeFromAVersionReplaysWhatFollowedInOrder() throws Exception {
    send(server, "POST", CM, "application/json", cm("a", "\"w\":\"1\"", "1"));
    String rv = KubeJson.parse(send(server, "GET", CM + "?labelSelector=w", null, null).body())
        .at("/metadata/resourceVersion").asText();
    send(server, "PATCH", CM + "/a", "application/merge-patch+json", "{\"data\":{\"v\":\"2\"}}");
    send(server, "POST", CM, "application/json", cm("b", "\"w\":\"1\"", "1"));
    send(server, "DELETE", CM + "/a", null, null);

    assertEquals(List.of("MODIFIED a 2", "ADDED b 1", "DELETED a 2"), watch(server, "&labelSelector=w&resourceVersion=" + rv));
    assertEquals(List.of("ADDED b 1"), watch(server, "&labelSelector=w"), "no version: the current state first");
    assertEquals(List.of("ADDED b 1", "BOOKMARK ConfigMap {\"k8s.io/initial-events-end\":\"true\"}"),
        watch(server, "&labelSelector=w&sendInitialEvents=true&allowWatchBookmarks=true"
            + "&resourceVersionMatch=NotOlderThan"));
  }

  @Test
  void anObjectLeavingTheSelectionIsDeletedForTheWatch() throws Exception {
    send(server, "POST", CM, "application/json", cm("s", "\"sel\":\"in\"", "1"));
    String rv = KubeJson.parse(send(server, "GET", CM + "/s", null, null).body()).at("/metadata/resourceVersion").asText();
    send(server, "PATCH", CM + "/s", "application/merge-patch+json", "{\"metadata\":{\"labels\":{\"sel\":\"out\"}}}");
    send(server, "PATCH", CM + "/s", "application/merge-patch+json", "{\"metadata\":{\"labels\":{\"sel\":\"in\"}}}");
    assertEquals(List.of("DELETED s 1", "ADDED s 1"), watch(server, "&labelSelector=sel%3Din&resourceVersion=" + rv));
  }

  @Test
  void aVersionOlderThanTheWindowIsGone() throws Exception {
    send(smallWindow, "POST", CM, "application/json", cm("g", "", "0"));
    String rv = KubeJson.parse(send(smallWindow, "GET", CM + "/g", null, null).body())
        .at("/metadata/resourceVersion").asText();
    for (int i = 1; i <= 6; i++) {
      send(smallWindow, "PATCH", CM + "/g", "application/merge-patch+json", "{\"data\":{\"v\":\"" + i + "\"}}");
    }
    List<String> events = watch(smallWindow, "&resourceVersion=" + rv);
    assertEquals(1, events.size(), events.toString());
    assertTrue(events.get(0).startsWith("ERROR 410 too old resource version: " + rv), events.toString());
  }
}
