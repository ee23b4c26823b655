package io.capstan.gateway.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.server.GatewayServer;
import io.capstan.gateway.testing.KafkaGatewayFixture;
import io.capstan.gateway.testing.KubectlCli;
import io.capstan.logschema.kinds.Kinds;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's kubectl example of custom resources (the {@code sh} block of its section "Custom
 * resources and operators") runs as written, by bash, with the real kubectl against the gateway,
 * and prints what the README shows.
 */
class CustomResourcesExampleTest {
  /** Relative to the gateway module, where Maven runs its tests. */
  static final Path README = Path.of("..", "README.md");
  static final String SECTION = "## Custom resources and operators";

  /** The section's one {@code sh} block. */
  static String example(String readme) {
    return example(readme, SECTION);
  }

  /** The one {@code sh} block of a README section. */
  static String example(String readme, String heading) {
    int start = readme.indexOf(heading);
    assertTrue(start >= 0, "README.md has a section '" + heading + "'");
    int end = readme.indexOf("\n## ", start + heading.length());
    String section = readme.substring(start, end < 0 ? readme.length() : end);
    java.util.regex.Matcher m = Pattern.compile("```sh\n(.*?)```", Pattern.DOTALL).matcher(section);
    assertTrue(m.find(), "the section has an sh block");
    String block = m.group(1);
    assertTrue(!m.find(), "the section has one sh block");
    return block;
  }

  /**
   * Runs an example block by bash ({@code -euo pipefail}) with the real kubectl against the gateway,
   * and returns what it printed; it must finish within two minutes and exit 0.
   */
  static String run(String block, GatewayServer gateway, Path dataDir) throws Exception {
    Path script = Files.createTempFile(dataDir, "example", ".sh");
    Files.writeString(script, block);
    ProcessBuilder pb = new ProcessBuilder(List.of("bash", "-euo", "pipefail", script.toString()))
        .redirectErrorStream(true);
    pb.environment().put("KUBECONFIG", gateway.kubeconfig().toString());
    pb.environment().put("KUBECACHEDIR", dataDir.resolve("kube-cache").toString());
    pb.environment().put("PATH", Path.of(KubectlCli.KUBECTL).getParent() + ":" + System.getenv("PATH"));
    Process p = pb.start();
    String out;
    try (var in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the example did not finish:\n" + out);
    System.out.println(out);
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  @TempDir
  static Path dataDir;
  static KafkaGatewayFixture backend;
  static GatewayServer gateway;

  @BeforeAll
  static void start() throws Exception {
    KubectlCli.require();
    backend = KafkaGatewayFixture.start("cr-example", WatchCacheConfig.defaults());
    gateway = backend.startServer(dataDir);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (backend != null) {
        backend.close();
      }
    } finally {
      Kinds.unregister("CronTab"); // the kind registry is JVM-wide
    }
  }

  @Test
  void theDocumentedExampleRunsAndPrintsThePrinterColumns() throws Exception {
    String out = run(example(Files.readString(README)), gateway, dataDir);
    assertTrue(out.contains("customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created"), out);
    assertTrue(out.contains("customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com condition met"),
        out);
    assertTrue(out.contains("crontab.stable.example.com/nightly-report created"), out);
    assertTrue(Pattern.compile("(?m)^NAME\\s+SCHEDULE\\s+REPLICAS\\s+AGE$").matcher(out).find(), out);
    assertTrue(Pattern.compile("(?m)^nightly-report\\s+0 3 \\* \\* \\*\\s+1\\s+\\d+s$").matcher(out).find(), out);
    assertTrue(out.trim().endsWith("\n1"), "the defaulted replicas last: " + out);
  }
}
