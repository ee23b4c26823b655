package io.capstan.ops;

import static io.capstan.ops.KubectlRunner.await;
import static io.capstan.ops.KubectlRunner.kubectl;
import static io.capstan.ops.KubectlRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Issue 18's StatefulSet-with-storage scenario with real runc pods ({@code capstan up}): a
 * StatefulSet with a volumeClaimTemplate gets claim {@code data-web-0} (local-path, bound to a
 * volume on the node); pod web-0 writes a file into it; {@code kubectl delete pod web-0}; the
 * recreated web-0 mounts the same claim and reads the file back. The claim outlives the set
 * (Retain); deleting it removes the volume's directory.
 */
@SharedUp.Uses(SharedUp.Kind.RUNC)
class UpStatefulSetStorageTest {
  private static final Duration AWAIT = Duration.ofMinutes(2);

  static final String MANIFEST = """
      apiVersion: apps/v1
      kind: StatefulSet
      metadata:
        name: web
      spec:
        serviceName: web
        replicas: 1
        selector:
          matchLabels: {app: web}
        template:
          metadata:
            labels: {app: web}
          spec:
            terminationGracePeriodSeconds: 2
            containers:
            - name: main
              image: capstan.local/busybox
              command:
              - sh
              - -c
              - |
                trap "exit 0" TERM
                if [ -f /data/note ]; then echo READ=$(cat /data/note)
                else echo kept-by-web-0 > /data/note && echo WROTE; fi
                while true; do sleep 1; done
              volumeMounts: [{name: data, mountPath: /data}]
        volumeClaimTemplates:
        - metadata: {name: data}
          spec:
            accessModes: [ReadWriteOnce]
            resources: {requests: {storage: 64Mi}}
      """;

  @Test
  void theRecreatedPodGetsItsClaimAndItsDataBack() throws Exception {
    SharedUp.scenario(SharedUp.Kind.RUNC, "up-sts-storage", c -> scenario(c.work(), c.data(), c.kubeconfig(),
        c.namespace()), c -> {
      run(c.kubeconfig(), "delete", "sts", "--all");
      run(c.kubeconfig(), "delete", "pod", "--all", "--grace-period=0");
    });
  }

  private static void scenario(Path work, Path data, Path kubeconfig, String ns) throws Exception {
    Path manifest = Files.writeString(work.resolve("web.yaml"), MANIFEST);
    kubectl(kubeconfig, "apply", "-f", manifest.toString());
    await(kubeconfig, AWAIT, "web-0 wrote its file", "WROTE", "logs", "web-0");
    await(kubeconfig, AWAIT, "the claim bound", "Bound", "get", "pvc", "data-web-0", "-o",
        "jsonpath={.status.phase}");
    String pvc = kubectl(kubeconfig, "get", "pvc", "--no-headers");
    assertTrue(pvc.matches("data-web-0\\s+Bound\\s+pvc-\\S+\\s+64Mi\\s+RWO\\s+local-path\\s+<unset>\\s+\\S+\\s*"), pvc);
    assertEquals("web", kubectl(kubeconfig, "get", "pvc", "data-web-0", "-o", "jsonpath={.metadata.labels.app}"),
        "the claim carries the set's selector labels");
    assertEquals("data-web-0", kubectl(kubeconfig, "get", "pod", "web-0", "-o",
        "jsonpath={.spec.volumes[?(@.name==\"data\")].persistentVolumeClaim.claimName}"));
    String claimUid = kubectl(kubeconfig, "get", "pvc", "data-web-0", "-o", "jsonpath={.metadata.uid}");
    String podUid = kubectl(kubeconfig, "get", "pod", "web-0", "-o", "jsonpath={.metadata.uid}");
    String volume = kubectl(kubeconfig, "get", "pvc", "data-web-0", "-o", "jsonpath={.spec.volumeName}");
    assertTrue(volume.startsWith("pvc-"), volume);
    Path dir = data.resolve("node-agent").resolve("local-path").resolve(volume + "_" + ns + "_data-web-0");
    assertEquals("kept-by-web-0\n", Files.readString(dir.resolve("note")), "the file is in the claim's volume");
    String events = kubectl(kubeconfig, "get", "events", "-o",
        "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}");
    assertTrue(events.contains("SuccessfulCreate: create Claim data-web-0 Pod web-0 in StatefulSet web success"),
        events);

    kubectl(kubeconfig, "delete", "pod", "web-0");
    await(kubeconfig, AWAIT, "web-0 made again", out -> !out.isEmpty() && !out.equals(podUid), "get", "pod", "web-0",
        "--ignore-not-found", "-o", "jsonpath={.metadata.uid}");
    await(kubeconfig, AWAIT, "the new web-0 read the file", "READ=kept-by-web-0", "logs", "web-0");
    assertEquals(claimUid, kubectl(kubeconfig, "get", "pvc", "data-web-0", "-o", "jsonpath={.metadata.uid}"),
        "the same claim");
    assertEquals("data-web-0", kubectl(kubeconfig, "get", "pvc", "-o", "jsonpath={.items[*].metadata.name}"),
        "no other claim");

    // Retain (the default): the claim outlives the set; deleting it removes the volume's directory.
    kubectl(kubeconfig, "delete", "sts", "web");
    UpPersistentVolumeTest.awaitGone(kubeconfig, "pod", "web-0");
    assertEquals(claimUid, kubectl(kubeconfig, "get", "pvc", "data-web-0", "-o", "jsonpath={.metadata.uid}"),
        "the claim stays with the set gone");
    kubectl(kubeconfig, "delete", "pvc", "data-web-0");
    UpPersistentVolumeTest.awaitGone(kubeconfig, "pv", volume);
    long deadline = System.nanoTime() + AWAIT.toNanos();
    while (Files.exists(dir) && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertTrue(!Files.exists(dir), "the volume's directory is removed");
  }
}
