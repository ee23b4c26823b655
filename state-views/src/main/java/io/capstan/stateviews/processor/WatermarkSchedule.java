package io.capstan.stateviews.processor;

import io.capstan.logschema.kinds.Kind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which state topics get a partition's watermark at a tick. A watermark costs more than its
 * bytes: under exactly-once every topic-partition it touches joins the task's transaction and
 * gets a commit marker, so sending one to all fourteen kinds at every tick more than doubles the
 * partitions a busy transaction spans. Most of them are not needed:
 * <ul>
 *   <li>a kind written since the last tick needs none: its readers close the partition at the
 *       rv of the record they applied (rvs only grow in log order); once writes stop, the next
 *       tick sends it one;
 *   <li>while the partition is busy, a kind nobody writes gets one at most every
 *       {@code busyIdleIntervalMs}: its table did not change, only the cut across kinds lags;
 *   <li>when the partition is quiet, every kind gets one at every tick, so an idle cluster's
 *       readers advance at the watermark interval.
 * </ul>
 * One per stream task; not thread-safe.
 */
final class WatermarkSchedule {
  private final List<Kind> kinds;
  private final long busyIdleIntervalMs;
  private final Set<String> writtenSinceTick = new HashSet<>();
  private final Map<String, Long> lastSentMs = new HashMap<>();

  WatermarkSchedule(List<Kind> kinds, long busyIdleIntervalMs) {
    this.kinds = List.copyOf(kinds);
    this.busyIdleIntervalMs = busyIdleIntervalMs;
  }

  /** A state record of {@code kind} was forwarded on this partition. */
  void written(Kind kind) {
    writtenSinceTick.add(kind.kind());
  }

  /** The kinds whose state topic gets the watermark of the tick at {@code nowMs}; starts the next interval. */
  List<Kind> due(long nowMs) {
    boolean busy = !writtenSinceTick.isEmpty();
    List<Kind> due = new ArrayList<>(kinds.size());
    for (Kind k : kinds) {
      if (writtenSinceTick.contains(k.kind())) {
        continue;
      }
      Long last = lastSentMs.get(k.kind());
      // (A clock that stepped back counts as due: better one watermark too many than a stall.)
      if (busy && last != null && nowMs >= last && nowMs - last < busyIdleIntervalMs) {
        continue;
      }
      lastSentMs.put(k.kind(), nowMs);
      due.add(k);
    }
    writtenSinceTick.clear();
    return due;
  }
}
