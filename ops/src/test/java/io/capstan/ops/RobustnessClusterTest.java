package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.loadtests.robustness.BrokenGateway;
import io.capstan.loadtests.robustness.RobustnessBench;
import io.capstan.loadtests.robustness.cluster.FaultInjector;
import io.capstan.loadtests.robustness.cluster.FaultSchedule;
import io.capstan.loadtests.robustness.cluster.ProcessCluster;
import io.capstan.stateviews.testing.KafkaFixture;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The robustness run on a cluster of separate processes with injected faults (CI-sized: 3 brokers,
 * two of each component, a small hollow fleet, 100 s with a fault every 8 s from the 20th: one
 * round of every kind of fault the shape takes, starting with a broker kill and a processor kill;
 * the 10-minute runs are {@code capstan bench robustness --cluster}'s), then, on the same cluster,
 * a short run with one gateway swapped for one that drops acknowledged writes, which the checks
 * must catch. As heavy as {@code up}: run under {@code flock /work/up.lock}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RobustnessClusterTest {
  private static final ProcessCluster.Shape SHAPE = new ProcessCluster.Shape(3, 2, 2, 2, 2, 3, 4);

  private static ProcessCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = ProcessCluster.start(SHAPE, KafkaFixture.tempDir("robustness-cluster"), RobustnessBenchCommand.launcher(),
        System.err);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void aClusterWithBrokerProcessorGatewayAndLeaderFaultsKeepsEveryGuarantee() throws Exception {
    RobustnessBench.Settings s = RobustnessBench.Settings.defaults().withSeconds(100).withSeed(7)
        .withCluster(RobustnessBench.Cluster.of(SHAPE, RobustnessBenchCommand.launcher())
            .withFaultSpacing(Duration.ofSeconds(8)));
    RobustnessBench.Result r = new RobustnessBench(s, System.err).runOn(cluster, true);
    System.out.println(r.jsonLine());

    List<FaultInjector.Injected> faults = r.cluster().faults();
    for (FaultSchedule.Fault kind : FaultSchedule.kinds(SHAPE)) {
      assertTrue(faults.stream().anyMatch(f -> f.fault().action() == kind.action() && f.fault().target() == kind.target()),
          "a " + kind.action() + " of a " + kind.target().label() + " among " + faults);
    }
    assertTrue(r.operations() > 200, r.jsonLine());
    assertEquals(0, r.anomalies().size(), r.jsonLine());
    assertEquals(List.of(), r.watchViolations(), r.jsonLine());
    assertEquals(List.of(), r.lost(), r.jsonLine());
    assertEquals(List.of(), r.phantom(), r.jsonLine());
    assertEquals(Integer.valueOf(0), r.cluster().replayStatus(), r.cluster().replayOutput());
    assertTrue(r.cluster().convergedSeconds() >= 0, r.jsonLine());
    assertTrue(r.clean(), r.jsonLine());
    assertTrue(r.jsonLine().contains("\"faults\":" + faults.size()), r.jsonLine());
  }

  /**
   * After the clean run: gateway 0 restarted as a build that drops every fifth update of the run's
   * ConfigMaps, 24 s of traffic through both gateways (too short for a planned fault: the broken
   * gateway is this run's fault), no replay (the log holds only what was really written).
   */
  @Test
  @Order(2)
  void aGatewayThatDropsAcknowledgedWritesIsCaughtInClusterMode() throws Exception {
    cluster.relaunch(ProcessCluster.Role.GATEWAY, 0, ProcessCluster.Launcher.java(BrokenGateway.class.getName(),
        System.getProperty("java.class.path"), List.of("-Dlog4j2.configurationFile=log4j2.xml")));
    RobustnessBench.Settings s = RobustnessBench.Settings.defaults().withSeconds(24).withSeed(3)
        .withCluster(new RobustnessBench.Cluster(SHAPE, RobustnessBenchCommand.launcher(), null,
            Duration.ofSeconds(15), 0, Duration.ofMinutes(1)));
    RobustnessBench.Result r = new RobustnessBench(s, System.err).runOn(cluster, false);
    System.out.println(r.jsonLine());
    assertTrue(r.operations() > 50, r.jsonLine());
    assertNull(r.cluster().replayStatus(), r.jsonLine());
    assertFalse(r.lost().isEmpty() && r.anomalies().isEmpty(), "the dropped writes were caught: " + r.jsonLine());
    assertFalse(r.clean(), r.jsonLine());
  }
}
