package io.capstan.nodeagent;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/** Kubernetes' two time formats: metav1.Time (seconds) and metav1.MicroTime (microseconds). */
public final class Times {
  private static final DateTimeFormatter MICRO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSX")
      .withZone(ZoneOffset.UTC);

  private Times() {}

  /** metav1.Time: RFC 3339 in whole seconds, UTC. */
  public static String time(Instant t) {
    return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.SECONDS));
  }

  /** metav1.MicroTime: RFC 3339 with microseconds, UTC. */
  public static String microTime(Instant t) {
    return MICRO.format(t.truncatedTo(ChronoUnit.MICROS));
  }
}
