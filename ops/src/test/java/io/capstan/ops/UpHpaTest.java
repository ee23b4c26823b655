package io.capstan.ops;

import static io.capstan.ops.KubectlRunner.await;
import static io.capstan.ops.KubectlRunner.kubectl;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A HorizontalPodAutoscaler against {@code capstan up} with real runc pods (issue 19): the README's
 * HPA example, applied as written, scales a CPU-burning busybox Deployment up on CPU utilization
 * read from the node agent, and back down to its minimum once the pods stop burning (the example's
 * short scale-down window); status, conditions and events as kube's controller writes them.
 */
class UpHpaTest {
  private static final Path README = Path.of("..", "README.md");
  private static final String SECTION = "## HorizontalPodAutoscaler";
  private static final Duration AWAIT = Duration.ofMinutes(4);

  /** The first {@code yaml} block of the README's HPA section. */
  static String readmeManifest() throws Exception {
    String readme = Files.readString(README);
    int start = readme.indexOf(SECTION);
    assertTrue(start >= 0, "README.md has a section '" + SECTION + "'");
    int end = readme.indexOf("\n## ", start + SECTION.length());
    Matcher m = Pattern.compile("```yaml\n(.*?)```", Pattern.DOTALL)
        .matcher(readme.substring(start, end < 0 ? readme.length() : end));
    assertTrue(m.find(), "the HPA section has a yaml block");
    return m.group(1);
  }

  @Test
  void aBurningDeploymentScalesUpAndBackDown() throws Exception {
    String manifest = readmeManifest();
    RuncUp.scenario("up-hpa", c -> scenario(c.work(), c.kubeconfig(), manifest),
        c -> System.err.println(KubectlRunner.run(c.kubeconfig(), "describe", "hpa,deploy,pods")));
  }

  private static void scenario(Path work, Path kubeconfig, String manifest) throws Exception {
    Path file = Files.writeString(work.resolve("burn.yaml"), manifest);
    kubectl(kubeconfig, "apply", "-f", file.toString());

    // Up: a pod burns up to its CPU limit, twice its request, against a 50% target: to the maximum of 3
    // (to 2 first when a loaded machine gives the pod less than 150m).
    await(kubeconfig, AWAIT, "the autoscaler scaling burn up", out -> out.equals("2") || out.equals("3"),
        "get", "deployment", "burn", "-o", "jsonpath={.spec.replicas}");
    String events = await(kubeconfig, AWAIT, "the SuccessfulRescale event", out -> out.contains("SuccessfulRescale"),
        "get", "events",
        "-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}");
    assertTrue(events.matches("(?s).*SuccessfulRescale: New size: [23]; reason: cpu resource utilization \\(percentage"
        + " of request\\) above target.*"), events);
    String conditions = kubectl(kubeconfig, "get", "hpa", "burn", "-o",
        "jsonpath={range .status.conditions[*]}{.type}={.status}/{.reason}{\"\\n\"}{end}");
    assertTrue(conditions.contains("ScalingActive=True/ValidMetricFound"), conditions);
    String table = kubectl(kubeconfig, "get", "hpa", "burn", "--no-headers");
    assertTrue(table.matches("burn\\s+Deployment/burn\\s+cpu: \\d+%/50%\\s+1\\s+3\\s+\\d+\\s+.*\\s*"), table);

    // Down: every pod stops burning (told again while pods come: one started after the first round
    // burns too); after the 15 s window the autoscaler goes back to the minimum.
    long deadline = System.nanoTime() + AWAIT.toNanos();
    String replicas = "";
    while (!replicas.equals("1")) {
      assertTrue(System.nanoTime() < deadline, "the autoscaler did not scale burn down within " + AWAIT
          + "; replicas " + replicas + "; " + KubectlRunner.run(kubeconfig, "get", "hpa", "burn", "-o", "yaml"));
      for (String pod : kubectl(kubeconfig, "get", "pods", "-l", "app=burn", "-o", "name").strip().split("\\s+")) {
        if (!pod.isEmpty()) {
          KubectlRunner.run(kubeconfig, "exec", pod, "--", "touch", "/tmp/stop"); // a pod still starting is told next round
        }
      }
      Thread.sleep(5_000);
      replicas = kubectl(kubeconfig, "get", "deployment", "burn", "-o", "jsonpath={.spec.replicas}");
    }
    String down = await(kubeconfig, AWAIT, "the scale-down event", out -> out.contains("All metrics below target"),
        "get", "events",
        "-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}");
    assertTrue(down.contains("SuccessfulRescale: New size: 1; reason: All metrics below target"), down);

    kubectl(kubeconfig, "delete", "-f", file.toString(), "--wait=true", "--timeout=120s");
    await(kubeconfig, AWAIT, "the burn pods gone", String::isBlank, "get", "pods", "-l", "app=burn", "-o", "name");
  }
}
