package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.stateviews.testing.KafkaFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's five-minute tour, run as written: every {@code sh} block of that section, in
 * order, by bash, against a real {@code capstan up} (embedded Kafka, processor, gateway,
 * controllers, scheduler and a runc node agent) in a fresh directory, so {@code
 * $PWD/.capstan/kubeconfig} is the kubeconfig the README names. {@code ./capstan} in the README
 * runs the same launcher main class as the tests build.
 */
class ReadmeTourTest {
  private static final String SECTION = "## A five-minute tour";
  private static final Duration READY = ChildCapstan.UP_READY;
  private static final Duration SCRIPT = Duration.ofMinutes(12);

  private static void requireTools() {
    if (!"root".equals(System.getProperty("user.name"))) {
      fail("the tour runs pods in runc containers, which needs root");
    }
    for (String[] tool : new String[][] {{"/usr/bin/kubectl", "kubernetes-client"}, {"/usr/sbin/runc", "runc"},
        {"/bin/busybox", "busybox-static"}}) {
      if (!Files.isExecutable(Path.of(tool[0])) && !Files.isExecutable(Path.of(tool[0].replace("/usr/sbin/", "/usr/bin/")))) {
        fail(tool[0] + " is missing: apt-get install -y " + tool[1] + " (./capstan test installs it)");
      }
    }
  }

  @Test
  void theTourWorksAsWritten() throws Exception {
    requireTools();
    List<String> blocks = ReadmeScript.blocks(SECTION);
    assertTrue(blocks.size() >= 5, "the tour has its steps: " + blocks.size());
    Path work = KafkaFixture.tempDir("tour");
    try (ChildCapstan up = ChildCapstan.start(work, "up", "--data-dir", work.resolve(".capstan").toString(),
        "--kafka-port", "0", "--metrics-port", "0", "--api-port", "0")) {
      Matcher ready = up.awaitLine("capstan ready: .*kafka=(\\S+) metrics=", READY);
      ReadmeScript.Result result = ReadmeScript.run(work, blocks, Map.of("CAPSTAN_KAFKA", ready.group(1)), SCRIPT);
      String out = result.output();
      assertTrue(result.done(), "the tour did not finish within " + SCRIPT + ":\n" + out);
      assertEquals(0, result.exit(), "the tour failed:\n" + out + "\ncapstan up stderr:\n" + up.stderr());

      assertTrue(count(out, "deployment \"hello\" successfully rolled out") >= 4, out);
      assertTrue(out.contains("hello, GREETING=\n") || out.contains("hello, GREETING=\r\n"), "first logs:\n" + out);
      assertTrue(out.contains("hello, GREETING=hi"), "logs after set env:\n" + out);
      assertTrue(out.contains("job.batch/countdown condition met") && out.contains("liftoff"), out);
      assertTrue(out.contains("Events:") && out.contains("ScalingReplicaSet"), "describe shows events:\n" + out);
      // The two-tier example: the client found web by name and a web pod answered through the Service.
      assertTrue(Pattern.compile("(?m)^Name:\\s+web\\.default\\.svc\\.cluster\\.local$").matcher(out).find()
          && Pattern.compile("(?m)^hello from web-\\S+$").matcher(out).find(), "the client reached web:\n" + out);
      // Server-side apply: the conflict names its owner and field, and forcing takes the field only.
      assertTrue(out.contains("Apply failed with 1 conflict: conflict with \"team-a\": .data.color")
          && out.contains("refused: team-a owns data.color"), "the apply conflict:\n" + out);
      assertTrue(out.contains("{\"color\":\"green\",\"size\":\"large\"}"), "the forced apply:\n" + out);
      // The tour's last `kubectl get pods` may still show a pod Terminating; they all go.
      assertTrue(podsGone(work.resolve(".capstan/kubeconfig"), Duration.ofSeconds(90)), "every pod gone:\n" + out);
      assertTrue(out.contains("verify: OK"), out);
      assertTrue(Pattern.compile("(?m)^\\S+ +\\S+ +CREATED +Deployment/default/hello").matcher(out).find(),
          "the audit trail shows the deployment's creation:\n" + out);
      assertEquals(0, up.terminate(Duration.ofMinutes(2)), "capstan up stops cleanly; stderr:\n" + up.stderr());
    }
  }

  private static boolean podsGone(Path kubeconfig, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      Process p = new ProcessBuilder("kubectl", "--kubeconfig", kubeconfig.toString(), "get", "pods", "-A", "-o", "name")
          .redirectErrorStream(true).start();
      String names = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 && names.isEmpty()) {
        return true;
      }
      Thread.sleep(1000);
    }
    return false;
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }
}
