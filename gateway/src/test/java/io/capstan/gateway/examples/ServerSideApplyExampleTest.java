package io.capstan.gateway.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.server.GatewayServer;
import io.capstan.gateway.testing.KafkaGatewayFixture;
import io.capstan.gateway.testing.KubectlCli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's server-side apply example (the {@code sh} block of its section "Server-side
 * apply") runs as written, by bash, with the real kubectl against the gateway on the real
 * backbone, and prints the conflict and the ownership the README shows.
 */
class ServerSideApplyExampleTest {
  static final String SECTION = "## Server-side apply";

  @TempDir
  static Path dataDir;
  static KafkaGatewayFixture backend;
  static GatewayServer gateway;

  @BeforeAll
  static void start() throws Exception {
    KubectlCli.require();
    backend = KafkaGatewayFixture.start("ssa-example", WatchCacheConfig.defaults());
    gateway = backend.startServer(dataDir);
  }

  @AfterAll
  static void stop() throws Exception {
    if (backend != null) {
      backend.close();
    }
  }

  @Test
  void theDocumentedConflictAndItsResolution() throws Exception {
    String block = CustomResourcesExampleTest.example(Files.readString(CustomResourcesExampleTest.README), SECTION);
    String out = CustomResourcesExampleTest.run(block, gateway, dataDir);
    assertTrue(out.contains("namespace/shop created"), out);
    assertTrue(out.contains("error: Apply failed with 1 conflict: conflict with \"kubectl\": .data.replicas"), out);
    assertTrue(out.contains("\nrefused\n"), out);
    assertTrue(out.contains("kubectl Apply {\"f:data\":{\"f:theme\":{}}}"), out);
    assertTrue(out.contains("autoscaler Apply {\"f:data\":{\"f:replicas\":{}}}"), out);
    assertEquals(2, out.split("configmap/checkout serverside-applied", -1).length - 1, out);
  }
}
