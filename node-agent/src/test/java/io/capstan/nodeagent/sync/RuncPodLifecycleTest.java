package io.capstan.nodeagent.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.ConfigMapKeySelector;
import io.capstan.api.ConfigMapVolumeSource;
import io.capstan.api.Container;
import io.capstan.api.ContainerStatus;
import io.capstan.api.EnvVar;
import io.capstan.api.EnvVarSource;
import io.capstan.api.EphemeralContainer;
import io.capstan.api.ExecAction;
import io.capstan.api.Lease;
import io.capstan.api.LocalObjectReference;
import io.capstan.api.Node;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.Probe;
import io.capstan.api.ResourceRequirements;
import io.capstan.api.Secret;
import io.capstan.api.Volume;
import io.capstan.api.VolumeMount;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.client.Commands;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.nodeagent.AgentCluster;
import io.capstan.nodeagent.NodeAgent;
import io.capstan.nodeagent.image.BusyboxImage;
import io.capstan.nodeagent.image.LoopbackRegistry;
import io.capstan.nodeagent.image.TestArchives;
import io.capstan.nodeagent.logs.LogClient;
import io.capstan.nodeagent.runtime.runc.RuncHost;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.testing.KafkaFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The node agent end to end on real parts: the embedded Kafka broker, the command processor, the
 * pods-by-node view, runc containers from the busybox image.
 */
class RuncPodLifecycleTest {
  static final String BUSYBOX = BusyboxImage.NAME;
  static final Duration WAIT = Duration.ofSeconds(40);
  static AgentCluster cluster;
  static NodeAgent agent;
  static String node;
  static LogClient logClient;

  @BeforeAll
  static void start() throws Exception {
    RuncHost.require();
    cluster = new AgentCluster("agent-runc");
    node = "node-" + Long.toHexString(System.nanoTime() & 0xffffff);
    logClient = new LogClient();
    agent = cluster.startRuncAgent(node, "agent-data", logClient.caFile());
  }

  @AfterAll
  static void stop() throws Exception {
    if (agent != null && cluster != null) {
      cluster.stopAgent(agent);
    }
    if (cluster != null) {
      cluster.close();
    }
    if (logClient != null) {
      logClient.close();
    }
  }

  private static ContainerStatus status(Pod p, int i) {
    return p.getStatus().getContainerStatuses() == null ? null : p.getStatus().getContainerStatuses().get(i);
  }

  @Test
  void theNodeIsRegisteredWithItsCapacityConditionsAndLease() throws Exception {
    Informer<Node> nodes = cluster.informers.informerFor(Kinds.NODE, Node.class);
    Informer<Lease> leases = cluster.informers.informerFor(Kinds.LEASE, Lease.class);
    cluster.informers.start();
    cluster.informers.awaitSynced(WAIT);
    long deadline = System.nanoTime() + WAIT.toNanos();
    while ((nodes.get("", node).isEmpty() || leases.get("kube-node-lease", node).isEmpty()) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    Node n = nodes.get("", node).orElseThrow(() -> new AssertionError("node " + node + " not registered"));
    assertEquals(Integer.toString(Runtime.getRuntime().availableProcessors()), n.getStatus().getCapacity().get("cpu"));
    assertEquals("110", n.getStatus().getCapacity().get("pods"));
    assertTrue(n.getStatus().getCapacity().get("memory").endsWith("Ki"));
    assertEquals(node, n.getMetadata().getLabels().get("kubernetes.io/hostname"));
    assertEquals("linux", n.getMetadata().getLabels().get("kubernetes.io/os"));
    assertEquals("True", n.getStatus().getConditions().stream().filter(c -> c.getType().equals("Ready")).findFirst()
        .orElseThrow().getStatus());
    assertEquals(4, n.getStatus().getConditions().size());
    assertTrue(n.getStatus().getNodeInfo().getContainerRuntimeVersion().startsWith("runc://"));
    assertEquals(agent.port(), n.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort());
    Lease lease = leases.get("kube-node-lease", node).orElseThrow();
    assertEquals(node, lease.getSpec().getHolderIdentity());
    assertNotNull(lease.getSpec().getRenewTime());
  }

  @Test
  void aPodRunsItsOutputIsLoggedAndItSucceedsWithTheExitCodeInItsStatus() throws Exception {
    ConfigMap cm = ConfigMap.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("greeting").build())
        .setData(Map.of("word", "bonjour", "file.txt", "from a configmap")).build();
    assertInstanceOf(CommandResult.Accepted.class, cluster.client.create(cm).get(30, TimeUnit.SECONDS));
    Thread.sleep(500); // the agent's ConfigMap informer catches up (the pod would wait for it anyway)
    Container c = AgentCluster.container("main", BUSYBOX, "sh", "-c",
        "echo hello; echo \"word=$WORD\"; cat /config/file.txt; echo; sleep 2; exit 0");
    c.setEnv(List.of(EnvVar.newBuilder().setName("WORD").setValueFrom(EnvVarSource.newBuilder()
        .setConfigMapKeyRef(ConfigMapKeySelector.newBuilder().setName("greeting").setKey("word").build()).build()).build()));
    c.setVolumeMounts(List.of(VolumeMount.newBuilder().setName("cfg").setMountPath("/config").build()));
    Pod pod = AgentCluster.pod("hello", "Never", c);
    pod.getSpec().setVolumes(List.of(Volume.newBuilder().setName("cfg")
        .setConfigMap(ConfigMapVolumeSource.newBuilder().setName("greeting").build()).build()));
    cluster.run(pod, node);

    Pod running = cluster.await("hello", WAIT, "Running", p -> "Running".equals(p.getStatus().getPhase()));
    ContainerStatus cs = status(running, 0);
    assertNotNull(cs.getState().getRunning(), cs.toString());
    assertTrue(cs.getContainerID().startsWith("runc://"), cs.getContainerID());
    assertTrue(cs.getImageID().contains("@sha256:"), cs.getImageID());
    assertEquals(Boolean.TRUE, cs.getReady());
    assertNotNull(running.getStatus().getStartTime());
    assertNotNull(running.getStatus().getPodIP());
    assertTrue(running.getStatus().getConditions().stream().anyMatch(k -> k.getType().equals("Ready") && k.getStatus().equals("True")));

    Pod done = cluster.await("hello", WAIT, "Succeeded", p -> "Succeeded".equals(p.getStatus().getPhase()));
    assertEquals(0, status(done, 0).getState().getTerminated().getExitCode());
    assertEquals("Completed", status(done, 0).getState().getTerminated().getReason());

    LogClient.Response logs = logClient.get(agent.port(), "/containerLogs/default/hello/main");
    assertEquals(200, logs.status(), logs.body());
    assertEquals("hello\nword=bonjour\nfrom a configmap\n", logs.body());
    LogClient.Response tail = logClient.get(agent.port(), "/containerLogs/default/hello/main?tailLines=1&timestamps=true");
    assertTrue(tail.body().matches("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z from a configmap\n"), tail.body());
  }

  /**
   * Issue 22 item 7: an ephemeral container added to a running pod (pods/ephemeralcontainers) is
   * started in the pod's sandbox, on the pod's network namespace as the app container is and in its
   * target's process namespace (targetContainerName, what kubectl debug --target asks), reported
   * in ephemeralContainerStatuses (never ready), and not restarted after it exits; the pod stays
   * Running and Ready.
   */
  @Test
  void anEphemeralContainerRunsOnceInThePodsNamespacesAndIsReported() throws Exception {
    Container main = AgentCluster.container("main", BUSYBOX, "sh", "-c",
        "readlink /proc/self/ns/net; readlink /proc/self/ns/pid; exec sleep 1000");
    cluster.run(AgentCluster.pod("debuggee", "Always", main), node);
    Pod running = cluster.await("debuggee", WAIT, "Running", p -> "Running".equals(p.getStatus().getPhase()));

    Pod withDebugger = Pod.newBuilder(running).build();
    withDebugger.getMetadata().setResourceVersion(null); // the agent's status writes move it on
    withDebugger.getSpec().setEphemeralContainers(List.of(EphemeralContainer.newBuilder().setName("debugger")
        .setImage(BUSYBOX).setTargetContainerName("main")
        .setCommand(List.of("sh", "-c", "readlink /proc/self/ns/net; readlink /proc/self/ns/pid;"
            + " ps -o comm | grep -q sleep && echo sees main; exit 7")).build()));
    assertInstanceOf(CommandResult.Accepted.class,
        cluster.client.send(Commands.updateEphemeralContainers(withDebugger)).get(30, TimeUnit.SECONDS));

    Pod ended = cluster.await("debuggee", WAIT, "the debugger exited", p -> p.getStatus().getEphemeralContainerStatuses() != null
        && p.getStatus().getEphemeralContainerStatuses().get(0).getState().getTerminated() != null);
    ContainerStatus debugger = ended.getStatus().getEphemeralContainerStatuses().get(0);
    assertEquals("debugger", debugger.getName());
    assertEquals(7, debugger.getState().getTerminated().getExitCode());
    assertEquals(Boolean.FALSE, debugger.getReady(), "ephemeral containers are never ready");
    assertTrue(debugger.getContainerID().startsWith("runc://"), debugger.getContainerID());
    assertEquals("Running", ended.getStatus().getPhase());
    assertTrue(ended.getStatus().getConditions().stream().anyMatch(k -> k.getType().equals("Ready") && k.getStatus().equals("True")),
        "an ephemeral container does not make the pod unready: " + ended.getStatus());

    String mainLog = logClient.get(agent.port(), "/containerLogs/default/debuggee/main").body();
    LogClient.Response debugLog = logClient.get(agent.port(), "/containerLogs/default/debuggee/debugger");
    assertEquals(200, debugLog.status(), debugLog.body());
    assertTrue(mainLog.startsWith("net:["), mainLog);
    assertEquals(mainLog + "sees main\n", debugLog.body(),
        "the debugger shares the pod's network namespace and, as it targets main, main's process namespace");

    Thread.sleep(3000); // several relists and syncs: an exited ephemeral container is not started again
    Pod later = cluster.pods.get("default", "debuggee").orElseThrow();
    ContainerStatus still = later.getStatus().getEphemeralContainerStatuses().get(0);
    assertEquals(debugger.getContainerID(), still.getContainerID());
    assertEquals(0, still.getRestartCount());
    assertInstanceOf(CommandResult.Accepted.class, cluster.client.delete(Kinds.POD, "default", "debuggee",
        io.capstan.log.DeleteOptions.newBuilder().setGracePeriodSeconds(1L).build()).get(30, TimeUnit.SECONDS));
    cluster.awaitGone("debuggee", WAIT);
  }

  @Test
  void aFailingContainerWithNeverFailsThePodWithItsExitCode() throws Exception {
    cluster.run(AgentCluster.pod("fails", "Never", AgentCluster.container("main", BUSYBOX, "sh", "-c", "exit 3")), node);
    Pod failed = cluster.await("fails", WAIT, "Failed", p -> "Failed".equals(p.getStatus().getPhase()));
    assertEquals(3, status(failed, 0).getState().getTerminated().getExitCode());
    assertEquals("Error", status(failed, 0).getState().getTerminated().getReason());
  }

  @Test
  void aCrashingContainerBacksOffWithAGrowingRestartCount() throws Exception {
    cluster.run(AgentCluster.pod("crasher", "Always", AgentCluster.container("main", BUSYBOX, "sh", "-c", "exit 1")), node);
    Pod backoff = cluster.await("crasher", WAIT, "CrashLoopBackOff", p -> status(p, 0) != null
        && status(p, 0).getState().getWaiting() != null
        && "CrashLoopBackOff".equals(status(p, 0).getState().getWaiting().getReason()));
    ContainerStatus first = status(backoff, 0);
    assertTrue(first.getRestartCount() >= 1, first.toString());
    assertEquals(1, first.getLastState().getTerminated().getExitCode());
    assertEquals("Running", backoff.getStatus().getPhase(), "a restarting pod is Running, as kubelet's getPhase says");
    int before = first.getRestartCount();
    Pod later = cluster.await("crasher", WAIT, "another restart after the 10 s back-off",
        p -> status(p, 0).getRestartCount() > before);
    assertTrue(status(later, 0).getRestartCount() > before);
    assertTrue(cluster.registry.scrape().contains("capstan_node_agent_container_restarts_total"));
    cluster.client.delete(Kinds.POD, "default", "crasher", null).get(30, TimeUnit.SECONDS);
    cluster.awaitGone("crasher", WAIT);
  }

  @Test
  void deletingARunningPodStopsItsContainerThenThePodDisappears() throws Exception {
    Container sleeper = AgentCluster.container("main", BUSYBOX, "sleep", "1000");
    Pod pod = AgentCluster.pod("sleeper", "Always", sleeper);
    pod.getSpec().setTerminationGracePeriodSeconds(2L);
    cluster.run(pod, node);
    Pod running = cluster.await("sleeper", WAIT, "Running", p -> "Running".equals(p.getStatus().getPhase()));
    String containerId = status(running, 0).getContainerID().substring("runc://".length());
    assertTrue(agent.runtime().containerStatus(containerId).isPresent());
    long t0 = System.nanoTime();
    CommandResult r = cluster.client.delete(Kinds.POD, "default", "sleeper", null).get(30, TimeUnit.SECONDS);
    CommandResult.Accepted marked = assertInstanceOf(CommandResult.Accepted.class, r);
    assertTrue(!marked.deleted(), "a running pod is only marked for deletion; the node finishes it");
    cluster.awaitGone("sleeper", WAIT);
    long tookMs = (System.nanoTime() - t0) / 1_000_000;
    // sleep as PID 1 ignores SIGTERM: the kill comes after the 2 s grace period.
    assertTrue(tookMs >= 1900, "the pod went away before its grace period: " + tookMs + " ms");
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (agent.runtime().containerStatus(containerId).isPresent() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(agent.runtime().containerStatus(containerId).isEmpty(), "the container is removed");
  }

  @Test
  void aPodThatDoesNotFitIsRejectedOutOfcpu() throws Exception {
    Container big = AgentCluster.container("main", BUSYBOX, "true");
    big.setResources(ResourceRequirements.newBuilder().setRequests(Map.of("cpu", "1000")).build());
    cluster.run(AgentCluster.pod("too-big", "Never", big), node);
    Pod failed = cluster.await("too-big", WAIT, "Failed", p -> "Failed".equals(p.getStatus().getPhase()));
    assertEquals("OutOfcpu", failed.getStatus().getReason());
    assertTrue(failed.getStatus().getMessage().startsWith("Pod was rejected: Node didn't have enough resource: cpu"),
        failed.getStatus().getMessage());
  }

  @Test
  void anImageThatIsNotThereEndsInErrImagePullWithAMessageSayingHowToImportIt() throws Exception {
    cluster.run(AgentCluster.pod("no-image", "Always", AgentCluster.container("main", "nginx:1.27", "nginx")), node);
    Pod p = cluster.await("no-image", WAIT, "ErrImagePull", x -> status(x, 0) != null
        && status(x, 0).getState().getWaiting() != null
        && List.of("ErrImagePull", "ImagePullBackOff").contains(status(x, 0).getState().getWaiting().getReason()));
    String msg = status(p, 0).getState().getWaiting().getMessage();
    assertTrue(msg.contains("docker.io/library/nginx:1.27") && msg.contains("capstan image import"), msg);
    assertEquals("Pending", p.getStatus().getPhase());
  }

  /** An image only a registry has: the agent pulls it at the pod's start, and reports its repository digest. */
  @Test
  void anImageFromARegistryIsPulledAndRuns() throws Exception {
    Path busybox = BusyboxImage.hostBinary().orElseThrow();
    byte[] layer = new TestArchives.Tar().dir("bin/").file("bin/busybox", Files.readAllBytes(busybox), 0755)
        .symlink("bin/sh", "busybox").symlink("bin/sleep", "busybox").bytes();
    byte[] config = TestArchives.config(List.of(layer), List.of("sh", "-c", "sleep 1000"));
    try (LoopbackRegistry registry = LoopbackRegistry.start(KafkaFixture.tempDir("registry"), null, null)) {
      byte[] manifest = registry.pushImage("team/sleeper", "1", List.of(layer), config);
      String image = registry.host + "/team/sleeper:1";
      cluster.run(AgentCluster.pod("pulled", "Always", AgentCluster.container("main", image)), node);
      Pod running = cluster.await("pulled", WAIT, "Running", p -> "Running".equals(p.getStatus().getPhase()));
      assertEquals(registry.host + "/team/sleeper@" + TestArchives.sha256(manifest), status(running, 0).getImageID());
      assertEquals(image, status(running, 0).getImage());
    }
    cluster.client.delete(Kinds.POD, "default", "pulled", DeleteOptions.newBuilder().setGracePeriodSeconds(0L).build())
        .get(30, TimeUnit.SECONDS);
  }

  /**
   * A registry that asks for a password: a pod with the pull secret runs, one without waits in
   * ErrImagePull; a pod whose image is missing with pull policy Never waits in ErrImageNeverPull.
   */
  @Test
  void pullSecretsAnswerTheRegistryAndPolicyNeverDoesNotPull() throws Exception {
    byte[] layer = new TestArchives.Tar().dir("bin/").file("bin/busybox",
        Files.readAllBytes(BusyboxImage.hostBinary().orElseThrow()), 0755).symlink("bin/sh", "busybox").bytes();
    byte[] config = TestArchives.config(List.of(layer), List.of("sh", "-c", "sleep 1000"));
    try (LoopbackRegistry registry = LoopbackRegistry.start(KafkaFixture.tempDir("registry"), "puller", "s3cret")) {
      registry.pushImage("team/private", "1", List.of(layer), config);
      String image = registry.host + "/team/private:1";
      String auth = java.util.Base64.getEncoder().encodeToString("puller:s3cret".getBytes(StandardCharsets.UTF_8));
      Secret pullSecret = Secret.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("default")
              .setName("registry-login").build()).setType("kubernetes.io/dockerconfigjson")
          .setData(Map.of(".dockerconfigjson", java.nio.ByteBuffer.wrap(("{\"auths\":{\"" + registry.host
              + "\":{\"auth\":\"" + auth + "\"}}}").getBytes(StandardCharsets.UTF_8)))).build();
      assertInstanceOf(CommandResult.Accepted.class, cluster.client.create(pullSecret).get(30, TimeUnit.SECONDS));
      Thread.sleep(1000); // the agent's Secret informer catches up

      // Pull policy Always: the registry is asked even when with-login's pull finished first (with
      // the default for a tag, IfNotPresent, this pod would then run from the store's copy).
      Container anonymous = AgentCluster.container("main", image);
      anonymous.setImagePullPolicy("Always");
      Pod without = AgentCluster.pod("no-login", "Always", anonymous);
      cluster.run(without, node);
      Pod with = AgentCluster.pod("with-login", "Always", AgentCluster.container("main", image));
      with.getSpec().setImagePullSecrets(List.of(LocalObjectReference.newBuilder().setName("registry-login").build()));
      cluster.run(with, node);
      Container never = AgentCluster.container("main", registry.host + "/team/absent:1");
      never.setImagePullPolicy("Never");
      cluster.run(AgentCluster.pod("never", "Always", never), node);

      cluster.await("with-login", WAIT, "Running", p -> "Running".equals(p.getStatus().getPhase()));
      Pod refused = cluster.await("no-login", WAIT, "ErrImagePull", x -> status(x, 0) != null
          && status(x, 0).getState().getWaiting() != null
          && List.of("ErrImagePull", "ImagePullBackOff").contains(status(x, 0).getState().getWaiting().getReason()));
      assertTrue(status(refused, 0).getState().getWaiting().getMessage().contains("asks for a user name and password"),
          status(refused, 0).getState().getWaiting().getMessage());
      Pod notPulled = cluster.await("never", WAIT, "ErrImageNeverPull", x -> status(x, 0) != null
          && status(x, 0).getState().getWaiting() != null
          && "ErrImageNeverPull".equals(status(x, 0).getState().getWaiting().getReason()));
      assertEquals("Container image \"" + registry.host + "/team/absent:1\" is not present with pull policy of Never",
          status(notPulled, 0).getState().getWaiting().getMessage());
    }
    for (String name : List.of("no-login", "with-login", "never")) {
      cluster.client.delete(Kinds.POD, "default", name, DeleteOptions.newBuilder().setGracePeriodSeconds(0L).build())
          .get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void initContainersRunInOrderBeforeTheAppAndReadinessDrivesReady() throws Exception {
    Container first = AgentCluster.container("first", BUSYBOX, "sh", "-c", "echo first >> /work/order");
    Container second = AgentCluster.container("second", BUSYBOX, "sh", "-c", "sleep 1; echo second >> /work/order");
    Container app = AgentCluster.container("app", BUSYBOX, "sh", "-c", "echo app >> /work/order; sleep 1000");
    for (Container c : List.of(first, second, app)) {
      c.setVolumeMounts(List.of(VolumeMount.newBuilder().setName("work").setMountPath("/work").build()));
    }
    app.setReadinessProbe(Probe.newBuilder().setExec(ExecAction.newBuilder().setCommand(List.of("test", "-e", "/tmp/ready"))
        .build()).setPeriodSeconds(1).setFailureThreshold(1).setTimeoutSeconds(5).build());
    Pod pod = AgentCluster.pod("inits", "Always", app);
    pod.getSpec().setInitContainers(List.of(first, second));
    pod.getSpec().setTerminationGracePeriodSeconds(1L);
    pod.getSpec().setVolumes(List.of(Volume.newBuilder().setName("work")
        .setEmptyDir(io.capstan.api.EmptyDirVolumeSource.newBuilder().build()).build()));
    cluster.run(pod, node);
    Pod running = cluster.await("inits", WAIT, "Running", p -> "Running".equals(p.getStatus().getPhase()));
    assertEquals(2, running.getStatus().getInitContainerStatuses().size());
    for (ContainerStatus init : running.getStatus().getInitContainerStatuses()) {
      assertEquals(0, init.getState().getTerminated().getExitCode(), init.toString());
    }
    assertTrue(running.getStatus().getConditions().stream().anyMatch(c -> c.getType().equals("Initialized")
        && c.getStatus().equals("True")));
    String id = status(running, 0).getContainerID().substring("runc://".length());
    assertEquals("first\nsecond\napp\n", agent.runtime().execSync(id, List.of("cat", "/work/order"), Duration.ofSeconds(10))
        .output(), "init containers ran one at a time, in order, before the app");
    assertEquals(Boolean.FALSE, status(running, 0).getReady(), "not ready while the readiness probe fails");
    agent.runtime().execSync(id, List.of("touch", "/tmp/ready"), Duration.ofSeconds(10));
    Pod ready = cluster.await("inits", WAIT, "Ready", p -> p.getStatus().getConditions().stream()
        .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True")));
    assertEquals(Boolean.TRUE, status(ready, 0).getReady());
    agent.runtime().execSync(id, List.of("rm", "/tmp/ready"), Duration.ofSeconds(10));
    cluster.await("inits", WAIT, "not Ready again", p -> p.getStatus().getConditions().stream()
        .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("False")));
    cluster.client.delete(Kinds.POD, "default", "inits", null).get(30, TimeUnit.SECONDS);
    cluster.awaitGone("inits", WAIT);
  }

  @Test
  void aPreStopHookRunsBeforeTheContainerIsStopped() throws Exception {
    Path shared = KafkaFixture.tempDir("prestop");
    Container c = AgentCluster.container("main", BUSYBOX, "sh", "-c",
        "trap 'echo term >> /shared/log; exit 0' TERM; while true; do sleep 0.1; done");
    c.setVolumeMounts(List.of(VolumeMount.newBuilder().setName("shared").setMountPath("/shared").build()));
    c.setLifecycle(io.capstan.api.Lifecycle.newBuilder().setPreStop(io.capstan.api.LifecycleHandler.newBuilder()
        .setExec(ExecAction.newBuilder().setCommand(List.of("sh", "-c", "echo prestop >> /shared/log")).build()).build())
        .build());
    Pod pod = AgentCluster.pod("graceful", "Always", c);
    pod.getSpec().setTerminationGracePeriodSeconds(20L);
    pod.getSpec().setVolumes(List.of(Volume.newBuilder().setName("shared")
        .setHostPath(io.capstan.api.HostPathVolumeSource.newBuilder().setPath(shared.toString()).build()).build()));
    cluster.run(pod, node);
    cluster.await("graceful", WAIT, "Running", p -> "Running".equals(p.getStatus().getPhase()));
    long t0 = System.nanoTime();
    cluster.client.delete(Kinds.POD, "default", "graceful", null).get(30, TimeUnit.SECONDS);
    cluster.awaitGone("graceful", WAIT);
    assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(15).toNanos(), "stopped on SIGTERM, long before the 20 s grace");
    assertEquals("prestop\nterm\n", java.nio.file.Files.readString(shared.resolve("log")));
  }

  @Test
  void aFailingLivenessProbeRestartsTheContainer() throws Exception {
    Container c = AgentCluster.container("main", BUSYBOX, "sleep", "1000");
    c.setLivenessProbe(Probe.newBuilder().setExec(ExecAction.newBuilder().setCommand(List.of("test", "-e", "/nope")).build())
        .setPeriodSeconds(1).setFailureThreshold(2).setTerminationGracePeriodSeconds(1L).build());
    cluster.run(AgentCluster.pod("unhealthy", "Always", c), node);
    Pod restarted = cluster.await("unhealthy", WAIT, "restarted by liveness", p -> status(p, 0) != null
        && status(p, 0).getRestartCount() >= 1);
    assertEquals(137, status(restarted, 0).getLastState().getTerminated().getExitCode());
    cluster.client.delete(Kinds.POD, "default", "unhealthy", null).get(30, TimeUnit.SECONDS);
    cluster.awaitGone("unhealthy", WAIT);
  }
}
