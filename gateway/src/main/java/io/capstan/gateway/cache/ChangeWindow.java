package io.capstan.gateway.cache;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.generic.IndexedRecord;

/**
 * The recent changes of one kind, per partition in log order (so in resourceVersion order),
 * bounded by a total count: kube-apiserver's watch cache ring buffer, with one lane per partition
 * because resourceVersions are ordered only within a partition.
 *
 * <p>Per partition it knows its <em>floor</em>: every change on the partition with an rv above
 * the floor is still here. It starts at the version the cache was filled at (older history was
 * never seen) and rises as changes are evicted. A version is <em>covered</em> when it is at or
 * above every floor: then "the state at rv" and "every change after rv" can both be worked out.
 * Not thread-safe: the owning {@link KindCache} guards it.
 */
final class ChangeWindow {
  /** Stands for "no object at that version" in {@link #stateBefore}. */
  static final IndexedRecord ABSENT = null;

  private final ArrayDeque<CachedChange>[] lanes;
  private final long[] floors;
  private final int capacity;
  private int size;

  @SuppressWarnings("unchecked")
  ChangeWindow(int partitions, int capacity, long[] initialFloors) {
    if (capacity < 1) {
      throw new IllegalArgumentException("a change window holds at least one change, got capacity " + capacity);
    }
    if (initialFloors.length != partitions) {
      throw new IllegalArgumentException("one floor per partition: " + partitions + " partitions, "
          + initialFloors.length + " floors");
    }
    this.lanes = new ArrayDeque[partitions];
    for (int p = 0; p < partitions; p++) {
      lanes[p] = new ArrayDeque<>();
    }
    this.floors = initialFloors.clone();
    this.capacity = capacity;
  }

  /**
   * Appends a change (in its partition's log order); evicts the oldest applied when full.
   *
   * @return the highest resourceVersion evicted to make room (0 when none was)
   */
  long add(CachedChange c) {
    lanes[c.partition()].addLast(c);
    size++;
    long evicted = 0;
    while (size > capacity) {
      evicted = Math.max(evicted, evictOldest());
    }
    return evicted;
  }

  private long evictOldest() {
    int oldest = -1;
    long oldestSeq = Long.MAX_VALUE;
    for (int p = 0; p < lanes.length; p++) {
      CachedChange head = lanes[p].peekFirst();
      if (head != null && head.seq() < oldestSeq) {
        oldestSeq = head.seq();
        oldest = p;
      }
    }
    CachedChange evicted = lanes[oldest].pollFirst();
    floors[oldest] = Math.max(floors[oldest], evicted.resourceVersion());
    size--;
    return evicted.resourceVersion();
  }

  int size() {
    return size;
  }

  /** Whether every change after {@code rv} is still here, on every partition. */
  boolean covers(long rv) {
    return rv >= oldestCovered();
  }

  /** The lowest version this window covers: the highest floor. */
  long oldestCovered() {
    long max = 0;
    for (long f : floors) {
      max = Math.max(max, f);
    }
    return max;
  }

  long[] floors() {
    return floors.clone();
  }

  /**
   * For every key changed after {@code rv}: its object as it was at {@code rv} ({@link #ABSENT}
   * when it did not exist then). Keys not in the map are as they are now. Only meaningful when
   * {@link #covers covered}.
   */
  Map<String, IndexedRecord> stateBefore(long rv) {
    Map<String, IndexedRecord> before = new HashMap<>();
    for (ArrayDeque<CachedChange> lane : lanes) {
      Iterator<CachedChange> newestFirst = lane.descendingIterator();
      while (newestFirst.hasNext()) {
        CachedChange c = newestFirst.next();
        if (c.resourceVersion() <= rv) {
          break;
        }
        before.put(c.key(), c.previous()); // the earliest change after rv is put last and wins
      }
    }
    return before;
  }

  /** Every change after {@code rv}, in resourceVersion order across partitions (log order within one). */
  List<CachedChange> after(long rv) {
    return between(rv, Long.MAX_VALUE);
  }

  /**
   * Every change after {@code from} up to {@code to} (inclusive), in resourceVersion order across
   * partitions (log order within one; equal versions on several partitions in partition order).
   */
  List<CachedChange> between(long from, long to) {
    List<List<CachedChange>> tails = new ArrayList<>();
    for (ArrayDeque<CachedChange> lane : lanes) {
      List<CachedChange> tail = new ArrayList<>();
      Iterator<CachedChange> newestFirst = lane.descendingIterator();
      while (newestFirst.hasNext()) {
        CachedChange c = newestFirst.next();
        if (c.resourceVersion() <= from) {
          break;
        }
        if (c.resourceVersion() <= to) {
          tail.add(c);
        }
      }
      if (!tail.isEmpty()) {
        java.util.Collections.reverse(tail);
        tails.add(tail);
      }
    }
    // a k-way merge by rv; k (the partitions with changes after rv) is small
    List<CachedChange> merged = new ArrayList<>();
    int[] at = new int[tails.size()];
    while (true) {
      int best = -1;
      for (int i = 0; i < tails.size(); i++) {
        if (at[i] < tails.get(i).size() && (best < 0
            || tails.get(i).get(at[i]).resourceVersion() < tails.get(best).get(at[best]).resourceVersion())) {
          best = i;
        }
      }
      if (best < 0) {
        return merged;
      }
      merged.add(tails.get(best).get(at[best]++));
    }
  }

  /** The change of {@code key} at exactly {@code rv} on its partition, if still here. */
  Optional<CachedChange> find(int partition, String key, long rv) {
    Iterator<CachedChange> newestFirst = lanes[partition].descendingIterator();
    while (newestFirst.hasNext()) {
      CachedChange c = newestFirst.next();
      if (c.resourceVersion() < rv) {
        break;
      }
      if (c.resourceVersion() == rv && c.key().equals(key)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return "ChangeWindow[size=" + size + "/" + capacity + ", floors=" + Arrays.toString(floors) + "]";
  }
}
