package io.capstan.controllers.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A queue of keys for reconcile workers, as client-go's rate-limited delaying work queue:
 * <ul>
 *   <li><b>De-duplicating</b>: a key waiting in the queue is there once however often it is added
 *       (the dirty set);
 *   <li><b>One worker per key</b>: a key handed out by {@link #get} is <em>processing</em> until
 *       {@link #done}; adding it meanwhile marks it dirty without queueing it, and {@code done}
 *       queues it again, so a change seen during a reconcile causes exactly one more run;
 *   <li><b>Delayed</b>: {@link #addAfter} holds a key until its time (the earliest time wins);
 *   <li><b>Rate limited</b>: {@link #addRateLimited} waits as long as the {@link RateLimiter}
 *       says; {@link #forget} clears a key's failure history.
 * </ul>
 * Meters: {@code capstan_workqueue_depth{name}}, {@code capstan_workqueue_adds_total{name}},
 * {@code capstan_workqueue_retries_total{name}}.
 */
public final class WorkQueue {
  private final String name;
  private final RateLimiter limiter;
  private final Ticker ticker;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<String> queue = new ArrayDeque<>();
  private final Set<String> dirty = new HashSet<>();
  private final Set<String> processing = new HashSet<>();
  /** Keys waiting for their time: the earliest ready time of each, and a heap to find the next. */
  private final Map<String, Long> waitingUntil = new HashMap<>();
  private final PriorityQueue<Waiting> waiting = new PriorityQueue<>();
  private final Counter adds;
  private final Counter retries;
  private boolean shuttingDown;
  /** Told when a key becomes ready to take (push mode, {@link #onReady}); null when workers poll. */
  private volatile Runnable readyListener;
  /** The earliest time a wake-up for delayed keys is scheduled for (push mode); MAX_VALUE for none. */
  private long wakeAt = Long.MAX_VALUE;

  private record Waiting(long readyAtNanos, String key) implements Comparable<Waiting> {
    @Override
    public int compareTo(Waiting o) {
      return Long.compare(readyAtNanos, o.readyAtNanos);
    }
  }

  public WorkQueue(String name, RateLimiter limiter, Ticker ticker, MeterRegistry registry) {
    if (name == null || name.isBlank() || limiter == null || ticker == null || registry == null) {
      throw new IllegalArgumentException("work queue: need a name, a rate limiter, a ticker and a meter registry");
    }
    this.name = name;
    this.limiter = limiter;
    this.ticker = ticker;
    Gauge.builder("capstan.workqueue.depth", this, WorkQueue::length)
        .description("Keys waiting in the work queue (not counting delayed or processing ones)")
        .tag("name", name).register(registry);
    this.adds = Counter.builder("capstan.workqueue.adds").description("Keys added to the work queue")
        .tag("name", name).register(registry);
    this.retries = Counter.builder("capstan.workqueue.retries").description("Rate-limited re-adds of keys")
        .tag("name", name).register(registry);
  }

  /** A queue with client-go's default controller rate limiter and the system clock. */
  public static WorkQueue withDefaultRateLimiter(String name, MeterRegistry registry) {
    Ticker t = Ticker.system();
    return new WorkQueue(name, MaxOfRateLimiter.defaultControllerRateLimiter(t), t, registry);
  }

  public String name() {
    return name;
  }

  /** Queues the key now, unless it is already waiting; a processing key runs once more after {@link #done}. */
  public void add(String key) {
    if (key == null) {
      throw new IllegalArgumentException("work queue " + name + ": key must not be null");
    }
    boolean ready;
    lock.lock();
    try {
      ready = addLocked(key);
    } finally {
      lock.unlock();
    }
    if (ready) {
      tellReady();
    }
  }

  /** True when the key was queued ready to take. */
  private boolean addLocked(String key) {
    if (shuttingDown || dirty.contains(key)) {
      return false;
    }
    adds.increment();
    dirty.add(key);
    if (processing.contains(key)) {
      return false;
    }
    queue.addLast(key);
    changed.signal();
    return true;
  }

  /**
   * Push mode, for workers from a pool instead of threads blocked in {@link #get}: {@code listener}
   * is called (never under the queue's lock) each time a key becomes ready to take, including a
   * delayed key when its time comes, and once now if keys are ready. It must not block; a worker it
   * starts takes keys with {@link #poll}.
   */
  public void onReady(Runnable listener) {
    if (listener == null) {
      throw new IllegalArgumentException("work queue " + name + ": listener must not be null");
    }
    boolean ready;
    lock.lock();
    try {
      readyListener = listener;
      scheduleWakeLocked();
      ready = !queue.isEmpty();
    } finally {
      lock.unlock();
    }
    if (ready) {
      listener.run();
    }
  }

  private void tellReady() {
    Runnable l = readyListener;
    if (l != null) {
      l.run();
    }
  }

  /** Push mode: makes sure a wake-up is due no later than the earliest delayed key. */
  private void scheduleWakeLocked() {
    if (readyListener == null || shuttingDown || waiting.isEmpty()) {
      return;
    }
    long next = waiting.peek().readyAtNanos;
    if (next >= wakeAt) {
      return; // one at or before it is already scheduled
    }
    wakeAt = next;
    ReconcileWorkers.wakeAfter(next - ticker.nanos(), this::wake);
  }

  private void wake() {
    boolean ready;
    lock.lock();
    try {
      wakeAt = Long.MAX_VALUE;
      ready = promoteDueLocked();
      scheduleWakeLocked();
    } finally {
      lock.unlock();
    }
    if (ready) {
      tellReady();
    }
  }

  /** Queues the key after a delay; if it is already waiting for an earlier time, that time stays. */
  public void addAfter(String key, Duration delay) {
    if (key == null || delay == null) {
      throw new IllegalArgumentException("work queue " + name + ": key and delay must not be null");
    }
    if (delay.isNegative() || delay.isZero()) {
      add(key);
      return;
    }
    lock.lock();
    try {
      if (shuttingDown) {
        return;
      }
      long readyAt = ticker.nanos() + delay.toNanos();
      Long was = waitingUntil.get(key);
      if (was != null && was <= readyAt) {
        return;
      }
      waitingUntil.put(key, readyAt);
      waiting.add(new Waiting(readyAt, key));
      changed.signalAll(); // a worker may be sleeping until a later ready time
      scheduleWakeLocked();
    } finally {
      lock.unlock();
    }
  }

  /** Queues the key after the rate limiter's delay for it (one more failure). */
  public void addRateLimited(String key) {
    retries.increment();
    addAfter(key, limiter.when(key));
  }

  /** Clears the key's failure history in the rate limiter (it reconciled fine). */
  public void forget(String key) {
    limiter.forget(key);
  }

  public int numRequeues(String key) {
    return limiter.numRequeues(key);
  }

  /**
   * Takes the next key, waiting up to {@code timeout}; null on timeout or shutdown. The key is
   * processing until {@link #done}.
   */
  public String get(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (true) {
        promoteDueLocked();
        if (!queue.isEmpty()) {
          return takeLocked();
        }
        if (shuttingDown) {
          return null;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return null;
        }
        Waiting next = waiting.peek();
        if (next != null) {
          left = Math.min(left, Math.max(1_000_000L, next.readyAtNanos - ticker.nanos()));
        }
        changed.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Takes the next key that is ready now, without waiting; null when none is. */
  public String poll() {
    lock.lock();
    try {
      promoteDueLocked();
      return queue.isEmpty() ? null : takeLocked();
    } finally {
      lock.unlock();
    }
  }

  private String takeLocked() {
    String key = queue.pollFirst();
    processing.add(key);
    dirty.remove(key);
    return key;
  }

  /** True when a key became ready to take. */
  private boolean promoteDueLocked() {
    long now = ticker.nanos();
    boolean ready = false;
    while (!waiting.isEmpty() && waiting.peek().readyAtNanos <= now) {
      Waiting w = waiting.poll();
      Long current = waitingUntil.get(w.key);
      if (current != null && current == w.readyAtNanos) { // else superseded by an earlier time
        waitingUntil.remove(w.key);
        ready |= addLocked(w.key);
      }
    }
    return ready;
  }

  /** The worker finished the key; if it was added meanwhile it is queued again. */
  public void done(String key) {
    boolean ready = false;
    lock.lock();
    try {
      processing.remove(key);
      if (dirty.contains(key)) {
        queue.addLast(key);
        changed.signal();
        ready = true;
      }
    } finally {
      lock.unlock();
    }
    if (ready) {
      tellReady();
    }
  }

  /** Keys ready to be taken (not delayed, not processing). */
  public int length() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** Keys waiting for a later time. */
  public int delayed() {
    lock.lock();
    try {
      return waitingUntil.size();
    } finally {
      lock.unlock();
    }
  }

  public boolean isProcessing(String key) {
    lock.lock();
    try {
      return processing.contains(key);
    } finally {
      lock.unlock();
    }
  }

  /** Stops accepting keys and wakes the workers; keys already queued can still be taken. */
  public void shutDown() {
    lock.lock();
    try {
      shuttingDown = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  public boolean isShuttingDown() {
    lock.lock();
    try {
      return shuttingDown;
    } finally {
      lock.unlock();
    }
  }

}
