package io.capstan.stateviews.resourcemetrics;

import io.capstan.stateviews.resourcemetrics.NodeReading.PodRef;
import io.capstan.stateviews.resourcemetrics.NodeReading.Sample;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Usage from two readings of cumulative CPU, as metrics-server computes it: the CPU used between
 * them divided by the time between them (the window), in nano-cores; memory is the later
 * working set. A container whose CPU went down between the readings restarted in between: it
 * has no rate, and neither has its pod (metrics-server leaves out a pod with any container it
 * cannot rate).
 */
public final class UsageRates {
  private UsageRates() {}

  /**
   * A usage over a window.
   *
   * @param timestamp     the later reading's time
   * @param window        the time between the readings
   * @param cpuNanoCores  CPU used per second of the window, in billionths of a core
   * @param memoryBytes   the working set at {@code timestamp}
   */
  public record Usage(Instant timestamp, Duration window, long cpuNanoCores, long memoryBytes) {}

  /** The rate between two samples of one thing, or empty when they do not make one. */
  public static Optional<Usage> between(Sample earlier, Sample later) {
    if (earlier == null || later == null || !later.time().isAfter(earlier.time())
        || later.cpuNanos() < earlier.cpuNanos()) {
      return Optional.empty();
    }
    Duration window = Duration.between(earlier.time(), later.time());
    long cores = BigInteger.valueOf(later.cpuNanos() - earlier.cpuNanos()).multiply(BigInteger.valueOf(1_000_000_000L))
        .divide(BigInteger.valueOf(window.toNanos())).longValue();
    return Optional.of(new Usage(later.time(), window, cores, later.workingSetBytes()));
  }

  /** The node's usage between two scrapes of its agent. */
  public static Optional<Usage> node(NodeReading earlier, NodeReading later) {
    return between(earlier.node(), later.node());
  }

  /** Each pod's containers' usage, for the pods of the later scrape whose every container has a rate. */
  public static Map<PodRef, Map<String, Usage>> pods(NodeReading earlier, NodeReading later) {
    Map<PodRef, Map<String, Usage>> out = new LinkedHashMap<>();
    later.containers().forEach((pod, containers) -> {
      Map<String, Sample> before = earlier.containers().getOrDefault(pod, Map.of());
      Map<String, Usage> rated = new LinkedHashMap<>();
      for (Map.Entry<String, Sample> c : containers.entrySet()) {
        Optional<Usage> u = between(before.get(c.getKey()), c.getValue());
        if (u.isEmpty()) {
          return; // a container new since the earlier scrape, or restarted: the pod waits for the next
        }
        rated.put(c.getKey(), u.get());
      }
      out.put(pod, rated);
    });
    return out;
  }
}
