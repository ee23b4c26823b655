package io.capstan.gateway.cache;

import io.capstan.gateway.threads.ThreadNice;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's watch cache over every kind: one informer per state topic (shared through
 * {@link SharedInformers}) and one {@link KindCache} following each. {@link #start()} blocks until
 * every table is loaded; after that reads never touch Kafka.
 *
 * <p>Threads: the informers' (apply changes), one that completes waiting reads, and a small pool
 * that drains watch queues into their sinks, so a slow client never holds up an informer.
 */
public final class WatchCache implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WatchCache.class);
  /** How long start-up waits for the watermarks to pass the versions the window starts at. */
  private static final Duration SETTLE = Duration.ofSeconds(5);

  private final WatchCacheConfig config;
  private final SharedInformers informers;
  private final MeterRegistry registry;
  private final RenderedObjects renderings;
  private final Map<String, KindCache> caches = new LinkedHashMap<>();
  private final ExecutorService completions = Executors.newSingleThreadExecutor(ThreadNice.normalPriority("capstan-gateway-cache-reads"));
  private final ExecutorService dispatcher = Executors.newFixedThreadPool(2, ThreadNice.normalPriority("capstan-gateway-watch"));
  private volatile boolean started;

  /**
   * @param informerConfig the informers' settings (Kafka, topic layout, component name)
   */
  public WatchCache(InformerConfig informerConfig, WatchCacheConfig config, MeterRegistry registry) {
    this(new SharedInformers(informerConfig, registry), config, registry);
  }

  /**
   * A watch cache over the given informers, which closing the cache closes: a set of its own, or a
   * handle from {@link SharedInformers#borrowOrOwn} on informers its process shares, whose close
   * leaves them to their owner.
   */
  public WatchCache(SharedInformers informers, WatchCacheConfig config, MeterRegistry registry) {
    this.config = config;
    this.registry = registry;
    this.renderings = new RenderedObjects(RenderedObjects.DEFAULT_MAX_BYTES, registry);
    this.informers = informers;
  }

  public WatchCacheConfig config() {
    return config;
  }

  /** Starts an informer per kind, waits until each has loaded its table, then follows them. */
  public synchronized WatchCache start() throws InterruptedException {
    if (started) {
      throw new IllegalStateException("the watch cache was already started");
    }
    long t0 = System.nanoTime();
    Map<String, Informer<SpecificRecord>> byKind = new LinkedHashMap<>();
    for (Kind kind : Kinds.all()) {
      byKind.put(kind.kind(), informers.informerFor(kind, SpecificRecord.class));
    }
    try {
      informers.start(); // side by side; informers another component started already are left as they are
    } catch (RuntimeException e) {
      throw new IllegalStateException("the watch cache could not start reading the state topics: " + e.getMessage(), e);
    }
    if (!informers.awaitSynced(config.syncTimeout())) {
      throw new IllegalStateException("the watch cache's informers did not load the state topics within "
          + config.syncTimeout());
    }
    for (Kind kind : Kinds.all()) {
      KindCache c = new KindCache(kind, byKind.get(kind.kind()), config, completions, dispatcher, renderings, registry);
      c.start();
      caches.put(kind.kind(), c);
    }
    // The window starts where each partition's snapshot was; until the consistent cut passes the
    // furthest partition, exact lists and resumes fall back. Watermarks settle that within a
    // watermark interval when a command processor runs.
    long deadline = System.nanoTime() + SETTLE.toNanos();
    for (KindCache c : caches.values()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      try {
        c.whenReached(-1, c.oldestVersion()).get(left, TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
        log.warn("watch cache of {}: no watermark passed {} within {} (is a command processor running?)",
            c.kind().kind(), c.oldestVersion(), SETTLE);
        break;
      }
    }
    started = true;
    log.info("watch cache ready: {} kinds in {} ms (window {} changes per kind, watch buffer {})", caches.size(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), config.windowCapacity(), config.watchBuffer());
    return this;
  }

  /** The cache of a kind. */
  public KindCache of(Kind kind) {
    KindCache c = caches.get(kind.kind());
    if (c == null) {
      throw new IllegalStateException("the watch cache has no " + kind.kind() + (started ? "" : " (not started)"));
    }
    return c;
  }

  @Override
  public synchronized void close() {
    caches.values().forEach(KindCache::close);
    informers.close();
    dispatcher.shutdown();
    completions.shutdown();
    try {
      dispatcher.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

}
