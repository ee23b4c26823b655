package io.capstan.loadtests.write;

import static io.capstan.loadtests.report.JsonFields.assertFollows;
import static io.capstan.loadtests.report.JsonFields.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.stateviews.processor.ProcessorConfig;
import io.capstan.stateviews.testing.KafkaFixture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A CI-sized run of {@code capstan bench write}: a few hundred creates after a one-second warm-up,
 * against the shared test broker with a processor in this JVM. It checks that the run completes
 * and reports, not how fast.
 */
class WriteBenchTest {

  @Test
  void aSmallRunCreatesEveryObjectAndReportsItsThroughputAndCpuPerCreate() throws Exception {
    String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + ".";
    WriteBench.Settings settings = new WriteBench.Settings(300, 16, KafkaFixture.bootstrap(), Map.of(), prefix, 2,
        ProcessorConfig.DEFAULT_COMMIT_INTERVAL_MS, ProcessorConfig.DEFAULT_EARLY_COMMIT_QUIET_MS,
        ProcessorConfig.DEFAULT_WATERMARK_INTERVAL_MS, 1, true, 1, 1, true, true);
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    WriteBench.Result r = new WriteBench(settings, new PrintStream(progress, true, StandardCharsets.UTF_8)).run();
    String log = progress.toString(StandardCharsets.UTF_8);
    String line = r.jsonLine();
    System.out.println(line); // the small run's figures, in the test's output file

    assertEquals(300, r.accepted(), line + "\n" + log);
    assertEquals(0, r.rejected() + r.timeouts(), line + "\n" + log);
    assertTrue(line.startsWith("{\"bench\":\"write\",\"objects\":300,\"clients\":16,\"throughput_per_s\":"), line);
    assertFollows(line, "throughput_per_s", "cpu_ms_per_create");
    assertFollows(line, "cpu_ms_per_create", "cpu_cores");
    assertFollows(line, "cpu_cores", "p50_ms");
    assertTrue(number(line, "throughput_per_s") > 0, line);
    assertTrue(number(line, "cpu_ms_per_create") > 0, line);
    assertTrue(number(line, "cpu_cores") > 0, line);
    assertTrue(number(line, "p50_ms") > 0 && number(line, "p99_ms") >= number(line, "p50_ms"), line);
    assertTrue(line.contains("\"processor\":\"in-process\"") && line.contains("\"replay\":\"verified objects="), line);
    assertTrue(log.contains("warm-up done") && log.contains("bench: CPU "), log);
  }
}
