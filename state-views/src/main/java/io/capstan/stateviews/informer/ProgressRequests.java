package io.capstan.stateviews.informer;

import io.capstan.log.Watermark;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.threads.Housekeeping;
import io.capstan.logschema.threads.OnDemandThreads;
import io.capstan.logschema.topics.ObjectPartitioner;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
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
 * never waits costs nothing.
 */
final class ProgressRequests implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProgressRequests.class);
  static final Duration RETRY_AFTER = Duration.ofSeconds(1);

  private final InformerConfig config;
  private final Map<Integer, Asked> asked = new ConcurrentHashMap<>();
  /** A producer unused this long is closed (its I/O thread with it); the next request opens one. */
  static final Duration PRODUCER_IDLE = Duration.ofSeconds(60);

  private KafkaProducer<String, byte[]> producer;
  private volatile long lastSendNanos;
  private final Housekeeping idleCheck = Housekeeping.of("progress requests");
  private boolean idleCheckScheduled;
  private ExecutorService sender;
  private boolean closed;

  private record Asked(long rv, long atNanos) {}

  ProgressRequests(InformerConfig config) {
    this.config = config;
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
    try {
      // Off the caller's thread: the first send waits for the producer's metadata, and callers
      // hold locks (the watch cache) or are event loops.
      sender().execute(() -> send(partition, mine));
    } catch (RejectedExecutionException e) {
      asked.remove(partition, mine); // closing
    }
  }

  private void send(int partition, Asked mine) {
    lastSendNanos = System.nanoTime();
    KafkaProducer<String, byte[]> p = producer();
    if (p == null) {
      return;
    }
    long nowMicros = System.currentTimeMillis() * 1000;
    byte[] value = LogCodec.get().encode(new Watermark(partition, mine.rv(), nowMicros));
    try {
      p.send(new ProducerRecord<>(config.layout().commands(), partition, ObjectPartitioner.watermarkKey(partition), value),
          (md, err) -> {
            if (err != null) {
              failed(partition, mine, err);
            }
          });
    } catch (KafkaException e) {
      failed(partition, mine, e);
    }
  }

  private void failed(int partition, Asked mine, Exception why) {
    asked.remove(partition, mine); // the next wait asks again
    log.warn("{}: could not ask partition {} for a watermark: {}", config.component(), partition, why.toString());
  }

  private synchronized ExecutorService sender() {
    if (sender == null) {
      // one thread at most, and none while nobody waits (requests come in bursts around writes)
      sender = OnDemandThreads.pool("capstan-progress-requests-" + config.component(), 1, Duration.ofSeconds(5));
      if (closed) {
        sender.shutdown();
      }
    }
    return sender;
  }

  private synchronized KafkaProducer<String, byte[]> producer() {
    if (closed) {
      return null;
    }
    if (producer == null) {
      Map<String, Object> c = new HashMap<>();
      config.kafka().forEach((k, v) -> {
        if (ProducerConfig.configNames().contains(k)) {
          c.put(k, v);
        }
      });
      c.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
      c.put(ProducerConfig.CLIENT_ID_CONFIG, config.component() + "-progress-requests");
      c.put(ProducerConfig.LINGER_MS_CONFIG, 0);
      c.put(ProducerConfig.ACKS_CONFIG, "1");
      c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false); // a repeated request is harmless
      producer = new KafkaProducer<>(c, new StringSerializer(), new ByteArraySerializer());
      if (!idleCheckScheduled) {
        idleCheckScheduled = true;
        idleCheck.every(PRODUCER_IDLE, PRODUCER_IDLE, this::closeIfIdle);
      }
    }
    return producer;
  }

  /** On the housekeeping thread: hands the (blocking) close to the sender. */
  private void closeIfIdle() {
    if (System.nanoTime() - lastSendNanos > PRODUCER_IDLE.toNanos()) {
      try {
        sender().execute(this::closeIdleProducer);
      } catch (RejectedExecutionException e) {
        // closing anyway
      }
    }
  }

  /** On the sender, which is the only other user of the producer: no send is running now. */
  private synchronized void closeIdleProducer() {
    if (producer != null && System.nanoTime() - lastSendNanos > PRODUCER_IDLE.toNanos()) {
      producer.close(Duration.ofSeconds(5));
      producer = null;
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    idleCheck.close();
    if (sender != null) {
      sender.shutdownNow();
    }
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
      producer = null;
    }
  }
}
