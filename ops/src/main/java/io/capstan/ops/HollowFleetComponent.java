package io.capstan.ops;

import io.capstan.nodeagent.fleet.HollowFleet;
import io.capstan.nodeagent.fleet.HollowFleetConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A hollow fleet (kubemark-style simulated nodes, see {@link HollowFleet}): prints how many nodes
 * registered every {@link #PROGRESS_EVERY} while they register, then one ready line.
 */
final class HollowFleetComponent implements Component {
  static final Duration PROGRESS_EVERY = Duration.ofSeconds(10);
  /** Registration time allowed per node on top of the usual ready timeout (a big fleet on a busy broker). */
  static final Duration PER_NODE = Duration.ofMillis(200);

  private final HollowFleetConfig config;
  private final SharedInformers shared;
  private final MeterRegistry registry;
  private final Progress progress;
  private HollowFleet fleet;
  private long tookMs;

  /** @param shared the process's informers for the fleet to read ConfigMaps and Secrets through, or null for its own */
  HollowFleetComponent(HollowFleetConfig config, SharedInformers shared, MeterRegistry registry, Progress progress) {
    this.config = config;
    this.shared = shared;
    this.registry = registry;
    this.progress = progress;
  }

  @Override
  public String name() {
    List<String> names = config.nodeNames();
    return "hollow fleet of " + names.size() + " node(s) " + names.get(0)
        + (names.size() > 1 ? " … " + names.get(names.size() - 1) : "");
  }

  @Override
  public void start() {
    fleet = new HollowFleet(config, shared, registry);
  }

  @Override
  public void awaitReady(Duration timeout) {
    long start = System.nanoTime();
    AtomicLong lastLine = new AtomicLong(start);
    try {
      fleet.start(timeout.plus(PER_NODE.multipliedBy(config.count())), (done, total) -> {
        long now = System.nanoTime();
        long last = lastLine.get();
        if (done < total && now - last >= PROGRESS_EVERY.toNanos() && lastLine.compareAndSet(last, now)) {
          progress.line("registered " + done + "/" + total + " nodes");
        }
      });
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the hollow fleet", e);
    }
    tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  @Override
  public String readyLine() {
    return name() + " ready: " + fleet.registered() + " registered in " + tookMs + " ms";
  }

  int port() {
    return fleet.port();
  }

  @Override
  public void close() {
    if (fleet != null) {
      fleet.close();
    }
  }
}
