package io.capstan.gateway.cache;

import io.capstan.gateway.threads.ThreadNice;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import io.capstan.api.CustomResourceDefinition;
import io.capstan.logschema.crd.CustomResourceDefinitions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.IndexedRecord;
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
  private final Map<String, KindCache> caches = new ConcurrentHashMap<>();
  /** Custom kinds whose cache is being made (an informer of a new topic must load first). */
  private final Map<String, CompletableFuture<KindCache>> coming = new ConcurrentHashMap<>();
  /** Makes custom kinds' caches off the thread that registered the kind. */
  private final ExecutorService kindMaker = Executors.newSingleThreadExecutor(
      ThreadNice.normalPriority("capstan-gateway-custom-kinds"));
  private AutoCloseable kindSubscription;
  private io.capstan.stateviews.informer.Registration definitionFollower;
  /** One thread, in order, and none while no read waits (an idle gateway keeps no thread for it). */
  private final ExecutorService completions = io.capstan.logschema.threads.OnDemandThreads.pool(
      "capstan-gateway-cache-reads", ThreadNice.normalPriority("capstan-gateway-cache-reads"), 1, java.time.Duration.ofSeconds(5));
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
    Map<String, Informer<IndexedRecord>> byKind = new LinkedHashMap<>();
    for (Kind kind : Kinds.builtIn()) {
      byKind.put(kind.kind(), informers.informerFor(kind, IndexedRecord.class));
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
    for (Kind kind : Kinds.builtIn()) {
      KindCache c = new KindCache(kind, byKind.get(kind.kind()), config, completions, dispatcher, renderings, registry);
      c.start();
      caches.put(kind.kind(), c);
    }
    // Custom kinds: this process follows the definitions it reads (another component of the
    // process may register them first), and each kind in the registry gets a cache of its own.
    definitionFollower = byKind.get(Kinds.CUSTOM_RESOURCE_DEFINITION.kind()).addHandler(new DefinitionFollower());
    kindSubscription = Kinds.subscribe(this::kindChanged);
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

  /** The cache of a kind; a custom kind's cache that is still loading is waited for. */
  public KindCache of(Kind kind) {
    KindCache c = caches.get(kind.kind());
    CompletableFuture<KindCache> loading = c == null ? coming.get(kind.kind()) : null;
    if (loading != null) {
      try {
        c = loading.get(config.syncTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for the cache of " + kind.kind(), e);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        throw new IllegalStateException("the cache of " + kind.kind() + " is not ready: " + e.getMessage(), e);
      }
    }
    if (c == null) {
      throw new IllegalStateException("the watch cache has no " + kind.kind() + (started ? "" : " (not started)"));
    }
    return c;
  }

  /**
   * Registers a handler on the informer of a built-in kind (the objects there are delivered first
   * as adds, then every change): how the gateway's own views, such as the RBAC policy, follow the
   * tables the cache reads without a Kafka consumer of their own.
   */
  public io.capstan.stateviews.informer.Registration addHandler(Kind kind,
      io.capstan.stateviews.informer.ResourceEventHandler<IndexedRecord> handler) {
    return informers.informerFor(kind, IndexedRecord.class).addHandler(handler);
  }

  /** A custom kind entered the registry: its cache is made (once; a changed schema is read through the codec). */
  private void kindChanged(Kinds.Change change) {
    Kind kind = change.kind();
    if (!kind.custom() || !(change instanceof Kinds.Change.Registered)) {
      return; // a kind that left keeps its cache until the process ends: its requests are 404 by the registry
    }
    if (caches.containsKey(kind.kind()) || coming.containsKey(kind.kind())) {
      return;
    }
    CompletableFuture<KindCache> made = new CompletableFuture<>();
    coming.put(kind.kind(), made);
    kindMaker.execute(() -> {
      try {
        Informer<IndexedRecord> informer = informers.informerFor(kind, IndexedRecord.class);
        informers.start();
        if (!informer.awaitSynced(config.syncTimeout())) {
          throw new IllegalStateException("the informer of " + kind.kind() + " did not load within " + config.syncTimeout());
        }
        KindCache c = new KindCache(kind, informer, config, completions, dispatcher, renderings, registry);
        c.start();
        caches.put(kind.kind(), c);
        made.complete(c);
        log.info("watch cache: serving custom kind {} ({}.{}) from {}", kind.kind(), kind.plural(), kind.group(),
            informer.topic());
      } catch (Exception e) {
        log.error("watch cache: the cache of custom kind {} could not be made", kind.kind(), e);
        made.completeExceptionally(e);
      } finally {
        coming.remove(kind.kind());
      }
    });
  }

  /** Follows the definitions this gateway reads into the kind registry. */
  private static final class DefinitionFollower
      implements io.capstan.stateviews.informer.ResourceEventHandler<IndexedRecord> {
    @Override
    public void onAdd(IndexedRecord object) {
      follow(object);
    }

    @Override
    public void onUpdate(IndexedRecord oldObject, IndexedRecord newObject) {
      follow(newObject);
    }

    @Override
    public void onDelete(IndexedRecord lastKnown) {
      CustomResourceDefinitions.unfollow(((CustomResourceDefinition) lastKnown).getMetadata().getName());
    }

    private static void follow(IndexedRecord object) {
      CustomResourceDefinition crd = (CustomResourceDefinition) object;
      CustomResourceDefinitions.follow(crd).ifPresent(why ->
          log.warn("the kind of {} is not served: {}", crd.getMetadata().getName(), why));
    }
  }

  @Override
  public synchronized void close() {
    if (kindSubscription != null) {
      try {
        kindSubscription.close();
      } catch (Exception e) {
        log.warn("closing the kind subscription", e);
      }
    }
    if (definitionFollower != null) {
      definitionFollower.close();
    }
    kindMaker.shutdownNow();
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
