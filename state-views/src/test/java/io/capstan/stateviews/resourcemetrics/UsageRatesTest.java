package io.capstan.stateviews.resourcemetrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.stateviews.resourcemetrics.NodeReading.PodRef;
import io.capstan.stateviews.resourcemetrics.NodeReading.Sample;
import io.capstan.stateviews.resourcemetrics.UsageRates.Usage;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** kubelet's resource metrics text read back, and the rates metrics-server takes between two readings. */
class UsageRatesTest {
  private static final long T0 = 1_765_000_000_000L;

  private static String text(long millis, String busySeconds, String idleSeconds, String nodeSeconds) {
    return """
        # HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds
        # TYPE container_cpu_usage_seconds_total counter
        container_cpu_usage_seconds_total{container="busy",namespace="default",pod="burner"} %s %d
        container_cpu_usage_seconds_total{container="idle",namespace="default",pod="burner"} %s %d
        # TYPE container_memory_working_set_bytes gauge
        container_memory_working_set_bytes{container="busy",namespace="default",pod="burner"} 1.048576e+06 %d
        container_memory_working_set_bytes{container="idle",namespace="default",pod="burner"} 4096 %d
        container_start_time_seconds{container="busy",namespace="default",pod="burner"} 1.7e+09 %d
        node_cpu_usage_seconds_total %s %d
        node_memory_working_set_bytes 2147483648 %d
        pod_cpu_usage_seconds_total{namespace="default",pod="burner"} 10 %d
        resource_scrape_error 0
        """.formatted(busySeconds, millis, idleSeconds, millis, millis, millis, millis, nodeSeconds, millis, millis,
        millis);
  }

  @Test
  void readsContainersAndTheNodeWithTheirTimes() {
    NodeReading r = NodeReading.parse(text(T0, "12.500000001", "0.25", "1000.5"), Instant.EPOCH);
    Map<String, Sample> pod = r.containers().get(new PodRef("default", "burner"));
    assertEquals(new Sample(Instant.ofEpochMilli(T0), 12_500_000_001L, 1_048_576L), pod.get("busy"));
    assertEquals(new Sample(Instant.ofEpochMilli(T0), 250_000_000L, 4096L), pod.get("idle"));
    assertEquals(new Sample(Instant.ofEpochMilli(T0), 1_000_500_000_000L, 2_147_483_648L), r.node());
  }

  @Test
  void aSampleWithoutATimeHasTheScrapesAndGarbageIsNamed() {
    NodeReading r = NodeReading.parse("node_cpu_usage_seconds_total 2\nnode_memory_working_set_bytes 10\n",
        Instant.ofEpochSecond(5));
    assertEquals(new Sample(Instant.ofEpochSecond(5), 2_000_000_000L, 10), r.node());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NodeReading.parse("node_cpu_usage_seconds_total{pod=\"x\" 2\n", Instant.EPOCH));
    assertTrue(e.getMessage().startsWith("line 1 of the resource metrics is not a sample"), e.getMessage());
    assertNull(NodeReading.parse("resource_scrape_error 1\n", Instant.EPOCH).node(), "no node series, no node");
  }

  @Test
  void theRateIsTheCpuUsedOverTheWindowInNanoCores() {
    NodeReading a = NodeReading.parse(text(T0, "10", "1", "1000"), Instant.EPOCH);
    NodeReading b = NodeReading.parse(text(T0 + 2_000, "11.5", "1.002", "1003"), Instant.EPOCH);
    Map<String, Usage> pod = UsageRates.pods(a, b).get(new PodRef("default", "burner"));
    assertEquals(new Usage(Instant.ofEpochMilli(T0 + 2_000), Duration.ofSeconds(2), 750_000_000L, 1_048_576L),
        pod.get("busy"));
    assertEquals(1_000_000L, pod.get("idle").cpuNanoCores());
    Usage node = UsageRates.node(a, b).orElseThrow();
    assertEquals(1_500_000_000L, node.cpuNanoCores());
    assertEquals(2_147_483_648L, node.memoryBytes());
  }

  @Test
  void aRestartedOrNewContainerLeavesItsPodOutAndTheSameTimeGivesNoRate() {
    NodeReading a = NodeReading.parse(text(T0, "10", "1", "1000"), Instant.EPOCH);
    NodeReading restarted = NodeReading.parse(text(T0 + 1_000, "0.5", "1.1", "1001"), Instant.EPOCH);
    assertTrue(UsageRates.pods(a, restarted).isEmpty(), "the busy container's CPU went down: it restarted");
    NodeReading empty = NodeReading.parse("", Instant.EPOCH);
    assertTrue(UsageRates.pods(empty, a).isEmpty(), "no earlier reading of the pod's containers");
    assertTrue(UsageRates.node(a, a).isEmpty(), "no time between the readings");
  }
}
