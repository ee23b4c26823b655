package io.capstan.controllers.runtime;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Workers that take keys from a {@link WorkQueue} and reconcile them (client-go's
 * {@code processNextWorkItem} loop). The queue guarantees one worker per key at a time; the
 * result decides what happens to the key next: {@code Done} forgets its failures,
 * {@code RequeueAfter} queues it again later, {@code Failed} (or an exception) queues it with
 * the rate limiter's backoff.
 */
public final class Controller implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Controller.class);
  private static final Duration POLL = Duration.ofMillis(500);

  private final String name;
  private final WorkQueue queue;
  private final Reconciler reconciler;
  private final int workers;
  private final ControllerMetrics metrics;
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean stopped;
  /** Which keys this instance reconciles; all of them unless sharded. */
  private volatile Predicate<String> owns = key -> true;
  /** Keys being reconciled now: a shard handed over waits for its in-flight keys. */
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

  public Controller(String name, WorkQueue queue, Reconciler reconciler, int workers, MeterRegistry registry) {
    if (name == null || name.isBlank() || queue == null || reconciler == null || workers < 1 || registry == null) {
      throw new IllegalArgumentException("controller: need a name, a queue, a reconciler, workers >= 1 and a registry");
    }
    this.name = name;
    this.queue = queue;
    this.reconciler = reconciler;
    this.workers = workers;
    this.metrics = new ControllerMetrics(registry, name);
  }

  public String name() {
    return name;
  }

  public WorkQueue queue() {
    return queue;
  }

  public synchronized void start() {
    if (!threads.isEmpty()) {
      throw new IllegalStateException("controller " + name + " already started");
    }
    log.info("controller {} starting {} workers", name, workers);
    for (int i = 0; i < workers; i++) {
      Thread t = new Thread(this::work, "capstan-controller-" + name + "-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  private void work() {
    while (!stopped) {
      String key;
      try {
        key = queue.get(POLL);
      } catch (InterruptedException e) {
        return;
      }
      if (key == null) {
        if (queue.isShuttingDown()) {
          return;
        }
        continue;
      }
      try {
        processOne(key);
      } finally {
        queue.done(key);
      }
    }
  }

  /**
   * Reconciles only the keys of the partitions the shard holds. Keys of partitions gained are
   * queued from {@code primaryKeys} (the primary informer's keys); before partitions are given
   * up, the reconciles in flight for them are waited for, so two instances never reconcile one
   * key at the same time during a clean hand-over.
   */
  public void shardBy(ShardAssignment shard, Supplier<? extends Collection<String>> primaryKeys) {
    owns = shard::owns;
    shard.onGained(gained -> {
      for (String key : primaryKeys.get()) {
        if (gained.contains(shard.partitionOf(key))) {
          queue.add(key);
        }
      }
    });
    shard.onRevoke(lost -> {
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
      while (inFlight.stream().anyMatch(k -> lost.contains(shard.partitionOf(k))) && System.nanoTime() < deadline) {
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    });
  }

  /** Reconciles one key and files it according to the result; public for tests that drive it by hand. */
  public void processOne(String key) {
    // In flight before the ownership check: a hand-over that starts now waits for this key.
    inFlight.add(key);
    try {
      if (!owns.test(key)) {
        queue.forget(key); // another instance's key
        return;
      }
      reconcileOne(key);
    } finally {
      inFlight.remove(key);
    }
  }

  private void reconcileOne(String key) {
    long start = System.nanoTime();
    ReconcileResult result;
    try {
      result = reconciler.reconcile(key);
      if (result == null) {
        result = ReconcileResult.failed("reconciler returned no result");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      result = new ReconcileResult.Failed("interrupted", e);
    } catch (WriteRejectedException e) {
      result = new ReconcileResult.Failed(e.isConflict() ? "conflict" : e.getMessage(), e);
    } catch (Exception | LinkageError e) {
      result = new ReconcileResult.Failed(e.toString(), e);
    }
    long nanos = System.nanoTime() - start;
    if (result instanceof ReconcileResult.Done) {
      queue.forget(key);
      metrics.reconciled("success", nanos);
    } else if (result instanceof ReconcileResult.RequeueAfter r) {
      queue.forget(key);
      queue.addAfter(key, r.delay());
      metrics.reconciled("requeue_after", nanos);
    } else if (result instanceof ReconcileResult.Failed f) {
      int retries = queue.numRequeues(key);
      queue.addRateLimited(key);
      metrics.reconciled("error", nanos);
      if (f.cause() instanceof WriteRejectedException w && w.isConflict()) {
        // A stale cache: the newer object is on its way through the informer.
        log.debug("{}: {} conflicted, retrying: {}", name, key, w.getMessage());
      } else if (f.cause() != null && !(f.cause() instanceof WriteRejectedException)) {
        log.warn("{}: reconcile of {} failed (retry {}): {}", name, key, retries + 1, f.reason(), f.cause());
      } else {
        log.info("{}: reconcile of {} failed (retry {}): {}", name, key, retries + 1, f.reason());
      }
    }
  }

  @Override
  public void close() {
    stopped = true;
    queue.shutDown();
    for (Thread t : threads) {
      try {
        t.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
