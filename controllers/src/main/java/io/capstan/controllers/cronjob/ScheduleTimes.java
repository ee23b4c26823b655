package io.capstan.controllers.cronjob;

import io.capstan.logschema.cron.CronSchedule;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;

/**
 * Which scheduled time a CronJob is due for, as the cronjob controller v2 computes it
 * (mostRecentScheduleTime): the schedule's times after the later of the last scheduled time (or
 * the creation time) and, when it has one, the starting deadline; the most recent of them that
 * has come is the one to run, the earlier ones are missed. Pure: the controller passes the clock.
 */
final class ScheduleTimes {
  /** More missed start times than this are reported rather than counted on (the controller's "lots"). */
  static final long TOO_MANY_MISSED = 100;
  /** Wake up a little after the scheduled time, so the time has surely come (nextScheduleDelta). */
  static final Duration NEXT_SCHEDULE_DELTA = Duration.ofMillis(100);

  private ScheduleTimes() {}

  /**
   * @param earliest   the time the schedule was looked at from
   * @param mostRecent the latest scheduled time at or before now that is after {@code earliest}, or null
   * @param missed     how many scheduled times have come since {@code earliest} (an estimate when many)
   */
  record Due(Instant earliest, Instant mostRecent, long missed) {}

  /** The schedule never fires twice a second apart or more (a day no month has, "59 23 31 2 *"). */
  static final class InvalidScheduleException extends Exception {
    InvalidScheduleException(String message) {
      super(message);
    }
  }

  static Due due(CronSchedule schedule, ZoneId zone, Instant created, Instant lastScheduled,
      Long startingDeadlineSeconds, Instant now, boolean withDeadline) throws InvalidScheduleException {
    Instant earliest = lastScheduled != null ? lastScheduled : created;
    if (withDeadline && startingDeadlineSeconds != null) {
      // Nothing before the deadline will be started anyway.
      Instant deadline = now.minusSeconds(startingDeadlineSeconds);
      if (deadline.isAfter(earliest)) {
        earliest = deadline;
      }
    }
    Optional<Instant> t1 = schedule.next(earliest, zone);
    if (t1.isEmpty() || now.isBefore(t1.get())) {
      return new Due(earliest, null, 0);
    }
    Optional<Instant> t2 = schedule.next(t1.get(), zone);
    if (t2.isEmpty() || now.isBefore(t2.get())) {
      return new Due(earliest, t1.get(), 1);
    }
    long between = Math.round(Duration.between(t1.get(), t2.get()).toMillis() / 1000.0);
    if (between < 1) {
      throw new InvalidScheduleException("time difference between two schedules is less than 1 second");
    }
    long elapsed = Duration.between(t1.get(), now).getSeconds();
    long missed = elapsed / between + 1;
    // Start two intervals before the estimate and let the schedule find the exact times: some
    // schedules are uneven ("30 6-16/4 * * 1-5").
    Instant from = t1.get().plusSeconds((missed - 2) * between);
    Instant mostRecent = null;
    for (Optional<Instant> t = schedule.next(from, zone); t.isPresent() && !t.get().isAfter(now);
        t = schedule.next(t.get(), zone)) {
      mostRecent = t.get();
    }
    return new Due(earliest, mostRecent, missed);
  }

  /** How long until the next scheduled time after the most recent one (plus the small delta); empty if none. */
  static Optional<Duration> untilNext(CronSchedule schedule, ZoneId zone, Instant created, Instant lastScheduled,
      Long startingDeadlineSeconds, Instant now) {
    Due due;
    try {
      due = due(schedule, zone, created, lastScheduled, startingDeadlineSeconds, now, false);
    } catch (InvalidScheduleException e) {
      return Optional.empty();
    }
    Instant from = due.mostRecent() != null ? due.mostRecent() : due.earliest();
    return schedule.next(from, zone).map(t -> {
      Duration d = Duration.between(now, t.plus(NEXT_SCHEDULE_DELTA));
      return d.isNegative() ? Duration.ZERO : d;
    });
  }
}
