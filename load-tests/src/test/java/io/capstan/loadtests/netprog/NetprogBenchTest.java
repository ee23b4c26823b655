package io.capstan.loadtests.netprog;

import static io.capstan.loadtests.report.JsonFields.names;
import static io.capstan.loadtests.report.JsonFields.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.loadtests.stack.BenchStack;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A CI-sized run of {@code capstan bench netprog}: 20 services of 3 endpoints, real {@code nft -f}
 * into the bench's own network namespace (root and nftables needed; ./capstan test installs
 * nftables), and the same dry. It checks that the runs complete and report, not how fast.
 */
class NetprogBenchTest {
  private static NetprogBench.Settings small(boolean dry) {
    return new NetprogBench.Settings(20, 3, 10, 2, 20, dry, Duration.ofMillis(50),
        new BenchStack.Settings(null, Map.of(), "netprog-test.", 1, true));
  }

  @Test
  void endpointChangesAreProgrammedAndTheLineReportsTheirLatency() throws Exception {
    String line = NetprogBench.run(small(false), System.err).json();
    System.out.println(line);
    assertEquals(List.of("bench", "services", "endpoints_per_service", "p50_ms", "p99_ms", "sync_ms_p99",
        "cpu_ms_per_change", "full_sync_ms", "changes", "syncs", "mode"), names(line), line);
    assertEquals(20, number(line, "services"), line);
    assertTrue(number(line, "p50_ms") > 0 && number(line, "p99_ms") >= number(line, "p50_ms"), line);
    assertTrue(number(line, "sync_ms_p99") > 0 && number(line, "full_sync_ms") > 0, line);
    assertTrue(number(line, "cpu_ms_per_change") > 0, line);
    assertTrue(number(line, "syncs") >= 1 && number(line, "syncs") <= 10, "changes coalesce, never multiply: " + line);
    assertTrue(line.contains("\"mode\":\"nft\""), line);
  }

  @Test
  void aDryRunGeneratesOnly() throws Exception {
    String line = NetprogBench.run(small(true), System.err).json();
    System.out.println(line);
    assertTrue(line.contains("\"mode\":\"dry\""), line);
    assertTrue(number(line, "p99_ms") > 0, line);
  }
}
