package io.capstan.loadtests.podstartup;

import static io.capstan.loadtests.report.JsonFields.assertFollows;
import static io.capstan.loadtests.report.JsonFields.names;
import static io.capstan.loadtests.report.JsonFields.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.nodeagent.runtime.runc.RuncRuntime;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * A CI-sized run of {@code capstan bench pod-startup}: three pods on a real runc node, no warm-up.
 * Needs root, runc and busybox-static (./capstan test installs them); without them it fails
 * saying what to install. It checks that the run completes and reports, not how fast.
 */
class PodStartupBenchTest {

  @Test
  void aFewPodsReachRunningAndTheLineReportsLatencyAndCpuPerPod() throws Exception {
    RuncRuntime.machineProblem().ifPresent(Assertions::fail);
    PodStartupBench.Result r = PodStartupBench.run(new PodStartupBench.Settings(3, 5, 2, 0));
    String line = r.json();
    System.out.println(line); // the small run's figures, in the test's output file

    assertEquals(List.of("bench", "pods", "p50_ms", "p99_ms", "runc_floor_ms", "cpu_ms_per_pod", "cpu_cores",
        "warmup_s"), names(line), line);
    assertTrue(line.startsWith("{\"bench\":\"pod-startup\",\"pods\":3,"), line);
    assertFollows(line, "runc_floor_ms", "cpu_ms_per_pod");
    assertTrue(number(line, "p50_ms") > 0 && number(line, "p99_ms") >= number(line, "p50_ms"), line);
    assertTrue(number(line, "runc_floor_ms") > 0, line);
    assertTrue(number(line, "cpu_ms_per_pod") > 0 && number(line, "cpu_cores") > 0, line);
    assertEquals(0.0, number(line, "warmup_s"), line);
  }
}
