package io.capstan.gateway.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.TimeUnit;

/**
 * Counts and times every request by Kubernetes verb, resource and HTTP code, as
 * kube-apiserver's {@code apiserver_request_duration_seconds} / {@code apiserver_request_total}:
 * here {@code capstan_apiserver_request_duration_seconds} (histogram) and
 * {@code capstan_apiserver_request_total}. Watches are timed until they end.
 */
final class RequestMetrics implements Handler<RoutingContext> {
  static final String VERB = "capstan.verb";
  static final String RESOURCE = "capstan.resource";

  private static final java.util.Set<HttpMethod> STANDARD_METHODS = java.util.Set.of(HttpMethod.GET, HttpMethod.HEAD,
      HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE, HttpMethod.OPTIONS, HttpMethod.CONNECT,
      HttpMethod.TRACE);

  static final java.time.Duration MIN_BUCKET = java.time.Duration.ofNanos(50_000);

  private final MeterRegistry registry;

  RequestMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void handle(RoutingContext ctx) {
    long start = System.nanoTime();
    ctx.addEndHandler(done -> {
      String verb = ctx.get(VERB, methodTag(ctx.request().method()));
      String resource = ctx.get(RESOURCE, "");
      String code = String.valueOf(ctx.response().getStatusCode());
      Timer.builder("capstan.apiserver.request.duration")
          .description("Gateway request latency by verb, resource and code")
          .tags("verb", verb, "resource", resource, "code", code)
          .publishPercentileHistogram()
          // Gets from the watch cache take well under a millisecond: buckets from 50 µs resolve them
          // (Micrometer's timer buckets start at 1 ms otherwise).
          .minimumExpectedValue(MIN_BUCKET)
          .register(registry)
          .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      Counter.builder("capstan.apiserver.request")
          .description("Gateway requests by verb, resource and code")
          .tags("verb", verb, "resource", resource, "code", code)
          .register(registry)
          .increment();
    });
    ctx.next();
  }

  /**
   * The method as a tag value: any token is an HTTP method, so a client inventing them would
   * make a new time series per request; as kube-apiserver's metrics, those all count as "other".
   */
  static String methodTag(HttpMethod method) {
    return STANDARD_METHODS.contains(method) ? method.name() : "other";
  }
}
