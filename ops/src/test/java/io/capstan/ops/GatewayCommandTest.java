package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.bootstrap.SystemNamespaces;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code capstan gateway} as an operator runs it next to a cluster: a child JVM against the test
 * broker, where a command processor (in this JVM) serves the cluster; two gateways with their own
 * data dirs serve the same cluster; SIGTERM stops each cleanly.
 */
class GatewayCommandTest {
  private static final Duration READY = ChildCapstan.UP_READY;
  private static final String READY_LINE =
      "gateway ready: api=(https://127\\.0\\.0\\.1:\\d+) kubeconfig=(\\S+) kafka=(\\S+) metrics=(\\S+)$";

  @Test
  void twoGatewaysServeOneClusterWithTheirOwnCertificatesAndTokens() throws Exception {
    Path work = KafkaFixture.tempDir("gateway-cmd");
    TopicLayout layout = KafkaFixture.freshLayout(2);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    try (CommandProcessor processor = new CommandProcessor(ProcessorConfig.defaults(kafka, layout, work.resolve("state"))
        .withInMemoryStores(true), new SimpleMeterRegistry())) {
      processor.start();
      processor.awaitRunning(READY);
      try (CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "gw-cmd-test"),
          new SimpleMeterRegistry())) {
        SystemNamespaces.ensure(client, READY);
      }
      String bootstrap = KafkaFixture.bootstrap();
      try (ChildCapstan one = gateway(work, "one", bootstrap, layout); ChildCapstan two = gateway(work, "two", bootstrap, layout)) {
        Matcher r1 = one.awaitLine(READY_LINE, READY);
        Matcher r2 = two.awaitLine(READY_LINE, READY);
        assertEquals(work.resolve("one/kubeconfig").toString(), r1.group(2));
        assertEquals(bootstrap, r1.group(3));
        for (Matcher r : List.of(r1, r2)) {
          HttpResponse<String> ns = get(r.group(1), Path.of(r.group(2)), "/api/v1/namespaces/kube-system");
          assertEquals(200, ns.statusCode(), ns.body());
          assertTrue(ns.body().contains("\"name\":\"kube-system\""), ns.body());
          HttpResponse<String> metrics = HttpClient.newHttpClient().send(
              HttpRequest.newBuilder(URI.create(r.group(4))).build(), HttpResponse.BodyHandlers.ofString());
          assertTrue(metrics.body().contains("capstan_gateway_watch_cache_lag_seconds"), metrics.body());
        }
        assertTrue(!token(work.resolve("one/kubeconfig")).equals(token(work.resolve("two/kubeconfig"))),
            "each data dir has its own admin token");
        assertEquals(0, one.terminate(Duration.ofMinutes(1)), one.stderr());
        assertEquals(0, two.terminate(Duration.ofMinutes(1)), two.stderr());
        assertEquals("gateway stopped", one.stdout().get(one.stdout().size() - 1));
      }
    }
  }

  private static ChildCapstan gateway(Path work, String name, String bootstrap, TopicLayout layout) {
    return ChildCapstan.start(work, "gateway", "--kafka", bootstrap, "--port", "0", "--metrics-port", "0",
        "--data-dir", work.resolve(name).toString(), "--topic-prefix", layout.prefix());
  }

  private static String token(Path kubeconfig) throws Exception {
    Matcher m = Pattern.compile("\\btoken: (\\S+)").matcher(Files.readString(kubeconfig));
    assertTrue(m.find());
    return m.group(1);
  }

  /** A GET with the kubeconfig's token, trusting the CA it embeds. */
  static HttpResponse<String> get(String api, Path kubeconfig, String path) throws Exception {
    String text = Files.readString(kubeconfig);
    Matcher ca = Pattern.compile("certificate-authority-data: (\\S+)").matcher(text);
    assertTrue(ca.find(), text);
    java.security.KeyStore trust = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(
        new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode(ca.group(1)))));
    javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
        javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ssl).build().send(HttpRequest.newBuilder(URI.create(api + path))
        .header("Authorization", "Bearer " + token(kubeconfig)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
