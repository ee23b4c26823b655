package io.capstan.stateviews.history;

import java.time.Instant;

/**
 * The point of a historical read: an instant ({@code asOf}) or a resourceVersion
 * ({@code asOfResourceVersion}). A version of an object is in effect at the point when it was
 * applied at or before it.
 */
public sealed interface AsOf {
  /** Whether a change applied at {@code timeMicros} with {@code resourceVersion} had happened by this point. */
  boolean covers(long resourceVersion, long timeMicros);

  /** As the request said it, for messages. */
  String describe();

  /** At an instant, microseconds since the epoch. */
  record Time(long micros) implements AsOf {
    public static Time of(Instant t) {
      return new Time(t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000);
    }

    public Instant instant() {
      return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000);
    }

    @Override
    public boolean covers(long resourceVersion, long timeMicros) {
      return timeMicros <= micros;
    }

    @Override
    public String describe() {
      return "asOf " + instant();
    }
  }

  /** At a resourceVersion: every change with a version not above it. */
  record Version(long resourceVersion) implements AsOf {
    @Override
    public boolean covers(long rv, long timeMicros) {
      return rv <= resourceVersion;
    }

    @Override
    public String describe() {
      return "asOfResourceVersion " + resourceVersion;
    }
  }
}
