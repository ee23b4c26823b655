package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.gateway.testing.Fabric8Clients;
import io.fabric8.kubernetes.api.model.APIVersions;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServerAddressByClientCIDR;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fabric8 Kubernetes client (8.0.0, over the JDK HTTP client) against the gateway over
 * HTTPS, trusting only the gateway's CA and authenticating with the admin bearer token: CRUD,
 * label-selected lists, watches, a SharedIndexInformer kept in sync, optimistic concurrency,
 * edit, scale and Status errors as KubernetesClientException. Each test works in its own
 * namespace. The store is whatever {@link GatewayTestServer} provides.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class Fabric8ClientTest {
  @TempDir
  static Path dataDir;
  static GatewayTestServer server;
  static KubernetesClient client;

  @BeforeAll
  static void start() throws Exception {
    server = GatewayTestServer.start(dataDir);
    client = Fabric8Clients.of(server.url(), server.caCert(), server.adminToken());
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }

  static String namespace(String name) {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    return name;
  }

  static ConfigMap configMap(String name, Map<String, String> labels, Map<String, String> data) {
    return new ConfigMapBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().withData(data).build();
  }

  static Deployment deployment(String name, int replicas) {
    return new DeploymentBuilder()
        .withNewMetadata().withName(name).addToLabels("app", name).endMetadata()
        .withNewSpec().withReplicas(replicas)
        .withNewSelector().addToMatchLabels("app", name).endSelector()
        .withNewTemplate().withNewMetadata().addToLabels("app", name).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("nginx:1.27").endContainer().endSpec()
        .endTemplate().endSpec().build();
  }

  static void await(String what, Supplier<Boolean> condition) throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(20);
    while (!condition.get()) {
      if (Instant.now().isAfter(deadline)) {
        fail("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  @Test
  void configMapCrudAndLabelSelectedList() {
    String ns = namespace("f8-crud");
    var cms = client.configMaps().inNamespace(ns);
    ConfigMap created = cms.resource(configMap("one", Map.of("tier", "web"), Map.of("k", "v"))).create();
    assertEquals(ns, created.getMetadata().getNamespace());
    assertNotNull(created.getMetadata().getUid());
    assertNotNull(created.getMetadata().getResourceVersion());
    cms.resource(configMap("two", Map.of("tier", "db"), Map.of("k", "v"))).create();
    cms.resource(configMap("three", Map.of("tier", "web", "canary", "yes"), Map.of())).create();

    assertEquals("v", cms.withName("one").get().getData().get("k"));
    assertEquals(List.of("one", "three"), names(cms.withLabel("tier", "web").list().getItems()));
    assertEquals(List.of("two"), names(cms.withLabelIn("tier", "db", "cache").list().getItems()));
    assertEquals(List.of("one", "two"), names(cms.withoutLabel("canary").list().getItems()));
    assertEquals(List.of("three"), names(cms.withLabel("canary").list().getItems()));

    ConfigMap toUpdate = cms.withName("one").get();
    toUpdate.getData().put("k", "v2");
    ConfigMap updated = cms.resource(toUpdate).update();
    assertEquals("v2", updated.getData().get("k"));
    assertNotEquals(created.getMetadata().getResourceVersion(), updated.getMetadata().getResourceVersion());
    assertEquals("v2", cms.withName("one").get().getData().get("k"), "stored");

    assertEquals(1, cms.withName("two").delete().size());
    assertNull(cms.withName("two").get(), "a 404 get is null in fabric8");
    assertEquals(List.of("one", "three"), names(cms.list().getItems()));
  }

  @Test
  void podsCreateGetPatchDelete() {
    String ns = namespace("f8-pods");
    var pods = client.pods().inNamespace(ns);
    Pod pod = new PodBuilder().withNewMetadata().withName("p1").addToLabels("app", "x").endMetadata()
        .withNewSpec().addNewContainer().withName("main").withImage("busybox:1.36").withCommand("sleep", "60")
        .endContainer().endSpec().build();
    Pod created = pods.resource(pod).create();
    assertEquals("Pending", created.getStatus().getPhase(), "a new pod is Pending");
    Pod edited = pods.withName("p1").edit(p -> new PodBuilder(p).editMetadata().addToLabels("edited", "yes")
        .endMetadata().build());
    assertEquals("yes", edited.getMetadata().getLabels().get("edited"));
    assertEquals("yes", pods.withName("p1").get().getMetadata().getLabels().get("edited"));
    assertEquals(List.of("p1"), names(pods.withLabel("edited", "yes").list().getItems()));
    // Never scheduled: nothing to stop, so the delete completes at once.
    assertEquals(1, pods.withName("p1").delete().size());
    assertNull(pods.withName("p1").get());
  }

  /**
   * Issue 22 item 4: a Service sent without type, affinity or families comes back as
   * kube-apiserver's defaulting leaves it, on create and on a replace that drops those fields again.
   */
  @Test
  void servicesGetKubernetesDefaultsOnCreateAndReplace() {
    String ns = namespace("f8-svc-defaults");
    var services = client.services().inNamespace(ns);
    Service bare = new ServiceBuilder().withNewMetadata().withName("web").endMetadata()
        .withNewSpec().addToSelector("app", "web").addNewPort().withPort(80).endPort().endSpec().build();
    Service created = services.resource(bare).create();
    assertServiceDefaults(created, 80, 80);
    assertServiceDefaults(services.withName("web").get(), 80, 80);

    // A replace without any of them (what a client built from its own model sends) is defaulted again.
    Service replacement = new ServiceBuilder().withNewMetadata().withName("web").endMetadata()
        .withNewSpec().addToSelector("app", "web").addNewPort().withName("http").withPort(8080)
        .withTargetPort(new IntOrString("http-alt")).endPort().endSpec().build();
    Service replaced = services.resource(replacement).update();
    assertServiceDefaults(replaced, 8080, null);
    assertEquals("http-alt", replaced.getSpec().getPorts().get(0).getTargetPort().getStrVal(), "a named targetPort stays");
    assertEquals(replaced.getMetadata().getResourceVersion(), services.withName("web").get().getMetadata().getResourceVersion());

    Service nodePort = services.resource(new ServiceBuilder().withNewMetadata().withName("np").endMetadata()
        .withNewSpec().withType("NodePort").addToSelector("app", "web").addNewPort().withPort(81).endPort().endSpec()
        .build()).create();
    assertEquals("Cluster", nodePort.getSpec().getExternalTrafficPolicy(), "reachable from outside: traffic policy Cluster");
    Service external = services.resource(new ServiceBuilder().withNewMetadata().withName("ext").endMetadata()
        .withNewSpec().withType("ExternalName").withExternalName("db.example.com").endSpec().build()).create();
    assertEquals("None", external.getSpec().getSessionAffinity());
    assertNull(external.getSpec().getInternalTrafficPolicy(), "ExternalName has no internal traffic");
    assertTrue(external.getSpec().getIpFamilies() == null || external.getSpec().getIpFamilies().isEmpty());
  }

  private static void assertServiceDefaults(Service svc, int port, Integer targetPort) {
    var spec = svc.getSpec();
    assertEquals("ClusterIP", spec.getType());
    assertEquals("None", spec.getSessionAffinity());
    assertEquals(List.of("IPv4"), spec.getIpFamilies());
    assertEquals("SingleStack", spec.getIpFamilyPolicy());
    assertEquals("Cluster", spec.getInternalTrafficPolicy());
    assertNull(spec.getExternalTrafficPolicy(), "not reachable from outside");
    assertEquals(port, spec.getPorts().get(0).getPort());
    assertEquals("TCP", spec.getPorts().get(0).getProtocol());
    if (targetPort != null) {
      assertEquals(targetPort, spec.getPorts().get(0).getTargetPort().getIntVal());
    }
  }

  /** The pod, pod template and Job defaults kubectl and fabric8 users see on a real cluster. */
  @Test
  void podsAndWorkloadsGetKubernetesDefaults() {
    String ns = namespace("f8-pod-defaults");
    Pod pod = client.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("p").endMetadata()
        .withNewSpec().addNewContainer().withName("main").withImage("busybox").addNewPort().withContainerPort(8080)
        .endPort().withNewResources().addToLimits("memory", new Quantity("64Mi")).endResources()
        .withNewReadinessProbe().withNewHttpGet().withPort(new IntOrString(8080)).endHttpGet().endReadinessProbe()
        .endContainer().addNewContainer().withName("pinned").withImage("busybox:1.36").endContainer()
        .addNewVolume().withName("scratch").endVolume()
        .addNewVolume().withName("cfg").withNewConfigMap().withName("cfg").endConfigMap().endVolume()
        .endSpec().build()).create();
    var spec = pod.getSpec();
    assertEquals("Always", spec.getRestartPolicy());
    assertEquals("ClusterFirst", spec.getDnsPolicy());
    assertEquals("default-scheduler", spec.getSchedulerName());
    assertEquals(30L, spec.getTerminationGracePeriodSeconds());
    assertEquals(Boolean.TRUE, spec.getEnableServiceLinks());
    assertNotNull(spec.getSecurityContext());
    var main = spec.getContainers().get(0);
    assertEquals("Always", main.getImagePullPolicy(), "no tag is :latest");
    assertEquals("IfNotPresent", spec.getContainers().get(1).getImagePullPolicy());
    assertEquals("/dev/termination-log", main.getTerminationMessagePath());
    assertEquals("File", main.getTerminationMessagePolicy());
    assertEquals("TCP", main.getPorts().get(0).getProtocol());
    assertEquals(new Quantity("64Mi"), main.getResources().getRequests().get("memory"), "requests default to limits");
    var probe = main.getReadinessProbe();
    assertEquals(List.of(1, 10, 1, 3), List.of(probe.getTimeoutSeconds(), probe.getPeriodSeconds(),
        probe.getSuccessThreshold(), probe.getFailureThreshold()));
    assertEquals("/", probe.getHttpGet().getPath());
    assertEquals("HTTP", probe.getHttpGet().getScheme());
    assertNotNull(spec.getVolumes().get(0).getEmptyDir(), "a volume without a source is an emptyDir");
    assertEquals(420, spec.getVolumes().get(1).getConfigMap().getDefaultMode());

    Job job = client.batch().v1().jobs().inNamespace(ns).resource(new JobBuilder().withNewMetadata().withName("j")
        .endMetadata().withNewSpec().withNewTemplate().withNewMetadata().addToLabels("app", "j").endMetadata()
        .withNewSpec().withRestartPolicy("Never").addNewContainer().withName("c").withImage("busybox:1.36")
        .endContainer().endSpec().endTemplate().endSpec().build()).create();
    assertEquals("TerminatingOrFailed", job.getSpec().getPodReplacementPolicy());
    assertEquals(Boolean.FALSE, job.getSpec().getManualSelector());
    assertEquals(6, job.getSpec().getBackoffLimit());
    assertEquals("j", job.getMetadata().getLabels().get("app"), "a Job without labels takes its pods' labels");
    assertEquals("ClusterFirst", job.getSpec().getTemplate().getSpec().getDnsPolicy(), "templates are defaulted too");
    assertEquals("IfNotPresent", job.getSpec().getTemplate().getSpec().getContainers().get(0).getImagePullPolicy());
    assertNull(job.getSpec().getTemplate().getSpec().getEnableServiceLinks(), "SetDefaults_Pod is for pods only");

    ReplicaSet rs = client.apps().replicaSets().inNamespace(ns).resource(new ReplicaSetBuilder().withNewMetadata()
        .withName("rs").endMetadata().withNewSpec().withNewSelector().addToMatchLabels("app", "rs").endSelector()
        .withNewTemplate().withNewMetadata().addToLabels("app", "rs").endMetadata().withNewSpec().addNewContainer()
        .withName("c").withImage("busybox:1.36").endContainer().endSpec().endTemplate().endSpec().build()).create();
    assertEquals(1, rs.getSpec().getReplicas());
    assertEquals("Always", rs.getSpec().getTemplate().getSpec().getRestartPolicy());
  }

  /**
   * Issue 22 item 7: pods/ephemeralcontainers as kube-apiserver serves it. GET answers the Pod;
   * PUT and PATCH add ephemeral containers and change nothing else; an existing one may neither
   * change nor go; what a debugging container may not carry is refused with 422 and field paths.
   */
  @Test
  void ephemeralContainersAreAddedThroughTheirSubresourceOnly() {
    String ns = namespace("f8-ephemeral");
    var pods = client.pods().inNamespace(ns);
    pods.resource(new PodBuilder().withNewMetadata().withName("app").endMetadata().withNewSpec().addNewContainer()
        .withName("main").withImage("busybox:1.36").withCommand("sleep", "3600").endContainer().endSpec().build()).create();
    assertTrue(client.getApiResources("v1").getResources().stream()
        .anyMatch(r -> r.getName().equals("pods/ephemeralcontainers") && r.getVerbs().containsAll(List.of("get", "patch", "update"))),
        "discovery lists the subresource");

    // fabric8's edit: a JSON patch to pods/app/ephemeralcontainers. The label it also sets is dropped.
    Pod added = pods.withName("app").ephemeralContainers().edit(p -> new PodBuilder(p)
        .editMetadata().addToLabels("sneaked", "in").endMetadata()
        .editSpec().addNewEphemeralContainer().withName("debugger").withImage("busybox:1.36")
        .withCommand("sh").withTargetContainerName("main").endEphemeralContainer().endSpec().build());
    assertEquals(1, added.getSpec().getEphemeralContainers().size());
    var debugger = added.getSpec().getEphemeralContainers().get(0);
    assertEquals("main", debugger.getTargetContainerName());
    assertEquals("IfNotPresent", debugger.getImagePullPolicy(), "ephemeral containers are defaulted as containers");
    assertTrue(added.getMetadata().getLabels() == null || !added.getMetadata().getLabels().containsKey("sneaked"),
        "only spec.ephemeralContainers changes through the subresource");
    String raw = client.raw(server.url() + "/api/v1/namespaces/" + ns + "/pods/app/ephemeralcontainers");
    assertTrue(raw.contains("\"kind\":\"Pod\"") && raw.contains("\"debugger\""), "GET answers the Pod: " + raw);

    // PUT (fabric8's update on the subresource) adds a second one.
    Pod current = pods.withName("app").get();
    Pod withSecond = new PodBuilder(current).editSpec().addNewEphemeralContainer().withName("second")
        .withImage("busybox:1.36").endEphemeralContainer().endSpec().build();
    Pod put = pods.resource(withSecond).ephemeralContainers().update();
    assertEquals(List.of("debugger", "second"), put.getSpec().getEphemeralContainers().stream()
        .map(e -> e.getName()).toList());

    // Strategic merge patch, as kubectl debug sends it: merged by name.
    Pod patched = pods.withName("app").ephemeralContainers().patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
        "{\"spec\":{\"ephemeralContainers\":[{\"name\":\"third\",\"image\":\"busybox:1.36\"}]}}");
    assertEquals(3, patched.getSpec().getEphemeralContainers().size());

    // A plain update of the pod keeps them.
    Pod relabelled = pods.withName("app").edit(p -> new PodBuilder(p).editMetadata().addToLabels("x", "y").endMetadata()
        .editSpec().withEphemeralContainers(List.of()).endSpec().build());
    assertEquals(3, relabelled.getSpec().getEphemeralContainers().size());

    Pod latest = pods.withName("app").get();
    KubernetesClientException removed = assertThrows(KubernetesClientException.class, () -> pods.resource(
        new PodBuilder(latest).editSpec().withEphemeralContainers(latest.getSpec().getEphemeralContainers().subList(1, 3))
            .endSpec().build()).ephemeralContainers().update());
    assertEquals(422, removed.getCode());
    assertCause(removed, "spec.ephemeralContainers", "Forbidden: existing ephemeral containers \"debugger\" may not be removed\n");

    KubernetesClientException changed = assertThrows(KubernetesClientException.class, () -> pods.withName("app")
        .ephemeralContainers().edit(p -> new PodBuilder(p).editSpec().editFirstEphemeralContainer()
            .withImage("busybox:1.37").endEphemeralContainer().endSpec().build()));
    assertEquals(422, changed.getCode());
    assertTrue(changed.getStatus().getDetails().getCauses().get(0).getMessage()
        .startsWith("Forbidden: existing ephemeral containers \"debugger\" may not be changed"), changed.getMessage());
    assertEquals("spec.ephemeralContainers[debugger]", changed.getStatus().getDetails().getCauses().get(0).getField());

    KubernetesClientException forbidden = assertThrows(KubernetesClientException.class, () -> pods.withName("app")
        .ephemeralContainers().edit(p -> new PodBuilder(p).editSpec().addNewEphemeralContainer().withName("bad")
            .withImage("busybox:1.36").addNewPort().withContainerPort(80).endPort().withTargetContainerName("nope")
            .withNewReadinessProbe().withNewExec().withCommand("true").endExec().endReadinessProbe()
            .endEphemeralContainer().endSpec().build()));
    assertEquals(422, forbidden.getCode());
    assertCause(forbidden, "spec.ephemeralContainers[3].ports", "Forbidden: cannot be set for an Ephemeral Container");
    assertCause(forbidden, "spec.ephemeralContainers[3].readinessProbe", "Forbidden: cannot be set for an Ephemeral Container");
    assertCause(forbidden, "spec.ephemeralContainers[3].targetContainerName", "Not found: \"nope\"");

    KubernetesClientException duplicate = assertThrows(KubernetesClientException.class, () -> pods.withName("app")
        .ephemeralContainers().edit(p -> new PodBuilder(p).editSpec().addNewEphemeralContainer().withName("main")
            .withImage("busybox:1.36").endEphemeralContainer().endSpec().build()));
    assertCause(duplicate, "spec.ephemeralContainers[3].name", "Duplicate value: \"main\"");
    assertEquals(3, pods.withName("app").get().getSpec().getEphemeralContainers().size(), "nothing refused was stored");

    KubernetesClientException onCreate = assertThrows(KubernetesClientException.class, () -> pods.resource(
        new PodBuilder().withNewMetadata().withName("early").endMetadata().withNewSpec().addNewContainer()
            .withName("main").withImage("busybox:1.36").endContainer().addNewEphemeralContainer().withName("d")
            .withImage("busybox:1.36").endEphemeralContainer().endSpec().build()).create());
    assertCause(onCreate, "spec.ephemeralContainers", "Forbidden: cannot be set on create");
  }

  private static void assertCause(KubernetesClientException e, String field, String message) {
    List<String> causes = e.getStatus().getDetails().getCauses().stream()
        .map(c -> c.getField() + ": " + c.getMessage()).toList();
    assertTrue(causes.contains(field + ": " + message), "expected " + field + ": " + message + " in " + causes);
  }

  @Test
  void deploymentCrudScaleAndEdit() {
    String ns = namespace("f8-deploy");
    var deployments = client.apps().deployments().inNamespace(ns);
    Deployment created = deployments.resource(deployment("web", 2)).create();
    assertEquals(1L, created.getMetadata().getGeneration());

    Deployment scaled = deployments.withName("web").scale(5);
    assertEquals(5, deployments.withName("web").get().getSpec().getReplicas(), "stored: " + scaled);
    assertEquals(5, deployments.withName("web").scale().getSpec().getReplicas());
    assertEquals("app=web", deployments.withName("web").scale().getStatus().getSelector());

    Deployment edited = deployments.withName("web").edit(d -> new DeploymentBuilder(d).editSpec().editTemplate()
        .editSpec().editFirstContainer().withImage("nginx:1.28").endContainer().endSpec().endTemplate().endSpec()
        .build());
    assertEquals("nginx:1.28", edited.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
    Deployment stored = deployments.withName("web").get();
    assertEquals("nginx:1.28", stored.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
    assertEquals(3L, stored.getMetadata().getGeneration(), "scale and edit each changed the spec");

    Deployment status = new DeploymentBuilder(stored).editOrNewStatus().withReplicas(5).withReadyReplicas(4)
        .endStatus().build();
    deployments.resource(status).updateStatus();
    Deployment withStatus = deployments.withName("web").get();
    assertEquals(4, withStatus.getStatus().getReadyReplicas());
    assertEquals(3L, withStatus.getMetadata().getGeneration(), "status writes do not bump generation");

    assertEquals(1, deployments.withName("web").delete().size());
    assertNull(deployments.withName("web").get());
  }

  @Test
  void staleUpdateIsAConflict() {
    String ns = namespace("f8-conflict");
    var cms = client.configMaps().inNamespace(ns);
    cms.resource(configMap("c", Map.of(), Map.of("n", "1"))).create();
    ConfigMap stale = cms.withName("c").get();
    ConfigMap fresh = cms.withName("c").get();
    fresh.getData().put("n", "2");
    cms.resource(fresh).update();

    stale.getData().put("n", "stale");
    KubernetesClientException e = assertThrows(KubernetesClientException.class, () -> cms.resource(stale).update());
    assertEquals(409, e.getCode(), e.getMessage());
    assertEquals("Conflict", e.getStatus().getReason());
    assertTrue(e.getMessage().contains("the object has been modified"), e.getMessage());
    assertEquals("2", cms.withName("c").get().getData().get("n"), "the stale write stored nothing");
  }

  @Test
  void serverErrorsSurfaceAsKubernetesClientExceptions() {
    String ns = namespace("f8-errors");
    var cms = client.configMaps().inNamespace(ns);
    cms.resource(configMap("dup", Map.of(), Map.of())).create();
    KubernetesClientException exists = assertThrows(KubernetesClientException.class,
        () -> cms.resource(configMap("dup", Map.of(), Map.of())).create());
    assertEquals(409, exists.getCode());
    assertEquals("AlreadyExists", exists.getStatus().getReason());

    KubernetesClientException invalid = assertThrows(KubernetesClientException.class,
        () -> cms.resource(configMap("Not_A_Name", Map.of(), Map.of())).create());
    assertEquals(422, invalid.getCode());
    assertEquals("Invalid", invalid.getStatus().getReason());
    List<String> fields = invalid.getStatus().getDetails().getCauses().stream().map(StatusCause::getField).toList();
    assertTrue(fields.contains("metadata.name"), fields.toString());

    KubernetesClientException missing = assertThrows(KubernetesClientException.class,
        () -> cms.withName("absent").edit(c -> c));
    assertEquals(404, missing.getCode());

    KubernetesClientException noNamespace = assertThrows(KubernetesClientException.class,
        () -> client.configMaps().inNamespace("no-such-ns").resource(configMap("x", Map.of(), Map.of())).create());
    assertEquals(404, noNamespace.getCode(), noNamespace.getMessage());
    assertTrue(noNamespace.getMessage().contains("namespaces \"no-such-ns\" not found"), noNamespace.getMessage());

    ConfigMap ssa = cms.resource(configMap("applied", Map.of(), Map.of("a", "b"))).fieldManager("test")
        .serverSideApply();
    assertEquals(Map.of("a", "b"), ssa.getData());
    assertEquals("test", ssa.getMetadata().getManagedFields().get(0).getManager());

    client.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("logger").endMetadata()
        .withNewSpec().addNewContainer().withName("main").withImage("busybox:1.36").endContainer().endSpec().build())
        .create();
    KubernetesClientException log = assertThrows(KubernetesClientException.class,
        () -> client.pods().inNamespace(ns).withName("logger").getLog());
    assertEquals(400, log.getCode(), log.getMessage());
    assertTrue(log.getMessage().contains("pod logger does not have a host assigned"), log.getMessage());
    KubernetesClientException noPod = assertThrows(KubernetesClientException.class,
        () -> client.pods().inNamespace(ns).withName("nope").getLog());
    assertEquals(404, noPod.getCode(), noPod.getMessage());
    assertEquals(List.of("applied", "dup"), names(cms.list().getItems()), "nothing else stored");
  }

  @Test
  void coreApiVersionsNameTheServerAddress() {
    APIVersions api = client.getAPIVersions();
    assertEquals(List.of("v1"), api.getVersions());
    URI url = URI.create(server.url());
    List<ServerAddressByClientCIDR> addresses = api.getServerAddressByClientCIDRs();
    assertEquals(1, addresses.size(), addresses.toString());
    assertEquals("0.0.0.0/0", addresses.get(0).getClientCIDR());
    assertEquals(url.getHost() + ":" + url.getPort(), addresses.get(0).getServerAddress(),
        "as kube-apiserver: host:port clients reach it at");
  }

  @Test
  void watchReceivesAddedModifiedDeleted() throws Exception {
    String ns = namespace("f8-watch");
    var cms = client.configMaps().inNamespace(ns);
    BlockingQueue<String> events = new LinkedBlockingQueue<>();
    Watch watch = cms.watch(new Watcher<>() {
      @Override
      public void eventReceived(Action action, ConfigMap resource) {
        events.add(action + " " + resource.getMetadata().getName() + " "
            + (resource.getData() == null ? "{}" : new TreeMap<>(resource.getData())));
      }

      @Override
      public void onClose(WatcherException cause) {
        events.add("CLOSED " + cause);
      }
    });
    try {
      cms.resource(configMap("w", Map.of(), Map.of("v", "1"))).create();
      assertEquals("ADDED w {v=1}", events.poll(20, TimeUnit.SECONDS));
      cms.withName("w").edit(c -> new ConfigMapBuilder(c).addToData("v", "2").build());
      assertEquals("MODIFIED w {v=2}", events.poll(20, TimeUnit.SECONDS));
      cms.withName("w").delete();
      assertEquals("DELETED w {v=2}", events.poll(20, TimeUnit.SECONDS));
    } finally {
      watch.close();
    }
  }

  @Test
  void sharedIndexInformerStaysInSync() throws Exception {
    String ns = namespace("f8-informer");
    var cms = client.configMaps().inNamespace(ns);
    cms.resource(configMap("before", Map.of(), Map.of("n", "0"))).create();
    AtomicInteger adds = new AtomicInteger();
    AtomicInteger updates = new AtomicInteger();
    AtomicInteger deletes = new AtomicInteger();
    SharedIndexInformer<ConfigMap> informer = cms.inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(ConfigMap obj) {
        adds.incrementAndGet();
      }

      @Override
      public void onUpdate(ConfigMap oldObj, ConfigMap newObj) {
        updates.incrementAndGet();
      }

      @Override
      public void onDelete(ConfigMap obj, boolean deletedFinalStateUnknown) {
        deletes.incrementAndGet();
      }
    }, 0);
    try {
      informer.start().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertTrue(informer.hasSynced());
      assertEquals(Map.of("before", cms.withName("before").get().getMetadata().getResourceVersion()),
          cache(informer));

      for (int i = 0; i < 5; i++) {
        cms.resource(configMap("cm-" + i, Map.of("i", "" + i), Map.of("n", "" + i))).create();
      }
      cms.withName("cm-1").edit(c -> new ConfigMapBuilder(c).addToData("n", "updated").build());
      cms.withName("cm-2").edit(c -> new ConfigMapBuilder(c).editMetadata().addToLabels("extra", "yes").endMetadata().build());
      cms.withName("before").delete();
      cms.withName("cm-3").delete();

      await("the informer's cache to equal the server's list", () -> cache(informer).equals(serverList(ns)));
      assertEquals(List.of("cm-0", "cm-1", "cm-2", "cm-4"), List.copyOf(cache(informer).keySet()));
      assertEquals("updated", informer.getStore().getByKey(ns + "/cm-1").getData().get("n"));
      await("the handler to see every change", () -> adds.get() == 6 && updates.get() == 2 && deletes.get() == 2);
    } finally {
      informer.close();
    }
  }

  private static Map<String, String> cache(SharedIndexInformer<ConfigMap> informer) {
    return informer.getStore().list().stream().collect(Collectors.toMap(c -> c.getMetadata().getName(),
        c -> c.getMetadata().getResourceVersion(), (a, b) -> a, TreeMap::new));
  }

  private static Map<String, String> serverList(String ns) {
    return client.configMaps().inNamespace(ns).list().getItems().stream().collect(Collectors.toMap(
        c -> c.getMetadata().getName(), c -> c.getMetadata().getResourceVersion(), (a, b) -> a, TreeMap::new));
  }

  private static List<String> names(List<? extends HasMetadata> items) {
    return items.stream().map(i -> i.getMetadata().getName()).sorted().toList();
  }
}
