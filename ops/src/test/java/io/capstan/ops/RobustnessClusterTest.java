package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.loadtests.robustness.BrokenGateway;
import io.capstan.loadtests.robustness.RobustnessBench;
import io.capstan.loadtests.robustness.cluster.FaultInjector;
import io.capstan.loadtests.robustness.cluster.FaultSchedule;
import io.capstan.loadtests.robustness.cluster.ProcessCluster;
import io.capstan.stateviews.testing.KafkaFixture;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The robustness run on a cluster of separate processes with injected faults (CI-sized: 3 brokers,
 * two of each component, a small hollow fleet, 100 s with a fault every 8 s from the 20th: one
 * round of every kind of fault the shape takes, starting with a broker kill and a processor kill;
 * the 10-minute runs are {@code capstan bench robustness --cluster}'s), and a short run with a
 * gateway that drops acknowledged writes, which the checks must catch. As heavy as {@code up}: run
 * under {@code flock /work/up.lock}.
 */
class RobustnessClusterTest {

  @Test
  void aClusterWithBrokerProcessorGatewayAndLeaderFaultsKeepsEveryGuarantee() throws Exception {
    ProcessCluster.Shape shape = new ProcessCluster.Shape(3, 2, 2, 2, 2, 3, 4);
    RobustnessBench.Settings s = RobustnessBench.Settings.defaults().withSeconds(100).withSeed(7)
        .withCluster(RobustnessBench.Cluster.of(shape, RobustnessBenchCommand.launcher())
            .withFaultSpacing(Duration.ofSeconds(8)).withDir(KafkaFixture.tempDir("robustness-cluster")));
    RobustnessBench.Result r = new RobustnessBench(s, System.err).run();
    System.out.println(r.jsonLine());

    List<FaultInjector.Injected> faults = r.cluster().faults();
    for (FaultSchedule.Fault kind : FaultSchedule.kinds(shape)) {
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

  @Test
  void aGatewayThatDropsAcknowledgedWritesIsCaughtInClusterMode() throws Exception {
    ProcessCluster.Launcher real = RobustnessBenchCommand.launcher();
    ProcessCluster.Launcher broken = ProcessCluster.Launcher.java(BrokenGateway.class.getName(),
        System.getProperty("java.class.path"), List.of("-Dlog4j2.configurationFile=log4j2.xml"));
    ProcessCluster.Launcher launcher = (role, instance, args) -> role == ProcessCluster.Role.GATEWAY && instance == 0
        ? broken.command(role, instance, args) : real.command(role, instance, args);
    ProcessCluster.Shape shape = new ProcessCluster.Shape(3, 1, 2, 0, 0, 0, 2);
    RobustnessBench.Settings s = RobustnessBench.Settings.defaults().withSeconds(30).withSeed(3)
        .withCluster(new RobustnessBench.Cluster(shape, launcher, KafkaFixture.tempDir("robustness-broken-cluster"),
            Duration.ofSeconds(15), 0, Duration.ofMinutes(1)));
    RobustnessBench.Result r = new RobustnessBench(s, System.err).run();
    System.out.println(r.jsonLine());
    assertFalse(r.cluster().faults().isEmpty(), "faults were injected: " + r.jsonLine());
    assertFalse(r.lost().isEmpty() && r.anomalies().isEmpty(), "the dropped writes were caught: " + r.jsonLine());
    assertFalse(r.clean(), r.jsonLine());
  }
}
