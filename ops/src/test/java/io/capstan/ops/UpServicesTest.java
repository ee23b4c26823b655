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
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/**
 * {@code capstan up --service-cidr}: the kubernetes and kube-dns Services exist at the CIDR's
 * first and tenth addresses (and come back when deleted), a Service created with kubectl gets a
 * ClusterIP and node port from the ranges, and {@code kubectl get} prints the columns kubectl users
 * know (TYPE, CLUSTER-IP, PORT(S); endpoints; endpointslices; nodes).
 */
class UpServicesTest {
  private static final Duration READY = Duration.ofMinutes(2);

  @Test
  void clusterServicesAllocationAndTableColumns() throws Exception {
    if (!Files.isExecutable(Path.of("/usr/bin/kubectl"))) {
      fail("kubectl is needed: apt-get install kubernetes-client");
    }
    Path work = KafkaFixture.tempDir("up-services");
    try (ChildCapstan up = ChildCapstan.start(work, "up", "--data-dir", work.resolve("data").toString(),
        "--kafka-port", "0", "--metrics-port", "0", "--api-port", "0", "--partitions", "2",
        "--service-cidr", "10.100.0.0/16", "--service-node-port-range", "31000-31999")) {
      Matcher ready = up.awaitLine("capstan ready: api=\\S+ kubeconfig=(\\S+) ", READY);
      Path kubeconfig = Path.of(ready.group(1));

      String kubernetes = await(kubeconfig, "the kubernetes Service", "10.100.0.1",
          "get", "service", "kubernetes", "-n", "default", "-o", "jsonpath={.spec.clusterIP}");
      assertEquals("10.100.0.1", kubernetes);
      await(kubeconfig, "kube-dns", "10.100.0.10",
          "get", "service", "kube-dns", "-n", "kube-system", "-o", "jsonpath={.spec.clusterIP}");
      String ports = kubectl(kubeconfig, "get", "service", "kubernetes", "-o",
          "jsonpath={.spec.ports[0].name} {.spec.ports[0].port}");
      assertEquals("https 443", ports);
      await(kubeconfig, "the kubernetes Endpoints", ":", "get", "endpoints", "kubernetes", "-o",
          "jsonpath={.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}");

      Path manifest = work.resolve("web.yaml");
      Files.writeString(manifest, String.join("\n",
          "apiVersion: v1", "kind: Service", "metadata:", "  name: web", "spec:", "  type: NodePort",
          "  selector:", "    app: web", "  ports:", "  - name: http", "    port: 80", "    targetPort: 8080", ""));
      kubectl(kubeconfig, "apply", "-f", manifest.toString());
      String ip = kubectl(kubeconfig, "get", "service", "web", "-o", "jsonpath={.spec.clusterIP}");
      assertTrue(ip.startsWith("10.100."), ip);
      int nodePort = Integer.parseInt(kubectl(kubeconfig, "get", "service", "web", "-o",
          "jsonpath={.spec.ports[0].nodePort}"));
      assertTrue(nodePort >= 31000 && nodePort <= 31999, "node port " + nodePort);
      // Applied again unchanged (no clusterIP, no nodePort in the manifest): both are kept.
      kubectl(kubeconfig, "apply", "-f", manifest.toString());
      assertEquals(ip, kubectl(kubeconfig, "get", "service", "web", "-o", "jsonpath={.spec.clusterIP}"));
      assertEquals(String.valueOf(nodePort), kubectl(kubeconfig, "get", "service", "web", "-o",
          "jsonpath={.spec.ports[0].nodePort}"));

      String table = kubectl(kubeconfig, "get", "services", "-o", "wide");
      List<String> lines = table.lines().toList();
      assertTrue(lines.get(0).matches("NAME\\s+TYPE\\s+CLUSTER-IP\\s+EXTERNAL-IP\\s+PORT\\(S\\)\\s+AGE\\s+SELECTOR"),
          table);
      assertTrue(lines.stream().anyMatch(l -> l.matches("web\\s+NodePort\\s+" + ip.replace(".", "\\.")
          + "\\s+<none>\\s+80:" + nodePort + "/TCP\\s+\\S+\\s+app=web")), table);
      assertTrue(lines.stream().anyMatch(l -> l.matches("kubernetes\\s+ClusterIP\\s+10\\.100\\.0\\.1\\s+<none>\\s+443/TCP"
          + "\\s+\\S+\\s+<none>")), table);
      String slices = kubectl(kubeconfig, "get", "endpointslices");
      assertTrue(slices.lines().findFirst().orElse("").matches("NAME\\s+ADDRESSTYPE\\s+PORTS\\s+ENDPOINTS\\s+AGE"),
          slices);
      assertTrue(slices.lines().anyMatch(l -> l.startsWith("web-")), "the web Service's slice:\n" + slices);
      String endpoints = kubectl(kubeconfig, "get", "endpoints");
      assertTrue(endpoints.lines().findFirst().orElse("").matches("NAME\\s+ENDPOINTS\\s+AGE"), endpoints);
      String nodes = kubectl(kubeconfig, "get", "nodes", "-o", "wide");
      assertTrue(nodes.lines().findFirst().orElse("").matches("NAME\\s+STATUS\\s+ROLES\\s+AGE\\s+VERSION\\s+INTERNAL-IP"
          + "\\s+EXTERNAL-IP\\s+OS-IMAGE\\s+KERNEL-VERSION\\s+CONTAINER-RUNTIME"), nodes);

      // A taken address is refused naming the field.
      Path taken = work.resolve("taken.yaml");
      Files.writeString(taken, String.join("\n",
          "apiVersion: v1", "kind: Service", "metadata:", "  name: taken", "spec:", "  clusterIP: " + ip,
          "  ports:", "  - port: 80", ""));
      Result refused = run(kubeconfig, "create", "-f", taken.toString());
      assertTrue(refused.exit != 0 && refused.err.contains("spec.clusterIPs: Invalid value: []string{\"" + ip
          + "\"}: failed to allocate IP " + ip + ": provided IP is already allocated"), refused.err);

      // The kubernetes Service comes back when deleted, at the same address.
      kubectl(kubeconfig, "delete", "service", "kubernetes");
      await(kubeconfig, "the kubernetes Service again", "10.100.0.1",
          "get", "service", "kubernetes", "-n", "default", "-o", "jsonpath={.spec.clusterIP}");
      assertEquals(0, up.terminate(Duration.ofMinutes(1)), "exit status after SIGTERM; stderr:\n" + up.stderr());
    }
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
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("kubectl " + String.join(" ", args) + " did not finish");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim(),
        new String(err, StandardCharsets.UTF_8));
  }

  private static String kubectl(Path kubeconfig, String... args) throws IOException, InterruptedException {
    Result r = run(kubeconfig, args);
    assertEquals(0, r.exit, "kubectl " + String.join(" ", args) + ": " + r.err);
    return r.out;
  }

  /** Runs kubectl until its output contains {@code expected} (the object may not exist yet). */
  private static String await(Path kubeconfig, String what, String expected, String... args) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Result last = null;
    while (System.nanoTime() < deadline) {
      last = run(kubeconfig, args);
      if (last.exit == 0 && last.out.contains(expected)) {
        return last.out;
      }
      Thread.sleep(200);
    }
    fail("timed out waiting for " + what + ": " + last);
    return null;
  }
}
