package io.capstan.ops;

import io.capstan.logschema.topics.TopicLayout;
import java.util.Map;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The flags of a command that reads a running cluster's topics: where its Kafka is, the client
 * settings, and the topic prefix.
 */
final class ClusterLogOptions {
  @Option(names = "--kafka", paramLabel = "BOOTSTRAP",
      defaultValue = "${env:CAPSTAN_KAFKA:-127.0.0.1:" + Defaults.KAFKA_PORT + "}",
      description = "Kafka bootstrap servers (default: $CAPSTAN_KAFKA, else 127.0.0.1:" + Defaults.KAFKA_PORT
          + ", the broker of a local `capstan up`).")
  String kafka;

  @Mixin KafkaClientOptions kafkaClient;

  @Option(names = "--topic-prefix", paramLabel = "PREFIX", defaultValue = Defaults.TOPIC_PREFIX,
      description = "Prefix of every topic name (default: ${DEFAULT-VALUE}).")
  String prefix;

  /** @throws IllegalArgumentException naming a bad client setting */
  Map<String, Object> clientConfig() {
    return new KafkaConnection(kafka, kafkaClient.resolve()).clientConfig();
  }

  TopicLayout layout() {
    return new TopicLayout(prefix);
  }
}
