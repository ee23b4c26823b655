package io.capstan.nodeagent.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Container;
import io.capstan.api.ContainerStatus;
import io.capstan.api.ExecAction;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.Probe;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.nodeagent.AgentCluster;
import io.capstan.nodeagent.NodeAgent;
import io.capstan.nodeagent.image.BusyboxImage;
import io.capstan.nodeagent.logs.LogClient;
import io.capstan.nodeagent.runtime.runc.RuncHost;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Native sidecars (KEP-753) on real runc containers: an init container with {@code restartPolicy:
 * Always} starts first, the containers wait for its startup probe, both run and are Ready; one that
 * exits is restarted even under {@code restartPolicy: Never}; a run-to-completion pod with sidecars
 * succeeds once its container is done, its sidecars stopped after it, the last one first.
 */
class RuncNativeSidecarTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static AgentCluster cluster;
  static NodeAgent agent;
  static String node;
  static LogClient logClient;

  @BeforeAll
  static void start() throws Exception {
    RuncHost.require();
    cluster = new AgentCluster("agent-sidecars");
    node = "node-" + Long.toHexString(System.nanoTime() & 0xffffff);
    logClient = new LogClient();
    agent = cluster.startRuncAgent(node, "sidecar-agent-data", logClient.caFile());
  }

  @AfterAll
  static void stop() throws Exception {
    if (agent != null && cluster != null) {
      cluster.stopAgent(agent); // deletes what the tests left and waits for the containers to go
    }
    if (cluster != null) {
      cluster.close();
    }
    if (logClient != null) {
      logClient.close();
    }
  }

  private static Container sidecar(String name, String script) {
    Container c = AgentCluster.container(name, BusyboxImage.NAME, "sh", "-c", script);
    c.setRestartPolicy("Always");
    return c;
  }

  private static Probe exec(String... command) {
    return Probe.newBuilder().setExec(ExecAction.newBuilder().setCommand(List.of(command)).build()).setPeriodSeconds(1)
        .setFailureThreshold(30).build();
  }

  private static ContainerStatus init(Pod p, int i) {
    return p.getStatus().getInitContainerStatuses() == null ? null : p.getStatus().getInitContainerStatuses().get(i);
  }

  private static ContainerStatus main(Pod p, int i) {
    return p.getStatus().getContainerStatuses() == null ? null : p.getStatus().getContainerStatuses().get(i);
  }

  private static String condition(Pod p, String type) {
    return p.getStatus().getConditions() == null ? null : p.getStatus().getConditions().stream()
        .filter(c -> c.getType().equals(type)).map(PodCondition::getStatus).findFirst().orElse(null);
  }

  private static void delete(String name) throws Exception {
    cluster.client.delete(Kinds.POD, "default", name, DeleteOptions.newBuilder().setGracePeriodSeconds(2L).build())
        .get(30, TimeUnit.SECONDS);
    cluster.awaitGone(name, WAIT);
  }

  @Test
  void theContainerWaitsForTheSidecarsStartupProbeThenBothRunReady() throws Exception {
    Container proxy = sidecar("proxy", "sleep 2; touch /tmp/started; exec sleep 1000");
    proxy.setStartupProbe(exec("test", "-e", "/tmp/started"));
    proxy.setReadinessProbe(exec("test", "-e", "/tmp/started"));
    Pod pod = AgentCluster.pod("with-proxy", "Always", AgentCluster.container("app", BusyboxImage.NAME, "sleep", "1000"));
    pod.getSpec().setInitContainers(List.of(proxy));
    pod.getSpec().setTerminationGracePeriodSeconds(2L);
    cluster.run(pod, node);

    Pod pending = cluster.await("with-proxy", WAIT, "the sidecar running, not started yet",
        p -> init(p, 0) != null && init(p, 0).getState().getRunning() != null);
    if (!Boolean.TRUE.equals(init(pending, 0).getStarted())) {
      assertEquals("Pending", pending.getStatus().getPhase(), "not initialized before the sidecar started");
      assertEquals("False", condition(pending, "Initialized"));
    }

    Pod ready = cluster.await("with-proxy", WAIT, "Running and Ready", p -> "True".equals(condition(p, "Ready")));
    assertEquals("Running", ready.getStatus().getPhase());
    assertEquals("True", condition(ready, "Initialized"));
    ContainerStatus side = init(ready, 0);
    assertEquals("proxy", side.getName());
    assertNotNull(side.getState().getRunning(), side.toString());
    assertEquals(Boolean.TRUE, side.getStarted());
    assertEquals(Boolean.TRUE, side.getReady(), "a sidecar reports its readiness in initContainerStatuses");
    ContainerStatus app = main(ready, 0);
    assertNotNull(app.getState().getRunning(), app.toString());
    assertEquals(Boolean.TRUE, app.getReady());
    Instant sideStarted = Instant.parse(side.getState().getRunning().getStartedAt());
    Instant appStarted = Instant.parse(app.getState().getRunning().getStartedAt());
    assertTrue(!appStarted.isBefore(sideStarted.plusSeconds(1)),
        "the container started before the sidecar's startup probe passed: sidecar " + sideStarted + ", app " + appStarted);
    delete("with-proxy");
  }

  @Test
  void aSidecarThatExitsIsRestartedEvenUnderRestartPolicyNever() throws Exception {
    Pod pod = AgentCluster.pod("flaky-proxy", "Never", AgentCluster.container("app", BusyboxImage.NAME, "sleep", "1000"));
    pod.getSpec().setInitContainers(List.of(sidecar("proxy", "sleep 1; exit 1")));
    pod.getSpec().setTerminationGracePeriodSeconds(2L);
    cluster.run(pod, node);

    Pod restarted = cluster.await("flaky-proxy", WAIT, "the sidecar restarted",
        p -> init(p, 0) != null && init(p, 0).getRestartCount() >= 1 && main(p, 0) != null
            && main(p, 0).getState().getRunning() != null);
    assertEquals("Running", restarted.getStatus().getPhase(), "a restarting sidecar neither fails nor completes the pod");
    ContainerStatus side = init(restarted, 0);
    assertEquals(1, side.getLastState().getTerminated().getExitCode(), side.toString());
    assertEquals(0, main(restarted, 0).getRestartCount(), "the pod's own container is not restarted");
    delete("flaky-proxy");
  }

  @Test
  void aPodThatRunsToCompletionSucceedsAndItsSidecarsStopAfterItLastOneFirst() throws Exception {
    // Each sidecar takes a second to stop after SIGTERM, so the order shows in their finish times.
    String untilTerm = "trap 'sleep 1; exit 0' TERM; while true; do sleep 1; done";
    Pod pod = AgentCluster.pod("job-like", "Never",
        AgentCluster.container("work", BusyboxImage.NAME, "sh", "-c", "sleep 2; echo done"));
    pod.getSpec().setInitContainers(List.of(sidecar("logger", untilTerm), sidecar("proxy", untilTerm)));
    cluster.run(pod, node);

    Pod done = cluster.await("job-like", WAIT, "Succeeded", p -> "Succeeded".equals(p.getStatus().getPhase()));
    assertEquals(0, main(done, 0).getState().getTerminated().getExitCode());
    ContainerStatus logger = init(done, 0);
    ContainerStatus proxy = init(done, 1);
    assertNotNull(logger.getState().getTerminated(), logger.toString());
    assertNotNull(proxy.getState().getTerminated(), proxy.toString());
    Instant workEnd = Instant.parse(main(done, 0).getState().getTerminated().getFinishedAt());
    Instant proxyEnd = Instant.parse(proxy.getState().getTerminated().getFinishedAt());
    Instant loggerEnd = Instant.parse(logger.getState().getTerminated().getFinishedAt());
    assertTrue(!proxyEnd.isBefore(workEnd), "the sidecars stop after the container: " + workEnd + " / " + proxyEnd);
    assertTrue(loggerEnd.isAfter(proxyEnd), "the last sidecar stops first: proxy " + proxyEnd + ", logger " + loggerEnd);
    assertEquals(0, logger.getRestartCount(), "a stopped sidecar of a finished pod is not started again");
    assertEquals("False", condition(done, "Ready"));
    cluster.client.delete(Kinds.POD, "default", "job-like", null).get(30, TimeUnit.SECONDS);
    cluster.awaitGone("job-like", WAIT);
  }
}
