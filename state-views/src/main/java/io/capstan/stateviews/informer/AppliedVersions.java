package io.capstan.stateviews.informer;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * How far a reader has applied each partition of a state topic, and the consistent cut that
 * follows (see ARCHITECTURE.md, "Consistent reads"). One writer (the informer thread), any
 * number of readers.
 *
 * <p>Per partition it keeps the rv of the last applied record and the last applied watermark.
 * Both close the partition up to their value: a watermark W says no later record carries
 * rv &lt;= W, and since each partition's rv only grows in log order, having applied the record
 * with rv R means every record with rv &lt;= R is applied too. So a partition is
 * <em>closed</em> at {@code max(applied rv, watermark)}, and a list is complete at the
 * minimum of that over the partitions read.
 */
final class AppliedVersions {

  private static final class Partition {
    volatile long appliedRv;
    volatile long watermark;
    volatile long watermarkTimeMicros;
    /** Waiters ordered by the rv they wait for; guarded by the partition. */
    final PriorityQueue<Waiter> waiters = new PriorityQueue<>();

    long closed() {
      return Math.max(appliedRv, watermark);
    }
  }

  private record Waiter(long rv, CompletableFuture<Void> future) implements Comparable<Waiter> {
    @Override
    public int compareTo(Waiter o) {
      return Long.compare(rv, o.rv);
    }
  }

  private final Map<Integer, Partition> partitions;

  AppliedVersions(Collection<Integer> partitionNumbers) {
    if (partitionNumbers.isEmpty()) {
      throw new IllegalArgumentException("an informer reads at least one partition");
    }
    Map<Integer, Partition> m = new TreeMap<>();
    for (int p : partitionNumbers) {
      m.put(p, new Partition());
    }
    this.partitions = Collections.unmodifiableMap(m);
  }

  Collection<Integer> partitions() {
    return partitions.keySet();
  }

  boolean reads(int partition) {
    return partitions.containsKey(partition);
  }

  /** A record with this rv was applied. @return whether the partition's closed rv advanced */
  boolean recordApplied(int partition, long rv) {
    Partition p = require(partition);
    long before = p.closed();
    if (rv > p.appliedRv) {
      p.appliedRv = rv;
    }
    return p.closed() > before;
  }

  /** A watermark was applied. @return whether the partition's closed rv advanced */
  boolean watermarkApplied(int partition, long rv, long timeMicros) {
    Partition p = require(partition);
    long before = p.closed();
    if (rv > p.watermark) {
      p.watermark = rv;
      p.watermarkTimeMicros = timeMicros;
    }
    return p.closed() > before;
  }

  long appliedRv(int partition) {
    return require(partition).appliedRv;
  }

  long watermark(int partition) {
    return require(partition).watermark;
  }

  long watermarkTimeMicros(int partition) {
    return require(partition).watermarkTimeMicros;
  }

  /** Every record of the partition with rv &lt;= this is applied. */
  long closed(int partition) {
    return require(partition).closed();
  }

  /** The consistent cut: every record with rv &lt;= this, on every partition read, is applied. */
  long listResourceVersion() {
    long min = Long.MAX_VALUE;
    for (Partition p : partitions.values()) {
      min = Math.min(min, p.closed());
    }
    return min;
  }

  /** Closed rv per partition, in partition order. */
  Map<Integer, Long> closedByPartition() {
    Map<Integer, Long> m = new TreeMap<>();
    partitions.forEach((n, p) -> m.put(n, p.closed()));
    return Collections.unmodifiableMap(m);
  }

  /**
   * Completes when the partition is closed at {@code rv} or beyond, on {@code executor}; at once
   * if it already is. A waiter that is cancelled or times out is forgotten.
   */
  CompletableFuture<Void> whenClosed(int partition, long rv, Executor executor) {
    Partition p = require(partition);
    if (p.closed() >= rv) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> f = new CompletableFuture<>();
    Waiter w = new Waiter(rv, f);
    synchronized (p) {
      p.waiters.add(w);
    }
    // The partition may have closed between the check and the add.
    release(partition, executor);
    f.whenComplete((v, err) -> {
      if (err != null) {
        synchronized (p) {
          p.waiters.remove(w);
        }
      }
    });
    return f;
  }

  /** Completes the waiters the partition's closed rv has reached. */
  void release(int partition, Executor executor) {
    Partition p = require(partition);
    long closed = p.closed();
    synchronized (p) {
      while (!p.waiters.isEmpty() && p.waiters.peek().rv() <= closed) {
        CompletableFuture<Void> f = p.waiters.poll().future();
        try {
          executor.execute(() -> f.complete(null));
        } catch (java.util.concurrent.RejectedExecutionException e) {
          f.complete(null); // closing: complete here rather than never
        }
      }
    }
  }

  /** Fails every waiter (the reader is closing). */
  void failWaiters(RuntimeException why) {
    for (Partition p : partitions.values()) {
      java.util.List<Waiter> failed;
      synchronized (p) {
        failed = java.util.List.copyOf(p.waiters);
        p.waiters.clear();
      }
      for (Waiter w : failed) {
        w.future().completeExceptionally(why);
      }
    }
  }

  private Partition require(int partition) {
    Partition p = partitions.get(partition);
    if (p == null) {
      throw new IllegalArgumentException("partition " + partition + " is not read here (reading " + partitions.keySet() + ")");
    }
    return p;
  }
}
