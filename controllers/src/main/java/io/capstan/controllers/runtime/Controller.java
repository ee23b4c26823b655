package io.capstan.controllers.runtime;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
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
 *
 * <p>The workers are not threads of the controller's own: the queue tells the controller when a
 * key is ready, and it runs up to {@code workers} reconciles at once on the process's
 * {@link ReconcileWorkers}, each taking one key. An idle controller holds no thread.
 */
public final class Controller implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Controller.class);
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  private final String name;
  private final WorkQueue queue;
  private final Reconciler reconciler;
  private final int workers;
  private final ReconcileWorkers pool;
  private final ControllerMetrics metrics;
  /** Workers handed to the pool and not finished: at most {@code workers}. */
  private final AtomicInteger running = new AtomicInteger();
  private boolean started;
  private volatile boolean stopped;
  /** Which keys this instance reconciles; all of them unless sharded. */
  private volatile Predicate<String> owns = key -> true;
  /** Keys being reconciled now: a shard handed over waits for its in-flight keys. */
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

  /** A controller whose workers run on the process's shared {@link ReconcileWorkers}. */
  public Controller(String name, WorkQueue queue, Reconciler reconciler, int workers, MeterRegistry registry) {
    this(name, queue, reconciler, workers, ReconcileWorkers.shared(), registry);
  }

  /**
   * @param workers at most this many keys are reconciled at once (kube-controller-manager's
   *                --concurrent-*-syncs)
   * @param pool    the threads the reconciles run on
   */
  public Controller(String name, WorkQueue queue, Reconciler reconciler, int workers, ReconcileWorkers pool,
      MeterRegistry registry) {
    if (name == null || name.isBlank() || queue == null || reconciler == null || workers < 1 || pool == null
        || registry == null) {
      throw new IllegalArgumentException(
          "controller: need a name, a queue, a reconciler, workers >= 1, a worker pool and a registry");
    }
    this.name = name;
    this.queue = queue;
    this.reconciler = reconciler;
    this.workers = workers;
    this.pool = pool;
    this.metrics = new ControllerMetrics(registry, name);
  }

  public String name() {
    return name;
  }

  public WorkQueue queue() {
    return queue;
  }

  public synchronized void start() {
    if (started) {
      throw new IllegalStateException("controller " + name + " already started");
    }
    started = true;
    log.info("controller {} starting: up to {} workers on the shared reconcile pool", name, workers);
    queue.onReady(this::wakeWorker);
  }

  /** A key is ready: hands one more worker to the pool unless {@code workers} are already out. */
  private void wakeWorker() {
    while (!stopped) {
      int r = running.get();
      if (r >= workers || queue.length() == 0) {
        return;
      }
      if (running.compareAndSet(r, r + 1)) {
        try {
          pool.execute(this::workOne);
        } catch (java.util.concurrent.RejectedExecutionException e) { // the pool never rejects; be loud if it does
          running.decrementAndGet();
          log.error("controller {}: the reconcile pool refused a worker", name, e);
        }
        return;
      }
    }
  }

  /**
   * One worker's turn: takes a key, reconciles it and ends. A worker that finds more keys ready
   * wakes another (up to the limit); one that finishes hands the next key to a fresh turn at the
   * back of the pool's queue, so the other controllers get their turns.
   */
  private void workOne() {
    String key = null;
    try {
      if (!stopped) {
        key = queue.poll();
      }
      if (key != null) {
        if (queue.length() > 0) {
          wakeWorker();
        }
        processOne(key);
      }
    } finally {
      if (key != null) {
        queue.done(key);
      }
      running.decrementAndGet();
      wakeWorker();
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

  /** Stops taking keys and waits a little for the reconciles in flight. */
  @Override
  public void close() {
    stopped = true;
    queue.shutDown();
    long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
    while (running.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
