package io.capstan.gateway.server;

import io.capstan.gateway.testing.KubectlCli;
import io.capstan.gateway.testing.KubectlCli.Result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.json.KubeJson;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The real kubectl against the gateway over HTTPS on a free port, with the kubeconfig the
 * gateway writes (CA embedded, admin token) and client-side validation on (kubectl validates
 * against the gateway's OpenAPI v3). Every test uses its own object names, and checks what was
 * stored (read back with {@code kubectl get -o json}), not only kubectl's exit code. The store
 * is whatever {@link GatewayTestServer} provides.
 */
class KubectlTest extends KubectlAgainstGateway {
  static List<String> command(String... args) {
    return cli.command(args);
  }

  static Result kubectlWithEnv(java.util.Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    return cli.run(env, args);
  }

  /** The stored object, read back as JSON. */
  static JsonNode stored(String... what) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("get"));
    args.addAll(List.of(what));
    args.addAll(List.of("-o", "json"));
    return KubeJson.parse(ok(args.toArray(String[]::new)).out());
  }

  /**
   * A ConfigMap created from a manifest (JSON on the wire); kubectl's generators such as
   * {@code kubectl create configmap} send protobuf, tested in {@link KubectlProtobufTest}.
   */
  static void createConfigMap(String name, String... keysAndValues) throws IOException, InterruptedException {
    StringBuilder yaml = new StringBuilder("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n");
    for (int i = 0; i < keysAndValues.length; i += 2) {
      yaml.append("  ").append(keysAndValues[i]).append(": \"").append(keysAndValues[i + 1]).append("\"\n");
    }
    ok("create", "-f", manifest(name + ".yaml", yaml.toString()).toString());
  }

  static boolean exists(String... what) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("get"));
    args.addAll(List.of(what));
    args.add("--ignore-not-found");
    args.addAll(List.of("-o", "name"));
    return !ok(args.toArray(String[]::new)).out().isBlank();
  }

  static Path manifest(String name, String yaml) throws IOException {
    Path file = dataDir.resolve(name);
    Files.writeString(file, yaml);
    return file;
  }

  static String deployment(String name, int replicas, String image, String extraLabels) {
    return """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: %s
          labels:
            app: %s%s
        spec:
          replicas: %d
          selector:
            matchLabels:
              app: %s
          template:
            metadata:
              labels:
                app: %s
            spec:
              containers:
              - name: app
                image: %s
              - name: sidecar
                image: busybox:1.36
        """.formatted(name, name, extraLabels, replicas, name, name, image);
  }

  // ---- discovery, version, schema ----

  /**
   * Issue 22 item 7: {@code kubectl debug} adds an ephemeral container through
   * pods/ephemeralcontainers (a strategic merge patch); it answered 404 before.
   */
  @Test
  void kubectlDebugAddsAnEphemeralContainer() throws Exception {
    ok("create", "namespace", "debugging");
    Path manifest = dataDir.resolve("debug-target.yaml");
    Files.writeString(manifest, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: debugging\nspec:\n"
        + "  containers:\n  - name: main\n    image: busybox:1.36\n    command: [sleep, \"3600\"]\n");
    ok("create", "-f", manifest.toString());
    Result r = ok("debug", "-n", "debugging", "web", "--image=busybox:1.36", "-c", "dbg", "--target=main",
        "--", "sleep", "600");
    JsonNode pod = stored("pod", "web", "-n", "debugging");
    JsonNode dbg = pod.at("/spec/ephemeralContainers/0");
    assertEquals("dbg", dbg.path("name").asText(), r.both() + "\n" + pod);
    assertEquals("main", dbg.path("targetContainerName").asText());
    assertEquals("[\"sleep\",\"600\"]", dbg.path("command").toString(), dbg.toString());
    Result badTarget = kubectl("debug", "-n", "debugging", "web", "--image=busybox:1.36", "-c", "dbg2", "--target=nope",
        "--", "true");
    assertTrue(badTarget.exit() != 0 && badTarget.both().contains(
        "spec.ephemeralContainers[1].targetContainerName: Not found: \"nope\""), badTarget.both());
    // The same name again: whatever kubectl's patch makes of it, the existing container stays as it was.
    kubectl("debug", "-n", "debugging", "web", "--image=busybox:1.37", "-c", "dbg", "--", "true");
    JsonNode after = stored("pod", "web", "-n", "debugging").at("/spec/ephemeralContainers");
    assertEquals(1, after.size(), after.toString());
    assertEquals(dbg, after.get(0));
  }

  @Test
  void kubeconfigEmbedsCaAndToken() throws IOException {
    String kubeconfig = Files.readString(server.kubeconfig());
    assertTrue(kubeconfig.contains("certificate-authority-data: "), kubeconfig);
    assertTrue(kubeconfig.contains("server: https://127.0.0.1:" + server.gateway().port()), kubeconfig);
    assertTrue(kubeconfig.contains("token: "), kubeconfig);
  }

  @Test
  void version() throws Exception {
    Result r = ok("version", "-o", "json");
    JsonNode json = KubeJson.parse(r.out());
    assertEquals("v1.32.0+capstan-0.1.0", json.at("/serverVersion/gitVersion").asText(), r.both());
  }

  @Test
  void apiResources() throws Exception {
    Result r = ok("api-resources");
    assertTrue(r.out().matches("(?s).*\\bpods\\s+po\\s+v1\\s+true\\s+Pod\\b.*"), r.both());
    assertTrue(r.out().matches("(?s).*\\bdeployments\\s+deploy\\s+apps/v1\\s+true\\s+Deployment\\b.*"), r.both());
    assertTrue(r.out().matches("(?s).*\\breplicasets\\s+rs\\s+apps/v1\\s+true\\s+ReplicaSet\\b.*"), r.both());
    assertTrue(r.out().matches("(?s).*\\bconfigmaps\\s+cm\\s+v1\\s+true\\s+ConfigMap\\b.*"), r.both());
    assertTrue(r.out().matches("(?s).*\\bleases\\s+coordination.k8s.io/v1\\s+true\\s+Lease\\b.*"), r.both());
    assertTrue(r.out().matches("(?s).*\\bnamespaces\\s+ns\\s+v1\\s+false\\s+Namespace\\b.*"), r.both());
    Result wide = ok("api-resources", "--api-group=apps", "-o", "wide");
    assertTrue(wide.out().matches("(?s).*\\bdeployments\\b.*\\bcreate,delete,deletecollection,get,list,patch,update,"
        + "watch\\b.*"), wide.both());
  }

  /**
   * Capstan's own endpoints (the console's timeline) are found as kube finds a group's:
   * {@code kubectl api-versions} lists the group-version, discovery a get-only resource (nothing
   * that lists every resource takes it), and {@code /openapi/v3} has its document. The kinds'
   * documents list the historical-read parameters on gets and lists, and kubectl's strict
   * validation still reads them.
   */
  @Test
  void capstanEndpointsAreDiscoverableAndDescribed() throws Exception {
    List<String> versions = ok("api-versions").out().lines().toList();
    assertTrue(versions.containsAll(List.of("console.capstan.io/v1", "apps/v1", "v1")), versions.toString());
    Result resources = ok("api-resources", "--api-group=console.capstan.io", "-o", "wide", "--no-headers");
    assertTrue(resources.out().strip().matches("timeline\\s+console.capstan.io/v1\\s+false\\s+Timeline\\s+get\\b.*"),
        resources.both());
    // the resource kubectl resolves "timeline" to answers the timeline
    JsonNode got = KubeJson.parse(ok("get", "timeline", "-o", "json").out());
    assertEquals("Timeline", got.at("/items/0/kind").asText(), got.toString());
    JsonNode raw = KubeJson.parse(ok("get", "--raw", "/apis/console.capstan.io/v1/timeline?buckets=2").out());
    assertEquals(2, raw.path("writes").size(), raw.toString());
    List<String> listable = ok("api-resources", "--verbs=list", "-o", "name").out().lines().toList();
    assertTrue(listable.contains("pods") && listable.stream().noneMatch(r -> r.contains("capstan.io")), listable.toString());
    JsonNode index = KubeJson.parse(ok("get", "--raw", "/openapi/v3").out());
    String url = index.at("/paths/apis~1console.capstan.io~1v1/serverRelativeURL").asText();
    assertTrue(url.startsWith("/openapi/v3/apis/console.capstan.io/v1?hash="), index.toString());
    JsonNode console = KubeJson.parse(ok("get", "--raw", url).out());
    JsonNode timeline = console.at("/paths/~1apis~1console.capstan.io~1v1~1timeline/get");
    assertEquals(List.of("from", "to", "buckets"), timeline.path("parameters").findValuesAsText("name"),
        timeline.toString());
    assertEquals("#/components/schemas/io.capstan.console.v1.Timeline",
        timeline.at("/responses/200/content/application~1json/schema/$ref").asText());
    assertTrue(console.at("/components/schemas/io.capstan.console.v1.Timeline").isObject(), console.toString());

    JsonNode core = KubeJson.parse(ok("get", "--raw", "/openapi/v3/api/v1").out());
    JsonNode read = core.at("/paths/~1api~1v1~1namespaces~1{namespace}~1configmaps~1{name}/get/parameters");
    assertTrue(read.findValuesAsText("name").containsAll(List.of("asOf", "asOfResourceVersion", "history")),
        read.toString());
    JsonNode list = core.at("/paths/~1api~1v1~1namespaces~1{namespace}~1configmaps/get/parameters");
    assertTrue(list.findValuesAsText("name").containsAll(List.of("asOf", "asOfResourceVersion", "watch")),
        list.toString());
    Path cm = manifest("validated.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: validated\n"
        + "data:\n  a: \"1\"\n");
    ok("apply", "--validate=strict", "-f", cm.toString());
    assertEquals("1", stored("configmap", "validated").at("/data/a").asText());
    Result unknown = kubectl("apply", "--validate=strict", "-f", manifest("unvalidated.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unvalidated\nbogus: 1\n").toString());
    assertNotEquals(0, unknown.exit(), unknown.both());
    assertTrue(unknown.both().contains("bogus"), unknown.both());
  }

  @Test
  void explainPodContainers() throws Exception {
    Result r = ok("explain", "pods.spec.containers");
    assertTrue(r.out().contains("KIND:") && r.out().contains("Pod"), r.both());
    assertTrue(r.out().contains("FIELD: containers <[]Container>"), r.both());
    assertTrue(r.out().matches("(?s).*image\\s+<string>.*"), r.both());
    assertTrue(r.out().matches("(?s).*name\\s+<string> -required-.*"), r.both());
    assertTrue(r.out().contains("Container image name"), "the IDL doc comment is the field's description: " + r.both());
  }

  @Test
  void explainDeploymentSpec() throws Exception {
    Result r = ok("explain", "deployment.spec");
    assertTrue(r.out().contains("GROUP:      apps") || r.out().matches("(?s).*GROUP:\\s+apps.*"), r.both());
    assertTrue(r.out().contains("FIELD: spec <DeploymentSpec>"), r.both());
    assertTrue(r.out().matches("(?s).*replicas\\s+<integer>.*"), r.both());
    assertTrue(r.out().matches("(?s).*selector\\s+<LabelSelector> -required-.*"), r.both());
    assertTrue(r.out().matches("(?s).*template\\s+<PodTemplateSpec> -required-.*"), r.both());
    assertTrue(r.out().contains("Number of desired pods"), "the IDL doc comment is the field's description: " + r.both());
  }

  // ---- create, get in every form ----

  @Test
  void createThenGetAsTableJsonYamlWithSelectorsAndAllNamespaces() throws Exception {
    ok("create", "-f", manifest("team-a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n")
        .toString());
    Path cm = manifest("cm.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: app-settings
          labels:
            app: web
        data:
          mode: fast
          level: "3"
        """);
    Result created = ok("create", "-f", cm.toString());
    assertTrue(created.out().contains("configmap/app-settings created"), created.both());
    ok("create", "-f", cm.toString(), "-n", "team-a");
    createConfigMap("other-settings", "mode", "slow");

    JsonNode item = stored("cm", "app-settings");
    assertEquals("app-settings", item.at("/metadata/name").asText());
    assertEquals("default", item.at("/metadata/namespace").asText());
    assertEquals("fast", item.at("/data/mode").asText());
    assertTrue(item.at("/metadata/uid").asText().length() > 10, item.toString());

    Result yaml = ok("get", "cm", "app-settings", "-o", "yaml");
    JsonNode fromYaml = KubeJson.parse(yaml.out());
    assertEquals("fast", fromYaml.at("/data/mode").asText(), yaml.both());
    assertEquals(item.at("/metadata/resourceVersion").asText(), fromYaml.at("/metadata/resourceVersion").asText());

    Result table = ok("get", "cm", "app-settings");
    assertTrue(table.out().matches("(?s)NAME\\s+DATA\\s+AGE\\s*\\napp-settings\\s+2\\s+\\d+s\\s*"), table.both());

    Result byLabel = ok("get", "cm", "-l", "app=web", "-o", "name");
    assertEquals("configmap/app-settings", byLabel.out().strip(), byLabel.both());
    Result notWeb = ok("get", "cm", "-l", "app notin (web)", "-o", "name");
    assertTrue(notWeb.out().contains("configmap/other-settings") && !notWeb.out().contains("app-settings"),
        notWeb.both());

    Result byField = ok("get", "cm", "--field-selector", "metadata.name=other-settings", "-o", "name");
    assertEquals("configmap/other-settings", byField.out().strip(), byField.both());

    Result all = ok("get", "cm", "-A", "-l", "app=web");
    assertTrue(all.out().matches("(?s)NAMESPACE\\s+NAME\\s+DATA\\s+AGE\\s*\\n"
        + "default\\s+app-settings\\s+2\\s+\\d+s\\s*\\nteam-a\\s+app-settings\\s+2\\s+\\d+s\\s*"), all.both());
    JsonNode allJson = KubeJson.parse(ok("get", "cm", "-A", "-l", "app=web", "-o", "json").out());
    assertEquals(List.of("default", "team-a"), allJson.get("items").findValuesAsText("namespace"));

    Result again = kubectl("create", "-f", cm.toString());
    assertNotEquals(0, again.exit(), again.both());
    assertTrue(again.err().contains("configmaps \"app-settings\" already exists"), again.both());
  }

  @Test
  void podTableAndPhaseFieldSelector() throws Exception {
    Path pod = manifest("pod.yaml", """
        apiVersion: v1
        kind: Pod
        metadata:
          name: solo
        spec:
          containers:
          - name: main
            image: busybox:1.36
            command: ["sleep", "3600"]
        """);
    ok("create", "-f", pod.toString());
    Result table = ok("get", "pods", "solo");
    assertTrue(table.out().matches("(?s)NAME\\s+READY\\s+STATUS\\s+RESTARTS\\s+AGE\\s*\\nsolo\\s+0/1\\s+Pending\\s+0\\s+"
        + "\\d+s\\s*"), table.both());
    Result pending = ok("get", "pods", "--field-selector", "status.phase=Pending,metadata.name=solo", "-o", "name");
    assertEquals("pod/solo", pending.out().strip(), pending.both());
    Result running = ok("get", "pods", "--field-selector", "status.phase=Running", "-o", "name");
    assertFalse(running.out().contains("pod/solo"), running.both());
    JsonNode stored = stored("pod", "solo");
    assertEquals("Pending", stored.at("/status/phase").asText(), stored.toString());
    // An unscheduled pod has nothing running: deleting it completes at once, as in Kubernetes.
    Result deleted = ok("delete", "pod", "solo");
    assertTrue(deleted.out().contains("pod \"solo\" deleted"), deleted.both());
    assertFalse(exists("pod", "solo"));
  }

  @Test
  void strictValidationRejectsUnknownFields() throws Exception {
    Path manifest = manifest("bad-cm.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: typo
        dataa:
          mode: fast
        """);
    Result r = kubectl("create", "-f", manifest.toString());
    assertTrue(r.exit() != 0, r.both());
    assertTrue(r.err().contains("unknown field \"dataa\""), r.both());
    assertFalse(exists("cm", "typo"));
  }

  // ---- apply, diff ----

  @Test
  void applyCreatesThenChangesTwiceWithLastAppliedAnnotation() throws Exception {
    Path file = manifest("web.yaml", deployment("web", 2, "nginx:1.25", ""));
    Result first = ok("apply", "-f", file.toString());
    assertTrue(first.out().contains("deployment.apps/web created"), first.both());
    JsonNode v1 = stored("deploy", "web");
    assertEquals(2, v1.at("/spec/replicas").asInt());
    assertEquals(1, v1.at("/metadata/generation").asInt(), v1.toString());
    String lastApplied = v1.at("/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration").asText();
    assertTrue(lastApplied.contains("\"replicas\":2"), v1.toString());

    // A field set by someone else survives apply: apply only touches what the manifest names.
    ok("label", "deploy", "web", "owner=ops");

    Files.writeString(file, deployment("web", 3, "nginx:1.27", "\n    tier: frontend"));
    Result second = ok("apply", "-f", file.toString());
    assertTrue(second.out().contains("deployment.apps/web configured"), second.both());
    JsonNode v2 = stored("deploy", "web");
    assertEquals(3, v2.at("/spec/replicas").asInt());
    assertEquals("nginx:1.27", v2.at("/spec/template/spec/containers/0/image").asText());
    assertEquals("sidecar", v2.at("/spec/template/spec/containers/1/name").asText(), "merged by name, not replaced");
    assertEquals("frontend", v2.at("/metadata/labels/tier").asText());
    assertEquals("ops", v2.at("/metadata/labels/owner").asText(), v2.toString());
    assertEquals(2, v2.at("/metadata/generation").asInt(), "spec changed once: " + v2);
    assertEquals(v1.at("/metadata/uid").asText(), v2.at("/metadata/uid").asText());

    // The second change drops a label the last apply set: apply removes it (three-way merge).
    Files.writeString(file, deployment("web", 3, "nginx:1.27", ""));
    Result third = ok("apply", "-f", file.toString());
    assertTrue(third.out().contains("deployment.apps/web configured"), third.both());
    JsonNode v3 = stored("deploy", "web");
    assertTrue(v3.at("/metadata/labels/tier").isMissingNode(), v3.toString());
    assertEquals("ops", v3.at("/metadata/labels/owner").asText(), v3.toString());
    assertEquals(2, v3.at("/metadata/generation").asInt(), "only metadata changed: " + v3);

    Result unchanged = ok("apply", "-f", file.toString());
    assertTrue(unchanged.out().contains("deployment.apps/web unchanged"), unchanged.both());
    assertEquals(v3.at("/metadata/resourceVersion").asText(),
        stored("deploy", "web").at("/metadata/resourceVersion").asText());
  }

  @Test
  void diffShowsTheChangeWithoutStoringIt() throws Exception {
    Path file = manifest("diff-cm.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: diffed
        data:
          mode: slow
        """);
    ok("apply", "-f", file.toString());
    String rv = stored("cm", "diffed").at("/metadata/resourceVersion").asText();
    Result same = kubectl("diff", "-f", file.toString());
    assertEquals(0, same.exit(), "no differences: " + same.both());

    Files.writeString(file, Files.readString(file).replace("mode: slow", "mode: fast"));
    Result diff = kubectl("diff", "-f", file.toString());
    assertEquals(1, diff.exit(), "exit 1 means differences found: " + diff.both());
    assertTrue(diff.out().contains("-  mode: slow") && diff.out().contains("+  mode: fast"), diff.both());
    JsonNode after = stored("cm", "diffed");
    assertEquals("slow", after.at("/data/mode").asText(), "diff is a dry run: " + after);
    assertEquals(rv, after.at("/metadata/resourceVersion").asText());

    Path fresh = manifest("diff-new.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: not-yet
        data:
          a: b
        """);
    Result create = kubectl("diff", "-f", fresh.toString());
    assertEquals(1, create.exit(), create.both());
    assertTrue(create.out().contains("+  name: not-yet"), create.both());
    assertFalse(exists("cm", "not-yet"), "a dry-run create stores nothing");
  }

  // ---- watch ----

  @Test
  void getWatchSeesTheChange() throws Exception {
    createConfigMap("watched", "mode", "slow");
    Process watch = new ProcessBuilder(command("get", "cm", "watched", "-w", "--request-timeout=60s",
        "-o", "jsonpath={.metadata.name}={.data.mode}{\"\\n\"}")).redirectErrorStream(true).start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(watch.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          System.out.println("[kubectl get -w] " + line);
          lines.add(line);
        }
      } catch (IOException e) {
        lines.add("read failed: " + e);
      }
    }, "kubectl-watch-reader");
    reader.setDaemon(true);
    reader.start();
    try {
      assertEquals("watched=slow", lines.poll(30, TimeUnit.SECONDS), "the initial state");
      ok("patch", "cm", "watched", "--type", "merge", "-p", "{\"data\":{\"mode\":\"fast\"}}");
      assertEquals("watched=fast", lines.poll(30, TimeUnit.SECONDS), "the change arrives on the watch");
      assertTrue(watch.isAlive(), "the watch stays open");
    } finally {
      watch.destroy();
      if (!watch.waitFor(10, TimeUnit.SECONDS)) {
        watch.destroyForcibly();
      }
    }
  }

  // ---- label, annotate, patch ----

  @Test
  void labelAndAnnotateChangeOnlyMetadata() throws Exception {
    createConfigMap("tagged", "k", "v");
    ok("label", "cm", "tagged", "tier=gold", "team=core");
    ok("annotate", "cm", "tagged", "note=hello world");
    JsonNode v1 = stored("cm", "tagged");
    assertEquals("gold", v1.at("/metadata/labels/tier").asText(), v1.toString());
    assertEquals("core", v1.at("/metadata/labels/team").asText());
    assertEquals("hello world", v1.at("/metadata/annotations/note").asText());
    assertEquals("v", v1.at("/data/k").asText());

    Result refused = kubectl("label", "cm", "tagged", "tier=silver");
    assertNotEquals(0, refused.exit(), "changing a label needs --overwrite: " + refused.both());
    ok("label", "cm", "tagged", "tier=silver", "--overwrite");
    ok("label", "cm", "tagged", "team-");
    ok("annotate", "cm", "tagged", "note-");
    JsonNode v2 = stored("cm", "tagged");
    assertEquals("silver", v2.at("/metadata/labels/tier").asText(), v2.toString());
    assertTrue(v2.at("/metadata/labels/team").isMissingNode(), v2.toString());
    assertTrue(v2.at("/metadata/annotations/note").isMissingNode(), v2.toString());
    assertEquals(List.of("configmap/tagged"),
        ok("get", "cm", "-l", "tier=silver", "-o", "name").out().lines().toList());
  }

  @Test
  void patchMergeJsonAndStrategic() throws Exception {
    createConfigMap("patched", "a", "1", "b", "2");
    ok("patch", "cm", "patched", "--type", "merge", "-p", "{\"data\":{\"a\":\"10\",\"b\":null}}");
    JsonNode merged = stored("cm", "patched");
    assertEquals("10", merged.at("/data/a").asText(), merged.toString());
    assertTrue(merged.at("/data/b").isMissingNode(), merged.toString());

    ok("patch", "cm", "patched", "--type", "json", "-p",
        "[{\"op\":\"add\",\"path\":\"/data/c\",\"value\":\"3\"},{\"op\":\"replace\",\"path\":\"/data/a\",\"value\":\"11\"}]");
    JsonNode jsonPatched = stored("cm", "patched");
    assertEquals("11", jsonPatched.at("/data/a").asText(), jsonPatched.toString());
    assertEquals("3", jsonPatched.at("/data/c").asText());

    Result failedTest = kubectl("patch", "cm", "patched", "--type", "json", "-p",
        "[{\"op\":\"test\",\"path\":\"/data/a\",\"value\":\"999\"},{\"op\":\"remove\",\"path\":\"/data/c\"}]");
    assertNotEquals(0, failedTest.exit(), failedTest.both());
    assertEquals("3", stored("cm", "patched").at("/data/c").asText(), "a failed test op changes nothing");

    ok("apply", "-f", manifest("patch-deploy.yaml", deployment("patchme", 1, "nginx:1.25", "")).toString());
    // Strategic merge (kubectl's default): containers merge by name, the sidecar stays.
    ok("patch", "deploy", "patchme", "-p",
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"nginx:1.27\"}]}}}}");
    JsonNode deploy = stored("deploy", "patchme");
    JsonNode containers = deploy.at("/spec/template/spec/containers");
    assertEquals(2, containers.size(), deploy.toString());
    assertEquals("nginx:1.27", containers.get(0).path("image").asText());
    assertEquals("busybox:1.36", containers.get(1).path("image").asText());
    assertEquals(2, deploy.at("/metadata/generation").asInt(), deploy.toString());

    // Strategic $patch: delete removes one element of a merged list.
    ok("patch", "deploy", "patchme", "-p",
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"sidecar\",\"$patch\":\"delete\"}]}}}}");
    JsonNode trimmed = stored("deploy", "patchme");
    assertEquals(List.of("app"), trimmed.at("/spec/template/spec/containers").findValuesAsText("name"));
  }

  @Test
  void statusSubresourceThroughKubectl() throws Exception {
    ok("apply", "-f", manifest("status-deploy.yaml", deployment("statused", 2, "nginx:1.25", "")).toString());
    JsonNode before = stored("deploy", "statused");
    ok("patch", "deploy", "statused", "--subresource=status", "--type", "merge", "-p",
        "{\"status\":{\"replicas\":2,\"readyReplicas\":1},\"spec\":{\"replicas\":9}}");
    JsonNode after = stored("deploy", "statused");
    assertEquals(1, after.at("/status/readyReplicas").asInt(), after.toString());
    assertEquals(2, after.at("/spec/replicas").asInt(), "the status subresource ignores spec: " + after);
    assertEquals(before.at("/metadata/generation").asInt(), after.at("/metadata/generation").asInt());
    JsonNode viaSubresource = stored("deploy", "statused", "--subresource=status");
    assertEquals(1, viaSubresource.at("/status/readyReplicas").asInt(), viaSubresource.toString());

    // ... and a plain update keeps the status the status subresource wrote.
    ok("label", "deploy", "statused", "x=y");
    assertEquals(1, stored("deploy", "statused").at("/status/readyReplicas").asInt());
  }

  // ---- scale, replace ----

  @Test
  void scaleDeploymentsAndReplicaSets() throws Exception {
    ok("apply", "-f", manifest("scale-deploy.yaml", deployment("scaled", 2, "nginx:1.25", "")).toString());
    Result scaled = ok("scale", "deploy", "scaled", "--replicas=5");
    assertTrue(scaled.out().contains("deployment.apps/scaled scaled"), scaled.both());
    JsonNode deploy = stored("deploy", "scaled");
    assertEquals(5, deploy.at("/spec/replicas").asInt(), deploy.toString());
    assertEquals(2, deploy.at("/metadata/generation").asInt(), deploy.toString());

    JsonNode scale = stored("deploy", "scaled", "--subresource=scale");
    assertEquals("Scale", scale.path("kind").asText(), scale.toString());
    assertEquals("autoscaling/v1", scale.path("apiVersion").asText());
    assertEquals(5, scale.at("/spec/replicas").asInt());
    assertEquals("app=scaled", scale.at("/status/selector").asText(), scale.toString());

    Result precondition = kubectl("scale", "deploy", "scaled", "--current-replicas=2", "--replicas=7");
    assertNotEquals(0, precondition.exit(), precondition.both());
    assertTrue(precondition.err().contains("Expected replicas to be 2, was 5"), precondition.both());
    assertEquals(5, stored("deploy", "scaled").at("/spec/replicas").asInt());

    Path rs = manifest("rs.yaml", """
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata:
          name: plain-rs
        spec:
          replicas: 1
          selector:
            matchLabels:
              app: plain
          template:
            metadata:
              labels:
                app: plain
            spec:
              containers:
              - name: app
                image: nginx:1.25
        """);
    ok("create", "-f", rs.toString());
    ok("scale", "rs", "plain-rs", "--replicas=0");
    assertEquals(0, stored("rs", "plain-rs").at("/spec/replicas").asInt());
    Result negative = kubectl("scale", "rs", "plain-rs", "--replicas=-1");
    assertNotEquals(0, negative.exit(), negative.both());
  }

  @Test
  void replaceIsAnEditStylePutGuardedByResourceVersion() throws Exception {
    createConfigMap("edited", "mode", "slow");
    JsonNode current = stored("cm", "edited");
    ObjectNode edited = current.deepCopy();
    ((ObjectNode) edited.get("data")).put("mode", "fast").put("extra", "yes");
    Path file = dataDir.resolve("edited.json");
    Files.writeString(file, edited.toString());
    Result replaced = ok("replace", "-f", file.toString());
    assertTrue(replaced.out().contains("configmap/edited replaced"), replaced.both());
    JsonNode after = stored("cm", "edited");
    assertEquals("fast", after.at("/data/mode").asText(), after.toString());
    assertEquals("yes", after.at("/data/extra").asText());
    assertNotEquals(current.at("/metadata/resourceVersion").asText(), after.at("/metadata/resourceVersion").asText());

    // The same edit again carries the old resourceVersion: a conflict, as for a stale kubectl edit.
    ((ObjectNode) edited.get("data")).put("mode", "stale");
    Files.writeString(file, edited.toString());
    Result stale = kubectl("replace", "-f", file.toString());
    assertNotEquals(0, stale.exit(), stale.both());
    assertTrue(stale.err().contains("the object has been modified"), stale.both());
    assertEquals("fast", stored("cm", "edited").at("/data/mode").asText());
  }

  @Test
  void aPodsSpecIsFixedOnceItExistsExceptWhatKubernetesLetsChange() throws Exception {
    Path pod = manifest("fixed-pod.yaml", """
        apiVersion: v1
        kind: Pod
        metadata:
          name: fixed
        spec:
          containers:
          - name: main
            image: busybox:1.36
            command: ["sleep", "3600"]
        """);
    ok("create", "-f", pod.toString());
    ok("set", "image", "pod/fixed", "main=busybox:1.37");
    assertEquals("busybox:1.37", stored("pod", "fixed").at("/spec/containers/0/image").asText());
    Files.writeString(pod, Files.readString(pod).replace("busybox:1.36", "busybox:1.37")
        .replace("    command:", "    workingDir: /tmp\n    command:"));
    Result refused = kubectl("replace", "-f", pod.toString());
    assertNotEquals(0, refused.exit(), refused.both());
    assertTrue(refused.err().contains("Pod \"fixed\" is invalid: spec: Forbidden: pod updates may not change fields other"
        + " than `spec.containers[*].image`"), refused.both());
    assertTrue(refused.err().contains("containers"), "the message shows what differs: " + refused.both());
    assertTrue(stored("pod", "fixed").at("/spec/containers/0/workingDir").isMissingNode());
  }

  @Test
  void editThroughAnEditor() throws Exception {
    createConfigMap("via-editor", "mode", "slow");
    String rv = stored("cm", "via-editor").at("/metadata/resourceVersion").asText();
    // kubectl runs $KUBE_EDITOR on a file holding the object's YAML, then sends what changed.
    Result edited = kubectlWithEnv(java.util.Map.of("KUBE_EDITOR", "sed -i -e 's/mode: slow/mode: fast/'"),
        "edit", "cm", "via-editor");
    assertEquals(0, edited.exit(), edited.both());
    assertTrue(edited.out().contains("configmap/via-editor edited"), edited.both());
    JsonNode after = stored("cm", "via-editor");
    assertEquals("fast", after.at("/data/mode").asText(), after.toString());
    assertNotEquals(rv, after.at("/metadata/resourceVersion").asText());
  }

  @Test
  void serverSideApplyOfSecretsAndRbacKindsWorksAsForOtherKinds() throws Exception {
    Path file = manifest("ssa.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ssa\nstringData:\n  a: b\n");
    Result r = kubectl("apply", "--server-side", "-f", file.toString());
    assertEquals(0, r.exit(), r.both());
    assertEquals("Yg==", KubeJson.parse(ok("get", "secret", "ssa", "-o", "json").out()).at("/data/a").asText(),
        "merged in the gateway, stored sealed, read open");
    Path role = manifest("ssa-role.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n"
        + "  name: ssa\nrules: []\n");
    Result applied = kubectl("apply", "--server-side", "-f", role.toString());
    assertEquals(0, applied.exit(), applied.both());
    assertTrue(exists("role", "ssa"), applied.both());
  }

  // ---- delete ----

  // ---- audit ----

  @Test
  void theAuditTrailSaysWhoChangedWhat() throws Exception {
    createConfigMap("audited", "mode", "slow");
    ok("patch", "cm", "audited", "--type", "merge", "-p", "{\"data\":{\"mode\":\"fast\"}}");
    JsonNode trail = KubeJson.parse(ok("get", "--raw",
        "/apis/audit.capstan.io/v1/events?namespace=default&kind=cm&name=audited").out());
    assertEquals("EventList", trail.get("kind").asText(), trail.toString());
    JsonNode items = trail.get("items");
    assertEquals(2, items.size(), trail.toString());
    assertEquals("CREATED", items.get(0).get("op").asText());
    assertEquals("UPDATED", items.get(1).get("op").asText());
    for (JsonNode e : items) {
      assertEquals(io.capstan.gateway.security.AdminToken.ADMIN_USER, e.get("actor").asText(), "the user is the actor");
      assertEquals("ConfigMap", e.at("/object/kind").asText());
    }
    assertEquals("fast", items.get(1).at("/mergePatch/data/mode").asText(), trail.toString());
    assertTrue(items.get(0).path("responseObject").isMissingNode(), "objects only when asked: " + trail);
    // As Kubernetes audit's RequestResponse level: each change with the object after it.
    JsonNode withObjects = KubeJson.parse(ok("get", "--raw",
        "/apis/audit.capstan.io/v1/events?namespace=default&kind=cm&name=audited&objects=true").out()).get("items");
    assertEquals("slow", withObjects.get(0).at("/responseObject/data/mode").asText(), withObjects.toString());
    assertEquals("fast", withObjects.get(1).at("/responseObject/data/mode").asText(), withObjects.toString());
    assertEquals("audited", withObjects.get(1).at("/responseObject/metadata/name").asText(), withObjects.toString());
    Result bad = kubectl("get", "--raw", "/apis/audit.capstan.io/v1/events?kind=widgets");
    assertNotEquals(0, bad.exit());
    assertTrue(bad.err().contains("no kind is called"), bad.both());
  }

  /**
   * Audit of access (issue 16): refusals (401, 403) and reads of Secrets are kept with who asked,
   * whom they impersonated and from where, and the audit API shows them next to the changes.
   */
  @Test
  void refusalsAndReadsOfSecretsAreAudited() throws Exception {
    String since = java.time.Instant.now().minusSeconds(1).toString();
    Result unknown = kubectl("--context", "capstan-token", "get", "pods", "--token", "audit-not-a-token");
    assertNotEquals(0, unknown.exit(), unknown.both());
    Result forbidden = kubectl("get", "configmaps", "-n", "default", "--as", "audit-nobody");
    assertNotEquals(0, forbidden.exit(), forbidden.both());
    assertTrue(forbidden.err().contains("forbidden"), forbidden.both());
    ok("create", "secret", "generic", "audited-secret", "--from-literal=k=v");
    ok("get", "secret", "audited-secret");

    JsonNode denied = awaitAudit("/apis/audit.capstan.io/v1/events?actor=audit-nobody", items -> !items.isEmpty());
    JsonNode d = denied.get(0);
    assertEquals("DENIED", d.get("op").asText(), denied.toString());
    assertEquals(403, d.at("/access/code").asInt(), denied.toString());
    assertEquals("list", d.at("/access/verb").asText(), denied.toString());
    assertEquals("configmaps", d.at("/access/objectRef/resource").asText(), denied.toString());
    assertEquals(io.capstan.gateway.security.AdminToken.ADMIN_USER, d.at("/access/impersonatedBy").asText(),
        "who impersonated is kept: " + denied);
    assertEquals("127.0.0.1", d.at("/access/sourceIPs/0").asText(), denied.toString());
    assertTrue(d.at("/access/reason").asText().contains("cannot list resource"), denied.toString());

    JsonNode secret = awaitAudit("/apis/audit.capstan.io/v1/events?namespace=default&kind=secrets&name=audited-secret",
        items -> items.size() >= 2);
    List<String> ops = new java.util.ArrayList<>();
    secret.forEach(e -> ops.add(e.get("op").asText()));
    assertTrue(ops.contains("CREATED") && ops.contains("GET"), "the change and the read, in time order: " + secret);
    JsonNode read = secret.get(ops.indexOf("GET"));
    assertEquals("allow", read.at("/access/decision").asText(), secret.toString());
    assertEquals(io.capstan.gateway.security.AdminToken.ADMIN_USER, read.get("actor").asText(), secret.toString());
    assertFalse(secret.toString().contains("\"k\":\"v\""), "no Secret value in the audit: " + secret);

    JsonNode all = awaitAudit("/apis/audit.capstan.io/v1/events?since=" + since,
        items -> java.util.stream.StreamSupport.stream(items.spliterator(), false)
            .anyMatch(e -> e.at("/access/code").asInt() == 401));
    JsonNode unauthenticated = java.util.stream.StreamSupport.stream(all.spliterator(), false)
        .filter(e -> e.at("/access/code").asInt() == 401).findFirst().orElseThrow();
    assertEquals("/api/v1/namespaces/default/pods", unauthenticated.at("/access/requestURI").asText(), all.toString());
    assertEquals("", unauthenticated.get("actor").asText(), "nobody was authenticated: " + all);
  }

  /** The audit API's items once {@code until} holds of them (records are written off the request path). */
  private static JsonNode awaitAudit(String path, java.util.function.Predicate<JsonNode> until) throws Exception {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    while (true) {
      JsonNode items = KubeJson.parse(ok("get", "--raw", path).out()).get("items");
      if (until.test(items) || System.nanoTime() > deadline) {
        return items;
      }
      Thread.sleep(200);
    }
  }

  // ---- authentication, metrics ----

  @Test
  void anonymousRequestsGet401ExceptVersionAndProbes() throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(trustingGatewayCa()).build();
    HttpResponse<String> pods = client.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/pods")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(401, pods.statusCode(), pods.body());
    JsonNode status = KubeJson.parse(pods.body());
    assertEquals("Status", status.get("kind").asText());
    assertEquals("Unauthorized", status.get("reason").asText());
    for (String open : List.of("/healthz", "/readyz", "/livez", "/version")) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(server.url() + open)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), open + ": " + r.body());
    }
    HttpResponse<String> wrong = client.send(HttpRequest.newBuilder(URI.create(server.url() + "/api"))
        .header("Authorization", "Bearer not-a-token").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, wrong.statusCode());

    // The token context: the default one's client certificate would authenticate first, as in Kubernetes.
    Result r = kubectl("--context", "capstan-token", "get", "pods", "--token", "not-a-token");
    assertTrue(r.exit() != 0, r.both());
    assertTrue(r.err().contains("Unauthorized") || r.err().contains("must be logged in"), r.both());
  }

  @Test
  void requestMetricsAreRecorded() throws Exception {
    ok("get", "namespaces");
    String scrape = server.registry().scrape();
    assertTrue(scrape.contains("capstan_apiserver_request_total{code=\"200\",resource=\"namespaces\",verb=\"LIST\"}"),
        scrape);
    assertTrue(scrape.contains("capstan_apiserver_request_duration_seconds_bucket"), scrape);
    // The histogram resolves sub-millisecond requests (cache reads): buckets below 1 ms.
    java.util.regex.Matcher le = java.util.regex.Pattern.compile(
        "capstan_apiserver_request_duration_seconds_bucket\\{[^}]*le=\"([0-9.E-]+)\"").matcher(scrape);
    double smallest = Double.MAX_VALUE;
    while (le.find()) {
      smallest = Math.min(smallest, Double.parseDouble(le.group(1)));
    }
    assertTrue(smallest < 0.0001, "the smallest bucket is " + smallest + " s");
  }

  /**
   * An autoscaling/v2 HorizontalPodAutoscaler from a manifest: kubectl get hpa prints kube's
   * columns, and a bad one is refused in kube's words. (kubectl v1.32's autoscale posts
   * autoscaling/v1: {@link KubectlAutoscaleTest}.)
   */
  @Test
  void horizontalPodAutoscalerCreateGetAndRefusal() throws Exception {
    ok("create", "-f", manifest("hpa.yaml", """
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: scaled}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: scaled}
          minReplicas: 1
          maxReplicas: 4
          metrics:
          - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}
        """).toString());
    JsonNode hpa = stored("hpa", "scaled");
    assertEquals(50, hpa.at("/spec/metrics/0/resource/target/averageUtilization").asInt(), hpa.toString());
    String table = ok("get", "hpa").out();
    assertTrue(table.matches("(?s)NAME\\s+REFERENCE\\s+TARGETS\\s+MINPODS\\s+MAXPODS\\s+REPLICAS\\s+AGE\\n"
        + "scaled\\s+Deployment/scaled\\s+cpu: <unknown>/50%\\s+1\\s+4\\s+0\\s+\\S+\\n"), table);
    assertEquals("horizontalpodautoscaler.autoscaling/scaled", ok("get", "all", "-o", "name").out().lines()
        .filter(l -> l.startsWith("horizontalpodautoscaler")).findFirst().orElse(""), "hpa is in category all");
    Result bad = kubectl("create", "-f", manifest("bad-hpa.yaml", """
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: bad}
        spec: {scaleTargetRef: {kind: Deployment, name: scaled}, minReplicas: 3, maxReplicas: 1}
        """).toString());
    assertEquals(1, bad.exit(), bad.both());
    assertTrue(bad.err().contains("The HorizontalPodAutoscaler \"bad\" is invalid: spec.maxReplicas: Invalid"
        + " value: 1: must be greater than or equal to `minReplicas`"), bad.both());
  }
}
