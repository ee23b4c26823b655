package io.capstan.ops;

import io.capstan.stateviews.metrics.JvmMetrics;
import io.capstan.stateviews.metrics.MetricsEndpoint;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;

/** The one /metrics endpoint of the process, over the registry every component records into. */
final class MetricsComponent implements Component {
  private final MetricsEndpoint.Config config;
  private final PrometheusMeterRegistry registry;
  private JvmMetrics jvm;
  private MetricsEndpoint endpoint;

  MetricsComponent(MetricsEndpoint.Config config, PrometheusMeterRegistry registry) {
    this.config = config;
    this.registry = registry;
  }

  @Override
  public String name() {
    return "metrics endpoint";
  }

  @Override
  public void start() {
    jvm = JvmMetrics.bindTo(registry);
    endpoint = MetricsEndpoint.start(config, registry);
  }

  /** Serving as soon as the port is bound. */
  @Override
  public void awaitReady(Duration timeout) {}

  @Override
  public String readyLine() {
    return "metrics ready: " + url();
  }

  String url() {
    return endpoint.url();
  }

  @Override
  public void close() {
    if (endpoint != null) {
      endpoint.close();
    }
    if (jvm != null) {
      jvm.close();
    }
  }
}
