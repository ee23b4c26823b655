package io.capstan.loadtests.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Server-side percentiles from two scrapes of a histogram laid out as the gateway's. */
class ServerLatencyTest {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  private Timer timer(String verb, String resource, String code) {
    return Timer.builder("capstan.apiserver.request.duration").tags("verb", verb, "resource", resource, "code", code)
        .publishPercentileHistogram().register(registry);
  }

  @Test
  void onlyTheRequestsBetweenTheScrapesOfThatVerbResourceAndCodeCount() {
    timer("GET", "configmaps", "200").record(Duration.ofMillis(900)); // before: must not count
    ServerLatency before = ServerLatency.parse(registry.scrape(), "configmaps");
    for (int i = 0; i < 990; i++) {
      timer("GET", "configmaps", "200").record(Duration.ofMillis(2));
    }
    for (int i = 0; i < 10; i++) {
      timer("GET", "configmaps", "200").record(Duration.ofMillis(50));
    }
    timer("GET", "pods", "200").record(Duration.ofSeconds(5)); // another resource
    timer("GET", "configmaps", "404").record(Duration.ofSeconds(5)); // another code
    ServerLatency after = ServerLatency.parse(registry.scrape(), "configmaps");

    double p50 = after.quantileMs(before, "GET", 200, 0.50);
    double p99 = after.quantileMs(before, "GET", 200, 0.99);
    double p999 = after.quantileMs(before, "GET", 200, 0.999);
    assertTrue(p50 > 1 && p50 <= 2.5, "p50 " + p50); // within the bucket holding 2 ms
    assertTrue(p99 > 1 && p99 <= 2.5, "p99 " + p99); // the 990th of 1000 is still a 2 ms one
    assertTrue(p999 > 40 && p999 <= 60, "p99.9 " + p999); // within the bucket holding 50 ms
    assertTrue(Double.isNaN(after.quantileMs(before, "POST", 201, 0.99)), "no creates were timed");
  }

  @Test
  void aScrapeWithoutTheHistogramGivesNoFigure() {
    ServerLatency empty = ServerLatency.parse("# nothing here\nup 1\n", "configmaps");
    assertTrue(Double.isNaN(empty.quantileMs(empty, "GET", 200, 0.99)));
    timer("GET", "configmaps", "200").record(Duration.ofMillis(3));
    ServerLatency one = ServerLatency.parse(registry.scrape(), "configmaps");
    assertEquals(Double.NaN, one.quantileMs(one, "GET", 200, 0.99));
  }
}
