package io.capstan.scheduler.service;

import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.scheduler.config.SchedulerConfig;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * A whole scheduler process part: its own informers and command client around a {@link
 * SchedulerService}. What {@code capstan scheduler} and {@code capstan up} start.
 */
public final class SchedulerInstance implements AutoCloseable {
  public static final String COMPONENT = "scheduler";

  private final SharedInformers informers;
  private final CommandClient client;
  private final SchedulerService service;

  public SchedulerInstance(Map<String, Object> kafka, TopicLayout layout, SchedulerConfig config, MeterRegistry registry) {
    this.informers = new SharedInformers(InformerConfig.defaults(kafka, layout, COMPONENT), registry);
    CommandClient c = null;
    try {
      c = new CommandClient(CommandClientConfig.defaults(kafka, layout, COMPONENT), registry);
      this.client = c;
      this.service = new SchedulerService(config, informers, client, registry, Clock.systemUTC());
    } catch (RuntimeException e) {
      if (c != null) {
        c.close();
      }
      informers.close();
      throw e;
    }
  }

  /** Blocks until the informers have synced and the scheduling loop runs. */
  public void start(Duration timeout) throws InterruptedException {
    service.start(timeout);
  }

  public SchedulerService service() {
    return service;
  }

  @Override
  public void close() {
    service.close();
    informers.close();
    client.close();
  }
}
