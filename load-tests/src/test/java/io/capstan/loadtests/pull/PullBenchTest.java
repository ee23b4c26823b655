package io.capstan.loadtests.pull;

import static io.capstan.loadtests.report.JsonFields.names;
import static io.capstan.loadtests.report.JsonFields.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A CI-sized run of {@code capstan bench pull}: a two-layer image of 2 MiB layers, one pull by
 * each client. Needs docker-registry and skopeo (./capstan test installs them). It checks that
 * the run completes and reports, not how fast.
 */
class PullBenchTest {
  @Test
  void aSmallImageIsPulledByBothClientsAndTheLineReportsTheirThroughput() throws Exception {
    String line = PullBench.run(new PullBench.Settings(2, 2, 1, 0)).json();
    System.out.println(line);
    assertEquals(List.of("bench", "layers", "image_mib", "capstan_mib_per_s", "skopeo_mib_per_s", "ratio",
        "cpu_ms_per_mib", "runs", "warmups"), names(line), line);
    assertTrue(number(line, "image_mib") > 1 && number(line, "image_mib") < 4, "half-compressible layers: " + line);
    assertTrue(number(line, "capstan_mib_per_s") > 0 && number(line, "skopeo_mib_per_s") > 0, line);
    assertTrue(number(line, "cpu_ms_per_mib") > 0, line);
  }
}
