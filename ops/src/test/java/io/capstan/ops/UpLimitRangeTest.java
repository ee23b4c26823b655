package io.capstan.ops;

import static io.capstan.ops.KubectlRunner.await;
import static io.capstan.ops.KubectlRunner.kubectl;
import static io.capstan.ops.KubectlRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.ops.KubectlRunner.Result;
import io.capstan.stateviews.testing.KafkaFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/**
 * LimitRanges with kubectl against {@code capstan up}: a pod created in a namespace with a
 * LimitRange shows the defaults in {@code kubectl get pod -o yaml}, with the
 * {@code kubernetes.io/limit-ranger} annotation; the pods a Deployment makes get them too while its
 * template does not; a pod over the max is refused in kube's words. The local node is hollow and
 * cordoned: no container runs.
 */
class UpLimitRangeTest {
  private static final Duration AWAIT = Duration.ofSeconds(90);
  private static final Duration READY = ChildCapstan.UP_READY;

  @Test
  void podsGetTheLimitRangeDefaultsAndOnesOverTheMaxAreForbidden() throws Exception {
    if (!Files.isExecutable(Path.of("/usr/bin/kubectl"))) {
      fail("kubectl is needed: apt-get install kubernetes-client");
    }
    Path work = KafkaFixture.tempDir("up-limitrange");
    // Not root to the child: its local node agent runs hollow pods, never runc ones.
    try (ChildCapstan up = ChildCapstan.start(work, List.of("-Duser.name=capstan-test"), "up",
        "--data-dir", work.resolve("data").toString(), "--kafka-port", "0", "--metrics-port", "0", "--api-port", "0",
        "--partitions", "2", "--service-proxy", "off")) {
      Matcher ready = up.awaitLine("capstan ready: api=\\S+ kubeconfig=(\\S+) ", READY);
      Path kubeconfig = Path.of(ready.group(1));
      String node = await(kubeconfig, AWAIT, "the local node", "", "get", "nodes", "-o", "jsonpath={.items[0].metadata.name}");
      kubectl(kubeconfig, "cordon", node);

      kubectl(kubeconfig, "create", "namespace", "team");
      Path limits = Files.writeString(work.resolve("limits.yaml"), """
          apiVersion: v1
          kind: LimitRange
          metadata: {name: container-defaults, namespace: team}
          spec:
            limits:
            - type: Container
              default: {cpu: 500m, memory: 256Mi}
              defaultRequest: {cpu: 100m, memory: 128Mi}
              max: {cpu: "1"}
          """);
      kubectl(kubeconfig, "apply", "-f", limits.toString());
      String described = kubectl(kubeconfig, "describe", "limitrange", "container-defaults", "-n", "team");
      assertTrue(described.lines().anyMatch(l -> l.matches("\\s*Container\\s+cpu\\s+-\\s+1\\s+100m\\s+500m\\s+-\\s*")),
          described);

      // The processors on other partitions learn of the LimitRange about a commit later: ask until
      // a server-side dry run shows its defaults.
      await(kubeconfig, AWAIT, "the LimitRange applied by admission", "LimitRanger plugin set", "run", "probe",
          "-n", "team", "--image=busybox", "--dry-run=server", "-o", "yaml");
      kubectl(kubeconfig, "run", "web", "-n", "team", "--image=busybox");
      String yaml = kubectl(kubeconfig, "get", "pod", "web", "-n", "team", "-o", "yaml");
      assertTrue(yaml.contains("kubernetes.io/limit-ranger: 'LimitRanger plugin set:"), yaml);
      assertTrue(yaml.matches("(?s).*resources:\\s+limits:\\s+cpu: 500m\\s+memory: 256Mi\\s+requests:\\s+cpu: 100m"
          + "\\s+memory: 128Mi\\s.*"), yaml);
      assertEquals("LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web",
          kubectl(kubeconfig, "get", "pod", "web", "-n", "team", "-o",
              "jsonpath={.metadata.annotations.kubernetes\\.io/limit-ranger}"));
      assertEquals("{\"limits\":{\"cpu\":\"500m\",\"memory\":\"256Mi\"},\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"}}",
          kubectl(kubeconfig, "get", "pod", "web", "-n", "team", "-o", "jsonpath={.spec.containers[0].resources}"));

      // A Deployment's pods are admitted as they are made; its template stays as written.
      kubectl(kubeconfig, "create", "deployment", "api", "-n", "team", "--image=busybox");
      String podLimits = await(kubeconfig, AWAIT, "the Deployment's pod with the defaults", "500m", "get", "pods", "-n",
          "team", "-l", "app=api", "-o", "jsonpath={.items[0].spec.containers[0].resources.limits.cpu}");
      assertEquals("500m", podLimits);
      assertEquals("", kubectl(kubeconfig, "get", "deployment", "api", "-n", "team", "-o",
          "jsonpath={.spec.template.spec.containers[0].resources.limits}"));

      Result big = run(kubeconfig, "run", "big", "-n", "team", "--image=busybox", "--overrides",
          "{\"spec\":{\"containers\":[{\"name\":\"big\",\"image\":\"busybox\",\"resources\":{\"limits\":{\"cpu\":\"2\"}}}]}}");
      assertNotEquals(0, big.exit());
      assertTrue(big.err().contains("pods \"big\" is forbidden: maximum cpu usage per Container is 1, but limit is 2"),
          big.err());
    }
  }
}
