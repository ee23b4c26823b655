package io.capstan.gateway.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.gateway.errors.ApiErrors;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.logschema.json.KubeJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writing JSON bodies and Status errors. */
final class Responses {
  private static final Logger LOG = LoggerFactory.getLogger(Responses.class);

  private Responses() {}

  static void json(RoutingContext ctx, int code, JsonNode body) {
    if (ctx.response().ended()) {
      return;
    }
    json(ctx, code, bytes(body));
  }

  /** A body already rendered as JSON. */
  static void json(RoutingContext ctx, int code, byte[] body) {
    if (ctx.response().ended()) {
      return;
    }
    ctx.response().setStatusCode(code).putHeader("Content-Type", "application/json").end(Buffer.buffer(body));
  }

  static byte[] bytes(JsonNode body) {
    try {
      return KubeJson.jsonMapper().writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("serializing a JSON tree cannot fail", e);
    }
  }

  static void status(RoutingContext ctx, ApiStatus status) {
    json(ctx, status.code(), status.toJson());
  }

  /** Answers with the Status for {@code error}; server faults are logged with the request. */
  static void error(RoutingContext ctx, Throwable error) {
    ApiStatus status = ApiErrors.toStatus(error);
    if (status.code() >= 500 && ApiErrors.isDeliberate(error)) {
      LOG.warn("{} {}: {} {}", ctx.request().method(), ctx.request().uri(), status.code(), status.message());
    } else if (status.code() >= 500) {
      LOG.error("{} {} failed", ctx.request().method(), ctx.request().uri(), error);
    }
    status(ctx, status);
  }
}
