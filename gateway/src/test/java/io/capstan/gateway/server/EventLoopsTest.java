package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.gateway.store.InMemoryResourceStore;
import io.capstan.gateway.threads.ThreadNice;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway serves one port from several event loops: every loop accepts connections (so a
 * long list on one connection's loop leaves the others free), and a gateway asked for a free
 * port (0) still binds one port that all of them share.
 */
class EventLoopsTest {
  private static final Pattern CONNECTIONS =
      Pattern.compile("capstan_gateway_connections_total\\{loop=\"(\\d+)\"} (\\S+)");

  @TempDir
  Path dataDir;

  @Test
  void connectionsAreSpreadOverEveryEventLoop() throws Exception {
    GatewayConfig config = new GatewayConfig("127.0.0.1", 0, dataDir, true, GatewayConfig.DEFAULT_MAX_BODY_BYTES,
        null, List.of()).withEventLoops(3);
    try (GatewayTestServer server = GatewayTestServer.start(config, new InMemoryResourceStore())) {
      for (int i = 0; i < 12; i++) {
        // A new client is a new connection, which the shared port hands to the next loop.
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> list = client.send(HttpRequest.newBuilder(
            URI.create(server.url() + "/api/v1/namespaces/default/configmaps")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, list.statusCode(), list.body());
      }
      String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.url() + "/metrics"))
          .build(), HttpResponse.BodyHandlers.ofString()).body();
      Matcher m = CONNECTIONS.matcher(metrics);
      int loops = 0;
      double total = 0;
      while (m.find()) {
        loops++;
        double count = Double.parseDouble(m.group(2));
        assertTrue(count >= 1, "event loop " + m.group(1) + " accepted no connection:\n" + metrics);
        total += count;
      }
      assertEquals(3, loops, "one connection counter per event loop expected:\n" + metrics);
      assertTrue(total >= 13, "13 connections were made, the loops counted " + total);
    }
  }

  @Test
  void aFurtherAddressIsServedOnTheSamePortFromEveryLoop() throws Exception {
    // 127.0.0.2 is loopback on Linux too; nothing else listens there.
    GatewayConfig config = new GatewayConfig("127.0.0.1", 0, dataDir, true, GatewayConfig.DEFAULT_MAX_BODY_BYTES,
        null, List.of()).withEventLoops(2).withAlsoListenOn(List.of("127.0.0.2"));
    try (GatewayTestServer server = GatewayTestServer.start(config, new InMemoryResourceStore())) {
      int port = URI.create(server.url()).getPort();
      for (String host : List.of("127.0.0.1", "127.0.0.2", "127.0.0.2", "127.0.0.2")) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> version = client.send(HttpRequest.newBuilder(
            URI.create("http://" + host + ":" + port + "/version")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, version.statusCode(), host + ": " + version.body());
      }
    }
    // An address of no interface here: the gateway does not start, naming it.
    GatewayConfig elsewhere = new GatewayConfig("127.0.0.1", 0, dataDir, true, GatewayConfig.DEFAULT_MAX_BODY_BYTES,
        null, List.of()).withAlsoListenOn(List.of("203.0.113.254"));
    Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
        () -> GatewayTestServer.start(elsewhere, new InMemoryResourceStore()).close());
    assertTrue(String.valueOf(e.getMessage()).contains("cannot listen on 203.0.113.254:") || e.getCause() != null
        && String.valueOf(e.getCause().getMessage()).contains("cannot listen on 203.0.113.254:"), e.toString());
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> config.withAlsoListenOn(
        List.of("127.0.0.1")), "the main address twice");
  }

  @Test
  void everyEventLoopRunsAtTheConfiguredNiceValue() throws Exception {
    // 7: a lower priority any user may ask for, and one no other thread of this JVM has
    GatewayConfig config = new GatewayConfig("127.0.0.1", 0, dataDir, true, GatewayConfig.DEFAULT_MAX_BODY_BYTES,
        null, List.of()).withEventLoops(3).withEventLoopNice(7);
    try (GatewayTestServer server = GatewayTestServer.start(config, new InMemoryResourceStore())) {
      List<String> niced = new java.util.ArrayList<>();
      try (java.util.stream.Stream<Path> tasks = java.nio.file.Files.list(Path.of("/proc/self/task"))) {
        for (Path task : tasks.toList()) {
          int tid = Integer.parseInt(task.getFileName().toString());
          try {
            String name = java.nio.file.Files.readString(task.resolve("comm")).trim();
            if (ThreadNice.niceOf(tid) == 7) {
              niced.add(name);
            }
          } catch (java.io.IOException ended) {
            // the thread ended meanwhile (its comm, or its nice value, is gone)
          }
        }
      }
      // the loops, and what they start (Vert.x's acceptor, loops for its own use), nothing else
      assertTrue(niced.stream().filter("vert.x-eventloo"::equals).count() >= 3, "the three loops at nice 7: " + niced);
      assertTrue(niced.stream().allMatch(n -> n.startsWith("vert.x-")), "only Vert.x threads at nice 7: " + niced);
    }
  }
}
