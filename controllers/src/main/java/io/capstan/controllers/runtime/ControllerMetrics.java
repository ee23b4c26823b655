package io.capstan.controllers.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Meters of one controller, Prometheus-named as controller-runtime's:
 * {@code capstan_controller_reconcile_total{controller,result}} (result {@code success},
 * {@code requeue_after} or {@code error}) and {@code capstan_controller_reconcile_duration_seconds{controller}}.
 */
final class ControllerMetrics {
  static final String RECONCILES = "capstan.controller.reconcile";
  static final String DURATION = "capstan.controller.reconcile.duration";

  private final MeterRegistry registry;
  private final String controller;
  private final Timer duration;
  private final Map<String, Counter> results = new ConcurrentHashMap<>();

  ControllerMetrics(MeterRegistry registry, String controller) {
    this.registry = registry;
    this.controller = controller;
    this.duration = Timer.builder(DURATION).description("Time of one reconcile")
        .tag("controller", controller)
        .publishPercentileHistogram().maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry);
  }

  void reconciled(String result, long nanos) {
    duration.record(Duration.ofNanos(nanos));
    results.computeIfAbsent(result, r -> Counter.builder(RECONCILES)
        .description("Reconciles, by controller and result")
        .tag("controller", controller).tag("result", r).register(registry)).increment();
  }
}
