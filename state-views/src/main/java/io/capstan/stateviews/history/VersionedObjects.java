package io.capstan.stateviews.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every version of every object, by object key ({@code kind/namespace/name}), in the order the
 * log applied them (an object's events all sit on its key's partition, in resourceVersion
 * order). The state at any point is then a lookup, not a replay: per key, the newest version the
 * point covers, unless that version is a delete. The writes are also counted per {@value
 * #SLOT_MICROS} µs of their time, and the versions of a few kinds kept in the order read, so a
 * timeline of the log walks neither every version nor every object. Thread-safe.
 */
public final class VersionedObjects {
  /** The width of a timeline count: writes are counted per 100 ms of their time. */
  public static final long SLOT_MICROS = 100_000;

  /** In key order, for lists of a prefix; new keys only go in, so adding a version is a hash lookup. */
  private final TreeMap<String, List<ObjectVersion>> byKey = new TreeMap<>();
  /** The same lists by key. */
  private final java.util.HashMap<String, List<ObjectVersion>> lists = new java.util.HashMap<>();
  /** Writes per slot of {@link #SLOT_MICROS}, by the slot's number (its start over the width). */
  private final TreeMap<Long, long[]> writesBySlot = new TreeMap<>();
  private final Set<String> markedKinds;
  /** Actors are few (users and components): one copy of each name. */
  private final java.util.HashMap<String, String> actors = new java.util.HashMap<>();
  /** The versions of the marked kinds, in the order added. */
  private final List<ObjectVersion> marked = new ArrayList<>();
  private long versions;
  private long bytes;
  private long newestResourceVersion;
  private long oldestMicros = Long.MAX_VALUE;

  /** Versions without marks on their timeline. */
  public VersionedObjects() {
    this(Set.of());
  }

  /** @param markedKinds the kinds whose versions a {@link #timeline} lists */
  public VersionedObjects(Set<String> markedKinds) {
    this.markedKinds = Set.copyOf(markedKinds);
  }

  /** The objects in effect at a point, in key order, and the newest resourceVersion the point covers among them. */
  public record Cut(List<ObjectVersion> objects, long resourceVersion) {}

  /**
   * The writes of a span of time: how many versions the log applied in each of {@code writes.length}
   * equal buckets from {@code fromMicros} (inclusive) to {@code toMicros} (exclusive), and the
   * versions in the span of the kinds asked for, in time order.
   */
  public record Timeline(long fromMicros, long toMicros, long[] writes, List<ObjectVersion> marked) {}

  /**
   * Adds the next version of its key (callers add an object's versions in log order), its key and
   * uid strings shared with the key's versions before, its actor's with every version's.
   *
   * @return the version as held
   */
  public synchronized ObjectVersion add(ObjectVersion v) {
    List<ObjectVersion> list = lists.get(v.key());
    String key = v.key();
    String uid = v.uid();
    if (list == null) {
      list = new ArrayList<>(2);
      lists.put(key, list);
      byKey.put(key, list);
    } else { // one copy of the key and uid for all of an object's versions
      ObjectVersion last = list.get(list.size() - 1);
      key = last.key();
      uid = java.util.Objects.equals(uid, last.uid()) ? last.uid() : uid;
    }
    String actor = v.actor() == null ? null : actors.computeIfAbsent(v.actor(), a -> a);
    if (key != v.key() || uid != v.uid() || actor != v.actor()) {
      v = new ObjectVersion(key, v.resourceVersion(), v.timeMicros(), v.op(), actor, uid, v.stored(), v.partition(),
          v.offset());
    }
    list.add(v);
    versions++;
    bytes += v.stored() == null ? 0 : v.stored().length();
    newestResourceVersion = Math.max(newestResourceVersion, v.resourceVersion());
    oldestMicros = Math.min(oldestMicros, v.timeMicros());
    writesBySlot.computeIfAbsent(Math.floorDiv(v.timeMicros(), SLOT_MICROS), s -> new long[1])[0]++;
    if (isMarked(v.key())) {
      marked.add(v);
    }
    return v;
  }

  private boolean isMarked(String key) {
    for (String kind : markedKinds) {
      if (key.length() > kind.length() && key.charAt(kind.length()) == '/' && key.startsWith(kind)) {
        return true;
      }
    }
    return false;
  }

  /** The object's version in effect at {@code at}; empty when it did not exist then (never made yet, or deleted). */
  public synchronized Optional<ObjectVersion> at(String key, AsOf at) {
    List<ObjectVersion> list = lists.get(key);
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
   * {@code toMicros}) to the nearest {@value #SLOT_MICROS} µs (a count goes to the bucket its slot
   * starts in), and lists those in the span of the marked kinds (at most {@code maxMarked}, the
   * newest), oldest first. Walks the slots of the span and the marked versions, not every version.
   */
  public synchronized Timeline timeline(long fromMicros, long toMicros, int buckets, int maxMarked) {
    if (buckets <= 0 || toMicros <= fromMicros) {
      throw new IllegalArgumentException("a timeline needs buckets > 0 and from before to");
    }
    long[] writes = new long[buckets];
    double width = (double) (toMicros - fromMicros) / buckets;
    for (Map.Entry<Long, long[]> e : writesBySlot.subMap(Math.floorDiv(fromMicros, SLOT_MICROS), true,
        Math.floorDiv(toMicros - 1, SLOT_MICROS), true).entrySet()) {
      long start = Math.max(fromMicros, e.getKey() * SLOT_MICROS);
      writes[Math.min(buckets - 1, (int) ((start - fromMicros) / width))] += e.getValue()[0];
    }
    List<ObjectVersion> inSpan = new ArrayList<>();
    for (ObjectVersion v : marked) {
      if (v.timeMicros() >= fromMicros && v.timeMicros() < toMicros) {
        inSpan.add(v);
      }
    }
    inSpan.sort(Comparator.comparingLong(ObjectVersion::timeMicros).thenComparingLong(ObjectVersion::resourceVersion));
    List<ObjectVersion> kept = inSpan.size() > maxMarked
        ? List.copyOf(inSpan.subList(inSpan.size() - maxMarked, inSpan.size())) : List.copyOf(inSpan);
    return new Timeline(fromMicros, toMicros, writes, kept);
  }

  /**
   * How many versions no read from the point ({@code resourceVersion}, {@code micros}) on can see:
   * each key's versions before the one in effect there, and that one too when it is a delete (a
   * delete in effect reads as no version at all).
   */
  public synchronized long unreadableBefore(long resourceVersion, long micros) {
    long n = 0;
    for (List<ObjectVersion> list : byKey.values()) {
      n += firstReadable(list, resourceVersion, micros);
    }
    return n;
  }

  /** The versions a read from the point ({@code resourceVersion}, {@code micros}) on can see; see {@link #unreadableBefore}. */
  public synchronized List<ObjectVersion> readableFrom(long resourceVersion, long micros) {
    List<ObjectVersion> out = new ArrayList<>();
    for (List<ObjectVersion> list : byKey.values()) {
      out.addAll(list.subList(firstReadable(list, resourceVersion, micros), list.size()));
    }
    return out;
  }

  /**
   * The index of the first version of {@code list} a read at or after the point can see: the one in
   * effect there by resourceVersion or by time, whichever is older, or the one after it when that
   * is a delete (a delete in effect reads as no version).
   */
  private static int firstReadable(List<ObjectVersion> list, long resourceVersion, long micros) {
    int byVersion = -1;
    int byTime = -1;
    for (int i = 0; i < list.size(); i++) {
      ObjectVersion v = list.get(i);
      if (v.resourceVersion() <= resourceVersion) {
        byVersion = i;
      }
      if (v.timeMicros() <= micros) {
        byTime = i;
      }
    }
    int first = Math.min(byVersion, byTime);
    if (first < 0) {
      return 0;
    }
    return list.get(first).removes() ? first + 1 : first;
  }

  /** The time of the oldest version held, in microseconds since the epoch; 0 when there is none. */
  public synchronized long oldestMicros() {
    return oldestMicros == Long.MAX_VALUE ? 0 : oldestMicros;
  }

  /** The object's newest version, or null (whose strings a newer version may share: the heap holds many versions). */
  public synchronized ObjectVersion last(String key) {
    List<ObjectVersion> list = lists.get(key);
    return list == null ? null : list.get(list.size() - 1);
  }

  /** Every version of the object, oldest first (across deletes and re-creates with the same name). */
  public synchronized List<ObjectVersion> versions(String key) {
    return List.copyOf(lists.getOrDefault(key, List.of()));
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
