package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.stateviews.testing.KafkaFixture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/**
 * Issue 18's DaemonSet scenario with kubectl: on {@code up --hollow-nodes 20} a DaemonSet runs one
 * pod on each of the 21 nodes (the 20 hollow ones and the local node, which is schedulable), placed
 * by the scheduler; {@code kubectl rollout status}, a rolling update, {@code rollout history} and
 * {@code rollout undo} work as on Kubernetes. The local node runs hollow containers here (its agent
 * runs real ones only as root, and the child is told it is not), so the test starts no real container.
 */
class UpDaemonSetTest {
  private static final Duration READY = Duration.ofMinutes(3);

  @Test
  void aDaemonSetRunsOnEveryNodeAndRollsOutAndBack() throws Exception {
    Path work = KafkaFixture.tempDir("up-daemonset");
    try (ChildCapstan up = ChildCapstan.start(work, List.of("-Duser.name=capstan-test"), "up", "--data-dir",
        work.resolve("data").toString(), "--kafka-port", "0", "--metrics-port", "0", "--api-port", "0",
        "--partitions", "2", "--hollow-nodes", "20", "--service-proxy", "dry")) {
      Matcher ready = up.awaitLine("capstan ready: api=(\\S+) kubeconfig=(\\S+) kafka=\\S+ metrics=\\S+$", READY);
      Path kubeconfig = Path.of(ready.group(2));
      await(kubeconfig, "21 nodes", out -> out.split("\\s+").length == 21, "get", "nodes", "-o",
          "jsonpath={.items[*].metadata.name}");
      Path manifest = work.resolve("ds.yaml");
      Files.writeString(manifest, """
          apiVersion: apps/v1
          kind: DaemonSet
          metadata:
            name: node-agent
          spec:
            selector:
              matchLabels: {app: node-agent}
            updateStrategy:
              type: RollingUpdate
              rollingUpdate: {maxUnavailable: 5}
            template:
              metadata:
                labels: {app: node-agent}
              spec:
                terminationGracePeriodSeconds: 0
                containers:
                - name: agent
                  image: registry.example/agent:1
          """);
      kubectl(kubeconfig, "apply", "-f", manifest.toString());
      String status = kubectl(kubeconfig, "rollout", "status", "ds/node-agent", "--timeout=3m");
      assertTrue(status.contains("daemon set \"node-agent\" successfully rolled out"), status);
      String nodes = kubectl(kubeconfig, "get", "pods", "-l", "app=node-agent", "-o",
          "jsonpath={range .items[*]}{.spec.nodeName}{\"\\n\"}{end}");
      List<String> placed = Arrays.stream(nodes.split("\n")).filter(s -> !s.isBlank()).toList();
      assertEquals(21, placed.size(), "21 daemon pods: " + placed);
      assertEquals(21, new TreeSet<>(placed).size(), "one on each node: " + placed);
      String table = kubectl(kubeconfig, "get", "ds", "node-agent");
      assertTrue(table.matches("(?s)NAME\\s+DESIRED\\s+CURRENT\\s+READY\\s+UP-TO-DATE\\s+AVAILABLE\\s+NODE SELECTOR\\s+AGE"
          + "\\s*\nnode-agent\\s+21\\s+21\\s+21\\s+21\\s+21\\s+<none>\\s+\\S+\\s*"), table);

      // a new image rolls out; history shows both revisions; undo goes back to the first template
      kubectl(kubeconfig, "set", "image", "ds/node-agent", "agent=registry.example/agent:2");
      status = kubectl(kubeconfig, "rollout", "status", "ds/node-agent", "--timeout=3m");
      assertTrue(status.contains("successfully rolled out"), status);
      assertEquals("registry.example/agent:2", distinctImages(kubeconfig));
      String history = kubectl(kubeconfig, "rollout", "history", "ds/node-agent");
      assertTrue(history.matches("(?s).*REVISION\\s+CHANGE-CAUSE\\s*\n1\\s+<none>\\s*\n2\\s+<none>.*"), history);
      String revisions = kubectl(kubeconfig, "get", "controllerrevisions", "-l", "app=node-agent");
      assertTrue(revisions.contains("daemonset.apps/node-agent"), revisions);
      String undo = kubectl(kubeconfig, "rollout", "undo", "ds/node-agent");
      assertTrue(undo.contains("daemonset.apps/node-agent rolled back"), undo);
      status = kubectl(kubeconfig, "rollout", "status", "ds/node-agent", "--timeout=3m");
      assertTrue(status.contains("successfully rolled out"), status);
      assertEquals("registry.example/agent:1", distinctImages(kubeconfig));
      history = kubectl(kubeconfig, "rollout", "history", "ds/node-agent");
      assertTrue(history.matches("(?s).*\n2\\s+<none>\\s*\n3\\s+<none>.*"), "revision 1 became 3: " + history);
      assertEquals(21, kubectl(kubeconfig, "get", "pods", "-l", "app=node-agent", "-o", "name").split("\n").length);
      assertEquals(0, up.terminate(Duration.ofMinutes(1)), up.stderr());
    }
  }

  private static String distinctImages(Path kubeconfig) throws Exception {
    String out = kubectl(kubeconfig, "get", "pods", "-l", "app=node-agent", "-o",
        "jsonpath={range .items[*]}{.spec.containers[0].image}{\"\\n\"}{end}");
    return String.join(",", new TreeSet<>(Arrays.stream(out.split("\n")).filter(s -> !s.isBlank()).toList()));
  }

  private record Result(int exit, String out, String err) {}

  private static Result run(Path kubeconfig, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("KUBECONFIG");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    if (!p.waitFor(240, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("kubectl " + String.join(" ", args) + " did not finish");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim(),
        new String(err, StandardCharsets.UTF_8));
  }

  private static String kubectl(Path kubeconfig, String... args) throws IOException, InterruptedException {
    Result r = run(kubeconfig, args);
    assertEquals(0, r.exit, "kubectl " + String.join(" ", args) + ": " + r.out + r.err);
    return r.out;
  }

  private static void await(Path kubeconfig, String what, java.util.function.Predicate<String> done, String... args)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    Result last = null;
    while (System.nanoTime() < deadline) {
      last = run(kubeconfig, args);
      if (last.exit == 0 && done.test(last.out)) {
        return;
      }
      Thread.sleep(500);
    }
    fail("timed out waiting for " + what + ": " + last);
  }
}
