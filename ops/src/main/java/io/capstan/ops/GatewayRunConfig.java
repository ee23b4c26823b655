package io.capstan.ops;

import io.capstan.gateway.server.GatewayConfig;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.metrics.MetricsEndpoint;
import java.nio.file.Path;

/** What {@code capstan gateway} runs: one more API gateway against a running cluster's Kafka. */
record GatewayRunConfig(Path dataDir, KafkaConnection kafka, TopicLayout layout, GatewayConfig gateway,
    MetricsEndpoint.Config metrics) {

  Path logDir() {
    return dataDir.resolve(Defaults.LOGS_SUBDIR);
  }
}
