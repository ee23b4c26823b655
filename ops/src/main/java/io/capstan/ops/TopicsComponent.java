package io.capstan.ops;

import io.capstan.stateviews.kafka.TopicAdmin;
import java.time.Duration;
import java.util.Map;

/**
 * Creates Capstan's topics if missing and checks their partition counts agree; a step of the
 * startup rather than a running part, so closing it releases nothing.
 */
final class TopicsComponent implements Component {
  private final Map<String, Object> kafka;
  private final TopicSettings settings;
  private int partitions;

  TopicsComponent(Map<String, Object> kafka, TopicSettings settings) {
    this.kafka = kafka;
    this.settings = settings;
  }

  @Override
  public String name() {
    return "topics";
  }

  @Override
  public String startLine() {
    return "creating topics…";
  }

  @Override
  public void start() {
    partitions = TopicAdmin.ensureTopics(kafka, settings.layout(), settings.partitions(), settings.replicationFactor());
  }

  @Override
  public void awaitReady(Duration timeout) {}

  @Override
  public String readyLine() {
    return "topics ready: " + TopicAdmin.topicsOf(settings.layout()).size() + " topics " + settings.prefix()
        + "*, " + partitions + " partitions";
  }

  /** The partition count in force, which may differ from the flag when the topics already existed. */
  int partitions() {
    return partitions;
  }

  @Override
  public void close() {}
}
