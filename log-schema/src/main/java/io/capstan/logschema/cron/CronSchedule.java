package io.capstan.logschema.cron;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A CronJob schedule as Kubernetes reads {@code spec.schedule} (the "standard" parser of the
 * robfig/cron library kube-controller-manager uses): five fields (minute, hour, day of month,
 * month, day of week) of numbers, names ({@code jan}, {@code mon}), ranges, steps, lists,
 * {@code *} and {@code ?}; the descriptors {@code @yearly} / {@code @annually},
 * {@code @monthly}, {@code @weekly}, {@code @daily} / {@code @midnight}, {@code @hourly} and
 * {@code @every <duration>}; an optional {@code TZ=} or {@code CRON_TZ=} prefix (which the API
 * refuses on new objects). When both day fields are restricted, a day matches either of them;
 * when one starts with {@code *}, both must match, as cron does.
 */
public final class CronSchedule {
  private static final long STAR = 1L << 63;
  private static final Map<String, Integer> MONTHS = Map.ofEntries(Map.entry("jan", 1), Map.entry("feb", 2),
      Map.entry("mar", 3), Map.entry("apr", 4), Map.entry("may", 5), Map.entry("jun", 6), Map.entry("jul", 7),
      Map.entry("aug", 8), Map.entry("sep", 9), Map.entry("oct", 10), Map.entry("nov", 11), Map.entry("dec", 12));
  private static final Map<String, Integer> DAYS = Map.of("sun", 0, "mon", 1, "tue", 2, "wed", 3, "thu", 4,
      "fri", 5, "sat", 6);
  /** How far ahead {@link #next} looks before it gives up on a schedule that never fires (Feb 30th). */
  private static final int SEARCH_YEARS = 5;

  private record Bounds(int min, int max, Map<String, Integer> names) {}

  private static final Bounds MINUTE = new Bounds(0, 59, null);
  private static final Bounds HOUR = new Bounds(0, 23, null);
  private static final Bounds DOM = new Bounds(1, 31, null);
  private static final Bounds MONTH = new Bounds(1, 12, MONTHS);
  private static final Bounds DOW = new Bounds(0, 6, DAYS);

  private final String spec;
  private final ZoneId zone;
  private final long minute;
  private final long hour;
  private final long dom;
  private final long month;
  private final long dow;
  /** For {@code @every}: the fixed delay (whole seconds, at least one); null for field schedules. */
  private final Duration every;

  private CronSchedule(String spec, ZoneId zone, long minute, long hour, long dom, long month, long dow,
      Duration every) {
    this.spec = spec;
    this.zone = zone;
    this.minute = minute;
    this.hour = hour;
    this.dom = dom;
    this.month = month;
    this.dow = dow;
    this.every = every;
  }

  /** Parses a schedule; the exception's message is what Kubernetes reports for the same input. */
  public static CronSchedule parse(String spec) throws CronSyntaxException {
    if (spec == null || spec.isEmpty()) {
      throw new CronSyntaxException("empty spec string");
    }
    String rest = spec;
    ZoneId zone = null;
    if (rest.startsWith("TZ=") || rest.startsWith("CRON_TZ=")) {
      int space = rest.indexOf(' ');
      int eq = rest.indexOf('=');
      String name = space < 0 ? rest.substring(eq + 1) : rest.substring(eq + 1, space);
      try {
        zone = zone(name);
      } catch (DateTimeException e) {
        throw new CronSyntaxException("provided bad location " + name + ": unknown time zone " + name);
      }
      rest = space < 0 ? "" : rest.substring(space).trim();
    }
    if (rest.startsWith("@")) {
      return descriptor(spec, rest, zone);
    }
    String[] fields = rest.trim().isEmpty() ? new String[0] : rest.trim().split("\\s+");
    if (fields.length != 5) {
      throw new CronSyntaxException("expected exactly 5 fields, found " + fields.length + ": ["
          + String.join(" ", fields) + "]");
    }
    return new CronSchedule(spec, zone, field(fields[0], MINUTE), field(fields[1], HOUR), field(fields[2], DOM),
        field(fields[3], MONTH), field(fields[4], DOW), null);
  }

  /** A time zone by its IANA name, as Go's time.LoadLocation finds one ("UTC" and "" are UTC). */
  public static ZoneId zone(String name) {
    if (name.isEmpty() || name.equals("UTC")) {
      return ZoneOffset.UTC;
    }
    if (name.equals("Local")) {
      return ZoneId.systemDefault();
    }
    if (!ZoneId.getAvailableZoneIds().contains(name)) {
      // ZoneId.of also takes offsets ("+02:00") that are no IANA names.
      throw new DateTimeException("unknown time zone " + name);
    }
    return ZoneId.of(name);
  }

  private static CronSchedule descriptor(String spec, String d, ZoneId zone) throws CronSyntaxException {
    String fields = switch (d) {
      case "@yearly", "@annually" -> "0 0 1 1 *";
      case "@monthly" -> "0 0 1 * *";
      case "@weekly" -> "0 0 * * 0";
      case "@daily", "@midnight" -> "0 0 * * *";
      case "@hourly" -> "0 * * * *";
      default -> null;
    };
    if (fields != null) {
      String[] f = fields.split(" ");
      return new CronSchedule(spec, zone, field(f[0], MINUTE), field(f[1], HOUR), field(f[2], DOM), field(f[3], MONTH),
          field(f[4], DOW), null);
    }
    if (d.startsWith("@every ")) {
      Duration delay;
      try {
        delay = GoDurations.parse(d.substring("@every ".length()));
      } catch (IllegalArgumentException e) {
        throw new CronSyntaxException("failed to parse duration " + d + ": " + e.getMessage());
      }
      if (delay.compareTo(Duration.ofSeconds(1)) < 0) {
        delay = Duration.ofSeconds(1);
      }
      return new CronSchedule(spec, zone, 0, 0, 0, 0, 0, delay.truncatedTo(ChronoUnit.SECONDS));
    }
    throw new CronSyntaxException("unrecognized descriptor: " + d);
  }

  /** One field: a comma-separated list of ranges, as a bit set (bit n: value n) plus STAR. */
  private static long field(String text, Bounds b) throws CronSyntaxException {
    long bits = 0;
    for (String range : text.split(",", -1)) {
      bits |= range(range, b);
    }
    return bits;
  }

  private static long range(String expr, Bounds b) throws CronSyntaxException {
    String[] rangeAndStep = expr.split("/", -1);
    String[] lowAndHigh = rangeAndStep[0].split("-", -1);
    boolean single = lowAndHigh.length == 1;
    long extra = 0;
    int start;
    int end;
    if (lowAndHigh[0].equals("*") || lowAndHigh[0].equals("?")) {
      start = b.min();
      end = b.max();
      extra = STAR;
    } else {
      start = intOrName(lowAndHigh[0], b.names());
      end = switch (lowAndHigh.length) {
        case 1 -> start;
        case 2 -> intOrName(lowAndHigh[1], b.names());
        default -> throw new CronSyntaxException("too many hyphens: " + expr);
      };
    }
    int step = 1;
    switch (rangeAndStep.length) {
      case 1 -> step = 1;
      case 2 -> {
        step = number(rangeAndStep[1]);
        if (single) {
          end = b.max(); // "N/step" means "N-max/step"
        }
        if (step > 1) {
          extra = 0;
        }
      }
      default -> throw new CronSyntaxException("too many slashes: " + expr);
    }
    if (start < b.min()) {
      throw new CronSyntaxException("beginning of range (" + start + ") below minimum (" + b.min() + "): " + expr);
    }
    if (end > b.max()) {
      throw new CronSyntaxException("end of range (" + end + ") above maximum (" + b.max() + "): " + expr);
    }
    if (start > end) {
      throw new CronSyntaxException("beginning of range (" + start + ") beyond end of range (" + end + "): " + expr);
    }
    if (step == 0) {
      throw new CronSyntaxException("step of range should be a positive number: " + expr);
    }
    long bits = 0;
    for (int i = start; i <= end; i += step) {
      bits |= 1L << i;
    }
    return bits | extra;
  }

  private static int intOrName(String expr, Map<String, Integer> names) throws CronSyntaxException {
    if (names != null) {
      Integer named = names.get(expr.toLowerCase(Locale.ROOT));
      if (named != null) {
        return named;
      }
    }
    return number(expr);
  }

  private static int number(String expr) throws CronSyntaxException {
    int n;
    try {
      n = Integer.parseInt(expr);
    } catch (NumberFormatException e) {
      throw new CronSyntaxException("failed to parse int from " + expr + ": strconv.Atoi: parsing \"" + expr
          + "\": " + (expr.matches("[+-]?[0-9]+") ? "value out of range" : "invalid syntax"));
    }
    if (n < 0) {
      throw new CronSyntaxException("negative number (" + n + ") not allowed: " + expr);
    }
    return n;
  }

  /** The schedule as written. */
  public String spec() {
    return spec;
  }

  /** The zone a {@code TZ=} prefix names, if any. */
  public Optional<ZoneId> zone() {
    return Optional.ofNullable(zone);
  }

  /**
   * The first time strictly after {@code after} at which the schedule fires, reading its fields in
   * {@code zone} (whole minutes; {@code @every} keeps whole seconds). Empty when it never fires in
   * the next five years (a day that no month has).
   */
  public Optional<Instant> next(Instant after, ZoneId zone) {
    if (every != null) {
      return Optional.of(after.truncatedTo(ChronoUnit.SECONDS).plus(every));
    }
    ZonedDateTime t = after.atZone(zone).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
    LocalDateTime local = t.toLocalDateTime();
    int yearLimit = local.getYear() + SEARCH_YEARS;
    while (local.getYear() <= yearLimit) {
      if (!has(month, local.getMonthValue())) {
        local = local.withDayOfMonth(1).toLocalDate().plusMonths(1).atStartOfDay();
        continue;
      }
      if (!dayMatches(local)) {
        local = local.toLocalDate().plusDays(1).atStartOfDay();
        continue;
      }
      if (!has(hour, local.getHour())) {
        local = local.truncatedTo(ChronoUnit.HOURS).plusHours(1);
        continue;
      }
      if (!has(minute, local.getMinute())) {
        local = local.plusMinutes(1);
        continue;
      }
      // A wall-clock time the zone skips (a daylight-saving gap) does not happen.
      if (!zone.getRules().getValidOffsets(local).isEmpty()) {
        Instant at = ZonedDateTime.ofLocal(local, zone, null).toInstant();
        if (at.isAfter(after)) {
          return Optional.of(at);
        }
      }
      local = local.plusMinutes(1);
    }
    return Optional.empty();
  }

  private boolean dayMatches(LocalDateTime t) {
    boolean domMatch = has(dom, t.getDayOfMonth());
    boolean dowMatch = has(dow, t.getDayOfWeek().getValue() % 7);
    if ((dom & STAR) != 0 || (dow & STAR) != 0) {
      return domMatch && dowMatch;
    }
    return domMatch || dowMatch;
  }

  private static boolean has(long bits, int value) {
    return (bits & (1L << value)) != 0;
  }

  @Override
  public String toString() {
    return spec;
  }
}
