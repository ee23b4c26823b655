package io.capstan.logschema.threads;

import java.time.Duration;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded pool that hands a task to an idle thread when there is one, starts a thread (up to
 * {@code maxThreads}) when there is none, and queues the task (FIFO) when all are busy; a thread
 * idle for {@code keepAlive} ends. An idle pool has no threads, and a trickle of work is served by
 * one thread, not by a new one per task.
 *
 * <p>A plain {@link ThreadPoolExecutor} cannot do this alone: below its core size it starts a
 * thread per task even while others are idle (a trickle then keeps {@code core} threads alive), and
 * above it starts threads only when its queue is full. Here the queue refuses a task while no
 * thread is idle and the pool may still grow, which makes the executor start one (as Tomcat's
 * request-thread queue does).
 */
public final class OnDemandThreads {
  private OnDemandThreads() {}

  /**
   * @param name       the threads' name prefix (threads are {@code name-0}, {@code name-1}, …; daemons)
   * @param maxThreads at most this many tasks run at once
   * @param keepAlive  an idle thread ends after this long
   */
  public static ThreadPoolExecutor pool(String name, int maxThreads, Duration keepAlive) {
    if (name == null || name.isBlank() || maxThreads < 1 || keepAlive == null || keepAlive.isNegative()
        || keepAlive.isZero()) {
      throw new IllegalArgumentException("on-demand pool: need a name, maxThreads >= 1 and a positive keep-alive");
    }
    AtomicInteger n = new AtomicInteger();
    return pool(name, r -> {
      Thread t = new Thread(r, name + "-" + n.getAndIncrement());
      t.setDaemon(true);
      return t;
    }, maxThreads, keepAlive);
  }

  /**
   * The same, with threads from {@code threads} (e.g. one that sets the thread's priority first);
   * {@code name} names the pool in errors.
   */
  public static ThreadPoolExecutor pool(String name, ThreadFactory threads, int maxThreads, Duration keepAlive) {
    if (name == null || name.isBlank() || threads == null || maxThreads < 1 || keepAlive == null
        || keepAlive.isNegative() || keepAlive.isZero()) {
      throw new IllegalArgumentException("on-demand pool: need a name, a thread factory, maxThreads >= 1 and a positive keep-alive");
    }
    HandOffQueue queue = new HandOffQueue();
    // core 0: every thread may end; a task the queue refused starts a thread, and one refused
    // because the pool reached its maximum meanwhile is queued after all.
    ThreadPoolExecutor pool = new ThreadPoolExecutor(0, maxThreads, keepAlive.toNanos(), TimeUnit.NANOSECONDS, queue,
        threads, (task, executor) -> {
          if (executor.isShutdown()) {
            throw new java.util.concurrent.RejectedExecutionException("pool " + name + " is shut down");
          }
          queue.enqueue(task);
        });
    queue.pool = pool;
    return pool;
  }

  /** Takes a task only when an idle thread waits for it or the pool cannot grow. */
  private static final class HandOffQueue extends LinkedTransferQueue<Runnable> {
    private static final long serialVersionUID = 1L;
    transient volatile ThreadPoolExecutor pool;

    @Override
    public boolean offer(Runnable task) {
      if (tryTransfer(task)) {
        return true; // an idle thread took it
      }
      ThreadPoolExecutor p = pool;
      if (p != null && p.getPoolSize() < p.getMaximumPoolSize()) {
        return false; // the executor starts a thread for it
      }
      return super.offer(task);
    }

    void enqueue(Runnable task) {
      super.offer(task);
    }
  }
}
