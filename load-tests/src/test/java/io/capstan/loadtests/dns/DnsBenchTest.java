package io.capstan.loadtests.dns;

import static io.capstan.loadtests.report.JsonFields.names;
import static io.capstan.loadtests.report.JsonFields.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A CI-sized run of {@code capstan bench dns}: 100 Services, 5 headless ones of 5 endpoints,
 * 3 s at 2,000 queries/s after a 2 s warm-up. It checks that every query is answered with records
 * and that the line reports, not how fast.
 */
class DnsBenchTest {
  @Test
  void clusterNamesAreAnsweredUnderLoadAndTheLineReportsTheFigures() throws Exception {
    DnsBench.Result r = DnsBench.run(new DnsBench.Settings(100, 5, 5, 2_000, 3, 2), System.err);
    String line = r.json();
    System.out.println(line);
    assertEquals(List.of("bench", "queries_per_s", "p50_ms", "p99_ms", "cpu_ms_per_1000"), names(line).subList(0, 5),
        line);
    assertEquals(0, number(line, "errors"), "every cluster name resolves: " + line);
    assertEquals(0, number(line, "lost"), "loopback UDP at 2,000/s loses nothing: " + line);
    assertEquals(6_000, number(line, "answered"), line);
    assertTrue(number(line, "queries_per_s") > 1_000, line);
    assertTrue(number(line, "p99_ms") >= number(line, "p50_ms") && number(line, "p50_ms") > 0, line);
    assertTrue(number(line, "cpu_ms_per_1000") > 0, line);
  }
}
