package io.capstan.gateway.openapi;

import io.capstan.logschema.openapi.OpenApiDocuments;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code GET /openapi/v3} (the index) and {@code GET /openapi/v3/<group-version path>}. As in
 * kube-apiserver, a request whose {@code hash} matches the current document is answered as
 * immutable (clients cache it for good), a stale hash is redirected to the current URL, and
 * every document carries its hash as ETag so {@code If-None-Match} gets a 304.
 */
public final class OpenApiHandler implements Handler<RoutingContext> {
  private static final String PREFIX = "/openapi/v3";
  private final Supplier<OpenApiDocuments> documents;

  public OpenApiHandler(OpenApiDocuments documents) {
    this(() -> documents);
  }

  /** Documents that may change while the server runs (custom kinds come and go). */
  public OpenApiHandler(Supplier<OpenApiDocuments> documents) {
    this.documents = documents;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String path = ctx.request().path();
    String rest = path.length() <= PREFIX.length() ? "" : path.substring(PREFIX.length() + 1);
    var response = ctx.response();
    OpenApiDocuments docs = documents.get();
    if (rest.isEmpty()) {
      response.putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-cache, private")
          .end(Buffer.buffer(docs.indexBytes()));
      return;
    }
    Optional<OpenApiDocuments.Document> doc = docs.document(rest);
    if (doc.isEmpty()) {
      ctx.next(); // falls through to the 404 Status
      return;
    }
    OpenApiDocuments.Document d = doc.get();
    String etag = "\"" + d.hash() + "\"";
    String hash = ctx.request().getParam("hash");
    if (hash != null && !hash.equals(d.hash())) {
      response.setStatusCode(301).putHeader("Location", d.serverRelativeUrl()).end();
      return;
    }
    response.putHeader("ETag", etag).putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", hash != null ? "public, immutable" : "no-cache, private");
    if (etag.equals(ctx.request().getHeader("If-None-Match"))) {
      response.setStatusCode(304).end();
      return;
    }
    response.end(Buffer.buffer(d.bytes()));
  }
}
