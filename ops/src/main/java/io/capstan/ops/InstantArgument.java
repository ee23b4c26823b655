package io.capstan.ops;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A point in time on the command line: an ISO-8601 instant ({@code 2026-11-27T04:00:00Z}) or an
 * age such as {@code 90s}, {@code 10m}, {@code 2h}, {@code 1h30m} (as kubectl's {@code --since}),
 * meaning that long before now.
 */
final class InstantArgument {
  private static final Pattern AGE = Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");

  private InstantArgument() {}

  /** @throws IllegalArgumentException naming the option and the accepted forms */
  static Instant parse(String option, String value, Instant now) {
    Matcher m = AGE.matcher(value);
    if (!value.isEmpty() && m.matches()) {
      Duration d = Duration.ofHours(group(m, 1)).plusMinutes(group(m, 2)).plusSeconds(group(m, 3));
      return now.minus(d);
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(option + " needs an ISO-8601 instant such as 2026-11-27T04:00:00Z"
          + " or an age such as 10m or 1h30m, got \"" + value + "\"");
    }
  }

  static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
  }

  private static long group(Matcher m, int i) {
    return m.group(i) == null ? 0 : Long.parseLong(m.group(i));
  }
}
