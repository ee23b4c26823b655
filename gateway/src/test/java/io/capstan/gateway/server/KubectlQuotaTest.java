package io.capstan.gateway.server;

import io.capstan.gateway.testing.KubectlCli;
import io.capstan.gateway.testing.KubectlCli.Result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.testing.KafkaGatewayFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ResourceQuota through the real kubectl: the quota's status shows usage ({@code kubectl describe
 * quota}), and a create over the quota fails with kube-apiserver's Forbidden message.
 */
class KubectlQuotaTest {
  static KubectlCli cli;

  @TempDir
  static Path dataDir;
  static KafkaGatewayFixture backend;
  static GatewayServer gateway;

  @BeforeAll
  static void start() throws Exception {
    KubectlCli.require();
    backend = KafkaGatewayFixture.start("kubectl-quota", WatchCacheConfig.defaults());
    gateway = backend.startServer(dataDir);
    cli = new KubectlCli(gateway.kubeconfig(), dataDir.resolve("kube-cache"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (backend != null) {
      backend.close();
    }
  }

  static Result kubectl(String... args) throws IOException, InterruptedException {
    return cli.run(args);
  }

  private static Path podManifest(String name) throws IOException {
    Path f = dataDir.resolve(name + ".yaml");
    Files.writeString(f, """
        apiVersion: v1
        kind: Pod
        metadata:
          name: %s
        spec:
          containers:
          - name: app
            image: busybox
            resources:
              requests:
                cpu: 300m
                memory: 64Mi
        """.formatted(name));
    return f;
  }

  @Test
  void describeShowsUsedAndCreatesOverTheQuotaAreForbidden() throws Exception {
    // A manifest (JSON on the wire): `kubectl create quota` sends protobuf, which is another issue's.
    Path manifest = dataDir.resolve("quota.yaml");
    Files.writeString(manifest, """
        apiVersion: v1
        kind: ResourceQuota
        metadata:
          name: compute
        spec:
          hard:
            pods: "2"
            requests.cpu: "1"
            requests.memory: 1Gi
        """);
    Result quota = kubectl("create", "-f", manifest.toString());
    assertEquals(0, quota.exit(), quota.both());

    // The quota reaches every partition's mirror a commit after it is stored: until a pod that
    // states no cpu request is refused for it, creates may not be charged yet.
    Path first = podManifest("web-0");
    Path probe = dataDir.resolve("probe.yaml");
    Files.writeString(probe, """
        apiVersion: v1
        kind: Pod
        metadata:
          name: probe
        spec:
          containers:
          - name: app
            image: busybox
        """);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      Result r = kubectl("create", "-f", probe.toString());
      if (r.exit() != 0 && r.err().contains("pods \"probe\" is forbidden: failed quota: compute: must specify"
          + " requests.cpu for: app; requests.memory for: app")) {
        break;
      }
      if (r.exit() == 0) {
        assertEquals(0, kubectl("delete", "pod", "probe").exit());
      }
      if (System.nanoTime() > deadline) {
        fail("the quota never refused a pod without requests: " + r.both());
      }
    }
    assertEquals(0, kubectl("create", "-f", first.toString()).exit());
    assertEquals(0, kubectl("create", "-f", podManifest("web-1").toString()).exit());
    Result over = kubectl("create", "-f", podManifest("web-2").toString());
    assertTrue(over.exit() != 0, over.both());
    assertTrue(over.err().contains("Error from server (Forbidden)"), over.both());
    assertTrue(over.err().contains("pods \"web-2\" is forbidden: exceeded quota: compute, requested: pods=1,"
        + " used: pods=2, limited: pods=2"), over.both());

    Result describe = kubectl("describe", "quota", "compute");
    assertEquals(0, describe.exit(), describe.both());
    assertTrue(describe.out().matches("(?s).*Resource\\s+Used\\s+Hard.*"), describe.both());
    assertTrue(describe.out().matches("(?s).*\\bpods\\s+2\\s+2\\b.*"), describe.both());
    assertTrue(describe.out().matches("(?s).*requests\\.cpu\\s+600m\\s+1\\b.*"), describe.both());
    assertTrue(describe.out().matches("(?s).*requests\\.memory\\s+128Mi\\s+1Gi.*"), describe.both());
  }
}
