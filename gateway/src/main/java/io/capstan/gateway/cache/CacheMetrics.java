package io.capstan.gateway.cache;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The watch cache's series for one kind, under Prometheus names:
 * <ul>
 *   <li>{@code capstan_apiserver_registered_watchers{kind}}: open watches (kube-apiserver's
 *       apiserver_registered_watchers);
 *   <li>{@code capstan_gateway_watch_cache_lag_seconds{kind}}: how far the cache's consistent cut
 *       (the minimum applied watermark, a time in microseconds) trails now;
 *   <li>{@code capstan_gateway_watch_cache_window_events{kind}}: changes kept for watch resumes;
 *   <li>{@code capstan_gateway_watches_closed_total{kind,reason}}: client, overflow, error, shutdown;
 *   <li>{@code capstan_gateway_watch_events_total{kind}}: events queued to watches;
 *   <li>{@code capstan_gateway_read_wait_seconds{kind}}: how long reads waited for the cache
 *       (read-your-writes, requested resourceVersions, consistent reads catching up with the log).
 * </ul>
 */
final class CacheMetrics {
  private final MeterRegistry registry;
  private final List<Meter> meters = new ArrayList<>();
  private final Map<CacheWatcher.End, Counter> closed = new EnumMap<>(CacheWatcher.End.class);
  private final Counter events;
  private final Timer readWait;

  CacheMetrics(MeterRegistry registry, String kind, Supplier<Number> watchers, Supplier<Number> lagSeconds,
      Supplier<Number> windowSize) {
    this.registry = registry;
    meters.add(Gauge.builder("capstan.apiserver.registered.watchers", watchers)
        .description("Open watches served by this gateway's watch cache").tag("kind", kind).register(registry));
    meters.add(Gauge.builder("capstan.gateway.watch.cache.lag", lagSeconds).baseUnit("seconds")
        .description("How far the watch cache's consistent cut (minimum applied watermark) trails now")
        .tag("kind", kind).register(registry));
    meters.add(Gauge.builder("capstan.gateway.watch.cache.window", windowSize).baseUnit("events")
        .description("Recent changes kept for watches resuming from a resourceVersion").tag("kind", kind)
        .register(registry));
    for (CacheWatcher.End end : CacheWatcher.End.values()) {
      Counter c = Counter.builder("capstan.gateway.watches.closed").description("Watches ended, by why")
          .tag("kind", kind).tag("reason", end.name().toLowerCase(java.util.Locale.ROOT)).register(registry);
      closed.put(end, c);
      meters.add(c);
    }
    events = Counter.builder("capstan.gateway.watch.events").description("Events queued to watches")
        .tag("kind", kind).register(registry);
    meters.add(events);
    readWait = Timer.builder("capstan.gateway.read.wait")
        .description("How long reads waited for the watch cache to reach a version").tag("kind", kind)
        .publishPercentileHistogram().register(registry);
    meters.add(readWait);
  }

  void watchClosed(CacheWatcher.End why) {
    closed.get(why).increment();
  }

  void eventsQueued(int n) {
    events.increment(n);
  }

  void readWaited(long nanos) {
    readWait.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  void close() {
    meters.forEach(registry::remove);
  }
}
