package io.capstan.stateviews.history;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Every version of every object, by object key ({@code kind/namespace/name}), in the order the
 * log applied them (an object's events all sit on its key's partition, in resourceVersion
 * order). The state at any point is then a lookup, not a replay: per key, the newest version the
 * point covers, unless that version is a delete. Thread-safe.
 */
public final class VersionedObjects {
  private final TreeMap<String, List<ObjectVersion>> byKey = new TreeMap<>();
  private long versions;
  private long bytes;
  private long newestResourceVersion;

  /** The objects in effect at a point, in key order, and the newest resourceVersion the point covers among them. */
  public record Cut(List<ObjectVersion> objects, long resourceVersion) {}

  /**
   * The writes of a span of time: how many versions the log applied in each of {@code writes.length}
   * equal buckets from {@code fromMicros} (inclusive) to {@code toMicros} (exclusive), and the
   * versions in the span of the kinds asked for, in time order.
   */
  public record Timeline(long fromMicros, long toMicros, long[] writes, List<ObjectVersion> marked) {}

  /** Adds the next version of its key (callers add an object's versions in log order). */
  public synchronized void add(ObjectVersion v) {
    byKey.computeIfAbsent(v.key(), k -> new ArrayList<>(2)).add(v);
    versions++;
    bytes += v.stored() == null ? 0 : v.stored().length();
    newestResourceVersion = Math.max(newestResourceVersion, v.resourceVersion());
  }

  /** The object's version in effect at {@code at}; empty when it did not exist then (never made yet, or deleted). */
  public synchronized Optional<ObjectVersion> at(String key, AsOf at) {
    List<ObjectVersion> list = byKey.get(key);
    ObjectVersion v = list == null ? null : inEffect(list, at);
    return v == null || v.removes() ? Optional.empty() : Optional.of(v);
  }

  /** The objects whose keys start with {@code prefix} (a kind, or a kind and namespace) in effect at {@code at}. */
  public synchronized Cut at(AsOf at, String prefix) {
    List<ObjectVersion> out = new ArrayList<>();
    long rv = 0;
    for (Map.Entry<String, List<ObjectVersion>> e : byKey.subMap(prefix, true, prefix + Character.MAX_VALUE, false)
        .entrySet()) {
      ObjectVersion v = inEffect(e.getValue(), at);
      if (v == null) {
        continue;
      }
      rv = Math.max(rv, v.resourceVersion());
      if (!v.removes()) {
        out.add(v);
      }
    }
    return new Cut(out, rv);
  }

  /**
   * Counts the versions applied in each of {@code buckets} equal parts of [{@code fromMicros},
   * {@code toMicros}), and keeps those in the span whose key is of one of {@code markedKinds}
   * (at most {@code maxMarked}, the newest), oldest first. A walk over every version: the console
   * asks for it when its timeline opens, not per read.
   */
  public synchronized Timeline timeline(long fromMicros, long toMicros, int buckets, java.util.Set<String> markedKinds,
      int maxMarked) {
    if (buckets <= 0 || toMicros <= fromMicros) {
      throw new IllegalArgumentException("a timeline needs buckets > 0 and from before to");
    }
    long[] writes = new long[buckets];
    double width = (double) (toMicros - fromMicros) / buckets;
    List<ObjectVersion> marked = new ArrayList<>();
    for (Map.Entry<String, List<ObjectVersion>> e : byKey.entrySet()) {
      int slash = e.getKey().indexOf('/');
      boolean mark = slash > 0 && markedKinds.contains(e.getKey().substring(0, slash));
      for (ObjectVersion v : e.getValue()) {
        long t = v.timeMicros();
        if (t < fromMicros || t >= toMicros) {
          continue;
        }
        writes[Math.min(buckets - 1, (int) ((t - fromMicros) / width))]++;
        if (mark) {
          marked.add(v);
        }
      }
    }
    marked.sort(java.util.Comparator.comparingLong(ObjectVersion::timeMicros)
        .thenComparingLong(ObjectVersion::resourceVersion));
    List<ObjectVersion> kept = marked.size() > maxMarked
        ? List.copyOf(marked.subList(marked.size() - maxMarked, marked.size())) : List.copyOf(marked);
    return new Timeline(fromMicros, toMicros, writes, kept);
  }

  /** The time of the oldest version held, in microseconds since the epoch; 0 when there is none. */
  public synchronized long oldestMicros() {
    long oldest = Long.MAX_VALUE;
    for (List<ObjectVersion> list : byKey.values()) {
      oldest = Math.min(oldest, list.get(0).timeMicros());
    }
    return oldest == Long.MAX_VALUE ? 0 : oldest;
  }

  /** The object's newest version, or null (whose strings a newer version may share: the heap holds many versions). */
  public synchronized ObjectVersion last(String key) {
    List<ObjectVersion> list = byKey.get(key);
    return list == null ? null : list.get(list.size() - 1);
  }

  /** Every version of the object, oldest first (across deletes and re-creates with the same name). */
  public synchronized List<ObjectVersion> versions(String key) {
    return List.copyOf(byKey.getOrDefault(key, List.of()));
  }

  public synchronized long newestResourceVersion() {
    return newestResourceVersion;
  }

  public synchronized int keys() {
    return byKey.size();
  }

  public synchronized long versions() {
    return versions;
  }

  /** The bytes of the objects held (the encoded objects of the events). */
  public synchronized long bytes() {
    return bytes;
  }

  /** The newest version the point covers; an object's list is in log order, so scan back from its end. */
  private static ObjectVersion inEffect(List<ObjectVersion> list, AsOf at) {
    for (int i = list.size() - 1; i >= 0; i--) {
      ObjectVersion v = list.get(i);
      if (at.covers(v.resourceVersion(), v.timeMicros())) {
        return v;
      }
    }
    return null;
  }
}
