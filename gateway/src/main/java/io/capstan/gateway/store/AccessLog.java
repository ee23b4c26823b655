package io.capstan.gateway.store;

import io.capstan.log.Access;
import io.capstan.logschema.client.OnDemandProducer;
import io.capstan.logschema.codec.LogCodec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the gateway keeps what its access control decided for audit: refused requests (401, 403)
 * and reads of Secrets, as {@link Access} records on the access topic ({@code capstan.access}),
 * keyed by user, which {@code capstan audit} shows next to the changes from the event log.
 *
 * <p>Recording never delays or fails a request: records are sent off the event loop, and when
 * Kafka is away or refusals come faster than it takes them, records beyond a bound are dropped
 * and counted ({@code capstan_gateway_access_records_total{result="dropped"}}), with one warning
 * until records go through again.
 */
public interface AccessLog extends AutoCloseable {
  /** Keeps {@code record} (best effort; see the class comment). */
  void record(Access record);

  @Override
  default void close() {}

  /** Keeps nothing: stores without a log (the tests' in-memory store). */
  AccessLog NONE = record -> {};

  /** The access topic of {@code kafka}'s cluster, written as {@code component}. */
  static AccessLog kafka(Map<String, Object> kafka, String topic, String component, MeterRegistry registry) {
    return new KafkaAccessLog(kafka, topic, component, registry);
  }

  /** Records on the access topic through an {@link OnDemandProducer} (no thread until the first). */
  final class KafkaAccessLog implements AccessLog {
    private static final Logger log = LoggerFactory.getLogger(AccessLog.class);
    /** Records waiting for the producer at most: a flood of refusals while Kafka is away is dropped beyond it. */
    static final int MAX_PENDING = 10_000;

    private final String topic;
    private final OnDemandProducer producer;
    private final Counter sent;
    private final Counter dropped;
    private final Counter failed;
    private final AtomicBoolean warned = new AtomicBoolean();

    KafkaAccessLog(Map<String, Object> kafka, String topic, String component, MeterRegistry registry) {
      this.topic = topic;
      this.producer = new OnDemandProducer("capstan-access-log-" + component, kafka, Map.of(
          ProducerConfig.LINGER_MS_CONFIG, 20,
          ProducerConfig.ACKS_CONFIG, "1",
          ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false,
          ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000,
          ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000,
          ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000), Duration.ofSeconds(60), MAX_PENDING);
      this.sent = counter(registry, "sent");
      this.dropped = counter(registry, "dropped");
      this.failed = counter(registry, "failed");
    }

    private static Counter counter(MeterRegistry registry, String result) {
      return Counter.builder("capstan_gateway_access_records").tag("result", result)
          .description("Access records (refused requests, reads of Secrets) for audit, by what became of them")
          .register(registry);
    }

    @Override
    public void record(Access record) {
      byte[] value = LogCodec.get().encode(record);
      boolean queued = producer.send(new ProducerRecord<>(topic, record.getUser(), value), this::failed);
      if (queued) {
        sent.increment();
        if (warned.get() && warned.compareAndSet(true, false)) {
          log.info("access records are kept again on {}", topic);
        }
      } else {
        dropped.increment();
        warnOnce("more than " + MAX_PENDING + " access records wait for Kafka");
      }
    }

    private void failed(Exception e) {
      failed.increment();
      warnOnce("an access record could not be written to " + topic + ": " + e);
    }

    private void warnOnce(String what) {
      if (warned.compareAndSet(false, true)) {
        log.warn("{}; access records are being lost (counted in capstan_gateway_access_records_total)", what);
      }
    }

    @Override
    public void close() {
      producer.close();
    }
  }
}
