package io.capstan.ops;

import io.capstan.stateviews.kafka.EmbeddedKafkaBroker;
import java.nio.file.Path;

/** What {@code capstan broker} runs: the embedded broker on {@code port} (0: a free one), data under {@code dataDir}. */
record BrokerConfig(Path dataDir, int port) {
  BrokerConfig {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--port must be 0..65535, got " + port);
    }
  }

  EmbeddedKafkaBroker.Config broker() {
    return EmbeddedKafkaBroker.Config.of(dataDir.resolve(Defaults.KAFKA_SUBDIR), port);
  }

  Path logDir() {
    return dataDir.resolve(Defaults.LOGS_SUBDIR);
  }
}
