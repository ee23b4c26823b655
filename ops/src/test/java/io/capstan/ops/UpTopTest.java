package io.capstan.ops;

import static io.capstan.ops.KubectlRunner.await;
import static io.capstan.ops.KubectlRunner.kubectl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code kubectl top} against {@code capstan up} with real runc pods (issue 19): the gateway
 * serves {@code metrics.k8s.io/v1beta1} from the node agent's cgroup readings, so a CPU-burning
 * pod shows a good part of a core and an idle one next to nothing, per pod, per container,
 * across namespaces and per node; a pod that does not exist is NotFound in metrics-server's words.
 */
@SharedUp.Uses(SharedUp.Kind.RUNC)
class UpTopTest {
  private static final Duration AWAIT = Duration.ofMinutes(2);

  @Test
  void kubectlTopShowsTheCpuOfABusyPodAndOfTheNode() throws Exception {
    SharedUp.scenario(SharedUp.Kind.RUNC, "up-top", c -> scenario(c.work(), c.kubeconfig(), c.namespace()));
  }

  private static void scenario(Path work, Path kubeconfig, String ns) throws Exception {
    Path manifests = Files.writeString(work.resolve("top.yaml"), """
        apiVersion: v1
        kind: Pod
        metadata: {name: burner, labels: {app: burner}}
        spec:
          terminationGracePeriodSeconds: 0
          containers:
          - name: busy
            image: capstan.local/busybox
            command: [sh, -c, "while :; do :; done"]
            resources: {requests: {cpu: 100m}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: idler}
        spec:
          terminationGracePeriodSeconds: 0
          containers:
          - name: sleeper
            image: capstan.local/busybox
            command: [sleep, "1000"]
        """);
    kubectl(kubeconfig, "apply", "-f", manifests.toString());
    kubectl(kubeconfig, "wait", "--for=condition=Ready", "pod/burner", "pod/idler", "--timeout=3m");

    String apiResources = kubectl(kubeconfig, "api-resources", "--api-group=metrics.k8s.io", "--no-headers");
    assertTrue(apiResources.matches("(?s).*nodes\\s+metrics.k8s.io/v1beta1\\s+false\\s+NodeMetrics.*"), apiResources);
    assertTrue(apiResources.matches("(?s).*pods\\s+metrics.k8s.io/v1beta1\\s+true\\s+PodMetrics.*"), apiResources);

    String burner = await(kubeconfig, AWAIT, "metrics of pod burner", out -> out.contains("burner"),
        "top", "pod", "burner", "--no-headers");
    assertTrue(millicores(burner, "burner") >= 100, "a busy loop uses a good part of a core: " + burner);
    String idler = await(kubeconfig, AWAIT, "metrics of pod idler", out -> out.contains("idler"),
        "top", "pod", "idler", "--no-headers");
    assertTrue(millicores(idler, "idler") < 50, "sleep uses next to nothing: " + idler);

    String containers = kubectl(kubeconfig, "top", "pod", "burner", "--containers", "--no-headers");
    assertTrue(containers.matches("burner\\s+busy\\s+\\d+m\\s+\\d+Mi"), containers);
    String all = kubectl(kubeconfig, "top", "pods", "-A", "--no-headers");
    assertTrue(all.matches("(?s)(.*\n)?" + ns + "\\s+burner\\s+\\d+m\\s+\\d+Mi.*"), all);
    String selected = kubectl(kubeconfig, "top", "pods", "-l", "app=burner", "--no-headers");
    assertTrue(selected.startsWith("burner") && !selected.contains("idler"), selected);

    String node = kubectl(kubeconfig, "get", "nodes", "-o", "jsonpath={.items[0].metadata.name}");
    String nodes = await(kubeconfig, AWAIT, "metrics of node " + node, out -> out.contains(node),
        "top", "nodes", "--no-headers");
    Matcher row = Pattern.compile("(?m)^" + Pattern.quote(node) + "\\s+(\\d+)m\\s+(\\d+)%\\s+(\\d+)Mi\\s+(\\d+)%").matcher(nodes);
    assertTrue(row.find(), nodes);
    assertTrue(Integer.parseInt(row.group(1)) >= 100, "the node runs the busy loop: " + nodes);
    assertTrue(Integer.parseInt(row.group(3)) > 0, nodes);

    String raw = kubectl(kubeconfig, "get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/" + ns + "/pods/burner");
    assertTrue(raw.contains("\"kind\":\"PodMetrics\"") && raw.contains("\"window\":\""), raw);

    KubectlRunner.Result missing = KubectlRunner.run(kubeconfig, "top", "pod", "no-such-pod");
    assertNotEquals(0, missing.exit(), missing.toString());
    assertTrue(missing.err().contains("podmetrics.metrics.k8s.io \"" + ns + "/no-such-pod\" not found"), missing.err());

    kubectl(kubeconfig, "delete", "pod", "burner", "idler", "--wait=true", "--timeout=60s");
  }

  /** The CPU column of the pod's row of {@code kubectl top pod}, in millicores. */
  private static int millicores(String out, String pod) {
    Matcher m = Pattern.compile("(?m)^" + pod + "\\s+(\\d+)m\\s+\\d+Mi").matcher(out);
    assertTrue(m.find(), out);
    return Integer.parseInt(m.group(1));
  }
}
