package io.capstan.logschema.threads;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One owner's {@link Housekeeping} chores, seen as a {@link ScheduledExecutorService}: for a
 * library that wants a scheduler of its own for a rare, quick periodic task (a metrics binder's
 * refresh once a minute) and would otherwise start a thread to sleep in. Shutting it down cancels
 * the owner's chores; the shared thread goes on. The same rules as for any chore apply: quick,
 * never blocking.
 */
public final class ChoreScheduler extends AbstractExecutorService implements ScheduledExecutorService {
  private final Housekeeping chores;
  private volatile boolean shutdown;

  public ChoreScheduler(String owner) {
    this.chores = Housekeeping.of(owner);
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return chores.after(Duration.ofNanos(unit.toNanos(delay)), command);
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    CompletableFuture<V> result = new CompletableFuture<>();
    ScheduledFuture<?> f = chores.after(Duration.ofNanos(unit.toNanos(delay)), () -> {
      try {
        result.complete(callable.call());
      } catch (Exception e) {
        result.completeExceptionally(e);
      }
    });
    return new CallableFuture<>(f, result);
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
    // Housekeeping's chores keep a fixed delay; for a chore far shorter than its period the two agree.
    return scheduleWithFixedDelay(command, initialDelay, period, unit);
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
    return chores.every(Duration.ofNanos(unit.toNanos(delay)), Duration.ofNanos(unit.toNanos(initialDelay)), command);
  }

  @Override
  public void execute(Runnable command) {
    schedule(command, 0, TimeUnit.NANOSECONDS);
  }

  @Override
  public void shutdown() {
    shutdown = true;
    chores.close();
  }

  @Override
  public List<Runnable> shutdownNow() {
    shutdown();
    return List.of();
  }

  @Override
  public boolean isShutdown() {
    return shutdown;
  }

  @Override
  public boolean isTerminated() {
    return shutdown && chores.pending() == 0;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (!isTerminated()) {
      if (System.nanoTime() >= deadline) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }

  /** A scheduled callable: the chore's timing, the callable's result. */
  private record CallableFuture<V>(ScheduledFuture<?> chore, CompletableFuture<V> result) implements ScheduledFuture<V> {
    @Override
    public long getDelay(TimeUnit unit) {
      return chore.getDelay(unit);
    }

    @Override
    public int compareTo(java.util.concurrent.Delayed o) {
      return chore.compareTo(o);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      chore.cancel(mayInterruptIfRunning);
      return result.cancel(mayInterruptIfRunning);
    }

    @Override
    public boolean isCancelled() {
      return result.isCancelled();
    }

    @Override
    public boolean isDone() {
      return result.isDone();
    }

    @Override
    public V get() throws InterruptedException, java.util.concurrent.ExecutionException {
      return result.get();
    }

    @Override
    public V get(long timeout, TimeUnit unit)
        throws InterruptedException, java.util.concurrent.ExecutionException, java.util.concurrent.TimeoutException {
      return result.get(timeout, unit);
    }
  }
}
