package io.capstan.loadtests.controllers;

import static io.capstan.loadtests.report.JsonFields.assertFollows;
import static io.capstan.loadtests.report.JsonFields.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.loadtests.stack.BenchStack;
import io.capstan.stateviews.testing.KafkaFixture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The controllers bench end to end at a tiny size, against the shared real broker. */
class ControllersBenchTest {

  @Test
  void aTinyRunCreatesEveryPodAndCompletesEveryRollout() throws Exception {
    String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + ".";
    ControllersBench.Settings settings = new ControllersBench.Settings(5, 3, 2,
        new BenchStack.Settings(KafkaFixture.bootstrap(), Map.of(), prefix, 2, true), 2, 50, Duration.ofMinutes(3));
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    ControllersBench.Result r = new ControllersBench(settings, new PrintStream(progress, true, StandardCharsets.UTF_8))
        .run();
    String log = progress.toString(StandardCharsets.UTF_8);
    String line = r.jsonLine();

    assertTrue(line.startsWith("{\"bench\":\"controllers\",\"deployments\":5,\"replicas\":3,\"pods\":15,"), line);
    assertEquals(15, r.podsCreated(), "each pod created once before the rollout: " + line);
    assertEquals(5, r.rolledOut(), line);
    assertEquals(15, r.podsAfter(), "N×R pods after the rollout: " + line);
    assertEquals(0, r.stalePodsAfter(), "no pod of the old template left: " + line);
    assertTrue(r.complete(), line);
    double allPods = number(line, "all_pods_s");
    double available = number(line, "all_available_s");
    double rollout = number(line, "rollout_s");
    assertTrue(allPods > 0 && available >= allPods && rollout > 0, line);
    assertEquals(15 / allPods, number(line, "create_pods_per_s"), 0.02 * 15 / allPods + 0.01, line);
    // every pod of both templates was made ready by the stand-in kubelet: 15 + 15 at least
    assertTrue(r.readyUpdates() >= 30, line);
    assertTrue(number(line, "replicaset_reconciles") >= 10 && number(line, "deployment_reconciles") >= 10, line);
    assertFollows(line, "create_pods_per_s", "create_cpu_ms_per_pod");
    assertFollows(line, "rollout_pods_per_s", "rollout_cpu_ms_per_pod");
    assertFollows(line, "rollout_cpu_ms_per_pod", "cpu_cores");
    assertTrue(number(line, "create_cpu_ms_per_pod") > 0 && number(line, "rollout_cpu_ms_per_pod") > 0, line);
    assertTrue(number(line, "cpu_cores") > 0, line);
    assertTrue(log.contains("bench: every rollout complete after"), log);
    assertTrue(log.contains("Pod CREATE accepted"), "the phase breakdown names the processor's commands: " + log);
  }

  @Test
  void theDaemonSetPhasePutsADaemonPodOnEveryHollowNodeRunsStatefulSetsAndComparesWithADeployment() throws Exception {
    String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + ".";
    ControllersBench.Settings settings = new ControllersBench.Settings(1, 1, 1,
        new BenchStack.Settings(KafkaFixture.bootstrap(), Map.of(), prefix, 2, true), 2, 50, Duration.ofMinutes(3), 5,
        2, 3);
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    ControllersBench.Result r = new ControllersBench(settings, new PrintStream(progress, true, StandardCharsets.UTF_8))
        .run();
    String line = r.jsonLine();
    String log = progress.toString(StandardCharsets.UTF_8);
    assertTrue(line.contains("\"daemonset_nodes\":5,"), line);
    double dsReady = number(line, "daemonset_ready_s");
    double depReady = number(line, "baseline_deployment_ready_s");
    assertTrue(dsReady >= number(line, "daemonset_all_pods_s") && dsReady > 0, line);
    assertTrue(depReady >= number(line, "baseline_deployment_all_pods_s") && depReady > 0, line);
    assertEquals(5 / dsReady, number(line, "daemonset_pods_per_s"), 0.02 * 5 / dsReady + 0.01, line);
    assertEquals((5 / dsReady) / (5 / depReady), number(line, "daemonset_vs_deployment"), 0.05, line);
    assertTrue(log.contains("bench: DaemonSet: all 5 pods exist after"), log);
    // two StatefulSets of three on the same nodes, against the same baseline
    assertTrue(line.contains("\"statefulsets\":2,\"statefulset_replicas\":3,"), line);
    double stsReady = number(line, "statefulset_ready_s");
    assertTrue(stsReady >= number(line, "statefulset_all_pods_s") && stsReady > 0, line);
    assertEquals(6 / stsReady, number(line, "statefulset_pods_per_s"), 0.02 * 6 / stsReady + 0.01, line);
    assertEquals((6 / stsReady) / (5 / depReady), number(line, "statefulset_vs_deployment"), 0.05, line);
    assertTrue(log.contains("bench: StatefulSets: all 6 pods exist after"), log);
    assertTrue(r.complete(), line);
  }

  @Test
  void badSettingsAreNamed() {
    BenchStack.Settings stack = new BenchStack.Settings(null, Map.of(), "x.", 1, true);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ControllersBench.Settings(0, 10, 1, stack, 2, 10, Duration.ofMinutes(1)));
    assertTrue(e.getMessage().contains("--deployments"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new ControllersBench.Settings(3, 10, 4, stack, 2, 10, Duration.ofMinutes(1)));
    assertEquals("--namespaces (4) must not exceed --deployments (3)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new ControllersBench.Settings(3, 10, 1, stack, 2, 10, Duration.ofMinutes(1), -1));
    assertEquals("--daemonset-nodes must be 0..100000, got -1", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new ControllersBench.Settings(3, 10, 1, stack, 2, 10, Duration.ofMinutes(1), 0, 5, 10));
    assertEquals("--statefulsets run on the hollow nodes of the DaemonSet phase: give --daemonset-nodes too",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new BenchStack.Settings(null, Map.of(), "x.", 0, true));
    assertEquals("--partitions must be positive, got 0", e.getMessage());
  }
}
