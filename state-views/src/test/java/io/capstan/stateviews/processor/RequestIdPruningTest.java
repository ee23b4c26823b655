package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.configMap;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Request ids are remembered for retries as long as the retention, then forgotten; an idle
 * partition looks for expired ones only when one can have expired, since every punctuation
 * costs a commit (a transaction).
 */
class RequestIdPruningTest {
  private static final Duration RETENTION = Duration.ofMillis(ProcessorConfig.DEFAULT_REQUEST_ID_RETENTION_MS);
  private final ProcessorHarness h = new ProcessorHarness();

  @AfterEach
  void close() {
    h.close();
  }

  /** Lets wall-clock time pass in steps, the processor's clock with it. */
  private void idle(Duration total, Duration step) {
    for (Duration passed = Duration.ZERO; passed.compareTo(total) < 0; passed = passed.plus(step)) {
      h.clock.advance(step);
      h.driver.advanceWallClockTime(step);
    }
  }

  /** How often the task punctuated so far (each punctuation commits). */
  private double punctuations() {
    return h.driver.metrics().entrySet().stream()
        .filter(e -> e.getKey().name().equals("punctuate-total") && e.getKey().group().equals("stream-task-metrics"))
        .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
  }

  /** The keys whose request ids are remembered. */
  private List<String> remembered() {
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it = h.driver.<String, byte[]>getKeyValueStore(CommandTopology.REQUESTS_STORE).all()) {
      it.forEachRemaining((KeyValue<String, byte[]> kv) -> keys.add(kv.key));
    }
    return keys;
  }

  @Test
  void idsAreForgottenARetentionAfterTheirKeysLastCommandWithoutATickEveryFewSeconds() {
    h.withNamespace("apps");
    h.send(h.create(configMap("apps", "a", Map.of())));
    idle(Duration.ofSeconds(30), Duration.ofSeconds(1)); // watermarks, early commit, the first look at the store
    assertEquals(List.of("ConfigMap/apps/a", "Namespace//apps"), remembered());
    double settled = punctuations();

    idle(Duration.ofMinutes(29), Duration.ofSeconds(10));
    assertEquals(settled, punctuations(), "nothing can expire for an hour: an idle partition does not punctuate");
    h.send(h.create(configMap("apps", "b", Map.of()))); // at 30 min
    idle(Duration.ofMinutes(1), Duration.ofSeconds(1));
    double afterB = punctuations();
    assertTrue(afterB - settled <= 8, "a write: its watermarks and early commit, " + (afterB - settled) + " punctuations");
    assertEquals(List.of("ConfigMap/apps/a", "ConfigMap/apps/b", "Namespace//apps"), remembered());

    idle(Duration.ofMinutes(30), Duration.ofSeconds(10)); // past the hour of the first two
    assertEquals(List.of("ConfigMap/apps/b"), remembered(), "the first two are forgotten, b is not");
    double afterFirstExpiry = punctuations();
    assertTrue(afterFirstExpiry - afterB <= 8, "one look when they expire (and its commit's watermarks), not one every"
        + " 10 s: " + (afterFirstExpiry - afterB) + " punctuations");

    idle(Duration.ofMinutes(31), Duration.ofSeconds(10)); // past b's hour
    assertEquals(List.of(), remembered());
    assertTrue(punctuations() - afterFirstExpiry <= 8, (punctuations() - afterFirstExpiry) + " punctuations");
    double empty = punctuations();
    idle(Duration.ofHours(2), Duration.ofMinutes(1));
    assertEquals(empty, punctuations(), "nothing remembered: nothing to look at");

    h.send(h.create(configMap("apps", "c", Map.of()))); // a write starts it again
    idle(Duration.ofMinutes(61), Duration.ofSeconds(10));
    assertEquals(List.of(), remembered(), "c is forgotten an hour after its command");
  }
}
