package io.capstan.ops;

import static io.capstan.ops.KubectlRunner.await;
import static io.capstan.ops.KubectlRunner.kubectl;
import static io.capstan.ops.KubectlRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.ops.KubectlRunner.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The built-in local-path storage with real runc pods ({@code capstan up}): a claim without a
 * class gets {@code local-path}, waits for its first pod, and is bound to a volume the node agent
 * provisions under its data dir; a pod writes a file to it, is deleted, and a new pod with the
 * same claim reads the file back; deleting the claim deletes the volume and its directory
 * (reclaim Delete). kubectl shows the three kinds with kube's columns.
 */
@SharedUp.Uses(SharedUp.Kind.RUNC)
class UpPersistentVolumeTest {
  private static final Duration AWAIT = Duration.ofMinutes(2);

  @Test
  void aClaimKeepsItsDataAcrossPodsAndGoesWithItsDirectory() throws Exception {
    SharedUp.scenario(SharedUp.Kind.RUNC, "up-pv", c -> scenario(c.work(), c.data(), c.kubeconfig(), c.namespace()),
        c -> run(c.kubeconfig(), "delete", "pod", "--all", "--grace-period=0"));
  }

  private static void scenario(Path work, Path data, Path kubeconfig, String ns) throws Exception {
    String classes = await(kubeconfig, AWAIT, "the default class", "local-path", "get", "storageclass");
    assertTrue(java.util.regex.Pattern.compile("local-path \\(default\\)\\s+capstan\\.io/local-path\\s+Delete\\s+"
        + "WaitForFirstConsumer\\s+false\\s+").matcher(classes).find(), classes);
    apply(work, kubeconfig, "claim.yaml", """
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: data
        spec:
          accessModes: [ReadWriteOnce]
          resources:
            requests:
              storage: 64Mi
        """);
    assertEquals("local-path", kubectl(kubeconfig, "get", "pvc", "data", "-o", "jsonpath={.spec.storageClassName}"),
        "the default class");
    await(kubeconfig, AWAIT, "the claim waits for its first pod", "waiting for first consumer to be created before binding",
        "get", "events", "-o", "jsonpath={.items[*].message}");
    assertEquals("Pending", kubectl(kubeconfig, "get", "pvc", "data", "-o", "jsonpath={.status.phase}"));

    apply(work, kubeconfig, "writer.yaml", pod("writer", "echo kept-across-pods > /data/note && echo WROTE"));
    await(kubeconfig, AWAIT, "the writer ran", "WROTE", "logs", "writer");
    await(kubeconfig, AWAIT, "the claim bound", "Bound", "get", "pvc", "data", "-o", "jsonpath={.status.phase}");
    String volume = kubectl(kubeconfig, "get", "pvc", "data", "-o", "jsonpath={.spec.volumeName}");
    assertTrue(volume.startsWith("pvc-"), volume);
    String pv = kubectl(kubeconfig, "get", "pv", volume, "--no-headers");
    assertTrue(pv.matches(volume + "\\s+64Mi\\s+RWO\\s+Delete\\s+Bound\\s+" + ns + "/data\\s+local-path\\s+<unset>\\s+.*"),
        pv);
    String pvc = kubectl(kubeconfig, "get", "pvc", "data", "--no-headers");
    assertTrue(pvc.matches("data\\s+Bound\\s+" + volume + "\\s+64Mi\\s+RWO\\s+local-path\\s+<unset>\\s+.*"), pvc);
    String node = kubectl(kubeconfig, "get", "pod", "writer", "-o", "jsonpath={.spec.nodeName}");
    assertEquals(node, kubectl(kubeconfig, "get", "pvc", "data", "-o",
        "jsonpath={.metadata.annotations.volume\\.kubernetes\\.io/selected-node}"), "the scheduler named the node");
    Path root = data.resolve("node-agent").resolve("local-path");
    Path dir = root.resolve(volume + "_" + ns + "_data");
    assertEquals("kept-across-pods\n", Files.readString(dir.resolve("note")), "the file is in the volume's directory");

    kubectl(kubeconfig, "delete", "pod", "writer", "--grace-period=1");
    apply(work, kubeconfig, "reader.yaml", pod("reader",
        "trap \"exit 0\" TERM; echo READ=$(cat /data/note); while true; do sleep 1; done"));
    await(kubeconfig, AWAIT, "the reader read the file", "READ=kept-across-pods", "logs", "reader");

    // While a pod uses the claim it stays (pvc-protection); once the pod goes, claim, volume and directory go.
    kubectl(kubeconfig, "delete", "pvc", "data", "--wait=false");
    assertEquals("Terminating", await(kubeconfig, AWAIT, "the claim terminating", "Terminating", "get", "pvc",
        "data", "--no-headers").split("\\s+")[1]);
    kubectl(kubeconfig, "delete", "pod", "reader", "--grace-period=1");
    awaitGone(kubeconfig, "pvc", "data");
    awaitGone(kubeconfig, "pv", volume);
    long deadline = System.nanoTime() + AWAIT.toNanos();
    while (Files.exists(dir) && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertTrue(!Files.exists(dir), "the volume's directory is removed");
    try (Stream<Path> left = Files.list(root)) {
      assertEquals(List.of(), left.filter(p -> p.getFileName().toString().contains("_" + ns + "_")).toList(),
          "no volume directory of the namespace's claims left");
    }
  }

  /** Waits until {@code kubectl get kind name} finds nothing. */
  static void awaitGone(Path kubeconfig, String kind, String name) throws Exception {
    long deadline = System.nanoTime() + AWAIT.toNanos();
    Result r = null;
    while (System.nanoTime() < deadline) {
      r = run(kubeconfig, "get", kind, name, "--ignore-not-found", "-o", "name");
      if (r.exit() == 0 && r.out().isEmpty()) {
        return;
      }
      Thread.sleep(300);
    }
    fail(kind + " " + name + " still there: " + r);
  }

  private static String pod(String name, String script) {
    return """
        apiVersion: v1
        kind: Pod
        metadata:
          name: %s
        spec:
          restartPolicy: Never
          containers:
          - name: main
            image: capstan.local/busybox
            command: [sh, -c, '%s']
            volumeMounts:
            - name: data
              mountPath: /data
          volumes:
          - name: data
            persistentVolumeClaim:
              claimName: data
        """.formatted(name, script);
  }

  private static void apply(Path work, Path kubeconfig, String file, String yaml) throws Exception {
    Path manifest = Files.writeString(work.resolve(file), yaml);
    kubectl(kubeconfig, "apply", "-f", manifest.toString());
  }
}
