package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.gateway.store.InMemoryResourceStore;
import io.capstan.logschema.json.KubeJson;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real kubectl against the gateway over HTTPS on a free port, with the kubeconfig the
 * gateway writes (CA embedded, admin token) and validation on. The store is the in-memory test
 * double until the Kafka-backed store lands.
 */
class KubectlIT {
  private static final String KUBECTL = "/usr/bin/kubectl";

  @TempDir
  static Path dataDir;
  static Vertx vertx;
  static GatewayServer gateway;
  static PrometheusMeterRegistry registry;

  record Result(int exit, String out, String err) {
    String both() {
      return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    if (!Files.isExecutable(Path.of(KUBECTL))) {
      fail("kubectl is not installed at " + KUBECTL + ": run `apt-get install kubernetes-client`");
    }
    vertx = Vertx.vertx();
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    gateway = GatewayServer.prepare(GatewayConfig.defaults(dataDir).withPort(0), new InMemoryResourceStore(), registry);
    vertx.deployVerticle(gateway).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  static Result kubectl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(KUBECTL, "--kubeconfig", gateway.kubeconfig().toString(),
        "--cache-dir", dataDir.resolve("kube-cache").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .start();
    var out = p.getInputStream().readAllBytes();
    var err = p.getErrorStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("kubectl " + String.join(" ", args) + " did not finish in 60s");
    }
    Result r = new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    System.out.println("$ kubectl " + String.join(" ", args) + "\n" + r.out() + r.err());
    return r;
  }

  @Test
  void kubeconfigEmbedsCaAndToken() throws IOException {
    String kubeconfig = Files.readString(gateway.kubeconfig());
    assertTrue(kubeconfig.contains("certificate-authority-data: "), kubeconfig);
    assertTrue(kubeconfig.contains("server: https://127.0.0.1:" + gateway.port()), kubeconfig);
    assertTrue(kubeconfig.contains("token: "), kubeconfig);
  }

  @Test
  void version() throws Exception {
    Result r = kubectl("version", "-o", "json");
    assertEquals(0, r.exit(), r.both());
    JsonNode json = KubeJson.parse(r.out());
    assertEquals("v1.32.0+capstan-0.1.0", json.at("/serverVersion/gitVersion").asText(), r.both());
  }

  @Test
  void apiResources() throws Exception {
    Result r = kubectl("api-resources");
    assertEquals(0, r.exit(), r.both());
    assertTrue(r.out().matches("(?s).*\\bpods\\s+po\\s+v1\\s+true\\s+Pod\\b.*"), r.both());
    assertTrue(r.out().matches("(?s).*\\bdeployments\\s+deploy\\s+apps/v1\\s+true\\s+Deployment\\b.*"), r.both());
    assertTrue(r.out().matches("(?s).*\\bleases\\s+coordination.k8s.io/v1\\s+true\\s+Lease\\b.*"), r.both());
    assertTrue(r.out().matches("(?s).*\\bnamespaces\\s+ns\\s+v1\\s+false\\s+Namespace\\b.*"), r.both());
  }

  @Test
  void explainPodContainers() throws Exception {
    Result r = kubectl("explain", "pods.spec.containers");
    assertEquals(0, r.exit(), r.both());
    assertTrue(r.out().contains("KIND:") && r.out().contains("Pod"), r.both());
    assertTrue(r.out().contains("FIELD: containers <[]Container>"), r.both());
    assertTrue(r.out().contains("image\t<string>") || r.out().matches("(?s).*image\\s+<string>.*"), r.both());
  }

  @Test
  void createConfigMapWithValidationThenGetAsJson() throws Exception {
    Path manifest = dataDir.resolve("cm.yaml");
    Files.writeString(manifest, """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: app-settings
          labels:
            app: web
        data:
          mode: fast
        """);
    Result created = kubectl("create", "-f", manifest.toString());
    assertEquals(0, created.exit(), created.both());
    assertTrue(created.out().contains("configmap/app-settings created"), created.both());

    Result get = kubectl("get", "cm", "-o", "json");
    assertEquals(0, get.exit(), get.both());
    JsonNode list = KubeJson.parse(get.out());
    JsonNode item = list.at("/items/0");
    assertEquals("app-settings", item.at("/metadata/name").asText(), get.both());
    assertEquals("default", item.at("/metadata/namespace").asText(), get.both());
    assertEquals("fast", item.at("/data/mode").asText(), get.both());
    assertTrue(item.at("/metadata/uid").asText().length() > 10, get.both());

    Result table = kubectl("get", "cm", "app-settings");
    assertEquals(0, table.exit(), table.both());
    assertTrue(table.out().matches("(?s)NAME\\s+AGE\\s*\\napp-settings\\s+\\d+s.*"), table.both());
  }

  @Test
  void strictValidationRejectsUnknownFields() throws Exception {
    Path manifest = dataDir.resolve("bad-cm.yaml");
    Files.writeString(manifest, """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: typo
        dataa:
          mode: fast
        """);
    Result r = kubectl("create", "-f", manifest.toString());
    assertTrue(r.exit() != 0, r.both());
    assertTrue(r.err().contains("unknown field \"dataa\""), r.both());
  }

  @Test
  void anonymousRequestsGet401ExceptVersionAndProbes() throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(trustingGatewayCa()).build();
    HttpResponse<String> pods = client.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/api/v1/pods")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(401, pods.statusCode(), pods.body());
    JsonNode status = KubeJson.parse(pods.body());
    assertEquals("Status", status.get("kind").asText());
    assertEquals("Unauthorized", status.get("reason").asText());
    for (String open : List.of("/healthz", "/readyz", "/livez", "/version")) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(gateway.url() + open)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), open + ": " + r.body());
    }
    HttpResponse<String> wrong = client.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/api"))
        .header("Authorization", "Bearer not-a-token").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, wrong.statusCode());

    Result r = kubectl("get", "pods", "--token", "not-a-token");
    assertTrue(r.exit() != 0, r.both());
    assertTrue(r.err().contains("Unauthorized") || r.err().contains("must be logged in"), r.both());
  }

  @Test
  void requestMetricsAreRecorded() throws Exception {
    kubectl("get", "namespaces");
    String scrape = registry.scrape();
    assertTrue(scrape.contains("capstan_apiserver_request_total{code=\"200\",resource=\"namespaces\",verb=\"LIST\"}"),
        scrape);
    assertTrue(scrape.contains("capstan_apiserver_request_duration_seconds_bucket"), scrape);
  }

  private static SSLContext trustingGatewayCa() throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("capstan-ca", io.capstan.gateway.security.CertificateAuthority.readCertificate(
        dataDir.resolve("pki/ca.crt")));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return ssl;
  }
}
