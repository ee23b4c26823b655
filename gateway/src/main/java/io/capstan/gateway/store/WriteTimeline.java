package io.capstan.gateway.store;

import java.time.Instant;
import java.util.List;

/**
 * The writes of the event log over a span of time, for the console's timeline: how many versions
 * the log applied in each of {@code writes.length} equal buckets from {@code from} to {@code to},
 * the log's oldest write held, and the changes worth marking on it (a Deployment made, changed or
 * deleted; a Warning event), oldest first.
 */
public record WriteTimeline(Instant from, Instant to, long[] writes, Instant logStart, List<Marker> markers) {
  /** The kinds whose changes become markers. */
  public static final java.util.Set<String> MARKED_KINDS = java.util.Set.of("Deployment", "Event");
  /** At most this many markers, the newest: a timeline is a picture, not the audit trail. */
  public static final int MAX_MARKERS = 500;

  /**
   * A change marked on the timeline.
   *
   * @param type      {@code Deployment} (a Deployment made, its spec or metadata changed, or deleted)
   *                  or {@code Warning} (a Warning event recorded or repeated)
   * @param kind      the object's kind (for a Warning, the kind of the object it is about)
   * @param operation the event log's operation: CREATED, UPDATED or DELETED
   * @param reason    a Warning's reason; null for a Deployment
   * @param message   a Warning's message; null for a Deployment
   */
  public record Marker(Instant time, long resourceVersion, String type, String kind, String namespace, String name,
      String operation, String actor, String reason, String message) {}
}
