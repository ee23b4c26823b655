package io.capstan.gateway.resourcemetrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.gateway.security.CertificateAuthority;
import io.capstan.stateviews.resourcemetrics.KubeletClient;
import io.capstan.stateviews.resourcemetrics.NodeReading;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SelfSignedCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The node agents' client, against a server set up as a node agent's: a self-signed serving
 * certificate made at start, client certificates required from the cluster CA. A certificate
 * the CA issued is let in and the kubelet text parsed; one from another CA is refused.
 */
class KubeletClientTest {
  private static final String BODY = """
      # HELP node_cpu_usage_seconds_total Cumulative cpu time consumed by the node in core-seconds
      node_cpu_usage_seconds_total 12.5 1733461200000
      node_memory_working_set_bytes 1048576 1733461200000
      container_cpu_usage_seconds_total{container="app",namespace="default",pod="web"} 1.25 1733461200000
      container_memory_working_set_bytes{container="app",namespace="default",pod="web"} 4096 1733461200000
      """;

  @Test
  void aClusterCertificateIsLetInAndTheReadingParsed() throws Exception {
    Path pki = Files.createTempDirectory("kubelet-client-pki");
    Path otherPki = Files.createTempDirectory("kubelet-client-other");
    Vertx vertx = Vertx.vertx();
    try {
      CertificateAuthority.ClientCertFiles ours = CertificateAuthority.ensureClient(pki, "hpa",
          "system:kube-controller-manager", List.of());
      CertificateAuthority.ClientCertFiles theirs = CertificateAuthority.ensureClient(otherPki, "hpa",
          "system:kube-controller-manager", List.of());
      SelfSignedCertificate serving = SelfSignedCertificate.create("localhost");
      HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSsl(true)
              .setKeyCertOptions(serving.keyCertOptions()).setClientAuth(ClientAuth.REQUIRED)
              .setTrustOptions(new PemTrustOptions().addCertPath(CertificateAuthority.caCert(pki).toString())))
          .requestHandler(req -> {
            if (req.path().equals("/metrics/resource")) {
              req.response().putHeader("content-type", "text/plain; version=0.0.4").end(BODY);
            } else {
              req.response().setStatusCode(404).end("no such path\n");
            }
          })
          .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      int port = server.actualPort();

      KubeletClient client = new KubeletClient(new KubeletClient.ClientCertificate(ours.cert(), ours.key()),
          Clock.systemUTC());
      NodeReading reading = client.resourceMetrics("127.0.0.1", port).get(30, TimeUnit.SECONDS);
      assertNotNull(reading.node());
      assertEquals(12_500_000_000L, reading.node().cpuNanos());
      NodeReading.Sample web = reading.containers().get(new NodeReading.PodRef("default", "web")).get("app");
      assertEquals(1_250_000_000L, web.cpuNanos());
      assertEquals(4096, web.workingSetBytes());

      KubeletClient stranger = new KubeletClient(new KubeletClient.ClientCertificate(theirs.cert(), theirs.key()),
          Clock.systemUTC());
      ExecutionException refused = assertThrows(ExecutionException.class,
          () -> stranger.resourceMetrics("127.0.0.1", port).get(30, TimeUnit.SECONDS));
      assertTrue(refused.getCause() instanceof java.io.IOException, String.valueOf(refused.getCause()));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
