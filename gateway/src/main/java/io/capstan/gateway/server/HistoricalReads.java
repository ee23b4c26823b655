package io.capstan.gateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.logschema.kinds.Kind;
import io.capstan.stateviews.audit.AuditEntry;
import io.capstan.stateviews.history.AsOf;
import io.capstan.stateviews.history.HistoricalObjects.HistoryEntry;
import io.capstan.stateviews.history.VersionDiff;
import io.vertx.core.http.HttpServerRequest;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/**
 * The query parameters of a historical read on any get or list: {@code asOf=<RFC 3339 time>} or
 * {@code asOfResourceVersion=<rv>} (the object(s) as they were then, in the shapes of a live
 * read), and {@code history=true} on a get (the object's versions with who, when, how and what
 * changed). They are Capstan's own: Kubernetes keeps no history to read. A time in the future
 * is the live state, as the log holds nothing later.
 */
final class HistoricalReads {
  static final String AS_OF = "asOf";
  static final String AS_OF_RESOURCE_VERSION = "asOfResourceVersion";
  static final String HISTORY = "history";
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private HistoricalReads() {}

  /** The point the request asks to read at; empty for a live read (no parameter, or a time not yet come). */
  static Optional<AsOf> point(HttpServerRequest request, Clock clock) {
    String time = param(request, AS_OF);
    String version = param(request, AS_OF_RESOURCE_VERSION);
    if (time != null && version != null) {
      throw new ApiException(ApiStatus.badRequest("asOf, asOfResourceVersion: Forbidden: give one of them, not both"));
    }
    if (version != null) {
      if (!version.matches("[0-9]{1,18}")) {
        throw new ApiException(ApiStatus.badRequest("asOfResourceVersion: Invalid value: \"" + version
            + "\": must be a resourceVersion (a non-negative integer)"));
      }
      return Optional.of(new AsOf.Version(Long.parseLong(version)));
    }
    if (time == null) {
      return Optional.empty();
    }
    Instant at = parse(time);
    return at.isAfter(clock.instant()) ? Optional.empty() : Optional.of(AsOf.Time.of(at));
  }

  /** Whether a get asks for the object's history. */
  static boolean wantsHistory(HttpServerRequest request) {
    String v = param(request, HISTORY);
    return v != null && (v.equals("1") || v.equalsIgnoreCase("true"));
  }

  /** A watch of the past is not served: the history parameters are refused on it, as any other verb's. */
  static void refuse(HttpServerRequest request, String what) {
    for (String name : List.of(AS_OF, AS_OF_RESOURCE_VERSION, HISTORY)) {
      if (param(request, name) != null) {
        throw new ApiException(ApiStatus.badRequest(name + ": Forbidden: historical reads are gets and lists, not "
            + what));
      }
    }
  }

  private static Instant parse(String value) {
    // A '+' of an offset arrives as a space when the client did not encode it; a time has no spaces.
    String text = value.replace(' ', '+');
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      throw new ApiException(ApiStatus.badRequest("asOf: Invalid value: \"" + value + "\": must be an RFC 3339 time "
          + "such as 2026-12-06T08:00:00Z or 2026-12-06T09:00:00.5+01:00"));
    }
  }

  private static String param(HttpServerRequest request, String name) {
    String v = request.getParam(name);
    return v == null || v.isEmpty() ? null : v;
  }

  /**
   * An object's history: {@code {"apiVersion": "audit.capstan.io/v1", "kind": "ObjectHistory",
   * "object": {kind, namespace, name}, "items": [{resourceVersion, time, actor, operation, uid,
   * changedPaths, diff: [{path, op, from, to}]}]}}, oldest first; the audit trail's entries of
   * one object, each with its field-level difference from the version before.
   */
  static JsonNode body(Kind kind, String namespace, String name, List<HistoryEntry> entries) {
    ObjectNode out = NODES.objectNode();
    out.put("apiVersion", "audit.capstan.io/v1").put("kind", "ObjectHistory");
    ObjectNode object = out.putObject("object").put("apiVersion", kind.apiVersion()).put("kind", kind.kind());
    if (kind.namespaced()) {
      object.put("namespace", namespace);
    }
    object.put("name", name);
    ArrayNode items = out.putArray("items");
    for (HistoryEntry h : entries) {
      AuditEntry e = h.change();
      ObjectNode n = items.addObject();
      n.put("resourceVersion", Long.toString(e.resourceVersion())).put("time", e.time().toString())
          .put("actor", e.actor()).put("operation", e.op()).put("uid", e.uid());
      ArrayNode paths = n.putArray("changedPaths");
      e.changedPaths().forEach(paths::add);
      VersionDiff.write(h.diff(), n.putArray("diff"));
    }
    return out;
  }
}
