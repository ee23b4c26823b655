package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.nodeagent.fleet.HollowFleetConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * kubectl cordon, drain and uncordon on the shared hollow cluster (no real container starts: the
 * Deployment's pods select the hollow nodes): a drain is blocked by a PodDisruptionBudget until its
 * {@code --timeout}, and succeeds once the budget is gone; the budget's status, Table columns and
 * validation as kubectl shows them. The drain cordons only the node of one of its pods, and
 * uncordons it after, failed or not; the class's objects are in its own namespace.
 */
@SharedUp.Uses(SharedUp.Kind.HOLLOW)
class KubectlDrainTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  static RuncUp.Cluster cluster;
  static Path work;
  static Path kubeconfig;

  record Run(int exit, String out, String err) {
    String both() {
      return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    cluster = SharedUp.open(SharedUp.Kind.HOLLOW, "drain");
    work = cluster.work();
    kubeconfig = cluster.kubeconfig();
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      SharedUp.close(cluster);
    }
  }

  static Run kubectl(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
    command.addAll(Arrays.asList(args));
    Path out = Files.createTempFile(work, "kubectl", ".out");
    Path err = Files.createTempFile(work, "kubectl", ".err");
    Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(3, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      fail("kubectl " + String.join(" ", args) + " did not finish");
    }
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err,
        StandardCharsets.UTF_8));
  }

  static Run ok(String... args) throws Exception {
    Run r = kubectl(args);
    assertEquals(0, r.exit(), String.join(" ", args) + ": " + r.both());
    return r;
  }

  /** Runs {@code args} until its stdout satisfies {@code done}. */
  static String await(String what, Predicate<String> done, String... args) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    Run last;
    do {
      last = kubectl(args);
      if (last.exit() == 0 && done.test(last.out().trim())) {
        return last.out().trim();
      }
      Thread.sleep(500);
    } while (System.nanoTime() < deadline);
    fail("timed out waiting for " + what + "; last: " + last.both());
    return null;
  }

  static Path manifest(String name, String yaml) throws IOException {
    return Files.writeString(work.resolve(name + ".yaml"), yaml);
  }

  @Test
  void aBudgetWithBothBoundsIsRefusedAsKubeRefusesIt() throws Exception {
    Run r = kubectl("apply", "-f", manifest("both", """
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: both}
        spec:
          minAvailable: 1
          maxUnavailable: 1
          selector: {matchLabels: {app: both}}
        """).toString());
    assertTrue(r.exit() != 0, r.both());
    assertTrue(r.err().contains("PodDisruptionBudget \"both\" is invalid: spec: Invalid value: ")
        && r.err().contains("minAvailable and maxUnavailable cannot be both set"), r.both());
  }

  @Test
  void drainIsBlockedByABudgetAndSucceedsWithoutIt() throws Exception {
    ok("apply", "-f", manifest("web", """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              nodeSelector: {"%s": "true"}
              containers: [{name: web, image: busybox, command: [sleep, "3600"]}]
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: web}
        spec:
          minAvailable: 2
          selector: {matchLabels: {app: web}}
        """.formatted(HollowFleetConfig.HOLLOW_LABEL)).toString());
    ok("rollout", "status", "deployment/web", "--timeout=90s");
    await("the budget's status", s -> s.equals("2/2/2/0"), "get", "pdb", "web", "-o",
        "jsonpath={.status.currentHealthy}/{.status.desiredHealthy}/{.status.expectedPods}"
            + "/{.status.disruptionsAllowed}");
    Run table = ok("get", "pdb", "web");
    assertTrue(table.out().matches("(?s)NAME\\s+MIN AVAILABLE\\s+MAX UNAVAILABLE\\s+ALLOWED DISRUPTIONS\\s+AGE\\s*\\n"
        + "web\\s+2\\s+N/A\\s+0\\s+\\d+s.*"), table.both());
    String node = ok("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[0].spec.nodeName}").out().trim();
    assertFalse(node.isEmpty(), "the pod is placed");

    try {
      cordonDrainUncordon(node);
    } finally {
      kubectl("uncordon", node); // the node is the shared cluster's
    }
  }

  private static void cordonDrainUncordon(String node) throws Exception {
    assertTrue(ok("cordon", node).out().contains("node/" + node + " cordoned"));
    assertEquals("true", ok("get", "node", node, "-o", "jsonpath={.spec.unschedulable}").out().trim());
    await("the cordon taint", s -> s.contains("node.kubernetes.io/unschedulable"), "get", "node", node, "-o",
        "jsonpath={.spec.taints[*].key}");

    Run blocked = kubectl("drain", node, "--timeout=12s");
    assertTrue(blocked.exit() != 0, blocked.both());
    assertTrue(blocked.both().contains("Cannot evict pod as it would violate the pod's disruption budget."),
        blocked.both());
    assertEquals(2, ok("get", "pods", "-l", "app=web", "-o", "name").out().trim().split("\\s+").length,
        "no pod was evicted");

    ok("delete", "pdb", "web");
    Run drained = kubectl("drain", node, "--timeout=90s");
    assertEquals(0, drained.exit(), drained.both());
    assertTrue(drained.out().contains("node/" + node + " drained"), drained.both());
    assertTrue(drained.both().contains("evicted"), drained.both());
    ok("rollout", "status", "deployment/web", "--timeout=90s");
    String placed = await("the replacements away from the drained node", s -> !s.isEmpty() && !s.contains(node),
        "get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].spec.nodeName}");
    assertFalse(placed.contains(node), placed);

    assertTrue(ok("uncordon", node).out().contains("node/" + node + " uncordoned"));
    assertEquals("", ok("get", "node", node, "-o", "jsonpath={.spec.unschedulable}").out().trim());
    await("the cordon taint gone", s -> !s.contains("node.kubernetes.io/unschedulable"), "get", "node", node, "-o",
        "jsonpath={.spec.taints[*].key}");
  }
}
