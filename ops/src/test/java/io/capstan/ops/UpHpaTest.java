package io.capstan.ops;

import static io.capstan.ops.KubectlRunner.await;
import static io.capstan.ops.KubectlRunner.kubectl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A HorizontalPodAutoscaler against {@code capstan up} with real runc pods (issue 19): the README's
 * HPA example, run as written (the Deployment applied, the autoscaler made by {@code kubectl
 * autoscale}, which posts autoscaling/v1, and given its short scale-down window by {@code kubectl
 * patch}), scales a CPU-burning busybox Deployment up on CPU utilization
 * read from the node agent, and back down to its minimum once the pods stop burning (the example's
 * short scale-down window); status, conditions and events as kube's controller writes them.
 */
@SharedUp.Uses(SharedUp.Kind.RUNC)
class UpHpaTest {
  private static final Path README = Path.of("..", "README.md");
  private static final String SECTION = "## HorizontalPodAutoscaler";
  private static final Duration AWAIT = Duration.ofMinutes(4);

  static String readmeSection() throws Exception {
    String readme = Files.readString(README);
    int start = readme.indexOf(SECTION);
    assertTrue(start >= 0, "README.md has a section '" + SECTION + "'");
    int end = readme.indexOf("\n## ", start + SECTION.length());
    return readme.substring(start, end < 0 ? readme.length() : end);
  }

  /** The first {@code yaml} block of the README's HPA section. */
  static String readmeManifest() throws Exception {
    Matcher m = Pattern.compile("```yaml\n(.*?)```", Pattern.DOTALL).matcher(readmeSection());
    assertTrue(m.find(), "the HPA section has a yaml block");
    return m.group(1);
  }

  /** The arguments of the README's first {@code $ kubectl <verb> ...} line (single-quoted words kept whole). */
  static List<String> readmeCommand(String verb) throws Exception {
    String prefix = "$ kubectl " + verb + " ";
    String line = readmeSection().lines().filter(l -> l.startsWith(prefix)).findFirst()
        .orElseThrow(() -> new AssertionError("the HPA section has no line '" + prefix + "...'"));
    List<String> args = new ArrayList<>();
    Matcher word = Pattern.compile("'([^']*)'|(\\S+)").matcher(line.substring("$ kubectl ".length()));
    while (word.find()) {
      args.add(word.group(1) != null ? word.group(1) : word.group(2));
    }
    return args;
  }

  @Test
  void aBurningDeploymentScalesUpAndBackDown() throws Exception {
    String manifest = readmeManifest();
    List<String> autoscale = readmeCommand("autoscale");
    List<String> patch = readmeCommand("patch");
    SharedUp.scenario(SharedUp.Kind.RUNC, "up-hpa",
        c -> scenario(c.work(), c.data(), c.kubeconfig(), manifest, autoscale, patch),
        c -> System.err.println(KubectlRunner.run(c.kubeconfig(), "describe", "hpa,deploy,pods")));
  }

  private static void scenario(Path work, Path data, Path kubeconfig, String manifest, List<String> autoscale,
      List<String> patch) throws Exception {
    Path capstanLog = data.resolve("logs/capstan.log");
    long logFrom = Files.size(capstanLog); // what the shared cluster logged before is other scenarios'
    Path file = Files.writeString(work.resolve("burn.yaml"), manifest);
    kubectl(kubeconfig, "apply", "-f", file.toString());
    String autoscaled = kubectl(kubeconfig, autoscale.toArray(String[]::new));
    assertTrue(autoscaled.contains("horizontalpodautoscaler.autoscaling/burn autoscaled"), autoscaled);
    kubectl(kubeconfig, patch.toArray(String[]::new));
    String v1 = kubectl(kubeconfig, "get", "horizontalpodautoscalers.v1.autoscaling", "burn", "-o",
        "jsonpath={.apiVersion} {.spec.targetCPUUtilizationPercentage} {.spec.minReplicas} {.spec.maxReplicas}");
    assertEquals("autoscaling/v1 50 1 3", v1.strip());

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

    // Each kubectl exec above ended its tunnel normally: nothing of it is logged as a failure.
    String log;
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(capstanLog.toFile(), "r")) {
      f.seek(Math.min(logFrom, f.length())); // a log rolled meanwhile is read from its start
      byte[] b = new byte[(int) (f.length() - f.getFilePointer())];
      f.readFully(b);
      log = new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }
    assertFalse(log.contains("Connection was closed"), log.lines().filter(l -> l.contains("Connection was closed"))
        .findFirst().orElse(""));

    kubectl(kubeconfig, "delete", "hpa", "burn");
    kubectl(kubeconfig, "delete", "-f", file.toString(), "--wait=true", "--timeout=120s");
    await(kubeconfig, AWAIT, "the burn pods gone", String::isBlank, "get", "pods", "-l", "app=burn", "-o", "name");
  }
}
