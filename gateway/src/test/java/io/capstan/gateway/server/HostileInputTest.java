package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.server.MalformedRequests.Request;
import io.capstan.gateway.server.MalformedRequests.Target;
import io.capstan.gateway.testing.KafkaGatewayFixture;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input at scale (issue 20): at least 10,000 seeded malformed requests against the real
 * gateway on the real backbone (embedded Kafka, command processor, watch cache), aimed at an
 * object of every built-in kind and of a custom kind. Every answer must be a 4xx (never a 5xx, but
 * for the 501 Vert.x gives an unknown HTTP version before the gateway sees the request; and a
 * chunk size that is not hex, the one request closed without an answer, see {@link MalformedRequests}),
 * never a hang or a connection dropped without an answer), the stored state must not change
 * (every kind listed before and after: same objects, same resourceVersions) and the heap after
 * GC must not grow without bound. (Slow clients: {@link SlowClientTest}.)
 *
 * <p>{@code -Dhostile.seed=N} and {@code -Dhostile.requests=N} replay or widen a run; the seed
 * and the counts by category and status are printed, and a final JSON line sums them up.
 */
class HostileInputTest {
  static final long SEED = Long.getLong("hostile.seed", 20L);
  static final int REQUESTS = Integer.getInteger("hostile.requests", 10_000);
  static final long MAX_BODY = GatewayConfig.DEFAULT_MAX_BODY_BYTES;

  @TempDir
  static Path dataDir;
  static KafkaGatewayFixture backend;
  static Vertx vertx;
  static GatewayServer gateway;
  static RawHttp http;
  static final List<Target> TARGETS = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    backend = KafkaGatewayFixture.start("hostile", WatchCacheConfig.defaults());
    vertx = Vertx.vertx();
    gateway = GatewayServer.prepare(new GatewayConfig("127.0.0.1", 0, dataDir, true, MAX_BODY, null, List.of()),
        backend.store(), backend.registry())
        .withClientTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(5));
    vertx.deployVerticle(gateway).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    http = new RawHttp("127.0.0.1", gateway.port(), 10_000);

    create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRD, false);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && (Kinds.byName("Hostile").isEmpty()
        || get("/apis/fuzz.example.com/v1/namespaces/default/hostiles").code() != 200)) {
      Thread.sleep(100);
    }
    assertTrue(Kinds.byName("Hostile").isPresent(), "the custom kind is served");
    for (Map.Entry<String, String> m : manifests().entrySet()) {
      Kind kind = Kinds.require(m.getKey());
      ObjectNode manifest = (ObjectNode) KubeJson.parse(m.getValue().replace('\'', '"'));
      String collection = prefix(kind) + (kind.namespaced() ? "/namespaces/default" : "") + "/" + kind.plural();
      if (!kind.kind().equals("CustomResourceDefinition")) {
        create(collection, manifest.toString(), true);
      }
      TARGETS.add(new Target(kind, collection, manifest.at("/metadata/name").asText(), manifest,
          List.of("Deployment", "ReplicaSet", "Hostile").contains(kind.kind())));
    }
    List<String> covered = TARGETS.stream().map(t -> t.kind().kind()).toList();
    for (Kind k : Kinds.builtIn()) {
      assertTrue(covered.contains(k.kind()), "a target of every built-in kind: " + k.kind() + " is missing");
    }
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (vertx != null) {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    } finally {
      Kinds.unregister("Hostile");
      if (backend != null) {
        backend.close();
      }
    }
  }

  static final String CRD = """
      {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
       "metadata":{"name":"hostiles.fuzz.example.com"},
       "spec":{"group":"fuzz.example.com","scope":"Namespaced",
        "names":{"plural":"hostiles","singular":"hostile","kind":"Hostile"},
        "versions":[{"name":"v1","served":true,"storage":true,
          "subresources":{"status":{},"scale":{"specReplicasPath":".spec.replicas","statusReplicasPath":".status.replicas"}},
          "schema":{"openAPIV3Schema":{"type":"object","properties":{
            "spec":{"type":"object","required":["size"],"properties":{
              "size":{"type":"string","enum":["small","large"]},
              "replicas":{"type":"integer","minimum":0},
              "tags":{"type":"array","items":{"type":"string"}},
              "labels":{"type":"object","additionalProperties":{"type":"string"}}}},
            "status":{"type":"object","properties":{"replicas":{"type":"integer"}}}}}}}]}}""";

  /** A valid manifest of every built-in kind and the custom one, by kind (single quotes for double). */
  static Map<String, String> manifests() {
    Map<String, String> m = new TreeMap<>();
    String container = "{'name':'main','image':'busybox:1.36','resources':{'requests':{'cpu':'10m','memory':'16Mi'}}}";
    String template = "{'metadata':{'labels':{'app':'h'}},'spec':{'containers':[" + container + "]}}";
    m.put("Namespace", "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'hostile-ns','labels':{'a':'b'}}}");
    m.put("Node", "{'apiVersion':'v1','kind':'Node','metadata':{'name':'hostile-node','labels':{'zone':'a'}},"
        + "'spec':{'podCIDR':'10.244.9.0/24'}}");
    m.put("Pod", "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'hostile-pod','labels':{'app':'h'},"
        + "'annotations':{'note':'x'}},'spec':{'containers':[" + container + "],'restartPolicy':'Always'}}");
    m.put("Service", "{'apiVersion':'v1','kind':'Service','metadata':{'name':'hostile-svc'},"
        + "'spec':{'selector':{'app':'h'},'ports':[{'name':'http','port':80,'targetPort':8080,'protocol':'TCP'}]}}");
    m.put("Endpoints", "{'apiVersion':'v1','kind':'Endpoints','metadata':{'name':'hostile-ep'},"
        + "'subsets':[{'addresses':[{'ip':'10.1.2.3'}],'ports':[{'name':'http','port':80}]}]}");
    m.put("ConfigMap", "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'hostile-cm','labels':{'app':'h'}},"
        + "'data':{'k':'v','k2':'v2'}}");
    m.put("Secret", "{'apiVersion':'v1','kind':'Secret','metadata':{'name':'hostile-secret'},'type':'Opaque',"
        + "'data':{'k':'dmFsdWU='}}");
    m.put("Event", "{'apiVersion':'v1','kind':'Event','metadata':{'name':'hostile-event'},"
        + "'involvedObject':{'kind':'Pod','name':'hostile-pod','namespace':'default'},'reason':'Tested',"
        + "'message':'hostile input','type':'Normal','count':1}");
    m.put("ResourceQuota", "{'apiVersion':'v1','kind':'ResourceQuota','metadata':{'name':'hostile-quota'},"
        + "'spec':{'hard':{'pods':'1000','configmaps':'1000'}}}");
    m.put("LimitRange", "{'apiVersion':'v1','kind':'LimitRange','metadata':{'name':'hostile-limits'},"
        + "'spec':{'limits':[{'type':'Container','max':{'cpu':'4'}}]}}");
    m.put("Deployment", "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'hostile-deploy'},"
        + "'spec':{'replicas':1,'selector':{'matchLabels':{'app':'h'}},'template':" + template + "}}");
    m.put("ReplicaSet", "{'apiVersion':'apps/v1','kind':'ReplicaSet','metadata':{'name':'hostile-rs'},"
        + "'spec':{'replicas':0,'selector':{'matchLabels':{'app':'h'}},'template':" + template + "}}");
    m.put("DaemonSet", "{'apiVersion':'apps/v1','kind':'DaemonSet','metadata':{'name':'hostile-ds'},"
        + "'spec':{'selector':{'matchLabels':{'app':'h'}},'template':" + template + ","
        + "'updateStrategy':{'type':'RollingUpdate','rollingUpdate':{'maxUnavailable':1}}}}");
    m.put("ControllerRevision", "{'apiVersion':'apps/v1','kind':'ControllerRevision',"
        + "'metadata':{'name':'hostile-ds-5d7b9c','labels':{'app':'h'}},"
        + "'data':{'spec':{'template':{'$patch':'replace','spec':{'containers':[" + container + "]}}}},'revision':1}");
    m.put("StatefulSet", "{'apiVersion':'apps/v1','kind':'StatefulSet','metadata':{'name':'hostile-sts'},"
        + "'spec':{'replicas':0,'serviceName':'h','podManagementPolicy':'Parallel','selector':{'matchLabels':{'app':'h'}},"
        + "'template':" + template + ",'updateStrategy':{'type':'RollingUpdate','rollingUpdate':{'partition':1}},"
        + "'persistentVolumeClaimRetentionPolicy':{'whenDeleted':'Delete','whenScaled':'Retain'},'ordinals':{'start':3}}}");
    m.put("Job", "{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'hostile-job'},"
        + "'spec':{'backoffLimit':1,'template':{'spec':{'restartPolicy':'Never','containers':[" + container + "]}}}}");
    m.put("CronJob", "{'apiVersion':'batch/v1','kind':'CronJob','metadata':{'name':'hostile-cronjob'},"
        + "'spec':{'schedule':'0 0 1 1 *','suspend':true,'jobTemplate':{'spec':{'template':{'spec':"
        + "{'restartPolicy':'Never','containers':[" + container + "]}}}}}}");
    m.put("PriorityClass", "{'apiVersion':'scheduling.k8s.io/v1','kind':'PriorityClass',"
        + "'metadata':{'name':'hostile-priority'},'value':1000,'description':'fuzzed'}");
    m.put("PersistentVolume", "{'apiVersion':'v1','kind':'PersistentVolume','metadata':{'name':'hostile-pv'},"
        + "'spec':{'capacity':{'storage':'1Gi'},'accessModes':['ReadWriteOnce'],'storageClassName':'manual',"
        + "'hostPath':{'path':'/tmp/hostile-pv'},'persistentVolumeReclaimPolicy':'Retain'}}");
    m.put("PersistentVolumeClaim", "{'apiVersion':'v1','kind':'PersistentVolumeClaim','metadata':{'name':'hostile-pvc'},"
        + "'spec':{'accessModes':['ReadWriteOnce'],'storageClassName':'manual',"
        + "'resources':{'requests':{'storage':'1Gi'}}}}");
    m.put("StorageClass", "{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass','metadata':{'name':'hostile-sc'},"
        + "'provisioner':'example.com/hostile','reclaimPolicy':'Retain','volumeBindingMode':'WaitForFirstConsumer',"
        + "'parameters':{'maxSize':'10Gi'}}");
    m.put("HorizontalPodAutoscaler", "{'apiVersion':'autoscaling/v2','kind':'HorizontalPodAutoscaler',"
        + "'metadata':{'name':'hostile-hpa'},'spec':{'scaleTargetRef':{'apiVersion':'apps/v1','kind':'Deployment',"
        + "'name':'hostile-deploy'},'minReplicas':1,'maxReplicas':3,'metrics':[{'type':'Resource','resource':"
        + "{'name':'cpu','target':{'type':'Utilization','averageUtilization':50}}}]}}");
    m.put("Lease", "{'apiVersion':'coordination.k8s.io/v1','kind':'Lease','metadata':{'name':'hostile-lease'},"
        + "'spec':{'holderIdentity':'someone','leaseDurationSeconds':15}}");
    m.put("EndpointSlice", "{'apiVersion':'discovery.k8s.io/v1','kind':'EndpointSlice',"
        + "'metadata':{'name':'hostile-slice','labels':{'kubernetes.io/service-name':'hostile-svc'}},"
        + "'addressType':'IPv4','endpoints':[{'addresses':['10.1.2.3']}],'ports':[{'name':'http','port':80}]}");
    m.put("ServiceAccount", "{'apiVersion':'v1','kind':'ServiceAccount','metadata':{'name':'hostile-sa'},"
        + "'automountServiceAccountToken':false}");
    String rule = "{'apiGroups':[''],'resources':['configmaps'],'verbs':['get','list']}";
    m.put("Role", "{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'Role','metadata':{'name':'hostile-role'},"
        + "'rules':[" + rule + "]}");
    m.put("ClusterRole", "{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'ClusterRole',"
        + "'metadata':{'name':'hostile-clusterrole'},'rules':[" + rule + "]}");
    String subjects = "'subjects':[{'kind':'User','name':'hostile-user','apiGroup':'rbac.authorization.k8s.io'}]";
    m.put("RoleBinding", "{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'RoleBinding',"
        + "'metadata':{'name':'hostile-rolebinding'},'roleRef':{'apiGroup':'rbac.authorization.k8s.io',"
        + "'kind':'Role','name':'hostile-role'}," + subjects + "}");
    m.put("ClusterRoleBinding", "{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'ClusterRoleBinding',"
        + "'metadata':{'name':'hostile-clusterrolebinding'},'roleRef':{'apiGroup':'rbac.authorization.k8s.io',"
        + "'kind':'ClusterRole','name':'hostile-clusterrole'}," + subjects + "}");
    m.put("PodDisruptionBudget", "{'apiVersion':'policy/v1','kind':'PodDisruptionBudget',"
        + "'metadata':{'name':'hostile-pdb'},'spec':{'minAvailable':1,'selector':{'matchLabels':{'app':'h'}}}}");
    m.put("CustomResourceDefinition", CRD.replace('"', '\''));
    m.put("Hostile", "{'apiVersion':'fuzz.example.com/v1','kind':'Hostile','metadata':{'name':'hostile-custom'},"
        + "'spec':{'size':'small','replicas':1,'tags':['a'],'labels':{'x':'y'}}}");
    return m;
  }

  static String prefix(Kind kind) {
    return kind.group().isEmpty() ? "/api/v1" : "/apis/" + kind.apiVersion();
  }

  static void create(String collection, String manifest, boolean check) throws Exception {
    RawHttp.Answer a = http.exchange("POST", collection, "application/json", manifest.getBytes(StandardCharsets.UTF_8));
    if (check || a.code() != 201) {
      assertEquals(201, a.code(), collection + ": " + a.body() + " " + a.failure());
    }
  }

  static RawHttp.Answer get(String path) {
    return http.exchange("GET", path, null, null);
  }

  /** Every object of every kind, by kind and key, with its resourceVersion. */
  static Map<String, String> snapshot() {
    Map<String, String> all = new TreeMap<>();
    for (Kind kind : Kinds.all()) {
      RawHttp.Answer a = get(prefix(kind) + "/" + kind.plural());
      assertEquals(200, a.code(), kind.kind() + ": " + a.body() + " " + a.failure());
      for (JsonNode item : KubeJson.parse(a.body()).get("items")) {
        all.put(kind.kind() + " " + item.at("/metadata/namespace").asText() + "/" + item.at("/metadata/name").asText(),
            item.at("/metadata/resourceVersion").asText());
      }
    }
    return all;
  }

  static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  @Test
  void tenThousandMalformedRequestsEachGetA4xxAndChangeNothing() throws Exception {
    List<Request> requests = new MalformedRequests(SEED, TARGETS, MAX_BODY).generate(REQUESTS);
    Map<String, String> before = snapshot();
    // Warm the gateway's paths up once, so the heap compared is not its first use.
    run(requests.subList(0, Math.min(200, requests.size())));
    long heapBefore = usedHeapAfterGc();
    long start = System.nanoTime();
    Outcome outcome = run(requests);
    double seconds = (System.nanoTime() - start) / 1e9;
    long heapAfter = usedHeapAfterGc();
    Map<String, String> after = snapshot();

    System.out.println("hostile input: seed " + SEED + ", " + requests.size() + " requests in "
        + String.format("%.1f", seconds) + " s");
    outcome.byCategory.forEach((category, codes) -> System.out.println("  " + category + ": " + codes));
    System.out.println("  by status: " + outcome.byCode);
    System.out.printf("  used heap after GC: %.1f MiB before, %.1f MiB after%n", heapBefore / 1048576.0,
        heapAfter / 1048576.0);
    long fiveXx = outcome.byCode.entrySet().stream().filter(e -> e.getKey() >= 500).mapToLong(Map.Entry::getValue)
        .sum();
    long expected501 = requests.stream().filter(r -> r.expect() == 501).count();
    long expectedClosed = requests.stream().filter(r -> r.expect() == -1).count();
    System.out.println("{\"test\":\"hostile\",\"seed\":" + SEED + ",\"requests\":" + requests.size()
        + ",\"seconds\":" + String.format("%.1f", seconds) + ",\"by_code\":" + KubeJson.jsonMapper()
        .writeValueAsString(outcome.byCode) + ",\"5xx\":" + fiveXx + ",\"5xx_expected_http_version\":" + expected501
        + ",\"no_answer\":" + outcome.noAnswer + ",\"no_answer_expected_bad_chunk\":" + expectedClosed
        + ",\"failures\":" + outcome.failures.size() + ",\"state_changed\":" + !before.equals(after)
        + ",\"heap_before_mib\":" + heapBefore / 1048576 + ",\"heap_after_mib\":" + heapAfter / 1048576 + "}");

    assertTrue(outcome.failures.isEmpty(), outcome.failures.size() + " of " + requests.size()
        + " requests (seed " + SEED + ") were not answered with the 4xx expected; the first:\n"
        + String.join("\n", outcome.failures.subList(0, Math.min(40, outcome.failures.size()))));
    assertEquals(before, after, "the stored state is unchanged: same objects, same resourceVersions");
    assertTrue(heapAfter - heapBefore < 64L * 1024 * 1024, "the heap after GC grew by "
        + (heapAfter - heapBefore) / 1048576 + " MiB");
  }

  /** Counts by category and status, and what did not get the expected answer. */
  record Outcome(Map<String, Map<Integer, Integer>> byCategory, Map<Integer, Integer> byCode, List<String> failures,
      int noAnswer) {}

  static Outcome run(List<Request> requests) throws Exception {
    Map<String, Map<Integer, Integer>> byCategory = new TreeMap<>();
    Map<Integer, Integer> byCode = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    int noAnswer = 0;
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<RawHttp.Answer>> answers = new ArrayList<>();
      for (Request r : requests) {
        answers.add(pool.submit(() -> r.raw() != null ? http.exchange(r.raw(), null)
            : http.exchange(r.method(), r.target(), r.contentType(), r.body(), r.headers().toArray(String[]::new))));
      }
      for (int i = 0; i < requests.size(); i++) {
        Request r = requests.get(i);
        RawHttp.Answer a = answers.get(i).get(120, TimeUnit.SECONDS);
        byCategory.computeIfAbsent(r.category(), c -> new TreeMap<>()).merge(a.code(), 1, Integer::sum);
        byCode.merge(a.code(), 1, Integer::sum);
        boolean ok = r.expect() == -1 ? !a.answered() && !String.valueOf(a.failure()).startsWith("no end")
            : a.answered() && a.failure() == null
                && (r.expect() != 0 ? r.expect() == a.code() : a.code() >= 400 && a.code() < 500);
        if (!a.answered()) {
          noAnswer++;
        }
        if (!ok) {
          failures.add("#" + i + " [" + r.category() + "] " + describe(r) + " -> " + a.code()
              + (a.failure() == null ? "" : " (" + a.failure() + ")") + " " + abbreviate(a.body())
              + (r.expect() != 0 ? " (expected " + r.expect() + ")" : ""));
        }
      }
    } finally {
      pool.shutdownNow();
    }
    return new Outcome(byCategory, byCode, Collections.unmodifiableList(failures), noAnswer);
  }

  static String describe(Request r) {
    if (r.raw() != null) {
      return "raw " + abbreviate(new String(r.raw(), StandardCharsets.ISO_8859_1));
    }
    return r.method() + " " + abbreviate(r.target()) + " [" + r.contentType() + "] "
        + (r.body() == null ? "" : abbreviate(new String(r.body(), StandardCharsets.UTF_8)));
  }

  static String abbreviate(String s) {
    String one = s.replace("\r", "\\r").replace("\n", "\\n");
    return one.length() <= 300 ? one : one.substring(0, 300) + "...(" + one.length() + " chars)";
  }
}
