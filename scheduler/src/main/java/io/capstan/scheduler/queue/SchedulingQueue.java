package io.capstan.scheduler.queue;

import io.capstan.scheduler.framework.ClusterEvent;
import io.capstan.scheduler.framework.PodInfo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * kube-scheduler's PriorityQueue. A pending pod is in exactly one of: activeQ (ready to try),
 * backoffQ (failed, waiting out its backoff), unschedulable (failed, waiting for a cluster event
 * that could help: no hot loop), or popped (in flight). Failed pods wait 1 s × 2^(attempts−1),
 * at most 10 s. If a cluster event arrives while a pod is in flight, a failure of that pod goes
 * to backoffQ rather than unschedulable (moveRequestCycle), so the event is not missed.
 *
 * <p>Time comes from a {@link Clock}; {@link #flushBackoffCompleted()} and
 * {@link #flushUnschedulableLeftover()} are called by the owner's timer (every second / 30 s),
 * so tests drive the queue with a controllable clock.
 */
public final class SchedulingQueue {
  private static final Comparator<QueuedPod> ACTIVE_ORDER =
      Comparator.comparingInt(QueuedPod::priority).reversed().thenComparing(QueuedPod::timestamp);

  private final Clock clock;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Duration maxInUnschedulable;
  /** Which events can help a pod rejected by a plugin (the plugins' EventsToRegister). */
  private final Function<String, Set<ClusterEvent>> eventsOfPlugin;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  private final PriorityQueue<QueuedPod> activeQ = new PriorityQueue<>(ACTIVE_ORDER);
  private final PriorityQueue<QueuedPod> backoffQ;
  private final Map<String, QueuedPod> unschedulable = new HashMap<>();
  /** Where each queued pod is, by key. */
  private final Map<String, QueuedPod> byKey = new HashMap<>();
  private final Set<String> inFlight = new HashSet<>();
  private long schedulingCycle;
  private long moveRequestCycle = -1;
  private boolean closed;

  public SchedulingQueue(Clock clock, Duration initialBackoff, Duration maxBackoff, Duration maxInUnschedulable,
      Function<String, Set<ClusterEvent>> eventsOfPlugin) {
    this.clock = clock;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.maxInUnschedulable = maxInUnschedulable;
    this.eventsOfPlugin = eventsOfPlugin;
    this.backoffQ = new PriorityQueue<>(Comparator.comparing(this::backoffExpiry));
  }

  /** A new pending pod (informer add). Gated pods wait for the update that removes their gates. */
  public void add(PodInfo pod) {
    lock.lock();
    try {
      if (byKey.containsKey(pod.key()) || inFlight.contains(pod.key())) {
        update(pod);
        return;
      }
      QueuedPod q = new QueuedPod(pod, clock.instant(), 0, null, Set.of(), QueuedPod.isGated(pod));
      if (q.gated()) {
        park(q);
      } else {
        pushActive(q);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * The pending pod changed (informer update). Queued pods take the new object in place; a
   * parked pod is moved back, since its own change may make it fit.
   */
  public void update(PodInfo pod) {
    lock.lock();
    try {
      QueuedPod q = byKey.get(pod.key());
      if (q == null) {
        if (!inFlight.contains(pod.key())) {
          add(pod);
        }
        return;
      }
      QueuedPod updated = q.withPod(pod);
      if (activeQ.remove(q)) {
        pushActive(updated);
      } else if (backoffQ.remove(q)) {
        byKey.put(pod.key(), updated);
        backoffQ.add(updated);
      } else if (unschedulable.containsKey(pod.key())) {
        unschedulable.remove(pod.key());
        byKey.remove(pod.key());
        if (updated.gated()) {
          park(updated);
        } else if (isBackingOff(updated)) {
          byKey.put(pod.key(), updated);
          backoffQ.add(updated);
        } else {
          pushActive(updated);
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** The pod was deleted or bound elsewhere: forget it wherever it is. */
  public void delete(String key) {
    lock.lock();
    try {
      QueuedPod q = byKey.remove(key);
      if (q != null) {
        activeQ.remove(q);
        backoffQ.remove(q);
        unschedulable.remove(key);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits for the highest-priority active pod, marks it in flight and counts the attempt;
   * null on timeout or after {@link #close()}.
   */
  public Popped pop(Duration timeout) throws InterruptedException {
    long nanos = timeout.toNanos();
    lock.lock();
    try {
      while (activeQ.isEmpty()) {
        if (closed || nanos <= 0) {
          return null;
        }
        nanos = notEmpty.awaitNanos(nanos);
      }
      QueuedPod q = activeQ.poll();
      byKey.remove(q.key());
      inFlight.add(q.key());
      schedulingCycle++;
      return new Popped(q.popped(clock.instant()), schedulingCycle);
    } finally {
      lock.unlock();
    }
  }

  /** A popped pod and the scheduling cycle it was popped in. */
  public record Popped(QueuedPod pod, long cycle) {}

  /** The attempt ended (bound, or requeued by one of the methods below). */
  public void done(String key) {
    lock.lock();
    try {
      inFlight.remove(key);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The pod fit nowhere (AddUnschedulableIfNotPresent). Parked until an event one of
   * {@code plugins} registered, unless an event already came while it was in flight.
   */
  public void addUnschedulable(Popped p, Set<String> plugins) {
    lock.lock();
    try {
      inFlight.remove(p.pod().key());
      if (byKey.containsKey(p.pod().key())) {
        return;
      }
      QueuedPod failed = p.pod().failed(plugins, clock.instant());
      if (plugins.isEmpty() || moveRequestCycle >= p.cycle()) {
        byKey.put(failed.key(), failed);
        backoffQ.add(failed);
      } else {
        park(failed);
      }
    } finally {
      lock.unlock();
    }
  }

  /** The attempt failed for another reason (bind refused, an error): retry after the backoff. */
  public void requeueWithBackoff(Popped p) {
    lock.lock();
    try {
      inFlight.remove(p.pod().key());
      if (byKey.containsKey(p.pod().key())) {
        return;
      }
      QueuedPod failed = p.pod().failed(Set.of(), clock.instant());
      byKey.put(failed.key(), failed);
      backoffQ.add(failed);
    } finally {
      lock.unlock();
    }
  }

  /**
   * A cluster event (MoveAllToActiveOrBackoffQueue): parked pods that a plugin interested in it
   * rejected go back, to backoffQ while their backoff lasts, else to activeQ.
   */
  public void onClusterEvent(ClusterEvent event) {
    lock.lock();
    try {
      List<QueuedPod> move = new ArrayList<>();
      for (QueuedPod q : unschedulable.values()) {
        if (!q.gated() && helps(event, q)) {
          move.add(q);
        }
      }
      moveBack(move);
      moveRequestCycle = schedulingCycle;
    } finally {
      lock.unlock();
    }
  }

  private boolean helps(ClusterEvent event, QueuedPod q) {
    if (q.unschedulablePlugins().isEmpty()) {
      return true;
    }
    for (String plugin : q.unschedulablePlugins()) {
      if (eventsOfPlugin.apply(plugin).contains(event)) {
        return true;
      }
    }
    return false;
  }

  private void moveBack(List<QueuedPod> pods) {
    for (QueuedPod q : pods) {
      unschedulable.remove(q.key());
      byKey.remove(q.key());
      if (isBackingOff(q)) {
        byKey.put(q.key(), q);
        backoffQ.add(q);
      } else {
        pushActive(q);
      }
    }
  }

  /** Moves pods whose backoff has expired to activeQ (flushBackoffQCompleted, every second). */
  public void flushBackoffCompleted() {
    lock.lock();
    try {
      Instant now = clock.instant();
      while (!backoffQ.isEmpty() && !backoffExpiry(backoffQ.peek()).isAfter(now)) {
        QueuedPod q = backoffQ.poll();
        byKey.remove(q.key());
        pushActive(q);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Retries pods parked longer than podMaxInUnschedulablePodsDuration (every 30 s in Kubernetes). */
  public void flushUnschedulableLeftover() {
    lock.lock();
    try {
      Instant now = clock.instant();
      List<QueuedPod> move = new ArrayList<>();
      for (Iterator<QueuedPod> it = unschedulable.values().iterator(); it.hasNext(); ) {
        QueuedPod q = it.next();
        if (!q.gated() && Duration.between(q.timestamp(), now).compareTo(maxInUnschedulable) > 0) {
          move.add(q);
        }
      }
      moveBack(move);
    } finally {
      lock.unlock();
    }
  }

  /** calculateBackoffDuration: initial × 2^(attempts − 1), at most the maximum. */
  public Duration backoffDuration(int attempts) {
    Duration d = initialBackoff;
    for (int i = 1; i < attempts; i++) {
      d = d.multipliedBy(2);
      if (d.compareTo(maxBackoff) > 0) {
        return maxBackoff;
      }
    }
    return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
  }

  private Instant backoffExpiry(QueuedPod q) {
    return q.timestamp().plus(backoffDuration(q.attempts()));
  }

  private boolean isBackingOff(QueuedPod q) {
    return q.attempts() > 0 && backoffExpiry(q).isAfter(clock.instant());
  }

  private void pushActive(QueuedPod q) {
    byKey.put(q.key(), q);
    activeQ.add(q);
    notEmpty.signal();
  }

  private void park(QueuedPod q) {
    byKey.put(q.key(), q);
    unschedulable.put(q.key(), q);
  }

  public int activeSize() {
    lock.lock();
    try {
      return activeQ.size();
    } finally {
      lock.unlock();
    }
  }

  public int backoffSize() {
    lock.lock();
    try {
      return backoffQ.size();
    } finally {
      lock.unlock();
    }
  }

  public int unschedulableSize() {
    lock.lock();
    try {
      return unschedulable.size();
    } finally {
      lock.unlock();
    }
  }

  /** Where a pod is: "active", "backoff", "unschedulable", "in-flight", or null. */
  public String whereIs(String key) {
    lock.lock();
    try {
      if (inFlight.contains(key)) {
        return "in-flight";
      }
      QueuedPod q = byKey.get(key);
      if (q == null) {
        return null;
      }
      if (unschedulable.containsKey(key)) {
        return "unschedulable";
      }
      return activeQ.contains(q) ? "active" : "backoff";
    } finally {
      lock.unlock();
    }
  }

  /** Wakes waiting {@link #pop} calls; they return null from now on when the queue is empty. */
  public void close() {
    lock.lock();
    try {
      closed = true;
      notEmpty.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
