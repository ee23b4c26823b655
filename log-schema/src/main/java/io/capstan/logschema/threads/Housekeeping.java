package io.capstan.logschema.threads;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One timer thread for the short periodic chores of every component of a process: re-reading a
 * file, refreshing a gauge, flushing a queue's backoff, re-enqueueing a few keys, a command's
 * attempt timeout. Each component used to keep a single-thread scheduler of its own for these,
 * asleep almost all the time; a process of many components held half a dozen.
 *
 * <p>A chore must be quick and never block (no I/O waits, no joins, no Kafka calls): it shares
 * the thread with everyone else's. Work that may block belongs on the owner's own threads; a chore
 * may hand it there. A chore that throws is logged and, when periodic, keeps its schedule.
 *
 * <p>Each owner takes a {@code Housekeeping} of its own; {@link #close()} cancels just its chores.
 */
public final class Housekeeping implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Housekeeping.class);
  private static final ScheduledThreadPoolExecutor SHARED = sharedExecutor();

  private final String owner;
  private final Set<ScheduledFuture<?>> chores = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private Housekeeping(String owner) {
    this.owner = owner;
  }

  /** The chores of one owner (its name appears in the log when a chore fails). */
  public static Housekeeping of(String owner) {
    if (owner == null || owner.isBlank()) {
      throw new IllegalArgumentException("housekeeping: the owner's name is required");
    }
    return new Housekeeping(owner);
  }

  private static ScheduledThreadPoolExecutor sharedExecutor() {
    ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "capstan-housekeeping");
      t.setDaemon(true);
      return t;
    });
    e.setRemoveOnCancelPolicy(true); // cancelled chores leave the queue at once
    // No chore waiting (a process whose components all closed, a test JVM between tests): no thread.
    e.setKeepAliveTime(30, TimeUnit.SECONDS);
    e.allowCoreThreadTimeOut(true);
    return e;
  }

  /** Runs {@code chore} every {@code period} (between the end of one run and the start of the next), first after {@code initialDelay}. */
  public ScheduledFuture<?> every(Duration period, Duration initialDelay, Runnable chore) {
    if (period == null || period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("housekeeping " + owner + ": the period must be positive, got " + period);
    }
    return track(() -> SHARED.scheduleWithFixedDelay(guarded(chore), initialDelay.toNanos(), period.toNanos(),
        TimeUnit.NANOSECONDS));
  }

  /** Runs {@code chore} once after {@code delay}. */
  public ScheduledFuture<?> after(Duration delay, Runnable chore) {
    return track(() -> SHARED.schedule(guarded(chore), delay.toNanos(), TimeUnit.NANOSECONDS));
  }

  /**
   * A one-off task with no owner's bookkeeping, cancelled by its caller when no longer wanted: for
   * hot paths such as the attempt timeout of every command sent (thousands a second under load).
   * It must be as quick as any chore; it is not guarded, so it must not throw.
   */
  public static ScheduledFuture<?> once(Duration delay, Runnable task) {
    return SHARED.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private ScheduledFuture<?> track(java.util.function.Supplier<ScheduledFuture<?>> schedule) {
    if (closed) {
      throw new RejectedExecutionException("housekeeping " + owner + " is closed");
    }
    if (chores.size() > 64) {
      chores.removeIf(ScheduledFuture::isDone); // one-off chores that ran
    }
    ScheduledFuture<?> f = schedule.get();
    chores.add(f);
    if (closed) { // close() ran meanwhile and did not see this one
      f.cancel(false);
      chores.remove(f);
    }
    return f;
  }

  private Runnable guarded(Runnable chore) {
    return () -> {
      try {
        chore.run();
      } catch (RuntimeException e) {
        log.warn("a chore of {} failed", owner, e);
      }
    };
  }

  /** Chores scheduled and not yet finished or cancelled. */
  public int pending() {
    chores.removeIf(ScheduledFuture::isDone);
    return chores.size();
  }

  /** Cancels this owner's chores; a chore running now finishes. */
  @Override
  public void close() {
    closed = true;
    for (ScheduledFuture<?> f : chores) {
      f.cancel(false);
    }
    chores.clear();
  }
}
