package io.capstan.ops;

import io.capstan.stateviews.metrics.JvmMetrics;
import io.capstan.stateviews.metrics.MetricsEndpoint;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The one /metrics endpoint of the process, over the registry every component records into: on
 * the JDK's HTTP server, or, where the process runs Vert.x anyway ({@code capstan up}), on that,
 * which saves the JDK server's two threads.
 */
final class MetricsComponent implements Component {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MetricsComponent.class);
  private final MetricsEndpoint.Config config;
  private final PrometheusMeterRegistry registry;
  private JvmMetrics jvm;
  private MetricsEndpoint endpoint;
  private Vertx vertx;
  private HttpServer vertxServer;

  MetricsComponent(MetricsEndpoint.Config config, PrometheusMeterRegistry registry) {
    this.config = config;
    this.registry = registry;
  }

  @Override
  public String name() {
    return "metrics endpoint";
  }

  /** Serve on this Vert.x instead of the JDK's server. */
  MetricsComponent servingOn(Vertx vertx) {
    this.vertx = vertx;
    return this;
  }

  @Override
  public void start() {
    jvm = JvmMetrics.bindTo(registry);
    if (vertx == null) {
      endpoint = MetricsEndpoint.start(config, registry);
      return;
    }
    try {
      vertxServer = vertx.createHttpServer().requestHandler(this::handle).listen(config.port(), config.host())
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      LOG.info("serving metrics on {} (on the gateway's Vert.x)", url());
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new java.io.UncheckedIOException("cannot serve metrics on " + config.host() + ":" + config.port() + " ("
          + cause.getMessage() + "); pick another --metrics-port", new java.io.IOException(cause));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while binding the metrics port", e);
    }
  }

  /** A scrape renders every series: off the event loop. */
  private void handle(HttpServerRequest request) {
    String method = request.method().name();
    String path = request.path();
    vertx.executeBlocking(() -> MetricsEndpoint.Answer.to(method, path, registry), false).onComplete(done -> {
      HttpServerResponse response = request.response();
      if (done.failed()) {
        response.setStatusCode(500).end("scrape failed: " + done.cause().getMessage() + "\n");
        return;
      }
      MetricsEndpoint.Answer answer = done.result();
      if (answer.allow() != null) {
        response.putHeader("Allow", answer.allow());
      }
      response.setStatusCode(answer.status()).putHeader("Content-Type", answer.contentType());
      if (method.equals("HEAD")) {
        response.end();
      } else {
        response.end(answer.body());
      }
    });
  }

  /** Serving as soon as the port is bound. */
  @Override
  public void awaitReady(Duration timeout) {}

  @Override
  public String readyLine() {
    return "metrics ready: " + url();
  }

  String url() {
    if (endpoint != null) {
      return endpoint.url();
    }
    String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
    return "http://" + host + ":" + vertxServer.actualPort() + "/metrics";
  }

  @Override
  public void close() {
    if (endpoint != null) {
      endpoint.close();
    }
    if (vertxServer != null) {
      try {
        vertxServer.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // closing the gateway's Vert.x closes it too
      }
    }
    if (jvm != null) {
      jvm.close();
    }
  }
}
