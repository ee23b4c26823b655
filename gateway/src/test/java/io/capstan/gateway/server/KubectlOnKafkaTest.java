package io.capstan.gateway.server;

import io.capstan.gateway.testing.KubectlCli;
import io.capstan.gateway.testing.KubectlCli.Result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.api.Deployment;
import io.capstan.api.DeploymentStatus;
import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.testing.KafkaGatewayFixture;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real kubectl against the gateway on the real backbone: HTTPS on a free port, the kubeconfig
 * the gateway writes, writes through the command processor, reads from the watch cache.
 */
class KubectlOnKafkaTest {
  static KubectlCli cli;

  @TempDir
  static Path dataDir;
  static KafkaGatewayFixture backend;
  static GatewayServer gateway;

  @BeforeAll
  static void start() throws Exception {
    KubectlCli.require();
    backend = KafkaGatewayFixture.start("kubectl", WatchCacheConfig.defaults());
    RbacKubectlChecks.writeTokens(dataDir); // users besides the admin, for the RBAC checks
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

  @Test
  void rbacAuthCanIMatrixForbiddenWordingAndList() throws Exception {
    new RbacKubectlChecks(cli, dataDir).canIMatrixAndForbiddenWording();
  }

  @Test
  void rbacEscalationRefusedAndRoleRefImmutable() throws Exception {
    new RbacKubectlChecks(cli, dataDir).escalationIsRefusedAndRoleRefIsImmutable();
  }

  @Test
  void createGetLabelDeleteThroughTheCommandProcessor() throws Exception {
    Path manifest = dataDir.resolve("cm.yaml");
    Files.writeString(manifest, """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: app-settings
          labels:
            app: web
        data:
          mode: fast
        """);
    Result created = kubectl("create", "-f", manifest.toString());
    assertEquals(0, created.exit(), created.both());
    assertTrue(created.out().contains("configmap/app-settings created"), created.both());

    Result get = kubectl("get", "cm", "app-settings", "-o", "json");
    assertEquals(0, get.exit(), get.both());
    JsonNode cm = KubeJson.parse(get.out());
    assertEquals("fast", cm.at("/data/mode").asText(), get.both());
    assertTrue(cm.at("/metadata/uid").asText().length() > 10, get.both());
    long rv = Long.parseLong(cm.at("/metadata/resourceVersion").asText());
    assertTrue(rv > 1_000_000_000_000_000L, "a hybrid-logical-clock resourceVersion (µs since the epoch): " + rv);

    Result labelled = kubectl("label", "cm", "app-settings", "tier=front");
    assertEquals(0, labelled.exit(), labelled.both());
    Result list = kubectl("get", "cm", "-l", "tier=front", "-o", "json");
    assertEquals(0, list.exit(), list.both());
    JsonNode items = KubeJson.parse(list.out()).get("items");
    assertEquals(1, items.size(), list.both());
    assertTrue(Long.parseLong(items.get(0).at("/metadata/resourceVersion").asText()) > rv, list.both());

    Result table = kubectl("get", "cm", "app-settings");
    assertEquals(0, table.exit(), table.both());
    assertTrue(table.out().matches("(?s)NAME\\s+DATA\\s+AGE\\s*\\napp-settings\\s+1\\s+\\d+s.*")
        || table.out().matches("(?s)NAME\\s+AGE\\s*\\napp-settings\\s+\\d+s.*"), table.both());

    Result again = kubectl("create", "-f", manifest.toString());
    assertTrue(again.exit() != 0, again.both());
    assertTrue(again.err().contains("AlreadyExists") || again.err().contains("already exists"), again.both());

    Result deleted = kubectl("delete", "cm", "app-settings");
    assertEquals(0, deleted.exit(), deleted.both());
    assertTrue(deleted.out().contains("configmap \"app-settings\" deleted"), deleted.both());
    Result missing = kubectl("get", "cm", "app-settings");
    assertTrue(missing.exit() != 0, missing.both());
    assertTrue(missing.err().contains("configmaps \"app-settings\" not found"), missing.both());
  }

  @Test
  void theReadmeSession() throws Exception {
    Path manifest = dataDir.resolve("demo.yaml");
    Files.writeString(manifest, """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: demo}
        data: {mode: fast}
        """);
    Result created = kubectl("create", "-f", manifest.toString());
    assertEquals(0, created.exit(), created.both());
    assertTrue(created.out().contains("configmap/demo created"), created.both());
    Result list = kubectl("get", "configmaps");
    assertEquals(0, list.exit(), list.both());
    assertTrue(list.out().contains("\ndemo "), list.both());
    Result deleted = kubectl("delete", "configmap", "demo");
    assertEquals(0, deleted.exit(), deleted.both());
    assertTrue(deleted.out().contains("configmap \"demo\" deleted"), deleted.both());
  }

  @Test
  void getWatchSeesTheListThenEveryChangeOnce() throws Exception {
    Path manifest = dataDir.resolve("watched.yaml");
    Files.writeString(manifest, """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: watched-1, labels: {watch: me}}
        data: {v: "1"}
        """);
    assertEquals(0, kubectl("create", "-f", manifest.toString()).exit());
    List<String> cmd = cli.command("get", "cm", "-l", "watch=me", "-w",
        "--output-watch-events", "-o", "custom-columns=EVENT:.type,NAME:.object.metadata.name,V:.object.data.v",
        "--no-headers");
    Process watch = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    java.util.concurrent.BlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(watch.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String l; (l = in.readLine()) != null; ) {
          lines.add(l.trim().replaceAll("\\s+", " "));
        }
      } catch (IOException e) {
        // the process ended
      }
    });
    reader.setDaemon(true);
    reader.start();
    try {
      assertEquals("ADDED watched-1 1", lines.poll(60, TimeUnit.SECONDS), "the list part of get -w");
      assertEquals(0, kubectl("label", "cm", "watched-1", "seen=yes").exit());
      assertEquals("MODIFIED watched-1 1", lines.poll(60, TimeUnit.SECONDS));
      Files.writeString(manifest, Files.readString(manifest).replace("watched-1", "watched-2"));
      assertEquals(0, kubectl("create", "-f", manifest.toString()).exit());
      assertEquals("ADDED watched-2 1", lines.poll(60, TimeUnit.SECONDS));
      assertEquals(0, kubectl("delete", "cm", "watched-1").exit());
      assertEquals("DELETED watched-1 1", lines.poll(60, TimeUnit.SECONDS));
      assertEquals(null, lines.poll(1, TimeUnit.SECONDS), "every change once, nothing else");
    } finally {
      watch.destroyForcibly();
      watch.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /**
   * kubectl set env (a strategic merge patch without a resourceVersion) while a controller-like
   * writer changes the Deployment's status as fast as the processor answers: the patch travels
   * with the update, the processor re-applies it to the newer version (what kube-apiserver's
   * retry loop does), so every command succeeds and none of their changes is lost.
   */
  @Test
  void patchesLandWhileAnotherWriterKeepsChangingTheObject() throws Exception {
    Path manifest = dataDir.resolve("busy.yaml");
    Files.writeString(manifest, """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: busy
        spec:
          replicas: 1
          selector:
            matchLabels: {app: busy}
          template:
            metadata:
              labels: {app: busy}
            spec:
              containers:
              - name: main
                image: capstan.local/busybox
        """);
    Result created = kubectl("apply", "-f", manifest.toString());
    assertEquals(0, created.exit(), created.both());

    Deployment stored = (Deployment) backend.store().get(Kinds.DEPLOYMENT, "default", "busy")
        .toCompletableFuture().get(30, TimeUnit.SECONDS).object();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger writes = new AtomicInteger();
    AtomicReference<String> writerFailure = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try (CommandClient controller = new CommandClient(CommandClientConfig.defaults(KafkaFixture.clientConfig(),
          backend.layout(), "busy-writer"), new SimpleMeterRegistry())) {
        for (int i = 1; !stop.get(); i++) {
          Deployment d = Deployment.newBuilder(stored).setStatus(DeploymentStatus.newBuilder()
              .setObservedGeneration((long) i).setReplicas(i % 3).build()).build();
          d.getMetadata().setResourceVersion(null); // unconditional, as a status writer that owns the field
          CommandResult r = controller.updateStatus(d).get(30, TimeUnit.SECONDS);
          if (!(r instanceof CommandResult.Accepted)) {
            writerFailure.set(String.valueOf(r));
            return;
          }
          writes.incrementAndGet();
        }
      } catch (Exception e) {
        writerFailure.set(e.toString());
      }
    }, "busy-writer");
    writer.start();
    int patches = 6;
    try {
      for (int i = 1; i <= patches; i++) {
        Result env = kubectl("set", "env", "deployment/busy", "STEP=" + i);
        assertEquals(0, env.exit(), "set env #" + i + " while the status keeps changing: " + env.both());
      }
    } finally {
      stop.set(true);
      writer.join(30_000);
    }
    assertEquals(null, writerFailure.get(), "the status writer never failed");
    assertTrue(writes.get() > patches, "the object really was busy: " + writes.get() + " status writes");
    Result get = kubectl("get", "deployment", "busy", "-o", "json");
    JsonNode env = KubeJson.parse(get.out()).at("/spec/template/spec/containers/0/env/0");
    assertEquals("STEP", env.path("name").asText(), get.both());
    assertEquals(Integer.toString(patches), env.path("value").asText(), "the last patch is what is stored");
  }

  @Test
  void namespacesOfTheClusterAreListed() throws Exception {
    Result r = kubectl("get", "namespaces", "-o", "name");
    assertEquals(0, r.exit(), r.both());
    for (String ns : List.of("default", "kube-system", "kube-public", "kube-node-lease")) {
      assertTrue(r.out().contains("namespace/" + ns + "\n"), r.both());
    }
  }
}
