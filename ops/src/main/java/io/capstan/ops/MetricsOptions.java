package io.capstan.ops;

import io.capstan.stateviews.metrics.MetricsEndpoint;
import picocli.CommandLine.Option;

/** The flags of the Prometheus endpoint a process serves. */
final class MetricsOptions {
  @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "" + Defaults.METRICS_PORT,
      description = "Port of the Prometheus /metrics endpoint; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--metrics-host", paramLabel = "ADDRESS", defaultValue = Defaults.METRICS_HOST,
      description = "Address the metrics endpoint binds; 0.0.0.0 lets a remote Prometheus scrape (default: ${DEFAULT-VALUE}).")
  String host;

  MetricsEndpoint.Config resolve() {
    return new MetricsEndpoint.Config(host, port);
  }
}
