package io.capstan.nodeagent.runtime.hollow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.EphemeralContainer;
import io.capstan.api.Pod;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.client.Commands;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.nodeagent.AgentCluster;
import io.capstan.nodeagent.NodeAgent;
import io.capstan.nodeagent.NodeAgentConfig;
import io.capstan.nodeagent.runtime.ContainerConfig;
import io.capstan.nodeagent.runtime.ContainerInfo;
import io.capstan.nodeagent.runtime.SandboxConfig;
import io.capstan.stateviews.testing.KafkaFixture;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Hollow nodes: the same agent on simulated containers, on the real broker and command processor. */
class HollowNodeTest {
  @Test
  void simulatedContainersExitWhenTheBehaviourSaysAndStopOnRequest() throws Exception {
    ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    try (HollowRuntime r = new HollowRuntime(new HollowRuntime.Behaviour(Duration.ZERO, Duration.ofMillis(200), 7, 0),
        timers, Clock.systemUTC())) {
      String sb = r.runPodSandbox(new SandboxConfig("uid-1", "ns", "p", "p", true));
      ContainerConfig cfg = new ContainerConfig("c", 0, r.pullImage("busybox"), List.of("x"), List.of(), "", List.of(),
          ContainerConfig.Resources.none(), ContainerConfig.Security.defaults(), Path.of("/dev/null"));
      String id = r.createContainer(sb, cfg);
      r.startContainer(id);
      assertEquals(ContainerInfo.State.RUNNING, r.containerStatus(id).orElseThrow().state());
      assertTrue(r.awaitExit(id, Duration.ofSeconds(5)));
      assertEquals(7, r.containerStatus(id).orElseThrow().exitCode());
      String id2 = r.createContainer(sb, cfg);
      r.startContainer(id2);
      r.stopContainer(id2, Duration.ofSeconds(30));
      assertEquals(143, r.containerStatus(id2).orElseThrow().exitCode());
    } finally {
      timers.shutdownNow();
    }
  }

  /** The start delay runs on the timers: the caller (a fleet's pod worker) is not held, the container shows created. */
  @Test
  void aStartDelayDoesNotHoldTheCaller() throws Exception {
    ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    try (HollowRuntime r = new HollowRuntime(new HollowRuntime.Behaviour(Duration.ofMillis(500), null, 0, 0),
        timers, Clock.systemUTC())) {
      String sb = r.runPodSandbox(new SandboxConfig("uid-2", "ns", "p", "p", true));
      ContainerConfig cfg = new ContainerConfig("c", 0, r.pullImage("busybox"), List.of("x"), List.of(), "", List.of(),
          ContainerConfig.Resources.none(), ContainerConfig.Security.defaults(), Path.of("/dev/null"));
      String id = r.createContainer(sb, cfg);
      long t0 = System.nanoTime();
      r.startContainer(id);
      assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(250), "startContainer returned at once");
      assertEquals(ContainerInfo.State.CREATED, r.containerStatus(id).orElseThrow().state());
      assertEquals(0, r.execSync(id, List.of("true"), Duration.ofSeconds(1)).exitCode(), "hooks run while starting");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (r.containerStatus(id).orElseThrow().state() != ContainerInfo.State.RUNNING && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(ContainerInfo.State.RUNNING, r.containerStatus(id).orElseThrow().state());
      assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(450), "running after the delay");

      String stopped = r.createContainer(sb, cfg);
      r.startContainer(stopped);
      r.stopContainer(stopped, Duration.ZERO); // stopped while starting: it never runs
      Thread.sleep(700);
      assertEquals(ContainerInfo.State.EXITED, r.containerStatus(stopped).orElseThrow().state());
      assertEquals(137, r.containerStatus(stopped).orElseThrow().exitCode());
    } finally {
      timers.shutdownNow();
    }
  }

  @Test
  void aHollowNodeRunsAndDeletesPodsThroughTheWholeLoop() throws Exception {
    try (AgentCluster cluster = new AgentCluster("agent-hollow");
        NodeAgent agent = new NodeAgent(NodeAgentConfig.defaults(cluster.kafka, cluster.layout, "hollow-1",
            KafkaFixture.tempDir("hollow-data"), NodeAgentConfig.RuntimeKind.HOLLOW)
            .withRelistPeriod(Duration.ofMillis(100)).withPort(0), cluster.registry)) {
      agent.start(Duration.ofSeconds(60));
      cluster.run(AgentCluster.pod("sim", "Always", AgentCluster.container("main", "registry.example/app:1", "serve")),
          "hollow-1");
      Pod running = cluster.await("sim", Duration.ofSeconds(30), "Running", p -> "Running".equals(p.getStatus().getPhase()));
      assertTrue(running.getStatus().getContainerStatuses().get(0).getContainerID().startsWith("hollow://"));
      // An ephemeral container (pods/ephemeralcontainers) is simulated too, and reported apart.
      Pod debugged = Pod.newBuilder(running).build();
      debugged.getMetadata().setResourceVersion(null);
      debugged.getSpec().setEphemeralContainers(List.of(EphemeralContainer.newBuilder().setName("debugger")
          .setImage("registry.example/app:1").setCommand(List.of("sh")).build()));
      assertTrue(cluster.client.send(Commands.updateEphemeralContainers(debugged)).get(30, TimeUnit.SECONDS)
          instanceof CommandResult.Accepted);
      Pod withDebugger = cluster.await("sim", Duration.ofSeconds(30), "the debugger running",
          p -> p.getStatus().getEphemeralContainerStatuses() != null
              && p.getStatus().getEphemeralContainerStatuses().get(0).getState().getRunning() != null);
      assertTrue(withDebugger.getStatus().getEphemeralContainerStatuses().get(0).getContainerID().startsWith("hollow://"));
      assertEquals(1, withDebugger.getStatus().getContainerStatuses().size());
      cluster.run(AgentCluster.pod("missing", "Always", AgentCluster.container("main", "does-not-exist:1", "x")), "hollow-1");
      cluster.await("missing", Duration.ofSeconds(30), "ErrImagePull", p -> p.getStatus().getContainerStatuses() != null
          && p.getStatus().getContainerStatuses().get(0).getState().getWaiting() != null
          && "ErrImagePull".equals(p.getStatus().getContainerStatuses().get(0).getState().getWaiting().getReason()));
      cluster.client.delete(Kinds.POD, "default", "sim", null).get(30, TimeUnit.SECONDS);
      cluster.awaitGone("sim", Duration.ofSeconds(30));
      String scrape = cluster.registry.scrape();
      assertTrue(scrape.contains("capstan_pod_start_duration_seconds_count{node=\"hollow-1\"} 1"), scrape);
      assertTrue(scrape.contains("capstan_node_agent_lease_renewals_total{node=\"hollow-1\"}"));
    }
  }

  /**
   * The node lifecycle controller marks the pods of a silent node not Ready; once the agent is
   * heard again it posts the real status, as kubelet's status manager compares with the stored pod.
   */
  @Test
  void aPodMarkedNotReadyBySomeoneElseIsReadyAgain() throws Exception {
    try (AgentCluster cluster = new AgentCluster("agent-repost");
        NodeAgent agent = new NodeAgent(NodeAgentConfig.defaults(cluster.kafka, cluster.layout, "hollow-2",
            KafkaFixture.tempDir("hollow-repost"), NodeAgentConfig.RuntimeKind.HOLLOW)
            .withRelistPeriod(Duration.ofMillis(100)).withPort(0), cluster.registry)) {
      agent.start(Duration.ofSeconds(60));
      cluster.run(AgentCluster.pod("steady", "Always", AgentCluster.container("main", "registry.example/app:1", "serve")),
          "hollow-2");
      long markedAt = 0;
      for (int attempt = 0; markedAt == 0; attempt++) {
        assertTrue(attempt < 20, "the pod could not be marked not Ready");
        Pod ready = cluster.await("steady", Duration.ofSeconds(30), "Ready", HollowNodeTest::isReady);
        Pod marked = Pod.newBuilder(ready).build();
        marked.getStatus().setConditions(marked.getStatus().getConditions().stream()
            .map(c -> c.getType().equals("Ready")
                ? io.capstan.api.PodCondition.newBuilder(c).setStatus("False").setReason("NodeNotReady").build() : c)
            .toList());
        if (cluster.client.updateStatus(marked).get(30, TimeUnit.SECONDS)
            instanceof io.capstan.logschema.client.CommandResult.Accepted a) {
          markedAt = a.resourceVersion();
        }
      }
      long after = markedAt;
      cluster.await("steady", Duration.ofSeconds(30), "Ready again after the marking",
          p -> Long.parseLong(p.getMetadata().getResourceVersion()) > after && isReady(p));
    }
  }

  /**
   * Native sidecars on a hollow node: the sidecar runs first and beside the container, both are
   * reported (the sidecar in initContainerStatuses) and the pod is Ready; with containers that exit
   * by themselves after a moment, a restartPolicy Never pod with a sidecar succeeds once its
   * container is done (the sidecar no longer holds it up).
   */
  @Test
  void aHollowPodWithASidecarRunsReadyAndOneThatRunsToCompletionSucceeds() throws Exception {
    try (AgentCluster cluster = new AgentCluster("agent-hollow-sidecar");
        NodeAgent steady = new NodeAgent(NodeAgentConfig.defaults(cluster.kafka, cluster.layout, "hollow-s1",
            KafkaFixture.tempDir("hollow-sidecar-1"), NodeAgentConfig.RuntimeKind.HOLLOW)
            .withRelistPeriod(Duration.ofMillis(100)).withPort(0), cluster.registry);
        NodeAgent exiting = new NodeAgent(NodeAgentConfig.defaults(cluster.kafka, cluster.layout, "hollow-s2",
            KafkaFixture.tempDir("hollow-sidecar-2"), NodeAgentConfig.RuntimeKind.HOLLOW)
            .withRelistPeriod(Duration.ofMillis(100)).withPort(0)
            .withHollowBehaviour(new HollowRuntime.Behaviour(Duration.ZERO, Duration.ofSeconds(1), 0, 0)),
            cluster.registry)) {
      steady.start(Duration.ofSeconds(60));
      exiting.start(Duration.ofSeconds(60));
      io.capstan.api.Container proxy = AgentCluster.container("proxy", "registry.example/proxy:1", "proxy");
      proxy.setRestartPolicy("Always");
      Pod withSidecar = AgentCluster.pod("served", "Always", AgentCluster.container("main", "registry.example/app:1", "serve"));
      withSidecar.getSpec().setInitContainers(List.of(proxy));
      cluster.run(withSidecar, "hollow-s1");
      Pod ready = cluster.await("served", Duration.ofSeconds(30), "Ready", HollowNodeTest::isReady);
      assertEquals("Running", ready.getStatus().getPhase());
      var side = ready.getStatus().getInitContainerStatuses().get(0);
      assertTrue(side.getState().getRunning() != null && Boolean.TRUE.equals(side.getStarted())
          && Boolean.TRUE.equals(side.getReady()), side.toString());
      assertTrue(ready.getStatus().getContainerStatuses().get(0).getState().getRunning() != null);

      Pod job = AgentCluster.pod("job", "Never", AgentCluster.container("work", "registry.example/app:1", "work"));
      job.getSpec().setInitContainers(List.of(AgentCluster.container("setup", "registry.example/app:1", "setup"),
          io.capstan.api.Container.newBuilder(proxy).build()));
      cluster.run(job, "hollow-s2");
      Pod done = cluster.await("job", Duration.ofSeconds(30), "Succeeded", p -> "Succeeded".equals(p.getStatus().getPhase()));
      assertEquals(0, done.getStatus().getContainerStatuses().get(0).getState().getTerminated().getExitCode());
      assertTrue(done.getStatus().getInitContainerStatuses().get(1).getState().getRunning() == null,
          "the sidecar was stopped: " + done.getStatus().getInitContainerStatuses());
      cluster.client.delete(Kinds.POD, "default", "served", null).get(30, TimeUnit.SECONDS);
      cluster.awaitGone("served", Duration.ofSeconds(30));
    }
  }

  private static boolean isReady(Pod p) {
    return p.getStatus() != null && p.getStatus().getConditions() != null && p.getStatus().getConditions().stream()
        .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
  }
}
