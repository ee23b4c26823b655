package io.capstan.gateway.store;

import io.capstan.logschema.kinds.Kind;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The highest resourceVersion this gateway has written, per kind and partition: what a read
 * must wait for so that a client sees its own writes (ARCHITECTURE.md, "Read your writes").
 * Versions a refusal named count too: after a Conflict the client's re-read sees the winner.
 */
final class OwnWrites {
  private record PerKind(AtomicLongArray byPartition, AtomicLong highest) {}

  private final int partitions;
  private final Map<String, PerKind> kinds = new ConcurrentHashMap<>();

  OwnWrites(int partitions) {
    this.partitions = partitions;
  }

  void wrote(Kind kind, int partition, long rv) {
    if (rv <= 0 || partition < 0 || partition >= partitions) {
      return; // rejected, dry run, or a reply without a place
    }
    PerKind k = of(kind);
    k.byPartition().accumulateAndGet(partition, rv, Math::max);
    k.highest().accumulateAndGet(rv, Math::max);
  }

  /** What a read of one key on {@code partition} waits for (0: nothing). */
  long on(Kind kind, int partition) {
    PerKind k = kinds.get(kind.kind());
    return k == null ? 0 : k.byPartition().get(partition);
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
