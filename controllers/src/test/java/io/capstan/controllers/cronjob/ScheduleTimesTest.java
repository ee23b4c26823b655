package io.capstan.controllers.cronjob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.capstan.logschema.cron.CronSchedule;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ScheduleTimesTest {
  private static final Instant CREATED = Instant.parse("2026-12-05T10:00:30Z");

  private static ScheduleTimes.Due due(String spec, Instant last, Long deadline, Instant now) throws Exception {
    return ScheduleTimes.due(CronSchedule.parse(spec), ZoneOffset.UTC, CREATED, last, deadline, now, true);
  }

  @Test
  void theMostRecentTimeThatHasComeIsDue() throws Exception {
    assertNull(due("0 * * * *", null, null, Instant.parse("2026-12-05T10:59:59Z")).mostRecent());
    ScheduleTimes.Due one = due("0 * * * *", null, null, Instant.parse("2026-12-05T11:00:05Z"));
    assertEquals(Instant.parse("2026-12-05T11:00:00Z"), one.mostRecent());
    assertEquals(1, one.missed());
    ScheduleTimes.Due few = due("0 * * * *", null, null, Instant.parse("2026-12-05T15:10:00Z"));
    assertEquals(Instant.parse("2026-12-05T15:00:00Z"), few.mostRecent());
    assertEquals(5, few.missed());
    // an uneven schedule: 06:30, 10:30, 14:30 on weekdays; Saturday 2026-12-05 has none
    ScheduleTimes.Due uneven = due("30 6-16/4 * * 1-5", Instant.parse("2026-12-07T06:30:00Z"), null,
        Instant.parse("2026-12-08T11:00:00Z"));
    assertEquals(Instant.parse("2026-12-08T10:30:00Z"), uneven.mostRecent());
  }

  @Test
  void theLastScheduledTimeAndTheDeadlineMoveTheStart() throws Exception {
    Instant now = Instant.parse("2026-12-05T12:00:40Z");
    // already scheduled at 12:00: nothing more is due
    assertNull(due("*/1 * * * *", Instant.parse("2026-12-05T12:00:00Z"), null, now).mostRecent());
    // a 30 s deadline: 12:00 (40 s ago) is past it, and nothing since
    assertNull(due("*/1 * * * *", Instant.parse("2026-12-05T11:00:00Z"), 30L, now).mostRecent());
    assertEquals(Instant.parse("2026-12-05T12:00:00Z"),
        due("*/1 * * * *", Instant.parse("2026-12-05T11:00:00Z"), 60L, now).mostRecent());
    ScheduleTimes.Due many = due("*/1 * * * *", null, null, Instant.parse("2026-12-05T14:00:10Z"));
    assertEquals(Instant.parse("2026-12-05T14:00:00Z"), many.mostRecent());
    assertEquals(240, many.missed());
  }

  @Test
  void wakesUpJustAfterTheNextTime() throws Exception {
    CronSchedule s = CronSchedule.parse("*/5 * * * *");
    Instant now = Instant.parse("2026-12-05T10:02:00Z");
    assertEquals(Optional.of(Duration.ofMinutes(3).plus(ScheduleTimes.NEXT_SCHEDULE_DELTA)),
        ScheduleTimes.untilNext(s, ZoneOffset.UTC, CREATED, null, null, now));
    ZoneId paris = ZoneId.of("Europe/Paris");
    assertEquals(Optional.of(Duration.ofMinutes(58).plus(ScheduleTimes.NEXT_SCHEDULE_DELTA)),
        ScheduleTimes.untilNext(CronSchedule.parse("0 12 * * *"), paris, CREATED, null, null, now));
  }

  @Test
  void aScheduleOfAnImpossibleDayIsNeverDue() throws Exception {
    assertNull(due("59 23 31 2 *", null, null, Instant.parse("2030-01-01T00:00:00Z")).mostRecent());
    assertEquals(Optional.empty(), ScheduleTimes.untilNext(CronSchedule.parse("59 23 31 2 *"), ZoneOffset.UTC, CREATED,
        null, null, Instant.parse("2030-01-01T00:00:00Z")));
  }
}
