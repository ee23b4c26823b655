package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.logschema.topics.TopicLayout;
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
  private static final Duration READY = Duration.ofMinutes(2);
  private static final String READY_LINE = "capstan ready: kafka=(\\S+) metrics=(\\S+)";

  @Test
  void comesUpServesMetricsStopsCleanlyAndComesBackOnTheSameDataDir() throws Exception {
    Path work = KafkaFixture.tempDir("up");
    Path dataDir = work.resolve("data");
    TopicLayout layout = TopicLayout.defaults();

    try (ChildCapstan up = ChildCapstan.start(work, "up", "--data-dir", dataDir.toString(),
        "--kafka-port", "0", "--metrics-port", "0", "--partitions", "2")) {
      up.awaitLine("kafka ready: bootstrap=127\\.0\\.0\\.1:\\d+$", READY);
      Matcher ready = up.awaitLine(READY_LINE, READY);
      String metrics = scrape(ready.group(2));
      assertTrue(metrics.contains("capstan_processor_"), "command processor series on /metrics:\n" + metrics);
      assertTrue(metrics.contains("jvm_memory_used_bytes"), "JVM series on /metrics");
      assertEquals(2, partitionsOf(ready.group(1), layout.commands()));

      assertEquals(0, up.terminate(Duration.ofMinutes(1)), "exit status after SIGTERM; stderr:\n" + up.stderr());
      List<String> out = up.stdout();
      assertEquals("capstan stopped", out.get(out.size() - 1), "last line after SIGTERM: " + out);
    }
    String log = Files.readString(dataDir.resolve("logs/capstan.log"));
    assertTrue(log.contains("serving metrics on"), "the log file under the data dir has the run's log:\n" + log);

    // Again on the same data dir, asking for other partitions: the existing topics win.
    try (ChildCapstan again = ChildCapstan.start(work, "up", "--data-dir", dataDir.toString(),
        "--kafka-port", "0", "--metrics-port", "0", "--partitions", "3")) {
      again.awaitLine("topics ready: .*, 2 partitions$", READY);
      Matcher ready = again.awaitLine(READY_LINE, READY);
      try (Admin admin = admin(ready.group(1))) {
        Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        for (String t : TopicAdmin.topicsOf(layout)) {
          assertTrue(topics.contains(t), "topic " + t + " kept across the restart: " + topics);
        }
      }
      assertTrue(scrape(ready.group(2)).contains("capstan_processor_"));
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
