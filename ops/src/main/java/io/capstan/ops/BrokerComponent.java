package io.capstan.ops;

import io.capstan.stateviews.kafka.EmbeddedKafkaBroker;
import java.time.Duration;

/** The embedded single-node KRaft broker, for {@code up} without {@code --kafka} and for {@code broker}. */
final class BrokerComponent implements Component {
  private final EmbeddedKafkaBroker.Config config;
  private EmbeddedKafkaBroker broker;

  BrokerComponent(EmbeddedKafkaBroker.Config config) {
    this.config = config;
  }

  @Override
  public String name() {
    return "kafka broker";
  }

  @Override
  public void start() {
    broker = EmbeddedKafkaBroker.start(config);
  }

  /** {@link EmbeddedKafkaBroker#start} returns only once the broker accepts requests. */
  @Override
  public void awaitReady(Duration timeout) {}

  @Override
  public String readyLine() {
    return "kafka ready: bootstrap=" + bootstrap();
  }

  String bootstrap() {
    return broker.bootstrap();
  }

  @Override
  public void close() {
    if (broker != null) {
      broker.close();
    }
  }
}
