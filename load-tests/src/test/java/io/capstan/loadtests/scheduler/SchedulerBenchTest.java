package io.capstan.loadtests.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintStream;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bench's in-process baseline and its settings checks (the end-to-end run is ./capstan bench scheduler). */
class SchedulerBenchTest {

  @Test
  void theBaselineSchedulesEveryPod() throws Exception {
    SchedulerBench b = new SchedulerBench(new SchedulerBench.Settings(100, 500, 100, "basic", 2, Map.of()),
        new PrintStream(PrintStream.nullOutputStream()));
    assertTrue(b.algorithmPodsPerSecond() > 0);
    SchedulerBench spread = new SchedulerBench(new SchedulerBench.Settings(100, 300, 0, "anti-affinity", 2, Map.of()),
        new PrintStream(PrintStream.nullOutputStream()));
    assertTrue(spread.algorithmPodsPerSecond() > 0);
  }

  @Test
  void aSmallEndToEndRunWarmsUpThenBindsEveryMeasuredPod() throws Exception {
    java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
    SchedulerBench.Result r = new SchedulerBench(new SchedulerBench.Settings(20, 200, 20, "basic", 2, Map.of(),
        1, 50, 1), new PrintStream(log, true)).run();
    assertEquals(200, r.bound(), log.toString());
    assertTrue(log.toString().contains("warm-up round 1:"), log.toString());
    assertTrue(r.warmupSeconds() > 0 && r.jsonLine().contains("\"jit_cores\":"), r.jsonLine());
    assertTrue(r.podsPerSecond() > 0 && r.cpuMsPerPod() > 0, r.jsonLine());
  }

  @Test
  void badSettingsAreNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new SchedulerBench.Settings(10, 10, 0, "fancy", 1, Map.of()));
    assertEquals("--variant must be basic or anti-affinity, not fancy", e.getMessage());
  }

  @Test
  void theJsonLineHasTheFieldsTheIssueAsksFor() {
    String line = new SchedulerBench.Result(new SchedulerBench.Settings(5000, 10000, 1000, "basic", 4, Map.of()),
        10000, 1234.56, 10, 20, 30, 0.5, 3, 8.1, 9000, 2.345, 1.5, 0.25, 1.125, 60, 0.05).jsonLine();
    assertTrue(line.startsWith("{\"bench\":\"scheduler\",\"variant\":\"basic\",\"nodes\":5000,\"pods\":10000,"), line);
    assertTrue(line.contains("\"pods_per_s\":1234.6") && line.contains("\"p99_ms\":20.0"), line);
    assertTrue(line.endsWith("\"cpu_ms_per_pod\":2.35,\"cpu_cores\":1.5,\"scheduler_cpu_ms_per_pod\":0.25,"
        + "\"processor_cpu_ms_per_pod\":1.125}"), line);
    assertTrue(line.contains("\"warmup_s\":60.0,\"jit_cores\":0.05,"), line);
  }
}
