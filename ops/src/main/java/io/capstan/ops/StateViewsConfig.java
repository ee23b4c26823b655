package io.capstan.ops;

import io.capstan.stateviews.metrics.MetricsEndpoint;
import java.nio.file.Path;

/** What {@code capstan state-views} runs: one more command processor instance against a cluster. */
record StateViewsConfig(Path dataDir, Path stateDir, KafkaConnection kafka, TopicSettings topics,
    MetricsEndpoint.Config metrics) {

  Path logDir() {
    return dataDir.resolve(Defaults.LOGS_SUBDIR);
  }
}
