package io.capstan.gateway.store;

import io.capstan.logschema.kinds.Kind;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What this gateway has written and its cache may not show yet: what a read must wait for so
 * that a client sees its own writes (ARCHITECTURE.md, "Read your writes"). Per object, the
 * resourceVersion of its last write until the cache has applied it, so a get waits only for
 * writes of the object it reads, not for every write that happens to share its partition (under
 * a steady stream of creates that would cost every get a commit interval); per kind, the highest
 * version written, which a list's consistent cut must pass. Versions a refusal named count too:
 * after a Conflict the client's re-read sees the write it lost to.
 */
final class OwnWrites {
  private record PerKind(AtomicLongArray byPartition, AtomicLong highest) {}

  /** More unapplied objects than this (a cache far behind): gets wait for their whole partition. */
  static final int MAX_TRACKED_OBJECTS = 100_000;

  private final int partitions;
  private final Map<String, PerKind> kinds = new ConcurrentHashMap<>();
  private final Map<String, Long> unapplied = new ConcurrentHashMap<>();

  OwnWrites(int partitions) {
    this.partitions = partitions;
  }

  /**
   * Object {@code key} of {@code kind} is at {@code rv} or later on {@code partition}; call
   * {@link #applied} when the cache has reached it.
   *
   * @return whether anything was recorded (false for rejected-without-object, dry runs, no place)
   */
  boolean wrote(Kind kind, int partition, String key, long rv) {
    if (rv <= 0 || partition < 0 || partition >= partitions) {
      return false;
    }
    PerKind k = of(kind);
    k.byPartition().accumulateAndGet(partition, rv, Math::max);
    k.highest().accumulateAndGet(rv, Math::max);
    unapplied.merge(key, rv, Math::max);
    return true;
  }

  /** The cache has applied {@code key} at {@code rv}: a later read of it need not wait. */
  void applied(String key, long rv) {
    unapplied.remove(key, rv);
  }

  /** What a read of {@code key} on {@code partition} waits for (0: nothing). */
  long on(Kind kind, int partition, String key) {
    if (unapplied.size() > MAX_TRACKED_OBJECTS) {
      PerKind k = kinds.get(kind.kind());
      return k == null ? 0 : k.byPartition().get(partition);
    }
    Long rv = unapplied.get(key);
    return rv == null ? 0 : rv;
  }

  /** What a list waits for: the consistent cut must pass every write, whatever its partition. */
  long highest(Kind kind) {
    PerKind k = kinds.get(kind.kind());
    return k == null ? 0 : k.highest().get();
  }

  private PerKind of(Kind kind) {
    return kinds.computeIfAbsent(kind.kind(), x -> new PerKind(new AtomicLongArray(partitions), new AtomicLong()));
  }
}
