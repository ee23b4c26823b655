package io.capstan.nodeagent.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service proxy's sync loop, as kube-proxy's: changes only mark the rules dirty; one thread
 * rebuilds the ruleset and applies it in one {@code nft -f} transaction, at most once per
 * {@link Settings#minSyncPeriod} (a burst of changes coalesces into one sync; the first change
 * after a quiet spell syncs at once), and at least every {@link Settings#syncPeriod}. The first
 * sync, the one after a refusal and one every {@link Settings#FULL_SYNC_PERIOD} replace the whole
 * table (which also puts back rules someone else removed); the others rewrite only the ports that
 * changed (a whole 1,000-service table takes nft
 * about two seconds on a small machine, one service's rules a few milliseconds). A refused ruleset leaves the old rules in place, counts in
 * {@code capstan_proxy_sync_failures_total} and is reported (a node Event); the next change or
 * resync tries again. The first sync after start rebuilds the table from the informers whatever
 * it held; {@link #close} removes it.
 */
public final class ServiceProxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServiceProxy.class);

  /**
   * @param minSyncPeriod the least time between two syncs' starts (kube-proxy's {@code --min-sync-period})
   * @param syncPeriod the most time between two syncs (kube-proxy's {@code --sync-period})
   * @param removeOnClose whether {@link #close} deletes the table (a clean stop of {@code up})
   */
  public record Settings(Duration minSyncPeriod, Duration syncPeriod, boolean removeOnClose) {
    public static final Duration DEFAULT_MIN_SYNC_PERIOD = Duration.ofMillis(100);
    public static final Duration DEFAULT_SYNC_PERIOD = Duration.ofSeconds(30);
    /**
     * How often a sync replaces the whole table rather than the changed ports, as kube-proxy's
     * nftables mode (an hour): a whole 1,000-service table takes seconds on a small machine.
     */
    public static final Duration FULL_SYNC_PERIOD = Duration.ofHours(1);

    public Settings {
      if (minSyncPeriod.isNegative() || syncPeriod.compareTo(minSyncPeriod) < 0 || syncPeriod.isZero()) {
        throw new IllegalArgumentException("sync periods: need 0 <= min (" + minSyncPeriod + ") <= sync period ("
            + syncPeriod + ") and a positive sync period");
      }
    }

    public static Settings defaults() {
      return new Settings(DEFAULT_MIN_SYNC_PERIOD, DEFAULT_SYNC_PERIOD, true);
    }
  }

  /**
   * What one successful sync applied.
   *
   * @param triggers the changes it carried: service key → when the change happened
   * @param appliedAt when the packet filter had the rules
   * @param duration generation plus apply
   * @param full whether the whole table was replaced (else only the changed ports' rules)
   */
  public record SyncResult(Map<String, Instant> triggers, Instant appliedAt, Duration duration, int ports,
      int endpoints, boolean full) {}

  private final ServiceSource source;
  private final RulesApplier applier;
  private final ConntrackCommand conntrack;
  private final SyncFailureReporter reporter;
  private final Settings settings;
  private final Clock clock;
  private final Timer syncDuration;
  private final Timer programmingLatency;
  private final Counter failures;
  private final Counter syncs;
  private final Counter skipped;
  private final List<Consumer<SyncResult>> listeners = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService thread;

  // guarded by this
  private Map<String, Instant> pending = new HashMap<>();
  private ScheduledFuture<?> scheduled;
  private long lastStartNanos = Long.MIN_VALUE / 2;
  private boolean closed;
  // sync thread only
  private NftRuleset.Ruleset applied;
  private long lastFullNanos;
  private boolean fullNext = true;
  private List<ProxiedPort> appliedPorts = List.of();
  private Map<String, String> reportedUnprogrammable = Map.of();

  /**
   * @param conntrack clears stale UDP flows; null for none (dry runs)
   */
  public ServiceProxy(ServiceSource source, RulesApplier applier, ConntrackCommand conntrack,
      SyncFailureReporter reporter, Settings settings, MeterRegistry registry, String nodeName, Clock clock) {
    this.source = source;
    this.applier = applier;
    this.conntrack = conntrack;
    this.reporter = reporter;
    this.settings = settings;
    this.clock = clock;
    this.syncDuration = Timer.builder("capstan_proxy_sync_duration_seconds")
        .description("Time to generate and apply the service proxy's ruleset").tag("node", nodeName)
        .publishPercentileHistogram().register(registry);
    this.programmingLatency = Timer.builder("capstan_proxy_network_programming_duration_seconds")
        .description("From an endpoint or service change in the cluster to its rules applied on the node")
        .tag("node", nodeName).publishPercentileHistogram().register(registry);
    this.failures = Counter.builder("capstan_proxy_sync_failures_total")
        .description("Service proxy rulesets the packet filter refused").tag("node", nodeName).register(registry);
    this.skipped = Counter.builder("capstan_proxy_unprogrammable_services_total")
        .description("Services whose ports the proxy could not express (each service and reason counted once;"
            + " their previous rules stay)").tag("node", nodeName).register(registry);
    this.syncs = Counter.builder("capstan_proxy_syncs_total").description("Service proxy rulesets applied")
        .tag("node", nodeName).register(registry);
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "capstan-service-proxy-" + nodeName);
      t.setDaemon(true);
      return t;
    });
  }

  /** Hears each applied sync (benchmarks measure programming latency with it). */
  public void addSyncListener(Consumer<SyncResult> l) {
    listeners.add(l);
  }

  /** Starts listening; the first sync runs once the source has read everything. */
  public void start() {
    source.onChange(this::changed);
    synchronized (this) {
      schedule(0);
    }
  }

  private void changed(String serviceKey, Instant triggerTime) {
    synchronized (this) {
      pending.merge(serviceKey, triggerTime, (a, b) -> a.isBefore(b) ? a : b);
      long sinceLast = System.nanoTime() - lastStartNanos;
      schedule(Math.max(0, settings.minSyncPeriod().toNanos() - sinceLast));
    }
  }

  /** Runs a sync after {@code delayNanos}, or sooner if one is already due sooner. Holds this. */
  private void schedule(long delayNanos) {
    if (closed) {
      return;
    }
    if (scheduled != null && !scheduled.isDone() && scheduled.getDelay(TimeUnit.NANOSECONDS) <= delayNanos) {
      return;
    }
    if (scheduled != null) {
      scheduled.cancel(false);
    }
    scheduled = thread.schedule(this::sync, delayNanos, TimeUnit.NANOSECONDS);
  }

  private void sync() {
    Map<String, Instant> carried;
    synchronized (this) {
      if (closed) {
        return;
      }
      if (!source.hasSynced()) {
        scheduled = null;
        schedule(TimeUnit.MILLISECONDS.toNanos(50));
        return;
      }
      lastStartNanos = System.nanoTime();
      scheduled = null; // this run: a change from now on schedules the next one
      carried = pending;
      pending = new HashMap<>();
      schedule(settings.syncPeriod().toNanos()); // the periodic resync; a change brings it forward
    }
    long start = System.nanoTime();
    try {
      List<ProxiedPort> ports = keepingUnprogrammable(source.ports(), source.unprogrammable());
      NftRuleset.Ruleset rules = NftRuleset.of(ports, applied);
      boolean full = fullNext || applied == null
          || System.nanoTime() - lastFullNanos >= Settings.FULL_SYNC_PERIOD.toNanos();
      if (full) {
        fullNext = true; // until it is applied
        applier.apply(rules.transaction(applied));
        fullNext = false;
        lastFullNanos = System.nanoTime();
      } else if (rules.changedPorts(applied) > 0) {
        applier.apply(rules.delta(applied));
      }
      Instant appliedAt = clock.instant();
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      syncDuration.record(took);
      syncs.increment();
      for (Instant t : carried.values()) {
        programmingLatency.record(Duration.between(t, appliedAt).isNegative() ? Duration.ZERO
            : Duration.between(t, appliedAt));
      }
      List<ProxiedPort> before = appliedPorts;
      applied = rules;
      appliedPorts = ports;
      if (conntrack != null) {
        List<StaleUdpFlows.Flow> stale = StaleUdpFlows.between(before, ports);
        if (!stale.isEmpty()) {
          conntrack.delete(stale);
        }
      }
      log.debug("service proxy synced {} ports, {} endpoints in {} ms", rules.ports(), rules.endpoints(),
          took.toMillis());
      SyncResult result = new SyncResult(carried, appliedAt, took, rules.ports(), rules.endpoints(), full);
      for (Consumer<SyncResult> l : listeners) {
        l.accept(result);
      }
    } catch (RulesApplier.RulesRefused | RuntimeException e) {
      syncDuration.record(Duration.ofNanos(System.nanoTime() - start));
      failures.increment();
      fullNext = true; // the next sync replaces the whole table, whatever went wrong
      synchronized (this) {
        carried.forEach((k, t) -> pending.merge(k, t, (a, b) -> a.isBefore(b) ? a : b)); // still unprogrammed
      }
      try {
        reporter.refused(e.getMessage() == null ? e.toString() : e.getMessage());
      } catch (RuntimeException re) {
        log.warn("reporting a refused ruleset failed: {}", re.toString());
      }
    }
  }

  /**
   * The ports to program: the source's, plus the rules last applied for each service the source
   * could not express now (the old rules stay in place, as for a refused ruleset). A service newly
   * unprogrammable, or for a new reason, is counted and reported once. Sync thread only.
   */
  private List<ProxiedPort> keepingUnprogrammable(List<ProxiedPort> ports, Map<String, String> unprogrammable) {
    for (Map.Entry<String, String> e : unprogrammable.entrySet()) {
      if (!e.getValue().equals(reportedUnprogrammable.get(e.getKey()))) {
        skipped.increment();
        String message = "service " + e.getKey() + " is not programmed (its previous rules, if any, stay): "
            + e.getValue();
        try {
          reporter.refused(message);
        } catch (RuntimeException re) {
          log.warn("reporting an unprogrammable service failed: {}", re.toString());
        }
      }
    }
    reportedUnprogrammable = Map.copyOf(unprogrammable);
    if (unprogrammable.isEmpty()) {
      return ports;
    }
    List<ProxiedPort> all = new java.util.ArrayList<>(ports);
    for (ProxiedPort p : appliedPorts) {
      if (unprogrammable.containsKey(p.serviceKey())) {
        all.add(p);
      }
    }
    return all;
  }

  /** Rulesets applied so far. */
  public long syncCount() {
    return (long) syncs.count();
  }

  /** Stops syncing and, when {@link Settings#removeOnClose}, deletes the table. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      if (scheduled != null) {
        scheduled.cancel(false);
      }
    }
    thread.shutdown();
    try {
      if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
        log.warn("service proxy sync did not finish in 30 s");
        thread.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (settings.removeOnClose()) {
      removeRules();
    }
  }

  /** Deletes the proxy's table (after {@link #close}: a clean stop of the whole node, as {@code up}'s). */
  public void removeRules() {
    try {
      applier.apply(NftRuleset.removal());
      log.info("service proxy rules removed (table {} {})", NftRuleset.FAMILY, NftRuleset.TABLE);
    } catch (RulesApplier.RulesRefused e) {
      log.warn("service proxy rules (table {} {}) could not be removed: {}", NftRuleset.FAMILY, NftRuleset.TABLE,
          e.getMessage());
    }
  }
}
