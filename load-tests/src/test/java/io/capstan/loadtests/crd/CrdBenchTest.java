package io.capstan.loadtests.crd;

import static io.capstan.loadtests.report.JsonFields.assertFollows;
import static io.capstan.loadtests.report.JsonFields.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

/** A CI-sized run of the crd bench against its in-process stack (a real broker, processor and gateway over HTTPS). */
class CrdBenchTest {

  @Test
  void aSmallRunCreatesAndGetsBothKindsAndTimesEstablishment() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    CrdBench.Result r = new CrdBench(new CrdBench.Settings(null, 8, 15, 15, 10, 3, 1, 3, 2, 2),
        new PrintStream(log, true)).run();
    String line = r.jsonLine();
    assertEquals(0, r.errors(), r.firstError() + "\n" + log);
    assertTrue(r.customCreate().getTotalCount() >= 30 && r.configMapCreate().getTotalCount() >= 30, line);
    assertTrue(r.customGet().getTotalCount() >= 30 && r.configMapGet().getTotalCount() >= 30, line);
    assertEquals(3, r.establish().getTotalCount(), line);
    assertTrue(line.startsWith("{\"bench\":\"crd\",\"custom_creates_per_s\":"), line);
    assertFollows(line, "custom_creates_per_s", "configmap_creates_per_s");
    assertFollows(line, "configmap_creates_per_s", "custom_p99_ms");
    assertFollows(line, "custom_p99_ms", "configmap_p99_ms");
    for (String f : new String[] {"custom_creates_per_s", "configmap_creates_per_s", "custom_p99_ms", "configmap_p99_ms",
        "get_custom_p99_ms", "get_configmap_p99_ms", "establish_p50_ms", "establish_p99_ms", "cpu_ms_per_op"}) {
      assertTrue(number(line, f) > 0, f + " in " + line);
    }
    assertTrue(line.contains("\"floor_met\":"), line);
    assertTrue(log.toString().contains("bench: CPU "), log.toString());
  }

  @Test
  void badSettingsAreRefusedWithAMessage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new CrdBench.Settings(null, 8, 0, 15, 10, 3, 1, 3, 2, 2));
    assertTrue(e.getMessage().contains("rate"), e.getMessage());
  }
}
