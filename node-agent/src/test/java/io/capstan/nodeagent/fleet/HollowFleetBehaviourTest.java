package io.capstan.nodeagent.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ContainerStatus;
import io.capstan.api.Pod;
import io.capstan.nodeagent.AgentCluster;
import io.capstan.nodeagent.runtime.hollow.HollowRuntime;
import io.capstan.stateviews.testing.KafkaFixture;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The simulated containers' knobs, through the whole loop: exits after runFor with the exit code given. */
class HollowFleetBehaviourTest {
  @Test
  void containersThatExitWithThreeRestartWithBackOffOrFailTheirPod() throws Exception {
    try (AgentCluster cluster = new AgentCluster("fleet-behaviour");
        HollowFleet fleet = new HollowFleet(HollowFleetConfig.defaults(cluster.kafka, cluster.layout, 3,
            KafkaFixture.tempDir("fleet-behaviour")).withPrefix("crashy").withRelistPeriod(Duration.ofMillis(100))
            .withBehaviour(new HollowRuntime.Behaviour(Duration.ofMillis(200), Duration.ofMillis(500), 3, 0)),
            cluster.registry)) {
      fleet.start(Duration.ofSeconds(60), (done, total) -> { });
      cluster.run(AgentCluster.pod("once", "Never", AgentCluster.container("main", "registry.example/app:1", "x")),
          "crashy-0001");
      cluster.run(AgentCluster.pod("again", "Always", AgentCluster.container("main", "registry.example/app:1", "x")),
          "crashy-0002");

      Pod failed = cluster.await("once", Duration.ofSeconds(30), "Failed", p -> "Failed".equals(p.getStatus().getPhase()));
      ContainerStatus once = failed.getStatus().getContainerStatuses().get(0);
      assertEquals(3, once.getState().getTerminated().getExitCode());
      assertEquals("Error", once.getState().getTerminated().getReason());
      assertEquals(0, once.getRestartCount());

      // restartPolicy Always: exits with 3, waits in CrashLoopBackOff (kubelet's 10 s first back-off), runs again.
      Pod backingOff = cluster.await("again", Duration.ofSeconds(30), "CrashLoopBackOff", p -> waiting(p, "CrashLoopBackOff"));
      ContainerStatus first = backingOff.getStatus().getContainerStatuses().get(0);
      assertEquals(3, first.getLastState().getTerminated().getExitCode());
      Instant exitedAt = Instant.parse(first.getLastState().getTerminated().getFinishedAt());
      Pod restarted = cluster.await("again", Duration.ofSeconds(40), "restarted", p -> p.getStatus()
          .getContainerStatuses().get(0).getRestartCount() >= 1 && p.getStatus().getContainerStatuses().get(0)
          .getState().getRunning() != null);
      Instant startedAgain = Instant.parse(restarted.getStatus().getContainerStatuses().get(0).getState().getRunning()
          .getStartedAt());
      long backOff = Duration.between(exitedAt, startedAgain).toMillis();
      assertTrue(backOff >= 9_000, "restarted after the 10 s back-off, not at once: " + backOff + " ms");
      assertEquals("Running", restarted.getStatus().getPhase());
    }
  }

  private static boolean waiting(Pod p, String reason) {
    return p.getStatus() != null && p.getStatus().getContainerStatuses() != null
        && !p.getStatus().getContainerStatuses().isEmpty()
        && p.getStatus().getContainerStatuses().get(0).getState().getWaiting() != null
        && reason.equals(p.getStatus().getContainerStatuses().get(0).getState().getWaiting().getReason());
  }
}
