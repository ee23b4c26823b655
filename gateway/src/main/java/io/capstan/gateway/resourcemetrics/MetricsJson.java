package io.capstan.gateway.resourcemetrics;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.stateviews.resourcemetrics.UsageRates.Usage;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * NodeMetrics and PodMetrics of {@code metrics.k8s.io/v1beta1} as metrics-server writes them:
 * {@code timestamp} (the reading's time), {@code window} (a Go duration such as {@code 1.002s}),
 * {@code usage} with {@code cpu} in nano-cores ({@code 12345n}) and {@code memory} in Ki where the
 * bytes are a whole number of KiB (they are: the kernel counts pages), else in bytes; metadata
 * with the object's name, namespace and labels and {@code creationTimestamp} the time of the answer.
 */
public final class MetricsJson {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  public static final String API_VERSION = "metrics.k8s.io/v1beta1";

  private MetricsJson() {}

  /** One node's metrics. */
  public record NodeMetrics(String name, Map<String, String> labels, Usage usage) {}

  /** One pod's metrics, its containers by name. */
  public record PodMetrics(String namespace, String name, Map<String, String> labels, Map<String, Usage> containers) {}

  public static ObjectNode node(NodeMetrics m, Instant now) {
    ObjectNode out = NODES.objectNode();
    out.put("kind", "NodeMetrics");
    out.put("apiVersion", API_VERSION);
    metadata(out, null, m.name(), m.labels(), now);
    out.put("timestamp", time(m.usage().timestamp()));
    out.put("window", goDuration(m.usage().window()));
    usage(out.putObject("usage"), m.usage());
    return out;
  }

  public static ObjectNode pod(PodMetrics m, Instant now) {
    ObjectNode out = NODES.objectNode();
    out.put("kind", "PodMetrics");
    out.put("apiVersion", API_VERSION);
    metadata(out, m.namespace(), m.name(), m.labels(), now);
    Usage first = m.containers().values().stream().max(Comparator.comparing(Usage::timestamp)).orElseThrow();
    out.put("timestamp", time(first.timestamp()));
    out.put("window", goDuration(first.window()));
    ArrayNode containers = out.putArray("containers");
    m.containers().forEach((name, u) -> {
      ObjectNode c = containers.addObject();
      c.put("name", name);
      usage(c.putObject("usage"), u);
    });
    return out;
  }

  /** {@code NodeMetricsList} or {@code PodMetricsList} of the items, each without kind and apiVersion. */
  public static ObjectNode list(String kind, List<ObjectNode> items) {
    ObjectNode out = NODES.objectNode();
    out.put("kind", kind);
    out.put("apiVersion", API_VERSION);
    out.putObject("metadata");
    ArrayNode array = out.putArray("items");
    for (ObjectNode item : items) {
      ObjectNode copy = item.deepCopy();
      copy.remove("kind");
      copy.remove("apiVersion");
      array.add(copy);
    }
    return out;
  }

  private static void metadata(ObjectNode out, String namespace, String name, Map<String, String> labels, Instant now) {
    ObjectNode meta = out.putObject("metadata");
    meta.put("name", name);
    if (namespace != null) {
      meta.put("namespace", namespace);
    }
    meta.put("creationTimestamp", time(now));
    if (labels != null && !labels.isEmpty()) {
      ObjectNode l = meta.putObject("labels");
      labels.forEach(l::put);
    }
  }

  private static void usage(ObjectNode into, Usage u) {
    into.put("cpu", cpu(u.cpuNanoCores()));
    into.put("memory", memory(u.memoryBytes()));
  }

  /** Nano-cores as a quantity: {@code 0}, else {@code <n>n}. */
  static String cpu(long nanoCores) {
    return nanoCores == 0 ? "0" : nanoCores + "n";
  }

  /** Bytes as a quantity: {@code <n>Ki} when a whole number of KiB, else plain bytes. */
  static String memory(long bytes) {
    return bytes != 0 && bytes % 1024 == 0 ? bytes / 1024 + "Ki" : Long.toString(bytes);
  }

  /** RFC 3339 in whole seconds, as metav1.Time serialises. */
  static String time(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** A duration as Go's {@code time.Duration.String()} writes it: {@code 1.5s}, {@code 1m0.25s}, {@code 800ms}. */
  static String goDuration(Duration d) {
    long ns = d.toNanos();
    if (ns == 0) {
      return "0s";
    }
    if (ns < 1_000) {
      return ns + "ns";
    }
    if (ns < 1_000_000) {
      return decimal(ns, 3) + "µs";
    }
    if (ns < 1_000_000_000) {
      return decimal(ns, 6) + "ms";
    }
    long hours = ns / 3_600_000_000_000L;
    long minutes = ns / 60_000_000_000L % 60;
    long rest = ns % 60_000_000_000L;
    StringBuilder b = new StringBuilder();
    if (hours > 0) {
      b.append(hours).append('h');
    }
    if (hours > 0 || minutes > 0) {
      b.append(minutes).append('m');
    }
    return b.append(decimal(rest, 9)).append('s').toString();
  }

  private static String decimal(long value, int scale) {
    BigDecimal v = BigDecimal.valueOf(value, scale).stripTrailingZeros();
    return v.scale() < 0 ? v.setScale(0).toPlainString() : v.toPlainString();
  }
}
