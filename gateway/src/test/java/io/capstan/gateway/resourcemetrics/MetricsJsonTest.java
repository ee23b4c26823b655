package io.capstan.gateway.resourcemetrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.stateviews.resourcemetrics.UsageRates.Usage;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** NodeMetrics and PodMetrics as metrics-server writes them. */
class MetricsJsonTest {
  private final Instant at = Instant.parse("2026-12-06T05:00:01.250Z");
  private final Instant now = Instant.parse("2026-12-06T05:00:03Z");

  @Test
  void nodeMetricsHaveTimestampWindowAndUsageInNanoCoresAndKi() {
    ObjectNode n = MetricsJson.node(new MetricsJson.NodeMetrics("n1", Map.of("zone", "a"),
        new Usage(at, Duration.ofMillis(1002), 123_456_789L, 1_048_576L)), now);
    assertEquals("NodeMetrics", n.get("kind").asText());
    assertEquals("metrics.k8s.io/v1beta1", n.get("apiVersion").asText());
    assertEquals("n1", n.at("/metadata/name").asText());
    assertEquals("a", n.at("/metadata/labels/zone").asText());
    assertEquals("2026-12-06T05:00:03Z", n.at("/metadata/creationTimestamp").asText());
    assertEquals("2026-12-06T05:00:01Z", n.get("timestamp").asText());
    assertEquals("1.002s", n.get("window").asText());
    assertEquals("123456789n", n.at("/usage/cpu").asText());
    assertEquals("1024Ki", n.at("/usage/memory").asText());
  }

  @Test
  void podMetricsListTheirContainersAndListsDropKindFromItems() {
    Map<String, Usage> containers = new LinkedHashMap<>();
    containers.put("app", new Usage(at, Duration.ofSeconds(15), 0, 4096));
    containers.put("sidecar", new Usage(at, Duration.ofSeconds(15), 5_000_000L, 1000));
    ObjectNode p = MetricsJson.pod(new MetricsJson.PodMetrics("default", "web", Map.of(), containers), now);
    assertEquals("default", p.at("/metadata/namespace").asText());
    assertEquals("15s", p.get("window").asText());
    assertEquals("app", p.at("/containers/0/name").asText());
    assertEquals("0", p.at("/containers/0/usage/cpu").asText());
    assertEquals("4Ki", p.at("/containers/0/usage/memory").asText());
    assertEquals("5000000n", p.at("/containers/1/usage/cpu").asText());
    assertEquals("1000", p.at("/containers/1/usage/memory").asText());
    ObjectNode list = MetricsJson.list("PodMetricsList", List.of(p));
    assertEquals("PodMetricsList", list.get("kind").asText());
    assertEquals("web", list.at("/items/0/metadata/name").asText());
    assertEquals(null, list.at("/items/0").get("kind"));
  }

  @Test
  void windowsAreWrittenAsGoDurations() {
    assertEquals("0s", MetricsJson.goDuration(Duration.ZERO));
    assertEquals("800ms", MetricsJson.goDuration(Duration.ofMillis(800)));
    assertEquals("1.5µs", MetricsJson.goDuration(Duration.ofNanos(1500)));
    assertEquals("20.049s", MetricsJson.goDuration(Duration.ofMillis(20_049)));
    assertEquals("1m0.25s", MetricsJson.goDuration(Duration.ofMillis(60_250)));
    assertEquals("1h2m3s", MetricsJson.goDuration(Duration.ofSeconds(3723)));
  }
}
