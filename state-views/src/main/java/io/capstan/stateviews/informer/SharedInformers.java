package io.capstan.stateviews.informer;

import io.capstan.logschema.codec.SchemaLog;
import io.capstan.stateviews.kafka.SchemaLogs;
import io.capstan.logschema.kinds.Kind;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.avro.generic.IndexedRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One informer per kind for a whole component (client-go's SharedInformerFactory): every
 * controller of a controller-manager asks for the Pod informer and gets the same one, so the
 * state topic is read and cached once. The informers read through one consumer (a
 * {@link StateFeed}), so a kind added costs no consumer, thread or poll loop of its own.
 *
 * <pre>{@code
 * SharedInformers informers = new SharedInformers(InformerConfig.defaults(kafka, layout, "controllers"), registry);
 * Informer<Pod> pods = informers.informerFor(Kinds.POD, Pod.class);
 * Informer<ReplicaSet> sets = informers.informerFor(Kinds.REPLICA_SET, ReplicaSet.class);
 * informers.start();
 * informers.awaitSynced(Duration.ofMinutes(1));
 * }</pre>
 */
public final class SharedInformers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SharedInformers.class);

  private final InformerConfig config;
  private final MeterRegistry registry;
  /** The informers, their lock, and the owner's closed flag: one set, shared by every borrowed handle. */
  private final Pool pool;
  /** Null for the owner; the owner for a handle from {@link #borrow()}. */
  private final SharedInformers owner;
  private boolean closed;

  private static final class Pool {
    final Map<String, Informer<?>> informers = new LinkedHashMap<>();
    /** One producer asks for every informer's watermarks. */
    final ProgressRequests progress;
    /** One consumer reads every informer's state topic. */
    final StateFeed feed;
    /** The schemas topic, which the process's codec asks for writer schemas it does not know; from the first start. */
    SchemaLog schemas;
    boolean closed;

    Pool(InformerConfig config, MeterRegistry registry) {
      this.progress = new ProgressRequests(config);
      this.feed = new StateFeed(config, registry, config.component() + "-informers",
          "capstan-informers-" + config.component());
    }
  }

  public SharedInformers(InformerConfig config, MeterRegistry registry) {
    if (config == null || registry == null) {
      throw new IllegalArgumentException("shared informers need a config and a meter registry");
    }
    this.config = config;
    this.registry = registry;
    this.pool = new Pool(config, registry);
    this.owner = null;
  }

  private SharedInformers(SharedInformers owner) {
    this.config = owner.config;
    this.registry = owner.registry;
    this.pool = owner.pool;
    this.owner = owner;
  }

  /**
   * The informers a component reads through: a handle on {@code shared} when its process shares
   * them ({@link #borrow()}), else a set of its own from {@code config}. Either way the component
   * closes what it gets, and only its own set closes informers.
   */
  public static SharedInformers borrowOrOwn(SharedInformers shared, InformerConfig config, MeterRegistry registry) {
    return shared != null ? shared.borrow() : new SharedInformers(config, registry);
  }

  /**
   * A handle on the same informers for one component of a process whose components share them
   * ({@code capstan up}: the gateway, controllers, scheduler and node agent each read a kind's
   * state topic through one informer, so each change is fetched, decoded and cached once).
   * Through the handle a component asks for and starts informers as the owner would; closing it
   * only stops it asking. The informers run until the owner closes, and handlers added through
   * the handle stay registered until then: give handles to components that live as long as the owner.
   */
  public SharedInformers borrow() {
    synchronized (pool) {
      if (pool.closed) {
        throw new IllegalStateException("shared informers of " + config.component() + " are closed");
      }
      return new SharedInformers(owner == null ? this : owner);
    }
  }

  /**
   * The informer of a kind, created on first request (not started: {@link #start()} starts it,
   * or it may be started by hand). Callers that ask again get the same instance.
   *
   * @param type the kind's generated class, or a supertype such as {@code IndexedRecord}
   */
  @SuppressWarnings("unchecked")
  public <T extends IndexedRecord> Informer<T> informerFor(Kind kind, Class<T> type) {
    synchronized (pool) {
      if (closed || pool.closed) {
        throw new IllegalStateException("shared informers of " + config.component() + " are closed");
      }
      Informer<?> existing = pool.informers.get(kind.kind());
      if (existing == null) {
        Informer<T> created = new Informer<>(config, kind, type, registry, pool.progress, pool.feed);
        pool.informers.put(kind.kind(), created);
        return created;
      }
      Class<?> generated = org.apache.avro.specific.SpecificData.get().getClass(kind.schema());
      if (generated == null) {
        generated = org.apache.avro.generic.GenericRecord.class; // a custom kind: generic records
      }
      if (!type.isAssignableFrom(generated)) {
        throw new IllegalArgumentException("an informer of " + kind.kind() + " holds " + generated.getName()
            + " objects, not " + type.getName());
      }
      return (Informer<T>) existing; // same kind, same generated class: the cast holds
    }
  }

  /**
   * Starts every informer created and not started yet, side by side (each start waits on broker
   * round trips: metadata, end offsets, and one after the other that adds up over many kinds on
   * a busy machine). Informers asked for later start on the next call.
   *
   * @throws IllegalStateException naming the kind when an informer cannot start (e.g. its topic is missing)
   */
  public void start() {
    synchronized (pool) {
      if (pool.schemas == null && !pool.closed) {
        pool.schemas = SchemaLogs.attach(config.kafka(), config.layout());
      }
      List<Informer<?>> waiting = new ArrayList<>();
      for (Informer<?> i : pool.informers.values()) {
        if (!i.isStarted()) {
          waiting.add(i);
        }
      }
      if (waiting.size() == 1) {
        waiting.get(0).start();
        return;
      }
      List<CompletableFuture<?>> starts = new ArrayList<>();
      for (Informer<?> i : waiting) {
        starts.add(CompletableFuture.runAsync(i::start, r -> {
          Thread t = new Thread(r, "capstan-informer-start-" + i.kind().singular());
          t.setDaemon(true);
          t.start();
        }));
      }
      RuntimeException failed = null;
      for (int n = 0; n < starts.size(); n++) {
        try {
          starts.get(n).join();
        } catch (java.util.concurrent.CompletionException e) {
          Throwable cause = e.getCause() != null ? e.getCause() : e;
          if (failed == null) {
            failed = cause instanceof RuntimeException r ? r
                : new IllegalStateException("informer of " + waiting.get(n).kind().kind() + " could not start: " + cause, cause);
          } else {
            failed.addSuppressed(cause);
          }
        }
      }
      if (failed != null) {
        throw failed;
      }
    }
  }

  /** Waits until every informer has synced; false on timeout (which informers lag is logged). */
  public boolean awaitSynced(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Informer<?>> all;
    synchronized (pool) {
      all = new ArrayList<>(pool.informers.values());
    }
    for (Informer<?> i : all) {
      long left = Math.max(0, deadline - System.nanoTime());
      if (!i.awaitSynced(Duration.ofNanos(left))) {
        log.warn("informer of {} did not sync within {}", i.kind().kind(), timeout);
        return false;
      }
    }
    return true;
  }

  /** The informers created so far, by kind name. */
  public Map<String, Informer<?>> informers() {
    synchronized (pool) {
      return Map.copyOf(pool.informers);
    }
  }

  /** The consumer every informer of this set reads through. */
  StateFeed feed() {
    return pool.feed;
  }

  /** Closes the informers; on a handle from {@link #borrow()} only the handle (the owner closes the informers). */
  @Override
  public void close() {
    synchronized (pool) {
      closed = true;
      if (owner != null || pool.closed) {
        return;
      }
      pool.closed = true;
      for (Informer<?> i : pool.informers.values()) {
        i.close();
      }
      pool.progress.close();
      pool.feed.close();
      SchemaLogs.detach(pool.schemas);
    }
  }
}
