package io.capstan.stateviews.processor;

import io.capstan.logschema.kinds.Kind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Which state topics get a partition's watermark at a tick. A watermark costs more than its
 * bytes: under exactly-once every topic-partition it touches joins the task's transaction and
 * gets a commit marker, and every reader of the topic wakes up for it. So a partition sends
 * watermarks only while they tell a reader something new:
 * <ul>
 *   <li>a kind written since the last tick needs none: its readers close the partition at the
 *       rv of the record they applied (rvs only grow in log order);
 *   <li>while the partition is busy, a kind nobody writes gets one at most every
 *       {@code busyIdleIntervalMs}: its table did not change, only the cut across kinds lags;
 *   <li>at the first quiet tick after writes, every kind gets one, so the cut closes past the
 *       last write without anyone asking;
 *   <li>after that, a quiet partition sends nothing: an idle cluster commits no transaction and
 *       wakes no reader. A reader that needs the cut to pass a version (a consistent list after
 *       a write elsewhere) asks the partition for a watermark ({@link #requested()}).
 * </ul>
 * One per stream task; not thread-safe.
 */
final class WatermarkSchedule {
  /** The kinds there are now: custom kinds come and go. */
  private final Supplier<List<Kind>> kinds;
  private final long busyIdleIntervalMs;
  private final Set<String> writtenSinceTick = new HashSet<>();
  private final Map<String, Long> lastSentMs = new HashMap<>();
  /** Written since the last tick that sent every kind: the first quiet tick owes them one. */
  private boolean owed = true;
  /** When every kind last got one (ms); null before the first. */
  private Long lastAllMs;

  WatermarkSchedule(List<Kind> kinds, long busyIdleIntervalMs) {
    this(() -> kinds, busyIdleIntervalMs);
  }

  WatermarkSchedule(Supplier<List<Kind>> kinds, long busyIdleIntervalMs) {
    this.kinds = kinds;
    this.busyIdleIntervalMs = busyIdleIntervalMs;
  }

  /** A state record of {@code kind} was forwarded on this partition. */
  void written(Kind kind) {
    writtenSinceTick.add(kind.kind());
    owed = true;
  }

  /** Whether a tick may still have something to send: a write not yet followed by a watermark to every kind. */
  boolean owing() {
    return owed;
  }

  /**
   * The input went quiet and a commit is about to make the writes visible. When the partition
   * was quiet before them (no watermark to every kind within {@code busyIdleIntervalMs}), every
   * kind gets its watermark in that same commit and no tick is owed any more: an isolated write
   * (a lease renewal on an idle cluster) costs one transaction, not one for the write and more
   * for the ticks after it. A busy partition leaves the kinds nobody writes to the ticks.
   *
   * @return the kinds, in order; none when nothing is owed or the partition is busy
   */
  List<Kind> settled(long nowMs) {
    if (!owed || (lastAllMs != null && nowMs >= lastAllMs && nowMs - lastAllMs < busyIdleIntervalMs)) {
      return List.of();
    }
    return all(nowMs);
  }

  /**
   * A reader asked for a watermark: every kind gets one now. @return the kinds, in order
   */
  List<Kind> requested(long nowMs) {
    return all(nowMs);
  }

  /** The kinds whose state topic gets the watermark of the tick at {@code nowMs}; starts the next interval. */
  List<Kind> due(long nowMs) {
    boolean busy = !writtenSinceTick.isEmpty();
    if (!busy) {
      return owed ? all(nowMs) : List.of();
    }
    List<Kind> all = kinds.get();
    List<Kind> due = new ArrayList<>(all.size());
    for (Kind k : all) {
      if (writtenSinceTick.contains(k.kind())) {
        continue;
      }
      Long last = lastSentMs.get(k.kind());
      // (A clock that stepped back counts as due: better one watermark too many than a stall.)
      if (last != null && nowMs >= last && nowMs - last < busyIdleIntervalMs) {
        continue;
      }
      lastSentMs.put(k.kind(), nowMs);
      due.add(k);
    }
    writtenSinceTick.clear();
    return due;
  }

  private List<Kind> all(long nowMs) {
    List<Kind> all = kinds.get();
    for (Kind k : all) {
      lastSentMs.put(k.kind(), nowMs);
    }
    writtenSinceTick.clear();
    owed = false;
    lastAllMs = nowMs;
    return all;
  }
}
