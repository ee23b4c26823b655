package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.api.ConfigMap;
import io.capstan.api.Container;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.capstan.stateviews.kafka.TopicAdmin;
import io.capstan.stateviews.testing.KafkaFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;

/**
 * {@code capstan up} as a user runs it: a child JVM on a fresh data dir, ready line, metrics,
 * SIGTERM; then again on the same data dir. A clean stop on SIGTERM exits 0 (the launcher
 * handles the signal and shuts down in order; 143 would mean it was killed mid-way).
 */
class UpCommandTest {
  /** The test's own clients opened sessions with the child's certificates (ComponentCertificates.install). */
  @org.junit.jupiter.api.AfterEach
  void clearSessions() {
    io.capstan.logschema.session.ComponentSessions.clear();
  }

  private static final Duration READY = ChildCapstan.UP_READY;
  private static final String READY_LINE = "capstan ready: api=(\\S+) kubeconfig=(\\S+) kafka=(\\S+) metrics=(\\S+)$";

  /** Objects written before the restart: key to uid and resourceVersion. */
  private Map<String, String> written;

  @Test
  void comesUpServesMetricsStopsCleanlyAndComesBackOnTheSameDataDir() throws Exception {
    Path work = KafkaFixture.tempDir("up");
    Path dataDir = work.resolve("data");
    TopicLayout layout = TopicLayout.defaults();

    try (ChildCapstan up = ChildCapstan.start(work, "up", "--data-dir", dataDir.toString(),
        "--kafka-port", "0", "--metrics-port", "0", "--api-port", "0", "--partitions", "2")) {
      up.awaitLine("kafka ready: bootstrap=127\\.0\\.0\\.1:\\d+$", READY);
      Matcher ready = up.awaitLine(READY_LINE, READY);
      assertTrue(ready.group(1).matches("https://127\\.0\\.0\\.1:\\d+"), ready.group(0));
      assertEquals(dataDir.resolve("kubeconfig").toString(), ready.group(2));
      up.awaitLine("export KUBECONFIG=" + java.util.regex.Pattern.quote(ready.group(2)) + "$", READY);
      up.awaitLine("console: " + java.util.regex.Pattern.quote(ready.group(1)) + "/ui/ ", READY);
      assertApiAnswersWithTheAdminToken(ready.group(1), dataDir);
      String metrics = scrape(ready.group(4));
      assertTrue(metrics.contains("capstan_processor_"), "command processor series on /metrics:\n" + metrics);
      assertTrue(metrics.contains("jvm_memory_used_bytes"), "JVM series on /metrics");
      assertTrue(metrics.contains("capstan_gateway_watch_cache_lag_seconds"), "gateway series on /metrics");
      assertEquals(2, partitionsOf(ready.group(3), layout.commands()));
      io.capstan.gateway.security.ComponentCertificates.install(dataDir.resolve("pki")); // the processor takes only authenticated commands
      written = writeObjects(ready.group(3), layout);

      assertEquals(0, up.terminate(Duration.ofMinutes(1)), "exit status after SIGTERM; stderr:\n" + up.stderr());
      List<String> out = up.stdout();
      assertEquals("capstan stopped", out.get(out.size() - 1), "last line after SIGTERM: " + out);
    }
    String log = Files.readString(dataDir.resolve("logs/capstan.log"));
    assertTrue(log.contains("serving metrics on"), "the log file under the data dir has the run's log:\n" + log);

    // Again on the same data dir, asking for other partitions: the existing topics win.
    String firstKubeconfig = Files.readString(dataDir.resolve("kubeconfig"));
    try (ChildCapstan again = ChildCapstan.start(work, "up", "--data-dir", dataDir.toString(),
        "--kafka-port", "0", "--metrics-port", "0", "--api-port", "0", "--partitions", "3")) {
      again.awaitLine("topics ready: .*, 2 partitions$", READY);
      Matcher ready = again.awaitLine(READY_LINE, READY);
      assertEquals(tokenOf(firstKubeconfig), tokenOf(Files.readString(dataDir.resolve("kubeconfig"))),
          "the admin token (and CA) survive the restart");
      assertApiAnswersWithTheAdminToken(ready.group(1), dataDir);
      try (Admin admin = admin(ready.group(3))) {
        Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        for (String t : TopicAdmin.topicsOf(layout)) {
          assertTrue(topics.contains(t), "topic " + t + " kept across the restart: " + topics);
        }
      }
      assertTrue(scrape(ready.group(4)).contains("capstan_processor_"));
      assertObjectsKept(ready.group(3), layout, written);
      assertReplayVerifies(ready.group(3));
      assertIdleBenchMeasures(work, again.pid(), ready.group(3), ready.group(4), ready.group(2));
      assertEquals(0, again.terminate(Duration.ofMinutes(1)), "exit status after SIGTERM; stderr:\n" + again.stderr());
    }
  }

  @Test
  void aComponentThatCannotStartStopsTheOthersAndExits1NamingTheProblem() throws Exception {
    Path work = KafkaFixture.tempDir("up-fails");
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        ChildCapstan up = ChildCapstan.start(work, "up", "--data-dir", work.resolve("data").toString(),
            "--kafka-port", "0", "--metrics-port", Integer.toString(taken.getLocalPort()))) {
      up.awaitLine("kafka ready: ", READY);
      assertEquals(1, up.awaitExit(Duration.ofMinutes(1)), "stdout: " + up.stdout() + "\nstderr:\n" + up.stderr());
      assertTrue(up.stderr().contains("capstan up: metrics endpoint failed to start: cannot serve metrics on 127.0.0.1:"
          + taken.getLocalPort()), up.stderr());
      assertTrue(up.stdout().stream().noneMatch(l -> l.startsWith("capstan ready")), up.stdout().toString());
    }
  }

  /** Creates ConfigMaps and a Pod, updates one, deletes another, through the command client. */
  private static Map<String, String> writeObjects(String bootstrap, TopicLayout layout) {
    Map<String, Object> kafka = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    Map<String, String> kept = new java.util.TreeMap<>();
    try (CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "up-test"), new SimpleMeterRegistry())) {
      for (int i = 0; i < 5; i++) {
        ConfigMap cm = ConfigMap.newBuilder()
            .setMetadata(ObjectMeta.newBuilder().setName("cm-" + i).setNamespace("default").build())
            .setData(Map.of("i", Integer.toString(i))).build();
        accepted(client.create(cm).join());
      }
      // Left to a scheduler that does not run here, so no component changes it between the runs.
      Pod pod = Pod.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setName("web").setNamespace("default").build())
          .setSpec(PodSpec.newBuilder().setSchedulerName("elsewhere").setContainers(List.of(
              Container.newBuilder().setName("main").setImage("capstan.local/busybox").build())).build())
          .build();
      accepted(client.create(pod).join());
      ConfigMap changed = (ConfigMap) accepted(client.create(ConfigMap.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setName("changed").setNamespace("default").build())
          .setData(Map.of("v", "1")).build()).join()).object();
      changed.setData(Map.of("v", "2"));
      accepted(client.update(changed).join());
      accepted(client.delete(Kinds.CONFIG_MAP, "default", "cm-4", null).join());
    }
    try (Informer<ConfigMap> cms = informer(bootstrap, layout, Kinds.CONFIG_MAP, ConfigMap.class);
        Informer<Pod> pods = informer(bootstrap, layout, Kinds.POD, Pod.class)) {
      // kube-root-ca.crt (one per namespace) is the root CA publisher's, checked on its own
      cms.list().stream().filter(o -> !o.getMetadata().getName().equals("kube-root-ca.crt"))
          .forEach(o -> kept.put("ConfigMap/" + o.getMetadata().getName(), identity(o.getMetadata())));
      pods.list().forEach(o -> kept.put("Pod/" + o.getMetadata().getName(), identity(o.getMetadata())));
    }
    assertEquals(6, kept.size(), "4 ConfigMaps left after the delete, 1 changed, 1 Pod: " + kept);
    return kept;
  }

  private static void assertObjectsKept(String bootstrap, TopicLayout layout, Map<String, String> before) {
    Map<String, String> after = new java.util.TreeMap<>();
    try (Informer<ConfigMap> cms = informer(bootstrap, layout, Kinds.CONFIG_MAP, ConfigMap.class);
        Informer<Pod> pods = informer(bootstrap, layout, Kinds.POD, Pod.class);
        Informer<Namespace> nss = informer(bootstrap, layout, Kinds.NAMESPACE, Namespace.class)) {
      cms.list().stream().filter(o -> !o.getMetadata().getName().equals("kube-root-ca.crt"))
          .forEach(o -> after.put("ConfigMap/" + o.getMetadata().getName(), identity(o.getMetadata())));
      pods.list().forEach(o -> after.put("Pod/" + o.getMetadata().getName(), identity(o.getMetadata())));
      assertEquals("2", cms.get("default", "changed").orElseThrow().getData().get("v"), "the update survived");
      Set<String> namespaces = new java.util.TreeSet<>();
      nss.list().forEach(n -> namespaces.add(n.getMetadata().getName()));
      assertTrue(namespaces.containsAll(List.of("default", "kube-system", "kube-public", "kube-node-lease")), namespaces.toString());
    }
    assertEquals(before, after, "every object, with its uid and resourceVersion, kept across the restart");
  }

  /**
   * A CI-sized `bench idle` of the running cluster, with two custom kinds registered first: it
   * completes and reports every figure, and the kinds it registered are served.
   */
  private static void assertIdleBenchMeasures(Path work, long pid, String kafka, String metrics, String kubeconfig)
      throws Exception {
    try (ChildCapstan bench = ChildCapstan.start(work, "bench", "idle", "--pid", Long.toString(pid), "--kafka", kafka,
        "--metrics", metrics, "--settle-seconds", "0", "--seconds", "3", "--crds", "2", "--kubeconfig", kubeconfig)) {
      String line = bench.awaitLine("^\\{\"bench\":\"idle\".*\\}$", Duration.ofMinutes(2)).group();
      JsonNode json = new ObjectMapper().readTree(line);
      for (String field : List.of("cpu_cores", "rss_mb", "threads", "records_per_s", "transactions_per_s")) {
        assertTrue(json.path(field).isNumber(), field + " in " + line);
      }
      assertTrue(json.path("rss_mb").asDouble() > 50 && json.path("threads").asInt() > 10,
          "a running cluster has memory and threads: " + line);
      assertEquals(2, json.path("crds").asInt(), line);
    }
    KubectlRunner.Result crds = KubectlRunner.run(Path.of(kubeconfig), "get", "crd", "-o", "name");
    assertEquals(2, crds.out().lines().filter(l -> l.contains(".bench.capstan.io")).count(),
        "the two custom kinds bench idle registered: " + crds.out());
  }

  /** {@code capstan replay --verify} against the running cluster: the event log rebuilds the live state. */
  private static void assertReplayVerifies(String bootstrap) {
    CapstanCommandLineTest.Run r = CapstanCommandLineTest.run("replay", "--kafka", bootstrap, "--verify");
    assertEquals(0, r.status(), r.out() + r.err());
    assertTrue(r.out().matches("(?s)state digest: [0-9a-f]{64} objects=\\d+ events=\\d+\n.*verify: OK.*"), r.out());
  }

  private static <T extends org.apache.avro.specific.SpecificRecord> Informer<T> informer(
      String bootstrap, TopicLayout layout, io.capstan.logschema.kinds.Kind kind, Class<T> type) {
    Informer<T> inf = new Informer<>(InformerConfig.defaults(
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), layout, "up-test"), kind, type, new SimpleMeterRegistry());
    inf.start();
    try {
      assertTrue(inf.awaitSynced(Duration.ofSeconds(60)), kind.kind() + " informer synced");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    return inf;
  }

  private static String identity(ObjectMeta m) {
    return m.getUid() + "@" + m.getResourceVersion();
  }

  private static CommandResult.Accepted accepted(CommandResult r) {
    if (r instanceof CommandResult.Accepted a) {
      return a;
    }
    throw new AssertionError("command rejected: " + ((CommandResult.Rejected) r).status());
  }

  /**
   * The kubeconfig {@code up} wrote: the CA it embeds verifies the API's certificate, and its admin
   * token is accepted ({@code /api} refuses anonymous requests; {@code /version} answers).
   */
  private static void assertApiAnswersWithTheAdminToken(String api, Path dataDir) throws Exception {
    String kubeconfig = Files.readString(dataDir.resolve("kubeconfig"));
    assertTrue(kubeconfig.contains("server: " + api + "\n"), kubeconfig);
    Matcher ca = java.util.regex.Pattern.compile("certificate-authority-data: (\\S+)").matcher(kubeconfig);
    assertTrue(ca.find(), "the CA is embedded: " + kubeconfig);
    java.security.cert.Certificate caCert = java.security.cert.CertificateFactory.getInstance("X.509")
        .generateCertificate(new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode(ca.group(1))));
    java.security.KeyStore trust = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("capstan-ca", caCert);
    javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
        javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    HttpClient client = HttpClient.newBuilder().sslContext(ssl).build();
    String token = tokenOf(kubeconfig);
    HttpResponse<String> version = client.send(HttpRequest.newBuilder(URI.create(api + "/version"))
        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, version.statusCode(), version.body());
    assertTrue(version.body().contains("\"gitVersion\""), version.body());
    HttpResponse<String> anonymous = client.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/namespaces")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(401, anonymous.statusCode(), anonymous.body());
    HttpResponse<String> namespaces = client.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/namespaces"))
        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, namespaces.statusCode(), namespaces.body());
    assertTrue(namespaces.body().contains("\"kube-system\""), "the gateway reads the cluster: " + namespaces.body());

    // The root CA publisher puts the gateway's CA in every namespace as kube-root-ca.crt.
    String caPem = Files.readString(dataDir.resolve("pki").resolve("ca.crt"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    HttpResponse<String> rootCa;
    do {
      rootCa = client.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/namespaces/default/configmaps/kube-root-ca.crt"))
          .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    } while (rootCa.statusCode() == 404 && System.nanoTime() < deadline && sleep(200));
    assertEquals(200, rootCa.statusCode(), rootCa.body());
    assertEquals(caPem, new com.fasterxml.jackson.databind.ObjectMapper().readTree(rootCa.body()).at("/data/ca.crt")
        .asText(), "kube-root-ca.crt holds DATA_DIR/pki/ca.crt");
  }

  private static boolean sleep(long millis) throws InterruptedException {
    Thread.sleep(millis);
    return true;
  }

  private static String tokenOf(String kubeconfig) {
    Matcher m = java.util.regex.Pattern.compile("\\btoken: (\\S+)").matcher(kubeconfig);
    assertTrue(m.find(), "a token in the kubeconfig: " + kubeconfig);
    return m.group(1);
  }

  private static Admin admin(String bootstrap) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
  }

  private static int partitionsOf(String bootstrap, String topic) throws Exception {
    try (Admin admin = admin(bootstrap)) {
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
      return d.partitions().size();
    }
  }

  private static String scrape(String url) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), url);
    return r.body();
  }
}
