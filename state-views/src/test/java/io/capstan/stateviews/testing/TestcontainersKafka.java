package io.capstan.stateviews.testing;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/** Testcontainers' Kafka, only when asked for and a Docker engine is present. */
final class TestcontainersKafka {
  private TestcontainersKafka() {}

  static String start() {
    if (!DockerClientFactory.instance().isDockerAvailable()) {
      throw new IllegalStateException("CAPSTAN_TEST_KAFKA=testcontainers needs a running Docker engine;"
          + " unset CAPSTAN_TEST_KAFKA to use the embedded broker");
    }
    KafkaContainer kafka = new KafkaContainer("apache/kafka:4.1.0");
    kafka.start();
    Runtime.getRuntime().addShutdownHook(new Thread(kafka::stop));
    return kafka.getBootstrapServers();
  }
}
