package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.stateviews.testing.KafkaFixture;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The monitoring files in ops/prometheus: checked and unit-tested with promtool, and a real
 * Prometheus (Debian's package) scraping a real {@code capstan up} (the shared one with a runc node)
 * with them.
 */
@SharedUp.Uses(SharedUp.Kind.RUNC)
class PrometheusTest {
  private static final Path FILES = Path.of("prometheus");
  /** The series a Capstan operator relies on; each must be scraped. */
  private static final List<String> KEY_SERIES = List.of(
      "up{job=\"capstan\"} == 1",
      "capstan_processor_commands_total",
      "capstan_processor_watermark_lag_seconds",
      "capstan_kafka_consumer_lag{consumer=\"processor\", topic=\"capstan.commands\"}",
      "capstan_kafka_consumer_lag{consumer=\"command-replies\"}",
      "capstan_kafka_consumer_lag{consumer=\"informer-pod\"}",
      "capstan_apiserver_registered_watchers",
      "capstan_workqueue_depth",
      "capstan_scheduler_pending_pods",
      "capstan_node_ready == 1",
      "jvm_memory_used_bytes");

  private static String tool(String name) {
    Path p = Path.of("/usr/bin", name);
    if (!Files.isExecutable(p)) {
      fail(name + " is not installed: install Debian's prometheus package (apt-get install -y prometheus),"
          + " or run the tests with ./capstan test, which does");
    }
    return p.toString();
  }

  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).directory(FILES.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
    assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
    return out;
  }

  @Test
  void promtoolAcceptsTheConfigsAndTheRulesPassTheirUnitTests() throws Exception {
    String promtool = tool("promtool");
    assertTrue(run(promtool, "check", "config", "prometheus.yml").contains("SUCCESS"));
    assertTrue(run(promtool, "check", "config", "prometheus-scale-out.yml").contains("SUCCESS"));
    assertTrue(run(promtool, "check", "rules", "alerts.yml").contains("SUCCESS"));
    assertTrue(run(promtool, "test", "rules", "alerts-test.yml").contains("SUCCESS"));
  }

  /**
   * Every Capstan series the alerts and the Grafana dashboard use is one the code registers
   * (Micrometer's dotted name, before Prometheus adds its unit and type suffixes).
   */
  @Test
  void theAlertsAndTheDashboardUseSeriesCapstanExports() throws Exception {
    String dashboard = Files.readString(Path.of("grafana", "capstan.json"));
    assertTrue(new ObjectMapper().readTree(dashboard).get("panels").size() >= 10, "the dashboard has its panels");
    String used = Files.readString(FILES.resolve("alerts.yml")) + dashboard;
    StringBuilder code = new StringBuilder();
    try (var files = Files.walk(Path.of(".."))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/")).toList()) {
        code.append(Files.readString(f));
      }
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("capstan_[a-z_]+").matcher(used);
    List<String> missing = new ArrayList<>();
    while (m.find()) {
      String series = m.group().replaceAll("_(bucket|count|sum)$", "").replaceAll("_(total|seconds|bytes)$", "");
      String dotted = series.replace('_', '.');
      if (!code.toString().contains('"' + dotted) && !code.toString().contains('"' + series)) {
        missing.add(m.group());
      }
    }
    assertTrue(missing.isEmpty(), "series no code registers: " + missing);
  }

  @Test
  void aRealPrometheusScrapesTheKeySeriesOfCapstanUp() throws Exception {
    String prometheus = tool("prometheus");
    Path work = KafkaFixture.tempDir("prometheus");
    String metrics = SharedUp.metrics(SharedUp.Kind.RUNC);
    Path config = work.resolve("prometheus.yml");
    // The shipped config, pointed at the shared cluster's port and scraping every second.
    Files.writeString(config, Files.readString(FILES.resolve("prometheus.yml"))
        .replace("127.0.0.1:9464", metrics)
        .replace("scrape_interval: 15s", "scrape_interval: 1s"));
    Files.copy(FILES.resolve("alerts.yml"), work.resolve("alerts.yml"));
    int port = freePort();
    Process server = new ProcessBuilder(prometheus, "--config.file=" + config,
        "--storage.tsdb.path=" + work.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
        .redirectErrorStream(true).redirectOutput(work.resolve("prometheus.log").toFile()).start();
    try {
      String api = "http://127.0.0.1:" + port + "/api/v1/";
      List<String> missing = new ArrayList<>(KEY_SERIES);
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (!missing.isEmpty() && System.nanoTime() < deadline) {
        missing.removeIf(q -> hasResult(api, q));
        Thread.sleep(500);
      }
      assertTrue(missing.isEmpty(), "Prometheus has no samples for " + missing + "; its log:\n"
          + Files.readString(work.resolve("prometheus.log")));
      JsonNode rules = get(api + "rules");
      assertEquals(8, rules.at("/data/groups/0/rules").size(), "alert rules loaded: " + rules);
    } finally {
      server.destroy();
      server.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static boolean hasResult(String api, String query) {
    try {
      JsonNode r = get(api + "query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
      return "success".equals(r.path("status").asText()) && r.at("/data/result").size() > 0;
    } catch (IOException e) {
      return false; // not listening yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static JsonNode get(String url) throws IOException, InterruptedException {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofString());
    return new ObjectMapper().readTree(r.body());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
