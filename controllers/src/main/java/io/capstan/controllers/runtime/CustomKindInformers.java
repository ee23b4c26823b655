package io.capstan.controllers.runtime;

import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.SharedInformers;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import org.apache.avro.generic.IndexedRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the kind registry for a controller that works across kinds (garbage collector, namespace
 * and quota controllers), as the gateway's watch cache does: each custom kind that enters the
 * registry gets an informer, started and synced on a thread of its own (a registration is told on
 * the registering thread, a processor or informer thread, which must not wait on the broker), then
 * handed to the controller. A kind is handed over once; one that leaves keeps its informer (its
 * objects were deleted before its definition went).
 */
public final class CustomKindInformers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CustomKindInformers.class);
  public static final Duration SYNC_TIMEOUT = Duration.ofSeconds(60);

  private final SharedInformers informers;
  private final String controller;
  private final Predicate<Kind> wanted;
  private final BiConsumer<Kind, Informer<IndexedRecord>> ready;
  private final Set<String> seen = ConcurrentHashMap.newKeySet();
  private final AtomicInteger loading = new AtomicInteger();
  private final ExecutorService loader;
  private AutoCloseable subscription;

  /**
   * @param controller names the loader thread and the log lines
   * @param wanted which custom kinds the controller reads (e.g. namespaced ones)
   * @param ready called once per kind with its synced informer, on the loader thread
   */
  public CustomKindInformers(SharedInformers informers, String controller, Predicate<Kind> wanted,
      BiConsumer<Kind, Informer<IndexedRecord>> ready) {
    this.informers = Objects.requireNonNull(informers, "informers");
    this.controller = Objects.requireNonNull(controller, "controller");
    this.wanted = Objects.requireNonNull(wanted, "wanted");
    this.ready = Objects.requireNonNull(ready, "ready");
    this.loader = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, controller + "-custom-kinds");
      t.setDaemon(true);
      return t;
    });
  }

  /** Hands over the custom kinds registered now (asynchronously), then every one registered later. */
  public synchronized void start() {
    if (subscription != null) {
      throw new IllegalStateException(controller + ": custom kinds are already followed");
    }
    subscription = Kinds.subscribe(this::kindChanged);
  }

  /**
   * Whether every custom kind registered so far has been handed over: while one is loading, a
   * controller that must see every kind (the namespace controller deciding a namespace is empty)
   * waits.
   */
  public boolean settled() {
    return loading.get() == 0;
  }

  private void kindChanged(Kinds.Change change) {
    Kind kind = change.kind();
    if (!(change instanceof Kinds.Change.Registered) || !kind.custom() || !wanted.test(kind)
        || !seen.add(kind.kind())) {
      return;
    }
    loading.incrementAndGet();
    try {
      loader.execute(() -> load(kind));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      loading.decrementAndGet(); // closed
    }
  }

  private void load(Kind kind) {
    try {
      Informer<IndexedRecord> informer = informers.informerFor(kind, IndexedRecord.class);
      if (!informer.isStarted()) {
        informers.start();
      }
      if (!informer.awaitSynced(SYNC_TIMEOUT)) {
        throw new IllegalStateException("the informer of " + kind.kind() + " did not load within " + SYNC_TIMEOUT);
      }
      ready.accept(kind, informer);
      log.info("{}: following custom kind {} ({}.{})", controller, kind.kind(), kind.plural(), kind.group());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      seen.remove(kind.kind()); // its next registration (a definition read again) tries again
      log.error("{}: custom kind {} cannot be followed", controller, kind.kind(), e);
    } finally {
      loading.decrementAndGet();
    }
  }

  @Override
  public synchronized void close() {
    if (subscription != null) {
      try {
        subscription.close();
      } catch (Exception e) {
        log.warn("{}: stopping to follow kinds failed", controller, e);
      }
    }
    loader.shutdownNow();
  }
}
