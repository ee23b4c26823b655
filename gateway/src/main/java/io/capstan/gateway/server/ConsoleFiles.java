package io.capstan.gateway.server;

import io.capstan.gateway.errors.ApiStatus;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The web console's files at {@code /ui/}: plain JavaScript modules, CSS and one HTML page, read
 * from the classpath once and served from memory to anyone (the login page must load before there
 * is a token; the files hold nothing of the cluster). Everything the console shows comes from API
 * calls, authenticated as any. Each answer carries a Content-Security-Policy of {@code 'self'}
 * only (no inline script or style, no other origin), and is never framed or sniffed.
 */
final class ConsoleFiles implements Handler<RoutingContext> {
  static final String PREFIX = "/ui/";
  private static final String ROOT = "io/capstan/gateway/console/";
  /** The files of the console; a name not here is a 404. */
  static final List<String> FILES = List.of("index.html", "console.css", "app.js", "api.js", "views.js", "timeline.js",
      "yaml.js", "diff.js", "icon.svg");
  static final String CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none';"
      + " base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

  private record File(Buffer body, String contentType) {}

  private final Map<String, File> files = new HashMap<>();

  ConsoleFiles() {
    for (String name : FILES) {
      files.put(name, new File(Buffer.buffer(read(name)), contentType(name)));
    }
  }

  private static byte[] read(String name) {
    try (InputStream in = ConsoleFiles.class.getClassLoader().getResourceAsStream(ROOT + name)) {
      if (in == null) {
        throw new IllegalStateException("the console's file " + ROOT + name + " is not on the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String contentType(String name) {
    String ext = name.substring(name.lastIndexOf('.') + 1);
    return switch (ext) {
      case "html" -> "text/html; charset=utf-8";
      case "js" -> "text/javascript; charset=utf-8";
      case "css" -> "text/css; charset=utf-8";
      case "svg" -> "image/svg+xml";
      default -> "application/octet-stream";
    };
  }

  @Override
  public void handle(RoutingContext ctx) {
    var response = ctx.response();
    response.putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("Cache-Control", "no-cache");
    String path = ctx.request().path();
    if (path.equals("/ui")) {
      response.setStatusCode(301).putHeader("Location", PREFIX).end();
      return;
    }
    if (ctx.request().method() != HttpMethod.GET && ctx.request().method() != HttpMethod.HEAD) {
      response.putHeader("Allow", "GET, HEAD");
      Responses.status(ctx, ApiStatus.methodNotAllowed(ctx.request().method().name(), "the console's files"));
      return;
    }
    String name = path.length() == PREFIX.length() ? "index.html" : path.substring(PREFIX.length());
    File file = files.get(name);
    if (file == null) {
      Responses.status(ctx, ApiStatus.noSuchPath());
      return;
    }
    response.putHeader("Content-Type", file.contentType());
    if (ctx.request().method() == HttpMethod.HEAD) {
      response.putHeader("Content-Length", Integer.toString(file.body().length())).end();
    } else {
      response.end(file.body());
    }
  }
}
