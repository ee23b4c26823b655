package io.capstan.nodeagent.stats;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.api.Pod;
import io.capstan.nodeagent.runtime.ContainerStats;
import io.capstan.nodeagent.runtime.ResourceUsage;
import io.capstan.nodeagent.runtime.RuntimeService;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's resource usage as kubelet serves it to metrics-server: {@code /metrics/resource}
 * (Prometheus text with kubelet's stable metric names, each sample with its reading's time) and
 * {@code /stats/summary} (the Summary API's shape, the fields metrics-server and {@code kubectl}
 * read). Everything is read from the cgroups when a request comes, never in the background, so an
 * idle node spends nothing on it; {@code usageNanoCores} in the summary is the rate since the
 * previous request (absent on the first), where kubelet has cadvisor's housekeeping interval.
 *
 * <p>Pods are matched to their sandboxes as the pod sync loop names them ({@code "s" + uid}).
 */
public final class NodeStats {
  private static final Logger log = LoggerFactory.getLogger(NodeStats.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One container's reading. */
  public record ContainerUsage(String name, Instant startedAt, ResourceUsage usage) {}

  /** One pod's reading (its cgroup) and its containers'. */
  public record PodUsage(String namespace, String name, String uid, Instant startTime, ResourceUsage usage,
      List<ContainerUsage> containers) {}

  /**
   * A node's reading with its pods'.
   *
   * @param scrapeError true when some container could not be read (kubelet's {@code resource_scrape_error})
   */
  public record Snapshot(String nodeName, Instant nodeStart, ResourceUsage node, List<PodUsage> pods,
      boolean scrapeError) {}

  private final String nodeName;
  private final RuntimeService runtime;
  private final Supplier<Map<String, Pod>> pods;
  private final Function<Instant, ResourceUsage> node;
  private final Clock clock;
  private final Instant started;
  /** The previous reading of each node, pod and container, for usageNanoCores; replaced on each request. */
  private final Map<String, ResourceUsage> previous = new ConcurrentHashMap<>();

  /**
   * @param pods the pods of this node by uid
   * @param node the node's own reading at a time (the root cgroup, or zeros for a hollow node)
   */
  public NodeStats(String nodeName, RuntimeService runtime, Supplier<Map<String, Pod>> pods,
      Function<Instant, ResourceUsage> node, Clock clock) {
    this.nodeName = nodeName;
    this.runtime = runtime;
    this.pods = pods;
    this.node = node;
    this.clock = clock;
    this.started = clock.instant();
  }

  /** The node of this host: its root cgroup. */
  public static Function<Instant, ResourceUsage> hostNode(Cgroups cgroups) {
    return now -> cgroups.read("", now).orElseThrow(() -> new IllegalStateException("no root cgroup at /sys/fs/cgroup"));
  }

  /** A hollow node's simulated containers use nothing, and so does the node: zeros. */
  public static Function<Instant, ResourceUsage> hollowNode() {
    return ResourceUsage::zero;
  }

  /** Serves {@code /metrics/resource} and {@code /stats/summary}; the reads run off the event loop. */
  public void routes(Router router) {
    router.get("/metrics/resource").handler(ctx -> respond(ctx, "text/plain; version=0.0.4; charset=utf-8",
        s -> resourceMetrics(s)));
    router.get("/stats/summary").handler(ctx -> respond(ctx, "application/json",
        s -> summary(s).toPrettyString()));
  }

  private void respond(RoutingContext ctx, String type, Function<Snapshot, String> render) {
    ctx.vertx().<String>executeBlocking(() -> render.apply(read())).onComplete(ar -> {
      if (ar.failed()) {
        log.warn("resource usage of node {}: {}", nodeName, ar.cause().toString());
        ctx.response().setStatusCode(500).end("cannot read the resource usage of node " + nodeName + ": "
            + ar.cause().getMessage() + "\n");
      } else {
        ctx.response().putHeader("Content-Type", type).end(ar.result());
      }
    });
  }

  /** Reads the node, each pod with a running container, and those containers, now. */
  public Snapshot read() {
    Instant now = clock.instant();
    ResourceUsage nodeUsage = node.apply(now);
    Map<String, Pod> byUid = pods.get();
    Map<String, List<ContainerStats>> bySandbox = new LinkedHashMap<>();
    boolean error = false;
    List<ContainerStats> all;
    try {
      all = runtime.listContainerStats();
    } catch (RuntimeException e) {
      log.warn("reading the containers' cgroups on node {}: {}", nodeName, e.toString());
      all = List.of();
      error = true;
    }
    for (ContainerStats c : all) {
      bySandbox.computeIfAbsent(c.container().sandboxId(), k -> new ArrayList<>()).add(c);
    }
    List<PodUsage> out = new ArrayList<>();
    for (Map.Entry<String, List<ContainerStats>> e : bySandbox.entrySet()) {
      Pod pod = byUid.get(e.getKey().substring(1));
      if (pod == null) {
        continue; // not (or no longer) a pod of this node
      }
      List<ContainerUsage> containers = e.getValue().stream()
          .sorted(Comparator.comparing(c -> c.container().name()))
          .map(c -> new ContainerUsage(c.container().name(), c.container().startedAt(), c.usage())).toList();
      Optional<ResourceUsage> podUsage;
      try {
        podUsage = runtime.podSandboxStats(e.getKey());
      } catch (RuntimeException ex) {
        podUsage = Optional.empty();
        error = true;
      }
      ResourceUsage usage = podUsage.orElseGet(() -> sum(containers, now));
      Instant startTime = pod.getStatus() != null && pod.getStatus().getStartTime() != null
          ? Instant.parse(pod.getStatus().getStartTime()) : null;
      out.add(new PodUsage(pod.getMetadata().getNamespace(), pod.getMetadata().getName(), pod.getMetadata().getUid(),
          startTime, usage, containers));
    }
    out.sort(Comparator.comparing(PodUsage::namespace).thenComparing(PodUsage::name));
    return new Snapshot(nodeName, started, nodeUsage, out, error);
  }

  private static ResourceUsage sum(List<ContainerUsage> containers, Instant now) {
    return new ResourceUsage(now, containers.stream().mapToLong(c -> c.usage().cpuUsageNanos()).sum(),
        containers.stream().mapToLong(c -> c.usage().workingSetBytes()).sum());
  }

  /** kubelet's {@code /metrics/resource}: cumulative CPU in core-seconds, working set in bytes, with times in ms. */
  public static String resourceMetrics(Snapshot s) {
    StringBuilder b = new StringBuilder();
    header(b, "container_cpu_usage_seconds_total", "counter",
        "Cumulative cpu time consumed by the container in core-seconds");
    s.pods().forEach(p -> p.containers().forEach(c -> sample(b, "container_cpu_usage_seconds_total",
        containerLabels(p, c), seconds(c.usage().cpuUsageNanos()), c.usage().time())));
    header(b, "container_memory_working_set_bytes", "gauge", "Current working set of the container in bytes");
    s.pods().forEach(p -> p.containers().forEach(c -> sample(b, "container_memory_working_set_bytes",
        containerLabels(p, c), Long.toString(c.usage().workingSetBytes()), c.usage().time())));
    header(b, "container_start_time_seconds", "gauge", "Start time of the container since unix epoch in seconds");
    s.pods().forEach(p -> p.containers().stream().filter(c -> c.startedAt() != null).forEach(c -> sample(b,
        "container_start_time_seconds", containerLabels(p, c),
        BigDecimal.valueOf(c.startedAt().getEpochSecond() * 1_000_000_000L + c.startedAt().getNano(), 9)
            .toPlainString(), c.usage().time())));
    header(b, "node_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed by the node in core-seconds");
    sample(b, "node_cpu_usage_seconds_total", "", seconds(s.node().cpuUsageNanos()), s.node().time());
    header(b, "node_memory_working_set_bytes", "gauge", "Current working set of the node in bytes");
    sample(b, "node_memory_working_set_bytes", "", Long.toString(s.node().workingSetBytes()), s.node().time());
    header(b, "pod_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed by the pod in core-seconds");
    s.pods().forEach(p -> sample(b, "pod_cpu_usage_seconds_total", podLabels(p), seconds(p.usage().cpuUsageNanos()),
        p.usage().time()));
    header(b, "pod_memory_working_set_bytes", "gauge", "Current working set of the pod in bytes");
    s.pods().forEach(p -> sample(b, "pod_memory_working_set_bytes", podLabels(p),
        Long.toString(p.usage().workingSetBytes()), p.usage().time()));
    header(b, "resource_scrape_error", "gauge", "1 if there was an error while getting container metrics, 0 otherwise");
    b.append("resource_scrape_error ").append(s.scrapeError() ? 1 : 0).append('\n');
    return b.toString();
  }

  private static void header(StringBuilder b, String name, String type, String help) {
    b.append("# HELP ").append(name).append(" [STABLE] ").append(help).append('\n');
    b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static void sample(StringBuilder b, String name, String labels, String value, Instant time) {
    b.append(name).append(labels).append(' ').append(value).append(' ').append(time.toEpochMilli()).append('\n');
  }

  private static String containerLabels(PodUsage p, ContainerUsage c) {
    return "{container=\"" + escape(c.name()) + "\",namespace=\"" + escape(p.namespace()) + "\",pod=\""
        + escape(p.name()) + "\"}";
  }

  private static String podLabels(PodUsage p) {
    return "{namespace=\"" + escape(p.namespace()) + "\",pod=\"" + escape(p.name()) + "\"}";
  }

  private static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  /** Nanoseconds as seconds, exactly (nine decimals). */
  private static String seconds(long nanos) {
    return BigDecimal.valueOf(nanos, 9).toPlainString();
  }

  /** kubelet's Summary ({@code /stats/summary}): the node, then each pod with its containers. */
  public ObjectNode summary(Snapshot s) {
    Set<String> seen = new HashSet<>();
    ObjectNode out = JSON.createObjectNode();
    ObjectNode n = out.putObject("node");
    n.put("nodeName", s.nodeName());
    n.put("startTime", s.nodeStart().toString());
    usage(n, "node", s.node(), seen);
    ArrayNode pods = out.putArray("pods");
    for (PodUsage p : s.pods()) {
      ObjectNode po = pods.addObject();
      po.putObject("podRef").put("name", p.name()).put("namespace", p.namespace()).put("uid", p.uid());
      if (p.startTime() != null) {
        po.put("startTime", p.startTime().toString());
      }
      ArrayNode cs = po.putArray("containers");
      for (ContainerUsage c : p.containers()) {
        ObjectNode co = cs.addObject();
        co.put("name", c.name());
        if (c.startedAt() != null) {
          co.put("startTime", c.startedAt().toString());
        }
        usage(co, "container/" + p.uid() + "/" + c.name(), c.usage(), seen);
      }
      usage(po, "pod/" + p.uid(), p.usage(), seen);
    }
    previous.keySet().retainAll(seen);
    return out;
  }

  private void usage(ObjectNode into, String key, ResourceUsage u, Set<String> seen) {
    seen.add(key);
    ObjectNode cpu = into.putObject("cpu");
    cpu.put("time", u.time().toString());
    ResourceUsage before = previous.put(key, u);
    if (before != null && u.time().isAfter(before.time()) && u.cpuUsageNanos() >= before.cpuUsageNanos()) {
      long elapsed = java.time.Duration.between(before.time(), u.time()).toNanos();
      cpu.put("usageNanoCores", BigDecimal.valueOf(u.cpuUsageNanos() - before.cpuUsageNanos())
          .multiply(BigDecimal.valueOf(1_000_000_000L)).divide(BigDecimal.valueOf(elapsed), java.math.RoundingMode.HALF_UP)
          .longValue());
    }
    cpu.put("usageCoreNanoSeconds", u.cpuUsageNanos());
    ObjectNode memory = into.putObject("memory");
    memory.put("time", u.time().toString());
    memory.put("workingSetBytes", u.workingSetBytes());
  }
}
