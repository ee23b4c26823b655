package io.capstan.ops;

import static io.capstan.ops.KubectlRunner.await;
import static io.capstan.ops.KubectlRunner.kubectl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Issue 18's DaemonSet scenario with kubectl: on the shared hollow cluster ({@code up --hollow-nodes
 * 20}) a DaemonSet runs one pod on each of the 21 nodes (the 20 hollow ones and the local node,
 * which is schedulable), placed by the scheduler; {@code kubectl rollout status}, a rolling update,
 * {@code rollout history} and {@code rollout undo} work as on Kubernetes. The local node runs hollow
 * containers there (its agent runs real ones only as root, and the child is told it is not), so the
 * test starts no real container.
 */
@SharedUp.Uses(SharedUp.Kind.HOLLOW)
class UpDaemonSetTest {
  private static final Duration AWAIT = Duration.ofSeconds(120);

  @Test
  void aDaemonSetRunsOnEveryNodeAndRollsOutAndBack() throws Exception {
    SharedUp.scenario(SharedUp.Kind.HOLLOW, "up-daemonset", c -> {
      Path work = c.work();
      Path kubeconfig = c.kubeconfig();
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
      kubectl(kubeconfig, "delete", "ds", "node-agent");
    });
  }

  private static String distinctImages(Path kubeconfig) throws Exception {
    String out = kubectl(kubeconfig, "get", "pods", "-l", "app=node-agent", "-o",
        "jsonpath={range .items[*]}{.spec.containers[0].image}{\"\\n\"}{end}");
    return String.join(",", new TreeSet<>(Arrays.stream(out.split("\n")).filter(s -> !s.isBlank()).toList()));
  }

}
