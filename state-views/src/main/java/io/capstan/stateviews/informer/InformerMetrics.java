package io.capstan.stateviews.informer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * An informer's meters. Counters add up over every informer of a kind in the registry; gauges
 * are per informer (tagged with the component) and removed when it closes.
 */
final class InformerMetrics {
  static final String OBJECTS = "capstan.informer.objects";
  static final String WATERMARK_LAG = "capstan.informer.watermark.lag";
  static final String CONSUMER_LAG = "capstan.informer.consumer.lag";
  static final String SKIPPED = "capstan.informer.records.skipped";
  static final String APPLIED = "capstan.informer.records.applied";
  static final String HANDLER_ERRORS = "capstan.informer.handler.errors";

  private final MeterRegistry registry;
  private final Counter skipped;
  private final Counter applied;
  private final Counter handlerErrors;
  private final List<Meter> gauges = new ArrayList<>();

  private final String kind;
  private final String component;

  InformerMetrics(MeterRegistry registry, String kind, String component) {
    this.registry = registry;
    this.kind = kind;
    this.component = component;
    skipped = Counter.builder(SKIPPED).description("Malformed state records skipped").tag("kind", kind).register(registry);
    applied = Counter.builder(APPLIED).description("State records applied to informer caches").tag("kind", kind)
        .register(registry);
    handlerErrors = Counter.builder(HANDLER_ERRORS).description("Exceptions thrown by event handlers and listeners")
        .tag("kind", kind).register(registry);
  }

  /** Once the informer has started: a gauge of an informer that never ran would only shadow a live one. */
  void registerGauges(Supplier<Number> objects, Supplier<Number> watermarkLagSeconds, Supplier<Number> consumerLag) {
    gauges.add(Gauge.builder(OBJECTS, objects).description("Objects in the informer's cache")
        .tag("kind", kind).tag("component", component).register(registry));
    gauges.add(Gauge.builder(WATERMARK_LAG, watermarkLagSeconds)
        .description("How far the informer's consistent cut (list resourceVersion, a time in microseconds) trails now")
        .baseUnit("seconds").tag("kind", kind).tag("component", component).register(registry));
    gauges.add(Gauge.builder(CONSUMER_LAG, consumerLag)
        .description("Records of the state topic not yet read by the informer")
        .baseUnit("records").tag("kind", kind).tag("component", component).register(registry));
  }

  void skipped() {
    skipped.increment();
  }

  void applied() {
    applied.increment();
  }

  void handlerFailed() {
    handlerErrors.increment();
  }

  void close() {
    gauges.forEach(registry::remove);
  }
}
