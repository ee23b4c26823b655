package io.capstan.stateviews.processor.quota;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Quota admission's meters on the processor:
 * <ul>
 *   <li>{@code capstan_quota_charges_total{result}}: charge steps, by result: {@code admitted},
 *       {@code already_charged} (a retried or repeated charge of the same object), {@code exceeded},
 *       {@code missing_requests}, {@code already_exists}, {@code quota_gone};
 *   <li>{@code capstan_quota_ledger_changes_total{op}}: entries released, recorded, pruned.
 *   <li>{@code capstan_quota_create_refusals_total}: creates refused by a quota (403).
 * </ul>
 */
public final class QuotaMetrics {
  static final String CHARGES = "capstan.quota.charges";
  static final String LEDGER = "capstan.quota.ledger.changes";
  static final String REFUSALS = "capstan.quota.create.refusals";

  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();

  public QuotaMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void charge(String result) {
    counter(CHARGES, "result", result, "Quota charge steps, by result").increment();
  }

  void ledger(String op, int n) {
    if (n > 0) {
      counter(LEDGER, "op", op, "Quota ledger entries changed, by operation").increment(n);
    }
  }

  void refusal() {
    counters.computeIfAbsent(REFUSALS, k -> Counter.builder(REFUSALS)
        .description("Creates refused with 403 Forbidden by a ResourceQuota").register(registry)).increment();
  }

  private Counter counter(String name, String tag, String value, String description) {
    return counters.computeIfAbsent(name + '\0' + value, k -> Counter.builder(name)
        .description(description).tag(tag, value).register(registry));
  }
}
