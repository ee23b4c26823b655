package io.capstan.gateway.server;

import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.vertx.core.http.HttpServerRequest;

/**
 * The query parameters of a list or watch that must be numbers, checked before anything is
 * served: kube-apiserver decodes them into ListOptions and answers 400 when one does not parse,
 * so {@code timeoutSeconds=x} is an error, not a watch that never times out, and a watch from
 * {@code resourceVersion=abc} is refused before its stream starts.
 */
final class ReadParameters {
  private ReadParameters() {}

  static void check(HttpServerRequest request, boolean watch) {
    nonNegative(request, "limit");
    nonNegative(request, "timeoutSeconds");
    if (watch) {
      nonNegative(request, "resourceVersion");
      String match = request.getParam("resourceVersionMatch");
      String initial = request.getParam("sendInitialEvents");
      if (match != null && !match.isEmpty() && (initial == null || initial.isEmpty())) {
        throw new ApiException(ApiStatus.badRequest("resourceVersionMatch: Forbidden: resourceVersionMatch is "
            + "forbidden for watch unless sendInitialEvents is provided"));
      }
    }
  }

  private static void nonNegative(HttpServerRequest request, String name) {
    for (String value : request.params().getAll(name)) {
      if (value.isEmpty() && !name.equals("limit")) {
        continue;
      }
      boolean ok = value.matches("[0-9]{1,18}");
      if (!ok) {
        throw new ApiException(ApiStatus.badRequest(name + ": Invalid value: \"" + value
            + "\": must be a non-negative integer"));
      }
    }
  }
}
