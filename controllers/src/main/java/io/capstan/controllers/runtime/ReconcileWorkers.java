package io.capstan.controllers.runtime;

import io.capstan.logschema.threads.OnDemandThreads;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads that run reconciles, shared by every {@link Controller} of a process: a bounded
 * pool whose threads exist only while there is work (they end after {@link #DEFAULT_KEEP_ALIVE}
 * idle), so an idle controller-manager holds no worker threads at all, where a thread per worker
 * per controller held some thirty asleep. Each controller still runs at most its own number of
 * workers at once, and its {@link WorkQueue} still hands a key to one worker at a time; a worker
 * reconciles one key and goes to the back of the pool's queue, so a busy controller cannot starve
 * the others. Delayed keys are woken by the JDK's shared delay scheduler
 * ({@link CompletableFuture#delayedExecutor}), which costs no thread of ours.
 */
public final class ReconcileWorkers {
  /**
   * Reconciles mostly wait for the processor's replies, so the pool is larger than the cores: it
   * lets the three controllers of a rollout (deployment, replicaset, endpoints or the garbage
   * collector) each run kube-controller-manager's 5 concurrent syncs at once.
   */
  public static final int DEFAULT_THREADS = 16;
  /** As the command client's threads: an idle cluster's periodic reconciles are seconds apart. */
  public static final Duration DEFAULT_KEEP_ALIVE = Duration.ofSeconds(5);

  private static final ReconcileWorkers SHARED =
      new ReconcileWorkers("capstan-controller-worker", DEFAULT_THREADS, DEFAULT_KEEP_ALIVE);

  private final ThreadPoolExecutor executor;

  /**
   * @param name      the threads' name prefix
   * @param threads   at most this many reconciles run at once, over all controllers
   * @param keepAlive an idle thread ends after this long
   */
  public ReconcileWorkers(String name, int threads, Duration keepAlive) {
    if (name == null || name.isBlank() || threads < 1 || keepAlive == null || keepAlive.isNegative()
        || keepAlive.isZero()) {
      throw new IllegalArgumentException("reconcile workers: need a name, threads >= 1 and a positive keep-alive");
    }
    // A trickle of work (a node's periodic check) is served by one thread, not one per task.
    this.executor = OnDemandThreads.pool(name, threads, keepAlive);
  }

  /** The process's pool, which every controller uses unless given another. */
  public static ReconcileWorkers shared() {
    return SHARED;
  }

  void execute(Runnable task) {
    executor.execute(task);
  }

  /** Threads alive now (idle ones included until their keep-alive ends). */
  public int threads() {
    return executor.getPoolSize();
  }

  /** The most threads this pool runs at once. */
  public int maxThreads() {
    return executor.getMaximumPoolSize();
  }

  /** Schedules a wake-up on the JDK's delay scheduler; it runs quick work only (no reconcile). */
  static void wakeAfter(long nanos, Runnable task) {
    CompletableFuture.delayedExecutor(Math.max(0, nanos), TimeUnit.NANOSECONDS, Runnable::run).execute(task);
  }
}
