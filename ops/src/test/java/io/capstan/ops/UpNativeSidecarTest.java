package io.capstan.ops;

import static io.capstan.ops.KubectlRunner.await;
import static io.capstan.ops.KubectlRunner.kubectl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Native sidecars with kubectl on real runc containers ({@code capstan up}): a pod whose init
 * container has {@code restartPolicy: Always} runs with both containers ready ({@code 2/2
 * Running}), the sidecar serving the app a file over a shared volume; a Job whose pod has such a
 * sidecar completes once its container is done.
 */
@SharedUp.Uses(SharedUp.Kind.RUNC)
class UpNativeSidecarTest {
  private static final Duration AWAIT = ChildCapstan.UP_READY;

  @Test
  void aSidecarPodRunsTwoOfTwoReadyAndAJobWithASidecarCompletes() throws Exception {
    SharedUp.scenario(SharedUp.Kind.RUNC, "up-sidecars", c -> scenario(c.work(), c.kubeconfig()));
  }

  private static void scenario(Path work, Path kubeconfig) throws Exception {
    Path manifests = Files.writeString(work.resolve("sidecars.yaml"), """
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          terminationGracePeriodSeconds: 1
          volumes: [{name: shared, emptyDir: {}}]
          initContainers:
          - name: feeder
            image: capstan.local/busybox
            restartPolicy: Always
            command: [sh, -c, "echo fed > /shared/feed; exec sleep 1000"]
            volumeMounts: [{name: shared, mountPath: /shared}]
            startupProbe: {exec: {command: [test, -e, /shared/feed]}, periodSeconds: 1}
          containers:
          - name: app
            image: capstan.local/busybox
            command: [sh, -c, "cat /shared/feed; exec sleep 1000"]
            volumeMounts: [{name: shared, mountPath: /shared}]
        ---
        apiVersion: batch/v1
        kind: Job
        metadata: {name: batch}
        spec:
          template:
            spec:
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              initContainers:
              - name: proxy
                image: capstan.local/busybox
                restartPolicy: Always
                command: [sh, -c, "exec sleep 1000"]
              containers:
              - name: work
                image: capstan.local/busybox
                command: [sh, -c, "echo working; sleep 1; echo done"]
        """);
    kubectl(kubeconfig, "apply", "-f", manifests.toString());

    String row = await(kubeconfig, AWAIT, "web 2/2 Running", out -> out.matches("web\\s+2/2\\s+Running\\s+0\\s+\\S+"),
        "get", "pod", "web", "--no-headers");
    assertTrue(row.startsWith("web"), row);
    assertEquals("fed", kubectl(kubeconfig, "logs", "web", "-c", "app"), "the app read what its sidecar wrote");
    assertEquals("true true", kubectl(kubeconfig, "get", "pod", "web", "-o",
        "jsonpath={.status.initContainerStatuses[0].started} {.status.initContainerStatuses[0].ready}"));

    kubectl(kubeconfig, "wait", "--for=condition=complete", "job/batch", "--timeout=120s");
    assertEquals("1", kubectl(kubeconfig, "get", "job", "batch", "-o", "jsonpath={.status.succeeded}"));
    String pod = kubectl(kubeconfig, "get", "pods", "-l", "job-name=batch", "-o", "jsonpath={.items[0].metadata.name}");
    assertEquals("Succeeded", kubectl(kubeconfig, "get", "pod", pod, "-o", "jsonpath={.status.phase}"));
    assertTrue(kubectl(kubeconfig, "logs", pod, "-c", "work").endsWith("done"));
    kubectl(kubeconfig, "delete", "pod", "web", "--wait=true", "--timeout=60s");
    kubectl(kubeconfig, "delete", "job", "batch", "--wait=true", "--timeout=60s");
  }
}
