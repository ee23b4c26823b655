package io.capstan.ops;

import io.capstan.logschema.topics.TopicLayout;
import io.capstan.scheduler.config.SchedulerConfig;
import io.capstan.scheduler.service.SchedulerInstance;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;

/** The scheduler: binds pending pods to nodes (filter, score, assume, bind). */
final class SchedulerComponent implements Component {
  private final Map<String, Object> kafka;
  private final TopicLayout layout;
  private final SchedulerConfig config;
  private final SharedInformers shared;
  private final MeterRegistry registry;
  private io.capstan.scheduler.leader.LeaderElectionConfig election;
  private SchedulerInstance scheduler;

  /** @param shared the process's informers for the scheduler to read through, or null for its own */
  SchedulerComponent(Map<String, Object> kafka, TopicLayout layout, SchedulerConfig config, SharedInformers shared,
      MeterRegistry registry) {
    this.kafka = kafka;
    this.layout = layout;
    this.config = config;
    this.shared = shared;
    this.registry = registry;
  }

  /** Schedules only while holding this lease (kube-scheduler's --leader-elect); before {@link #start}. */
  SchedulerComponent electing(io.capstan.scheduler.leader.LeaderElectionConfig election) {
    this.election = election;
    return this;
  }

  @Override
  public String name() {
    return "scheduler";
  }

  @Override
  public void start() {
    scheduler = new SchedulerInstance(kafka, layout, config, election, shared, registry);
  }

  @Override
  public void awaitReady(Duration timeout) {
    try {
      scheduler.start(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the scheduler started", e);
    }
  }

  @Override
  public void close() {
    if (scheduler != null) {
      scheduler.close();
    }
  }
}
