package io.capstan.nodeagent.runtime.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.nodeagent.image.BusyboxImage;
import io.capstan.nodeagent.image.ImageStore;
import io.capstan.nodeagent.logs.LogClient;
import io.capstan.nodeagent.logs.LogServer;
import io.capstan.nodeagent.logs.PodLogPaths;
import io.capstan.nodeagent.runtime.ContainerConfig;
import io.capstan.nodeagent.runtime.ContainerStats;
import io.capstan.nodeagent.runtime.ImageInfo;
import io.capstan.nodeagent.runtime.ResourceUsage;
import io.capstan.nodeagent.runtime.SandboxConfig;
import io.capstan.nodeagent.stats.Cgroups;
import io.capstan.nodeagent.stats.NodeStats;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resource usage of real runc containers read from their cgroups: a CPU-burning container's CPU
 * time grows by about a core-second per second, an idle one's barely moves; the pod's cgroup
 * holds both; the node agent's server answers kubelet's {@code /metrics/resource} and {@code
 * /stats/summary} with them, to client-certificate holders only.
 */
class RuncResourceStatsTest {
  @TempDir static Path dir;
  static RuncRuntime runtime;
  static String sandbox;
  static String busy;
  static String idle;
  static String uid;

  @BeforeAll
  static void setUp() {
    RuncHost.require();
    ImageInfo busybox = BusyboxImage.seed(new ImageStore(dir.resolve("images")));
    runtime = new RuncRuntime(dir.resolve("runtime"), new SimpleMeterRegistry(), Clock.systemUTC());
    uid = UUID.randomUUID().toString();
    sandbox = runtime.runPodSandbox(new SandboxConfig(uid, "default", "burner", "p", true));
    busy = start(busybox, "busy", List.of("sh", "-c", "while :; do :; done"));
    idle = start(busybox, "idle", List.of("sleep", "1000"));
  }

  private static String start(ImageInfo image, String name, List<String> args) {
    String id = runtime.createContainer(sandbox, new ContainerConfig(name, 0, image, args, List.of("PATH=/bin:/usr/bin"),
        "", List.of(), ContainerConfig.Resources.none(), ContainerConfig.Security.defaults(),
        dir.resolve("logs/" + name + "/0.log")));
    runtime.startContainer(id);
    return id;
  }

  @AfterAll
  static void tearDown() {
    if (runtime != null) {
      if (sandbox != null) {
        runtime.removePodSandbox(sandbox);
      }
      runtime.close();
    }
  }

  private static ResourceUsage usage(String id) {
    return runtime.listContainerStats().stream().filter(s -> s.container().id().equals(id))
        .map(ContainerStats::usage).findFirst().orElseThrow(() -> new AssertionError("no stats of " + id));
  }

  @Test
  void aBusyContainersCpuTimeGrowsAndAnIdleOnesDoesNot() throws Exception {
    ResourceUsage busy1 = usage(busy);
    ResourceUsage idle1 = usage(idle);
    Thread.sleep(2_000);
    ResourceUsage busy2 = usage(busy);
    ResourceUsage idle2 = usage(idle);
    double seconds = Duration.between(busy1.time(), busy2.time()).toNanos() / 1e9;
    double busyCores = (busy2.cpuUsageNanos() - busy1.cpuUsageNanos()) / 1e9 / seconds;
    double idleCores = (idle2.cpuUsageNanos() - idle1.cpuUsageNanos()) / 1e9 / seconds;
    // a loaded 2-core machine gives the loop at least a good part of a core
    assertTrue(busyCores > 0.2, "busy container used " + busyCores + " cores");
    assertTrue(idleCores < 0.05, "idle container used " + idleCores + " cores");
    assertTrue(busy2.workingSetBytes() > 0 && idle2.workingSetBytes() > 0, busy2 + " " + idle2);
    ResourceUsage pod = runtime.podSandboxStats(sandbox).orElseThrow();
    assertTrue(pod.cpuUsageNanos() >= busy2.cpuUsageNanos(), "the pod's cgroup holds its containers: " + pod);
    assertEquals(Cgroups.Version.V1, Cgroups.host().version(), "this machine is cgroup v1 (hybrid)");
  }

  @Test
  void theAgentServesKubeletsResourceMetricsAndSummaryToCertificateHolders() throws Exception {
    Pod pod = Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("burner")
        .setUid(uid).build()).setSpec(PodSpec.newBuilder().setContainers(List.of()).build()).build();
    NodeStats stats = new NodeStats("n1", runtime, () -> Map.of(uid, pod), NodeStats.hostNode(Cgroups.host()),
        Clock.systemUTC());
    try (LogClient client = new LogClient()) {
      LogServer server = new LogServer(new PodLogPaths(dir.resolve("pods")), () -> Map.of(uid, pod), "127.0.0.1", 0,
          client.caFile()).stats(stats);
      server.start();
      try {
        LogClient.Response metrics = client.get(server.port(), "/metrics/resource");
        assertEquals(200, metrics.status(), metrics.body());
        String text = metrics.body();
        Matcher cpu = Pattern.compile("(?m)^container_cpu_usage_seconds_total\\{container=\"busy\",namespace=\"default\","
            + "pod=\"burner\"} ([0-9.]+) (\\d+)$").matcher(text);
        assertTrue(cpu.find(), text);
        assertTrue(Double.parseDouble(cpu.group(1)) > 0, text);
        assertTrue(Math.abs(Long.parseLong(cpu.group(2)) - System.currentTimeMillis()) < 60_000, "a time in ms: " + text);
        assertTrue(text.matches("(?s).*\ncontainer_memory_working_set_bytes\\{container=\"idle\",namespace=\"default\","
            + "pod=\"burner\"} [1-9]\\d* \\d+\n.*"), text);
        assertTrue(text.matches("(?s).*\nnode_cpu_usage_seconds_total [0-9.]+ \\d+\n.*"), text);
        assertTrue(text.matches("(?s).*\nnode_memory_working_set_bytes [1-9]\\d* \\d+\n.*"), text);
        assertTrue(text.matches("(?s).*\npod_cpu_usage_seconds_total\\{namespace=\"default\",pod=\"burner\"} [0-9.]+ \\d+\n.*"),
            text);
        assertTrue(text.contains("# TYPE container_cpu_usage_seconds_total counter\n"), text);
        assertTrue(text.endsWith("resource_scrape_error 0\n"), text);

        client.get(server.port(), "/stats/summary");
        Thread.sleep(500);
        LogClient.Response summary = client.get(server.port(), "/stats/summary");
        assertEquals(200, summary.status(), summary.body());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(summary.body());
        assertEquals("n1", json.at("/node/nodeName").asText());
        assertTrue(json.at("/node/memory/workingSetBytes").asLong() > 0, summary.body());
        assertEquals("burner", json.at("/pods/0/podRef/name").asText(), summary.body());
        assertEquals(uid, json.at("/pods/0/podRef/uid").asText());
        assertEquals("busy", json.at("/pods/0/containers/0/name").asText(), summary.body());
        assertTrue(json.at("/pods/0/containers/0/cpu/usageCoreNanoSeconds").asLong() > 0, summary.body());
        // the second request has a rate against the first: the busy loop's share of a core
        assertTrue(json.at("/pods/0/containers/0/cpu/usageNanoCores").asLong() > 100_000_000L, summary.body());

        assertEquals(401, client.get(server.port(), "/metrics/resource", false).status(), "a certificate is needed");
      } finally {
        server.close();
      }
    }
  }
}
