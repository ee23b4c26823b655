package io.capstan.gateway.server;

import io.netty.handler.codec.DecoderException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.Locale;

/**
 * Requests whose bytes the gateway cannot read, told apart from its own faults: a failure thrown
 * by Netty's HTTP decoding (a chunk size that is not hex, a form body with a bad escape) is the
 * client's malformed request, a 400 as Go's HTTP server gives, never a 500; and form or multipart
 * bodies, which no API verb takes, are refused (415) before anything tries to decode them.
 */
final class UnreadableRequests {
  private UnreadableRequests() {}

  /** Whether {@code failure} (or a cause) was thrown while decoding the client's HTTP. */
  static boolean isDecodingFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof DecoderException) {
        return true;
      }
      StackTraceElement[] at = t.getStackTrace();
      if (at.length > 0 && at[0].getClassName().startsWith("io.netty.handler.codec.http.")) {
        return true;
      }
    }
    return false;
  }

  /** Whether the request sends a form or multipart body (a body Vert.x would decode as form attributes). */
  static boolean sendsFormBody(HttpServerRequest request) {
    if (request.method() == HttpMethod.GET || request.method() == HttpMethod.HEAD) {
      return false;
    }
    String type = request.getHeader("Content-Type");
    if (type == null) {
      return false;
    }
    String bare = type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return bare.equals("application/x-www-form-urlencoded") || bare.startsWith("multipart/");
  }
}
