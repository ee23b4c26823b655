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
 * Issue 18's StatefulSet scenario with kubectl on the shared hollow cluster: a StatefulSet's pods
 * get stable names, hostnames and the governing service as subdomain; {@code kubectl rollout status},
 * {@code kubectl scale sts} up and down, a rolling update, {@code rollout history} and
 * {@code rollout undo} work as on Kubernetes. No real container runs.
 */
@SharedUp.Uses(SharedUp.Kind.HOLLOW)
class UpStatefulSetTest {
  private static final Duration AWAIT = Duration.ofSeconds(120);

  @Test
  void aStatefulSetComesUpInOrderScalesRollsOutAndBack() throws Exception {
    SharedUp.scenario(SharedUp.Kind.HOLLOW, "up-statefulset", c -> {
      Path work = c.work();
      Path kubeconfig = c.kubeconfig();
      Path manifest = work.resolve("sts.yaml");
      Files.writeString(manifest, """
          apiVersion: apps/v1
          kind: StatefulSet
          metadata:
            name: web
          spec:
            serviceName: web
            replicas: 3
            selector:
              matchLabels: {app: web}
            template:
              metadata:
                labels: {app: web}
              spec:
                terminationGracePeriodSeconds: 0
                containers:
                - name: nginx
                  image: registry.example/nginx:1
          """);
      kubectl(kubeconfig, "apply", "-f", manifest.toString());
      String status = kubectl(kubeconfig, "rollout", "status", "sts/web", "--timeout=3m");
      assertTrue(status.contains("partitioned roll out complete: 3 new pods have been updated"), status);
      assertEquals("web-0 web-1 web-2", names(kubeconfig));
      String identity = kubectl(kubeconfig, "get", "pod", "web-1", "-o",
          "jsonpath={.spec.hostname}/{.spec.subdomain}/{.metadata.labels.statefulset\\.kubernetes\\.io/pod-name}/"
              + "{.metadata.labels.apps\\.kubernetes\\.io/pod-index}");
      assertEquals("web-1/web/web-1/1", identity);
      String table = kubectl(kubeconfig, "get", "sts", "web");
      assertTrue(table.matches("(?s)NAME\\s+READY\\s+AGE\\s*\nweb\\s+3/3\\s+\\S+\\s*"), table);

      // kubectl scale through the scale subresource, up then down (the highest ordinals go)
      String scaled = kubectl(kubeconfig, "scale", "sts/web", "--replicas=4");
      assertTrue(scaled.contains("statefulset.apps/web scaled"), scaled);
      kubectl(kubeconfig, "rollout", "status", "sts/web", "--timeout=3m");
      assertEquals("web-0 web-1 web-2 web-3", names(kubeconfig));
      kubectl(kubeconfig, "scale", "sts/web", "--replicas=2");
      await(kubeconfig, AWAIT, "web-0 and web-1 left", out -> new TreeSet<>(Arrays.asList(out.trim().split("\\s+")))
          .equals(new TreeSet<>(List.of("web-0", "web-1"))), "get", "pods", "-l", "app=web", "-o",
          "jsonpath={.items[*].metadata.name}");

      // a new image rolls out; history shows both revisions; undo goes back to the first template
      kubectl(kubeconfig, "set", "image", "sts/web", "nginx=registry.example/nginx:2");
      status = kubectl(kubeconfig, "rollout", "status", "sts/web", "--timeout=3m");
      assertTrue(status.contains("partitioned roll out complete: 2 new pods have been updated"), status);
      assertEquals("registry.example/nginx:2", distinctImages(kubeconfig));
      String history = kubectl(kubeconfig, "rollout", "history", "sts/web");
      assertTrue(history.matches("(?s).*REVISION\\s+CHANGE-CAUSE\\s*\n1\\s+<none>\\s*\n2\\s+<none>.*"), history);
      String revisions = kubectl(kubeconfig, "get", "controllerrevisions", "-l", "app=web");
      assertTrue(revisions.contains("statefulset.apps/web"), revisions);
      String undo = kubectl(kubeconfig, "rollout", "undo", "sts/web");
      assertTrue(undo.contains("statefulset.apps/web rolled back"), undo);
      status = kubectl(kubeconfig, "rollout", "status", "sts/web", "--timeout=3m");
      assertTrue(status.contains("roll out complete"), status);
      assertEquals("registry.example/nginx:1", distinctImages(kubeconfig));
      history = kubectl(kubeconfig, "rollout", "history", "sts/web");
      assertTrue(history.matches("(?s).*\n2\\s+<none>\\s*\n3\\s+<none>.*"), "revision 1 became 3: " + history);
      String current = kubectl(kubeconfig, "get", "sts", "web", "-o",
          "jsonpath={.status.currentRevision}={.status.updateRevision}");
      String[] both = current.split("=");
      assertEquals(both[0], both[1], "the rollback completed: " + current);
      assertEquals("web-0 web-1", names(kubeconfig));
      kubectl(kubeconfig, "delete", "sts", "web");
    });
  }

  /** The set's pods by name, sorted. */
  private static String names(Path kubeconfig) throws Exception {
    String out = kubectl(kubeconfig, "get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].metadata.name}");
    return String.join(" ", new TreeSet<>(Arrays.stream(out.trim().split("\\s+")).toList()));
  }

  private static String distinctImages(Path kubeconfig) throws Exception {
    String out = kubectl(kubeconfig, "get", "pods", "-l", "app=web", "-o",
        "jsonpath={range .items[*]}{.spec.containers[0].image}{\"\\n\"}{end}");
    return String.join(",", new TreeSet<>(Arrays.stream(out.split("\n")).filter(s -> !s.isBlank()).toList()));
  }
}
