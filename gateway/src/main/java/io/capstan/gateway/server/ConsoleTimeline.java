package io.capstan.gateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.store.ResourceStore;
import io.capstan.gateway.store.WriteTimeline;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * {@code GET /apis/console.capstan.io/v1/timeline?from=&to=&buckets=}: the console's timeline of
 * the event log, from the index historical reads keep: writes per bucket of equal length, with
 * Deployment changes and Warning events as markers. {@code from} defaults to the log's oldest
 * write, {@code to} to now, {@code buckets} to {@value #DEFAULT_BUCKETS}. An ordinary API call:
 * authenticated and authorized as any (401 without credentials).
 */
final class ConsoleTimeline implements Handler<RoutingContext> {
  static final String PATH = "/apis/console.capstan.io/v1/timeline";
  static final int DEFAULT_BUCKETS = 120;
  static final int MAX_BUCKETS = 2000;
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final ResourceStore store;

  ConsoleTimeline(ResourceStore store) {
    this.store = store;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Instant from;
    Instant to;
    int buckets;
    try {
      from = time(ctx, "from");
      to = time(ctx, "to");
      buckets = buckets(ctx);
      if (from != null && to != null && !from.isBefore(to)) {
        throw new ApiException(ApiStatus.badRequest("from: Invalid value: \"" + ctx.request().getParam("from")
            + "\": must be before to (\"" + ctx.request().getParam("to") + "\")"));
      }
    } catch (ApiException e) {
      Responses.status(ctx, e.status());
      return;
    }
    Future.fromCompletionStage(store.timeline(from, to, buckets), ctx.vertx().getOrCreateContext()).onComplete(ar -> {
      if (ar.failed()) {
        Responses.error(ctx, ar.cause());
      } else {
        Responses.json(ctx, 200, body(ar.result()));
      }
    });
  }

  private static Instant time(RoutingContext ctx, String name) {
    String value = ctx.request().getParam(name);
    if (value == null || value.isEmpty()) {
      return null;
    }
    try {
      // A '+' of an offset arrives as a space when the client did not encode it.
      return OffsetDateTime.parse(value.replace(' ', '+')).toInstant();
    } catch (DateTimeParseException e) {
      throw new ApiException(ApiStatus.badRequest(name + ": Invalid value: \"" + value
          + "\": must be an RFC 3339 time such as 2026-12-06T08:00:00Z"));
    }
  }

  private static int buckets(RoutingContext ctx) {
    String value = ctx.request().getParam("buckets");
    if (value == null || value.isEmpty()) {
      return DEFAULT_BUCKETS;
    }
    int n;
    try {
      n = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 1 || n > MAX_BUCKETS) {
      throw new ApiException(ApiStatus.badRequest("buckets: Invalid value: \"" + value
          + "\": must be an integer from 1 to " + MAX_BUCKETS));
    }
    return n;
  }

  /**
   * {@code {"apiVersion": "console.capstan.io/v1", "kind": "Timeline", "from", "to", "logStart",
   * "bucketSeconds", "writes": [n, …], "markers": [{time, resourceVersion, type, kind, namespace,
   * name, operation, actor, reason, message}]}}.
   */
  static JsonNode body(WriteTimeline t) {
    ObjectNode out = NODES.objectNode();
    out.put("apiVersion", "console.capstan.io/v1").put("kind", "Timeline");
    out.put("from", t.from().toString()).put("to", t.to().toString());
    if (t.logStart() != null) {
      out.put("logStart", t.logStart().toString());
    }
    long spanMicros = java.time.Duration.between(t.from(), t.to()).toNanos() / 1000;
    out.put("bucketSeconds", spanMicros / 1e6 / t.writes().length);
    ArrayNode writes = out.putArray("writes");
    for (long w : t.writes()) {
      writes.add(w);
    }
    ArrayNode markers = out.putArray("markers");
    for (WriteTimeline.Marker m : t.markers()) {
      ObjectNode n = markers.addObject();
      n.put("time", m.time().toString()).put("resourceVersion", Long.toString(m.resourceVersion()))
          .put("type", m.type()).put("kind", m.kind()).put("namespace", m.namespace()).put("name", m.name())
          .put("operation", m.operation()).put("actor", m.actor());
      if (m.reason() != null) {
        n.put("reason", m.reason());
      }
      if (m.message() != null) {
        n.put("message", m.message());
      }
    }
    return out;
  }
}
