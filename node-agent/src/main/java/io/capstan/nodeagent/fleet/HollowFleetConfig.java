package io.capstan.nodeagent.fleet;

import io.capstan.logschema.topics.TopicLayout;
import io.capstan.nodeagent.runtime.hollow.HollowRuntime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Settings of a hollow fleet. Defaults, written down once: prefix {@value #DEFAULT_PREFIX};
 * {@link #DEFAULT_WORKERS} pod workers and {@link #DEFAULT_TIMERS} timer threads for the whole
 * fleet; relist every {@link #DEFAULT_RELIST}; the shared log server on a free port of 127.0.0.1.
 *
 * @param count        how many nodes, named {@code <prefix>-0000 … <prefix>-<count-1>} (at least
 *                     four digits, more when the count needs them)
 * @param dataDir      where the nodes' pod directories go ({@code <dataDir>/<node>/pods})
 * @param behaviour    how the simulated containers behave
 * @param workers      pod worker threads shared by all nodes (they also register the nodes)
 * @param timers       timer threads shared by all nodes (heartbeats, relists, simulated exits)
 * @param clientCaFile the CA whose client certificates may ask the log server (see
 *                     {@code NodeAgentConfig}); null refuses every log request
 */
public record HollowFleetConfig(Map<String, Object> kafka, TopicLayout layout, String prefix, int count, Path dataDir,
    HollowRuntime.Behaviour behaviour, Duration relistPeriod, int workers, int timers, String host, int port,
    Path clientCaFile) {
  public static final String DEFAULT_PREFIX = "hollow";
  public static final int DEFAULT_WORKERS = 16;
  public static final int DEFAULT_TIMERS = 2;
  public static final Duration DEFAULT_RELIST = Duration.ofSeconds(1);
  /** Enough for load tests; the names and the partition spread stay sensible. */
  public static final int MAX_COUNT = 100_000;
  /** The label every fleet Node carries, so load tests (and users) can tell them from real ones. */
  public static final String HOLLOW_LABEL = "capstan.io/hollow";

  public HollowFleetConfig {
    if (count < 1 || count > MAX_COUNT) {
      throw new IllegalArgumentException("--count must be 1.." + MAX_COUNT + ", got " + count);
    }
    if (prefix == null || !prefix.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || prefix.length() > 50) {
      throw new IllegalArgumentException("--name-prefix \"" + prefix + "\" must be a DNS label of at most 50"
          + " characters (lowercase letters, digits and '-', starting and ending with a letter or digit)");
    }
    if (workers < 1 || timers < 1) {
      throw new IllegalArgumentException("a hollow fleet needs at least one worker and one timer thread, got "
          + workers + " and " + timers);
    }
    if (behaviour == null) {
      behaviour = HollowRuntime.Behaviour.runsUntilStopped();
    }
  }

  public static HollowFleetConfig defaults(Map<String, Object> kafka, TopicLayout layout, int count, Path dataDir) {
    return new HollowFleetConfig(kafka, layout, DEFAULT_PREFIX, count, dataDir, HollowRuntime.Behaviour.runsUntilStopped(),
        DEFAULT_RELIST, DEFAULT_WORKERS, DEFAULT_TIMERS, "127.0.0.1", 0, null);
  }

  public HollowFleetConfig withPrefix(String p) {
    return new HollowFleetConfig(kafka, layout, p, count, dataDir, behaviour, relistPeriod, workers, timers, host, port,
        clientCaFile);
  }

  public HollowFleetConfig withBehaviour(HollowRuntime.Behaviour b) {
    return new HollowFleetConfig(kafka, layout, prefix, count, dataDir, b, relistPeriod, workers, timers, host, port,
        clientCaFile);
  }

  public HollowFleetConfig withRelistPeriod(Duration d) {
    return new HollowFleetConfig(kafka, layout, prefix, count, dataDir, behaviour, d, workers, timers, host, port,
        clientCaFile);
  }

  public HollowFleetConfig withLogServer(String h, int p, Path caFile) {
    return new HollowFleetConfig(kafka, layout, prefix, count, dataDir, behaviour, relistPeriod, workers, timers, h, p,
        caFile);
  }

  /** The nodes' names, in order. */
  public List<String> nodeNames() {
    int width = Math.max(4, String.valueOf(count - 1).length());
    List<String> names = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      names.add(prefix + "-" + String.format("%0" + width + "d", i));
    }
    return names;
  }

  /** The {@code node} tag of the series the fleet's nodes share, e.g. {@code hollow-*}. */
  public String seriesNode() {
    return prefix + "-*";
  }
}
