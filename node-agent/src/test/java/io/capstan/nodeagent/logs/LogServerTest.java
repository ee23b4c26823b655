package io.capstan.nodeagent.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log server's authentication: HTTPS, and only callers with a client certificate of the
 * configured CA read logs (the gateway's apiserver-kubelet-client certificate in a cluster).
 */
class LogServerTest {
  @TempDir Path dir;

  private LogServer serverWith(Path caFile) throws Exception {
    return serverWith(caFile, null);
  }

  private LogServer serverWith(Path caFile, io.vertx.core.Vertx vertx) throws Exception {
    PodLogPaths paths = new PodLogPaths(dir.resolve("pods"));
    Path log = paths.containerLog("default", "web", "uid-1", "main", 0);
    Files.createDirectories(log.getParent());
    Files.writeString(log, "2026-11-27T10:00:00.000000000Z stdout F hello from web\n");
    Pod pod = Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("web")
        .setUid("uid-1").build()).setSpec(PodSpec.newBuilder().setContainers(List.of()).build()).build();
    LogServer server = new LogServer(paths, () -> Map.of("uid-1", pod), "127.0.0.1", 0, caFile);
    if (vertx != null) {
      server.on(vertx);
    }
    server.start();
    return server;
  }

  @Test
  void onlyCallersWithACertificateOfTheClientCaReadLogs() throws Exception {
    try (LogClient trusted = new LogClient(); LogClient stranger = new LogClient()) {
      LogServer server = serverWith(trusted.caFile());
      try {
        LogClient.Response ok = trusted.get(server.port(), "/containerLogs/default/web/main");
        assertEquals(200, ok.status(), ok.body());
        assertEquals("hello from web\n", ok.body());

        LogClient.Response anonymous = trusted.get(server.port(), "/containerLogs/default/web/main", false);
        assertEquals(401, anonymous.status());
        assertTrue(anonymous.body().contains("client certificate"), anonymous.body());

        // A certificate from another CA fails the TLS handshake itself.
        assertThrows(Exception.class, () -> stranger.get(server.port(), "/containerLogs/default/web/main"));

        assertEquals(200, trusted.get(server.port(), "/healthz", false).status(), "health needs no certificate");
      } finally {
        server.close();
      }
    }
  }

  @Test
  void withoutAClientCaEveryLogRequestIsRefusedSayingWhy() throws Exception {
    try (LogClient client = new LogClient()) {
      LogServer server = serverWith(null);
      try {
        LogClient.Response r = client.get(server.port(), "/containerLogs/default/web/main");
        assertEquals(401, r.status());
        assertTrue(r.body().contains("--client-ca-file"), r.body());
      } finally {
        server.close();
      }
    }
  }

  @Test
  void onTheProcesssVertxItServesLogsAndLeavesTheVertxRunningWhenClosed() throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try (LogClient trusted = new LogClient()) {
      LogServer server = serverWith(trusted.caFile(), vertx);
      int port = server.port();
      try {
        LogClient.Response ok = trusted.get(port, "/containerLogs/default/web/main");
        assertEquals(200, ok.status(), ok.body());
        assertEquals("hello from web\n", ok.body());
      } finally {
        server.close();
      }
      assertThrows(Exception.class, () -> trusted.get(port, "/healthz", false), "the port is closed");
      java.util.concurrent.CompletableFuture<String> stillRuns = new java.util.concurrent.CompletableFuture<>();
      vertx.setTimer(1, t -> stillRuns.complete("ran"));
      assertEquals("ran", stillRuns.get(10, java.util.concurrent.TimeUnit.SECONDS), "the shared Vert.x is left running");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
    }
  }
}
