package io.capstan.ops;

import io.capstan.stateviews.kafka.EmbeddedKafkaBroker;
import io.capstan.stateviews.metrics.MetricsEndpoint;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code capstan up} runs: the embedded broker unless {@code kafka} names a cluster, then
 * every component in this JVM.
 *
 * @param kafka the external cluster's bootstrap servers; empty for the embedded broker
 * @param kafkaPort the embedded broker's port (0: a free one); unused with {@code kafka}
 * @param kafkaSettings client settings passed to every Kafka client (TLS, SASL, …)
 */
record UpConfig(Path dataDir, Optional<String> kafka, int kafkaPort, Map<String, String> kafkaSettings,
    TopicSettings topics, MetricsEndpoint.Config metrics) {
  UpConfig {
    if (kafkaPort < 0 || kafkaPort > 65535) {
      throw new IllegalArgumentException("--kafka-port must be 0..65535, got " + kafkaPort);
    }
    kafkaSettings = Map.copyOf(kafkaSettings);
    // Fail on a malformed --kafka now, before anything starts.
    if (kafka.isPresent()) {
      new KafkaConnection(kafka.get(), kafkaSettings);
    } else if (kafkaSettings.containsKey("bootstrap.servers")) {
      throw new IllegalArgumentException("bootstrap.servers in --kafka-config: the embedded broker is in use;"
          + " pass --kafka to use another cluster");
    }
  }

  EmbeddedKafkaBroker.Config broker() {
    return EmbeddedKafkaBroker.Config.of(dataDir.resolve(Defaults.KAFKA_SUBDIR), kafkaPort);
  }

  Path stateDir() {
    return dataDir.resolve(Defaults.STATE_VIEWS_SUBDIR);
  }

  Path logDir() {
    return dataDir.resolve(Defaults.LOGS_SUBDIR);
  }
}
