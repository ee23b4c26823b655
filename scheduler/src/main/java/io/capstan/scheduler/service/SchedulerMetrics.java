package io.capstan.scheduler.service;

import io.capstan.scheduler.queue.SchedulingQueue;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The scheduler's series, after kube-scheduler's: attempts by result, the attempt latency
 * histogram, pending pods per queue, and the bind outcomes.
 */
final class SchedulerMetrics {
  final Counter scheduled;
  final Counter unschedulable;
  final Counter error;
  final Timer attemptDuration;
  final Counter bindFailures;
  final Counter preemptionVictims;

  SchedulerMetrics(MeterRegistry registry, SchedulingQueue queue) {
    scheduled = attempts(registry, "scheduled");
    unschedulable = attempts(registry, "unschedulable");
    error = attempts(registry, "error");
    attemptDuration = Timer.builder("capstan.scheduler.scheduling.duration")
        .description("Scheduling attempt latency: filter, score and assume (scheduling_attempt_duration_seconds)")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1).dividedBy(100))
        .maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry);
    bindFailures = Counter.builder("capstan.scheduler.bind.failures")
        .description("Binds the command processor refused or that timed out; the pod is forgotten and retried")
        .register(registry);
    preemptionVictims = Counter.builder("capstan.scheduler.preemption.victims")
        .description("Pods deleted to make room for higher-priority pods").register(registry);
    Gauge.builder("capstan.scheduler.pending.pods", queue, SchedulingQueue::activeSize).tag("queue", "active")
        .description("Pending pods per queue").register(registry);
    Gauge.builder("capstan.scheduler.pending.pods", queue, SchedulingQueue::backoffSize).tag("queue", "backoff")
        .description("Pending pods per queue").register(registry);
    Gauge.builder("capstan.scheduler.pending.pods", queue, SchedulingQueue::unschedulableSize).tag("queue", "unschedulable")
        .description("Pending pods per queue").register(registry);
  }

  private static Counter attempts(MeterRegistry registry, String result) {
    return Counter.builder("capstan.scheduler.schedule.attempts").tag("result", result)
        .description("Scheduling attempts by result (schedule_attempts_total)").register(registry);
  }
}
