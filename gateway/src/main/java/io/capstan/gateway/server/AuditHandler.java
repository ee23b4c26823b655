package io.capstan.gateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.store.ResourceStore;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.audit.AuditEntry;
import io.capstan.stateviews.audit.AuditQuery;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/**
 * {@code GET /apis/audit.capstan.io/v1/events}: the audit trail from the event log, for an
 * authenticated user, filtered by the query parameters {@code namespace}, {@code kind} (any
 * name kubectl accepts: {@code deployments}, {@code deploy}, …), {@code name}, {@code actor},
 * {@code since} and {@code until} (RFC 3339). The same entries as {@code capstan audit}.
 */
final class AuditHandler implements Handler<RoutingContext> {
  static final String PATH = "/apis/audit.capstan.io/v1/events";
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final ResourceStore store;

  AuditHandler(ResourceStore store) {
    this.store = store;
  }

  @Override
  public void handle(RoutingContext ctx) {
    AuditQuery query;
    try {
      query = query(ctx);
    } catch (IllegalArgumentException e) {
      Responses.error(ctx, new ApiException(ApiStatus.badRequest(e.getMessage())));
      return;
    }
    boolean objects = param(ctx, "objects").map(Boolean::parseBoolean).orElse(false);
    Future.fromCompletionStage(store.audit(query, objects), ctx.vertx().getOrCreateContext()).onComplete(ar -> {
      if (ar.failed()) {
        Responses.error(ctx, ar.cause());
      } else {
        Responses.json(ctx, 200, list(ar.result()));
      }
    });
  }

  static AuditQuery query(RoutingContext ctx) {
    Optional<String> kind = param(ctx, "kind").map(k -> Kinds.lookup(k).map(Kind::kind)
        .orElseThrow(() -> new IllegalArgumentException("kind: no kind is called \"" + k + "\"")));
    return new AuditQuery(kind, param(ctx, "namespace"), param(ctx, "name"), param(ctx, "actor"),
        param(ctx, "since").map(t -> micros("since", t)).orElse(0L),
        param(ctx, "until").map(t -> micros("until", t)).orElse(Long.MAX_VALUE));
  }

  private static Optional<String> param(RoutingContext ctx, String name) {
    return Optional.ofNullable(ctx.request().getParam(name)).filter(v -> !v.isEmpty());
  }

  private static long micros(String name, String value) {
    try {
      Instant t = Instant.parse(value);
      return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(name + ": \"" + value + "\" is not an RFC 3339 time such as 2026-11-27T04:00:00Z");
    }
  }

  private static JsonNode list(List<AuditEntry> entries) {
    ObjectNode out = NODES.objectNode();
    out.put("apiVersion", "audit.capstan.io/v1").put("kind", "EventList");
    ArrayNode items = out.putArray("items");
    for (AuditEntry e : entries) {
      ObjectNode n = items.addObject();
      n.put("time", e.time().toString()).put("actor", e.actor()).put("op", e.op());
      n.putObject("object").put("kind", e.kind()).put("namespace", e.namespace()).put("name", e.name())
          .put("uid", e.uid()).put("resourceVersion", Long.toString(e.resourceVersion()));
      n.put("requestId", e.requestId());
      ArrayNode paths = n.putArray("changedPaths");
      e.changedPaths().forEach(paths::add);
      if (e.mergePatch() != null) {
        n.set("mergePatch", KubeJson.parse(e.mergePatch()));
      }
      // With ?objects=true: the object after the change, as Kubernetes audit's RequestResponse level.
      if (e.responseObject() != null) {
        n.set("responseObject", KubeJson.parse(e.responseObject()));
      }
      if (e.access() != null) {
        io.capstan.stateviews.audit.AccessJson.put(n.putObject("access"), e.access());
      }
      if (e.objectError() != null) {
        n.put("objectError", e.objectError());
      }
    }
    return out;
  }
}
