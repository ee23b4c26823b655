package io.capstan.stateviews.informer;

import io.capstan.log.Watermark;
import io.capstan.logschema.client.OnDemandProducer;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.topics.ObjectPartitioner;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the command processor for watermarks, like etcd's progress notify: a quiet partition
 * sends none by itself (see the processor's {@code WatermarkSchedule}), so a reader whose
 * consistent cut must pass a version (a list after a write on another partition) puts a
 * {@link Watermark} request with the version it needs on that partition of the commands topic.
 * The processor answers with a watermark at or above it on every state topic.
 *
 * <p>Requests are coalesced: a partition is asked again only for a higher version, or when the
 * last request is older than {@link #RETRY_AFTER} and still wanted (the processor's task may have
 * moved meanwhile). Thread-safe; the producer is created on the first request, so a reader that
 * never waits costs nothing (an {@link OnDemandProducer}).
 */
final class ProgressRequests implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProgressRequests.class);
  static final Duration RETRY_AFTER = Duration.ofSeconds(1);

  private final InformerConfig config;
  private final Map<Integer, Asked> asked = new ConcurrentHashMap<>();
  /** A producer unused this long is closed (its I/O thread with it); the next request opens one. */
  static final Duration PRODUCER_IDLE = Duration.ofSeconds(60);
  /** Requests waiting for the producer at most (one per partition is the usual; more only while Kafka is away). */
  private static final int MAX_PENDING = 1_000;

  private final OnDemandProducer producer;
  private volatile boolean closed;

  private record Asked(long rv, long atNanos) {}

  ProgressRequests(InformerConfig config) {
    this.config = config;
    this.producer = new OnDemandProducer("capstan-progress-requests-" + config.component(), config.kafka(), Map.of(
        ProducerConfig.LINGER_MS_CONFIG, 0,
        ProducerConfig.ACKS_CONFIG, "1",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false), // a repeated request is harmless
        PRODUCER_IDLE, MAX_PENDING);
  }

  /** Asks partition {@code partition} to close at {@code rv} or beyond, unless it was just asked that. */
  void request(int partition, long rv) {
    long now = System.nanoTime();
    Asked before = asked.get(partition);
    if (before != null && before.rv() >= rv && now - before.atNanos() < RETRY_AFTER.toNanos()) {
      return;
    }
    Asked mine = new Asked(Math.max(rv, before == null ? 0 : before.rv()), now);
    if (before == null ? asked.putIfAbsent(partition, mine) != null : !asked.replace(partition, before, mine)) {
      return; // another thread asked at the same moment
    }
    if (closed) {
      asked.remove(partition, mine);
      return;
    }
    long nowMicros = System.currentTimeMillis() * 1000;
    byte[] value = LogCodec.get().encode(new Watermark(partition, mine.rv(), nowMicros));
    // Off the caller's thread: callers hold locks (the watch cache) or are event loops.
    boolean sent = producer.send(new ProducerRecord<>(config.layout().commands(), partition,
        ObjectPartitioner.watermarkKey(partition), value), err -> failed(partition, mine, err));
    if (!sent) {
      asked.remove(partition, mine); // closing, or too many waiting: the next wait asks again
    }
  }

  private void failed(int partition, Asked mine, Exception why) {
    asked.remove(partition, mine); // the next wait asks again
    log.warn("{}: could not ask partition {} for a watermark: {}", config.component(), partition, why.toString());
  }

  @Override
  public void close() {
    closed = true;
    producer.close();
  }
}
