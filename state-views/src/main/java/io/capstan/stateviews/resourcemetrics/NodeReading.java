package io.capstan.stateviews.resourcemetrics;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One scrape of a node agent's {@code /metrics/resource}: the node's cumulative CPU and working
 * set, and each running container's, by pod. The text is kubelet's (Prometheus exposition with
 * a millisecond timestamp on each sample), parsed as metrics-server parses it: only the
 * {@code node_}, {@code container_} CPU and working-set series count, the rest is skipped.
 *
 * @param node       the node's reading, or null when the scrape had none
 * @param containers each pod's containers' readings by container name
 */
public record NodeReading(Sample node, Map<PodRef, Map<String, Sample>> containers) {

  /** A pod by namespace and name. */
  public record PodRef(String namespace, String name) {}

  /** Cumulative CPU time and working set at one time. */
  public record Sample(Instant time, long cpuNanos, long workingSetBytes) {}

  private static final String NODE_CPU = "node_cpu_usage_seconds_total";
  private static final String NODE_MEMORY = "node_memory_working_set_bytes";
  private static final String CONTAINER_CPU = "container_cpu_usage_seconds_total";
  private static final String CONTAINER_MEMORY = "container_memory_working_set_bytes";

  /**
   * @param scrapedAt the time of a sample that carries none
   * @throws IllegalArgumentException naming the line that is not a sample
   */
  public static NodeReading parse(String text, Instant scrapedAt) {
    Partial node = new Partial();
    Map<PodRef, Map<String, Partial>> containers = new LinkedHashMap<>();
    int lineNo = 0;
    for (String line : text.split("\n")) {
      lineNo++;
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      Line sample;
      try {
        sample = Line.parse(l);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("line " + lineNo + " of the resource metrics is not a sample (" + l + "): "
            + e.getMessage(), e);
      }
      Instant time = sample.millis() == null ? scrapedAt : Instant.ofEpochMilli(sample.millis());
      switch (sample.name()) {
        case NODE_CPU -> node.cpu(time, sample.value());
        case NODE_MEMORY -> node.memory(time, sample.value());
        case CONTAINER_CPU, CONTAINER_MEMORY -> {
          String ns = sample.labels().get("namespace");
          String pod = sample.labels().get("pod");
          String container = sample.labels().get("container");
          if (ns == null || pod == null || container == null || container.isEmpty()) {
            continue;
          }
          Partial p = containers.computeIfAbsent(new PodRef(ns, pod), k -> new LinkedHashMap<>())
              .computeIfAbsent(container, k -> new Partial());
          if (sample.name().equals(CONTAINER_CPU)) {
            p.cpu(time, sample.value());
          } else {
            p.memory(time, sample.value());
          }
        }
        default -> {
          // other series (start times, pod totals, scrape errors) are not needed for the usage
        }
      }
    }
    Map<PodRef, Map<String, Sample>> out = new LinkedHashMap<>();
    containers.forEach((pod, cs) -> {
      Map<String, Sample> complete = new LinkedHashMap<>();
      cs.forEach((name, p) -> {
        if (p.complete()) {
          complete.put(name, p.sample());
        }
      });
      if (!complete.isEmpty()) {
        out.put(pod, complete);
      }
    });
    return new NodeReading(node.complete() ? node.sample() : null, out);
  }

  /** CPU and memory arrive as separate samples; a reading needs both. */
  private static final class Partial {
    Instant time;
    Long cpu;
    Long memory;

    void cpu(Instant t, BigDecimal seconds) {
      cpu = seconds.movePointRight(9).longValue();
      time = t; // the CPU sample's time is what a rate is taken over
    }

    void memory(Instant t, BigDecimal bytes) {
      memory = bytes.longValue();
      time = time == null ? t : time;
    }

    boolean complete() {
      return cpu != null && memory != null;
    }

    Sample sample() {
      return new Sample(time, cpu, memory);
    }
  }

  /** {@code name{k="v",...} value [timestamp]}. */
  private record Line(String name, Map<String, String> labels, BigDecimal value, Long millis) {
    static Line parse(String l) {
      int i = 0;
      while (i < l.length() && l.charAt(i) != '{' && l.charAt(i) != ' ') {
        i++;
      }
      String name = l.substring(0, i);
      Map<String, String> labels = new LinkedHashMap<>();
      if (i < l.length() && l.charAt(i) == '{') {
        i++;
        while (l.charAt(i) != '}') {
          int eq = l.indexOf('=', i);
          String key = l.substring(i, eq).strip();
          if (l.charAt(eq + 1) != '"') {
            throw new IllegalArgumentException("label " + key + " has no quoted value");
          }
          StringBuilder v = new StringBuilder();
          int j = eq + 2;
          for (; l.charAt(j) != '"'; j++) {
            char c = l.charAt(j);
            if (c == '\\') {
              char n = l.charAt(++j);
              v.append(n == 'n' ? '\n' : n);
            } else {
              v.append(c);
            }
          }
          labels.put(key, v.toString());
          i = j + 1;
          if (l.charAt(i) == ',') {
            i++;
          }
        }
        i++;
      }
      String[] rest = l.substring(i).strip().split("\\s+");
      if (name.isEmpty() || rest.length == 0 || rest[0].isEmpty()) {
        throw new IllegalArgumentException("no name or value");
      }
      BigDecimal value = new BigDecimal(rest[0].replace("+Inf", "0").replace("NaN", "0"));
      return new Line(name, labels, value, rest.length > 1 ? Long.parseLong(rest[1]) : null);
    }
  }
}
