package io.capstan.gateway.server;

import io.vertx.core.http.HttpServerRequest;
import java.util.Locale;

/**
 * The media type of a create's or update's body: the {@code Content-Type} without parameters, in
 * lower case; a body sent without one (or with an empty one) is JSON, as kube-apiserver reads it
 * (its input negotiation takes the first supported type, JSON). A patch is different: its
 * {@code Content-Type} names the patch format and has no default, so a patch without one is a 415.
 */
final class RequestMediaType {
  static final String JSON = "application/json";

  private RequestMediaType() {}

  static String of(HttpServerRequest request) {
    String type = request.getHeader("Content-Type");
    String bare = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return bare.isEmpty() ? JSON : bare;
  }
}
