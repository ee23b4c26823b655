package io.capstan.stateviews.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import org.junit.jupiter.api.Test;

class WatermarkScheduleTest {
  private final List<Kind> kinds = List.of(Kinds.POD, Kinds.CONFIG_MAP, Kinds.NODE);
  private final WatermarkSchedule schedule = new WatermarkSchedule(kinds, 1000);

  @Test
  void aQuietPartitionSendsEveryKindOnceAfterStartThenNothing() {
    assertEquals(kinds, schedule.due(0));
    assertEquals(List.of(), schedule.due(200));
    assertEquals(List.of(), schedule.due(400));
  }

  @Test
  void writtenKindsWaitForTheFirstQuietTickAndIdleKindsForTheBusyInterval() {
    assertEquals(kinds, schedule.due(0));
    schedule.written(Kinds.POD);
    // Busy: the pod table closes through its records, the idle kinds were just served.
    assertEquals(List.of(), schedule.due(200));
    schedule.written(Kinds.POD);
    schedule.written(Kinds.POD);
    assertEquals(List.of(), schedule.due(400));
    schedule.written(Kinds.POD);
    // A whole busy interval since the idle kinds' last watermark: they get one.
    assertEquals(List.of(Kinds.CONFIG_MAP, Kinds.NODE), schedule.due(1000));
    schedule.written(Kinds.CONFIG_MAP);
    assertEquals(List.of(Kinds.POD), schedule.due(1200));
    // The first quiet tick closes every kind past the last write; later quiet ticks send nothing.
    assertEquals(kinds, schedule.due(1400));
    assertEquals(List.of(), schedule.due(1600));
    assertEquals(List.of(), schedule.due(60_000));
  }

  @Test
  void aRequestIsAnsweredForEveryKindAtOnceAndSettlesWhatWasOwed() {
    assertEquals(kinds, schedule.due(0));
    assertEquals(List.of(), schedule.due(200));
    assertEquals(kinds, schedule.requested(300));
    assertEquals(List.of(), schedule.due(400));
    schedule.written(Kinds.NODE);
    assertEquals(kinds, schedule.requested(450));
    // The request covered the write: the quiet tick after it owes nothing.
    assertEquals(List.of(), schedule.due(600));
  }

  @Test
  void anIsolatedWriteClosesEveryKindInItsOwnCommitWhileABusyPartitionLeavesItToTheTicks() {
    assertEquals(kinds, schedule.due(0));
    assertEquals(List.of(), schedule.settled(100), "nothing written, nothing owed");
    schedule.written(Kinds.NODE); // a lease renewal, ten seconds after the last
    assertEquals(kinds, schedule.settled(10_000), "quiet before: every kind rides the write's commit");
    assertEquals(List.of(), schedule.due(10_200), "and no tick owes anything");
    // Busy: writes keep coming within the busy interval of the last watermark to every kind.
    schedule.written(Kinds.POD);
    assertEquals(List.of(), schedule.settled(10_300), "busy: the commit carries no watermark");
    assertEquals(List.of(Kinds.CONFIG_MAP, Kinds.NODE), schedule.due(11_000), "the ticks pace the idle kinds");
    assertEquals(kinds, schedule.due(11_200), "and the first quiet tick closes every kind");
    schedule.written(Kinds.POD);
    assertEquals(List.of(), schedule.settled(11_500), "within the busy interval of the last");
    assertEquals(kinds, schedule.settled(12_300), "then a commit carries them again");
  }

  @Test
  void aClockThatSteppedBackDoesNotStarveIdleKinds() {
    assertEquals(kinds, schedule.due(10_000));
    schedule.written(Kinds.POD);
    assertEquals(List.of(Kinds.CONFIG_MAP, Kinds.NODE), schedule.due(5_000));
  }
}
