package io.capstan.scheduler.service;

import io.capstan.api.Lease;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.scheduler.config.SchedulerConfig;
import io.capstan.scheduler.leader.LeaderElectionConfig;
import io.capstan.scheduler.leader.LeaderElector;
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
  /** Who the scheduler's commands act as (bound to the default roles system:kube-scheduler and system:volume-scheduler). */
  public static final String IDENTITY = "system:kube-scheduler";

  private final SharedInformers informers;
  private final CommandClient client;
  private final SchedulerService service;
  private final LeaderElector elector;

  public SchedulerInstance(Map<String, Object> kafka, TopicLayout layout, SchedulerConfig config, MeterRegistry registry) {
    this(kafka, layout, config, null, registry);
  }

  /** @param election null to schedule at once; else only while holding the lease */
  public SchedulerInstance(Map<String, Object> kafka, TopicLayout layout, SchedulerConfig config,
      LeaderElectionConfig election, MeterRegistry registry) {
    this(kafka, layout, config, election, null, registry);
  }

  /**
   * @param election null to schedule at once; else only while holding the lease
   * @param shared informers shared with the process's other components ({@code capstan up}),
   *     borrowed and left to their owner to close; null for informers of its own
   */
  public SchedulerInstance(Map<String, Object> kafka, TopicLayout layout, SchedulerConfig config,
      LeaderElectionConfig election, SharedInformers shared, MeterRegistry registry) {
    this.informers = SharedInformers.borrowOrOwn(shared, InformerConfig.defaults(kafka, layout, COMPONENT), registry);
    CommandClient c = null;
    try {
      // The scheduler acts as system:kube-scheduler, which the command processor authorizes.
      c = new CommandClient(CommandClientConfig.identified(kafka, layout, COMPONENT, IDENTITY), registry);
      this.client = c;
      this.service = new SchedulerService(config, informers, client, registry, Clock.systemUTC());
      this.elector = election == null ? null : new LeaderElector(election, client,
          informers.informerFor(Kinds.LEASE, Lease.class), Clock.systemUTC(), new LeaderElector.Callbacks() {
            @Override
            public void startedLeading() {
              service.setActive(true);
            }

            @Override
            public void stoppedLeading() {
              service.setActive(false);
            }
          });
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
    if (elector == null) {
      service.start(timeout);
    } else {
      service.startStandby(timeout);
      elector.start();
    }
  }

  /** The elector, or null without leader election. */
  public LeaderElector elector() {
    return elector;
  }

  /** Stops as a crashed process would: the lease is left to expire (for failover tests). */
  public void crash() {
    if (elector != null) {
      elector.close(false);
    }
    close();
  }

  public SchedulerService service() {
    return service;
  }

  @Override
  public void close() {
    if (elector != null) {
      elector.close();
    }
    service.close();
    informers.close();
    client.close();
  }
}
