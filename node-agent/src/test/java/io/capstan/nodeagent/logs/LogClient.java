package io.capstan.nodeagent.logs;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SelfSignedCertificate;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A caller of an agent's log server for tests, as the gateway calls it: HTTPS, the server's
 * self-signed certificate not verified, and a client certificate of the test's own CA (a
 * self-signed certificate is its own CA, so {@link #caFile()} is what the agent trusts).
 */
public final class LogClient implements AutoCloseable {
  /** The answer: status and body. */
  public record Response(int status, String body) {}

  private final Vertx vertx = Vertx.vertx();
  private final SelfSignedCertificate cert = SelfSignedCertificate.create("capstan-test-client");

  /** The CA file the agent must be given (this client's own certificate). */
  public Path caFile() {
    return Path.of(cert.certificatePath());
  }

  public Response get(int port, String uri) throws Exception {
    return get(port, uri, true);
  }

  /** With {@code presentCertificate} false, the request carries no client certificate. */
  public Response get(int port, String uri, boolean presentCertificate) throws Exception {
    HttpClientOptions options = new HttpClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false);
    if (presentCertificate) {
      options.setKeyCertOptions(cert.keyCertOptions());
    }
    var client = vertx.createHttpClient(options);
    try {
      return client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
              .setURI(uri))
          .compose(r -> r.send())
          .compose(r -> r.body().map(b -> new Response(r.statusCode(), b.toString())))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } finally {
      client.close();
    }
  }

  @Override
  public void close() {
    cert.delete();
    vertx.close();
  }
}
