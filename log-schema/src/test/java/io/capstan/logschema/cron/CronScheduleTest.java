package io.capstan.logschema.cron;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CronScheduleTest {
  private static final Instant T = Instant.parse("2026-12-05T21:17:30Z"); // a Saturday

  private static List<String> next(String spec, Instant from, ZoneId zone, int n) throws CronSyntaxException {
    CronSchedule s = CronSchedule.parse(spec);
    List<String> out = new ArrayList<>();
    Instant t = from;
    for (int i = 0; i < n; i++) {
      t = s.next(t, zone).orElseThrow();
      out.add(t.toString());
    }
    return out;
  }

  private static String error(String spec) {
    return assertThrows(CronSyntaxException.class, () -> CronSchedule.parse(spec)).getMessage();
  }

  @Test
  void everyMinuteStepsRangesAndLists() throws Exception {
    assertEquals(List.of("2026-12-05T21:18:00Z", "2026-12-05T21:19:00Z"), next("* * * * *", T, ZoneOffset.UTC, 2));
    assertEquals(List.of("2026-12-05T21:20:00Z", "2026-12-05T21:25:00Z"), next("*/5 * * * *", T, ZoneOffset.UTC, 2));
    // "N/step" is "N-max/step"
    assertEquals(List.of("2026-12-05T21:25:00Z", "2026-12-05T21:45:00Z", "2026-12-05T22:05:00Z"),
        next("5/20 * * * *", T, ZoneOffset.UTC, 3));
    assertEquals(List.of("2026-12-07T09:00:00Z", "2026-12-07T17:00:00Z", "2026-12-08T09:00:00Z"),
        next("0 9,17 * * mon-fri", T, ZoneOffset.UTC, 3));
    assertEquals(List.of("2027-01-01T00:00:00Z"), next("0 0 1 JAN ?", T, ZoneOffset.UTC, 1));
    // An exact minute is not "after" itself.
    assertEquals(List.of("2026-12-05T21:19:00Z"), next("* * * * *", Instant.parse("2026-12-05T21:18:00Z"),
        ZoneOffset.UTC, 1));
  }

  @Test
  void restrictedDayOfMonthAndDayOfWeekMatchEitherAsCronDoes() throws Exception {
    // the 13th, or any Friday
    assertEquals(List.of("2026-12-11T00:00:00Z", "2026-12-13T00:00:00Z", "2026-12-18T00:00:00Z"),
        next("0 0 13 * 5", T, ZoneOffset.UTC, 3));
    // a field starting with * makes both required: Fridays that are the 13th... every Friday in range 1-31
    assertEquals(List.of("2026-12-11T00:00:00Z", "2026-12-18T00:00:00Z"), next("0 0 */1 * 5", T, ZoneOffset.UTC, 2));
  }

  @Test
  void descriptors() throws Exception {
    assertEquals(List.of("2026-12-05T22:00:00Z"), next("@hourly", T, ZoneOffset.UTC, 1));
    assertEquals(List.of("2026-12-06T00:00:00Z"), next("@daily", T, ZoneOffset.UTC, 1));
    assertEquals(List.of("2026-12-06T00:00:00Z"), next("@midnight", T, ZoneOffset.UTC, 1));
    assertEquals(List.of("2026-12-06T00:00:00Z"), next("@weekly", T, ZoneOffset.UTC, 1)); // Sunday
    assertEquals(List.of("2027-01-01T00:00:00Z"), next("@monthly", T, ZoneOffset.UTC, 1));
    assertEquals(List.of("2027-01-01T00:00:00Z"), next("@yearly", T, ZoneOffset.UTC, 1));
    assertEquals(List.of("2027-01-01T00:00:00Z"), next("@annually", T, ZoneOffset.UTC, 1));
    assertEquals(List.of("2026-12-05T22:47:30Z", "2026-12-06T00:17:30Z"), next("@every 1h30m", T, ZoneOffset.UTC, 2));
  }

  @Test
  void timeZones() throws Exception {
    // 09:00 in Paris is 08:00 UTC in winter
    assertEquals(List.of("2026-12-06T08:00:00Z"), next("0 9 * * *", T, ZoneId.of("Europe/Paris"), 1));
    // A wall-clock time the zone skips does not happen: 02:30 on 2027-03-28 does not exist in Paris.
    assertEquals(List.of("2027-03-27T01:30:00Z", "2027-03-29T00:30:00Z"),
        next("30 2 * * *", Instant.parse("2027-03-27T00:00:00Z"), ZoneId.of("Europe/Paris"), 2));
    CronSchedule prefixed = CronSchedule.parse("TZ=Asia/Tokyo 0 0 * * *");
    assertEquals(Optional.of(ZoneId.of("Asia/Tokyo")), prefixed.zone());
    assertEquals("provided bad location Mars/Olympus: unknown time zone Mars/Olympus",
        error("CRON_TZ=Mars/Olympus * * * * *"));
  }

  @Test
  void aScheduleThatNeverFiresHasNoNextTime() throws Exception {
    assertTrue(CronSchedule.parse("0 0 30 2 *").next(T, ZoneOffset.UTC).isEmpty());
    assertEquals(List.of("2028-02-29T00:00:00Z"), next("0 0 29 2 *", T, ZoneOffset.UTC, 1));
  }

  @Test
  void errorsAreWordedAsKubernetesWordsThem() {
    assertEquals("empty spec string", error(""));
    assertEquals("expected exactly 5 fields, found 4: [* * * *]", error("* * * *"));
    assertEquals("expected exactly 5 fields, found 6: [0 * * * * *]", error("0 * * * * *"));
    assertEquals("end of range (60) above maximum (59): 60", error("60 * * * *"));
    assertEquals("end of range (7) above maximum (6): 7", error("* * * * 7"));
    assertEquals("beginning of range (0) below minimum (1): 0", error("* * 0 * *"));
    assertEquals("beginning of range (5) beyond end of range (2): 5-2", error("5-2 * * * *"));
    assertEquals("step of range should be a positive number: */0", error("*/0 * * * *"));
    assertEquals("too many slashes: */2/3", error("*/2/3 * * * *"));
    assertEquals("too many hyphens: 1-2-3", error("1-2-3 * * * *"));
    assertEquals("failed to parse int from foo: strconv.Atoi: parsing \"foo\": invalid syntax", error("foo * * * *"));
    assertEquals("unrecognized descriptor: @fortnightly", error("@fortnightly"));
    assertEquals("failed to parse duration @every 5d: time: unknown unit \"d\" in duration \"5d\"",
        error("@every 5d"));
  }
}
