package io.capstan.ops;

import static io.capstan.ops.KubectlRunner.await;
import static io.capstan.ops.KubectlRunner.kubectl;
import static io.capstan.ops.KubectlRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.ops.KubectlRunner.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * LimitRanges with kubectl against {@code capstan up}: a pod created in a namespace with a
 * LimitRange shows the defaults in {@code kubectl get pod -o yaml}, with the
 * {@code kubernetes.io/limit-ranger} annotation; the pods a Deployment makes get them too while its
 * template does not; a pod over the max is refused in kube's words. On the shared hollow cluster:
 * no container runs.
 */
@SharedUp.Uses(SharedUp.Kind.HOLLOW)
class UpLimitRangeTest {
  private static final Duration AWAIT = Duration.ofSeconds(90);

  @Test
  void podsGetTheLimitRangeDefaultsAndOnesOverTheMaxAreForbidden() throws Exception {
    SharedUp.scenario(SharedUp.Kind.HOLLOW, "up-limitrange", c -> {
      Path work = c.work();
      Path kubeconfig = c.kubeconfig();
      String ns = c.namespace();
      Path limits = Files.writeString(work.resolve("limits.yaml"), """
          apiVersion: v1
          kind: LimitRange
          metadata: {name: container-defaults, namespace: %s}
          spec:
            limits:
            - type: Container
              default: {cpu: 500m, memory: 256Mi}
              defaultRequest: {cpu: 100m, memory: 128Mi}
              max: {cpu: "1"}
          """.formatted(ns));
      kubectl(kubeconfig, "apply", "-f", limits.toString());
      String described = kubectl(kubeconfig, "describe", "limitrange", "container-defaults", "-n", ns);
      assertTrue(described.lines().anyMatch(l -> l.matches("\\s*Container\\s+cpu\\s+-\\s+1\\s+100m\\s+500m\\s+-\\s*")),
          described);

      // The processors on other partitions learn of the LimitRange about a commit later: ask until
      // a server-side dry run shows its defaults.
      await(kubeconfig, AWAIT, "the LimitRange applied by admission", "LimitRanger plugin set", "run", "probe",
          "-n", ns, "--image=busybox", "--dry-run=server", "-o", "yaml");
      kubectl(kubeconfig, "run", "web", "-n", ns, "--image=busybox");
      String yaml = kubectl(kubeconfig, "get", "pod", "web", "-n", ns, "-o", "yaml");
      assertTrue(yaml.contains("kubernetes.io/limit-ranger: 'LimitRanger plugin set:"), yaml);
      assertTrue(yaml.matches("(?s).*resources:\\s+limits:\\s+cpu: 500m\\s+memory: 256Mi\\s+requests:\\s+cpu: 100m"
          + "\\s+memory: 128Mi\\s.*"), yaml);
      assertEquals("LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web",
          kubectl(kubeconfig, "get", "pod", "web", "-n", ns, "-o",
              "jsonpath={.metadata.annotations.kubernetes\\.io/limit-ranger}"));
      assertEquals("{\"limits\":{\"cpu\":\"500m\",\"memory\":\"256Mi\"},\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"}}",
          kubectl(kubeconfig, "get", "pod", "web", "-n", ns, "-o", "jsonpath={.spec.containers[0].resources}"));

      // A Deployment's pods are admitted as they are made; its template stays as written.
      kubectl(kubeconfig, "create", "deployment", "api", "-n", ns, "--image=busybox");
      String podLimits = await(kubeconfig, AWAIT, "the Deployment's pod with the defaults", "500m", "get", "pods", "-n",
          ns, "-l", "app=api", "-o", "jsonpath={.items[0].spec.containers[0].resources.limits.cpu}");
      assertEquals("500m", podLimits);
      assertEquals("", kubectl(kubeconfig, "get", "deployment", "api", "-n", ns, "-o",
          "jsonpath={.spec.template.spec.containers[0].resources.limits}"));

      Result big = run(kubeconfig, "run", "big", "-n", ns, "--image=busybox", "--overrides",
          "{\"spec\":{\"containers\":[{\"name\":\"big\",\"image\":\"busybox\",\"resources\":{\"limits\":{\"cpu\":\"2\"}}}]}}");
      assertNotEquals(0, big.exit());
      assertTrue(big.err().contains("pods \"big\" is forbidden: maximum cpu usage per Container is 1, but limit is 2"),
          big.err());
    });
  }
}
