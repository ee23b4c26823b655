package io.capstan.stateviews.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class MetricsEndpointTest {
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesEverySeriesOfTheRegistryAndJvmSeries() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.counter("capstan.test.scrapes").increment(3);
    try (JvmMetrics jvm = JvmMetrics.bindTo(registry);
        MetricsEndpoint endpoint = MetricsEndpoint.start(new MetricsEndpoint.Config("127.0.0.1", 0), registry)) {
      assertNotEquals(0, endpoint.port());
      assertEquals("http://127.0.0.1:" + endpoint.port() + "/metrics", endpoint.url());

      HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(endpoint.url())));
      assertEquals(200, r.statusCode());
      assertEquals(MetricsEndpoint.TEXT_FORMAT_004, r.headers().firstValue("Content-Type").orElse(""));
      assertTrue(r.body().contains("capstan_test_scrapes_total 3.0"), r.body());
      assertTrue(r.body().contains("jvm_memory_used_bytes"), "JVM series bound");
      assertTrue(r.body().contains("jvm_gc_"), "GC series bound");
    }
  }

  @Test
  void answersHealthAndRejectsWhatItDoesNotServe() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (MetricsEndpoint endpoint = MetricsEndpoint.start(new MetricsEndpoint.Config("127.0.0.1", 0), registry)) {
      String base = "http://127.0.0.1:" + endpoint.port();
      HttpResponse<String> health = send(HttpRequest.newBuilder(URI.create(base + "/healthz")));
      assertEquals(200, health.statusCode());
      assertEquals("ok", health.body());

      HttpResponse<String> missing = send(HttpRequest.newBuilder(URI.create(base + "/nope")));
      assertEquals(404, missing.statusCode());
      assertTrue(missing.body().contains("/nope"), missing.body());

      HttpResponse<String> post = send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
          .POST(HttpRequest.BodyPublishers.ofString("x")));
      assertEquals(405, post.statusCode());
    }
  }

  @Test
  void aTakenPortIsAClearError() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (MetricsEndpoint first = MetricsEndpoint.start(new MetricsEndpoint.Config("127.0.0.1", 0), registry)) {
      var e = assertThrows(RuntimeException.class,
          () -> MetricsEndpoint.start(new MetricsEndpoint.Config("127.0.0.1", first.port()), registry));
      assertTrue(e.getMessage().contains("127.0.0.1:" + first.port()), e.getMessage());
    }
    var bad = assertThrows(IllegalArgumentException.class, () -> new MetricsEndpoint.Config("127.0.0.1", 70000));
    assertTrue(bad.getMessage().contains("70000"));
  }
}
