package io.capstan.ops;

import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;

/**
 * The informers every component of a {@code capstan up} process reads the state topics through:
 * the gateway's watch cache, the controllers, the scheduler and the node agent each borrow them,
 * so a change is fetched, decoded and cached once per process, not once per component. Started
 * before them and so closed after them; the informers themselves start when the first component
 * asks for them (the gateway: every kind).
 */
final class SharedInformersComponent implements Component {
  /** The name in the informers' Kafka client ids and metric tags. */
  static final String COMPONENT = "up";

  private final SharedInformers informers;

  SharedInformersComponent(Map<String, Object> kafka, TopicLayout layout, MeterRegistry registry) {
    this.informers = new SharedInformers(InformerConfig.defaults(kafka, layout, COMPONENT), registry);
  }

  @Override
  public String name() {
    return "shared informers";
  }

  @Override
  public String startLine() {
    return "starting shared informers (one per kind for the whole process)…";
  }

  @Override
  public void start() {
    // nothing to do yet: informers start when the components ask for them
  }

  @Override
  public void awaitReady(Duration timeout) {
  }

  SharedInformers informers() {
    return informers;
  }

  @Override
  public void close() {
    informers.close();
  }
}
