package io.capstan.logschema.client;

import io.capstan.logschema.threads.Housekeeping;
import io.capstan.logschema.threads.OnDemandThreads;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A Kafka producer for side records (watermark requests, access records) that exists only while
 * used: it is created by the first send and closed after {@code idle} without one, its I/O thread
 * with it, so a process that never sends costs no thread. Sends run off the caller's thread, on
 * one on-demand thread: the first waits for the producer's metadata, and callers are event loops
 * or hold locks. At most {@code maxPending} sends wait there (a broker that is away must not fill
 * the heap); further ones are refused and the caller counts them.
 *
 * <p>Thread-safe. Failures (refused by the broker, timed out) go to the callback of the send.
 */
public final class OnDemandProducer implements AutoCloseable {
  private final String name;
  private final Map<String, Object> config;
  private final Duration idle;
  private final int maxPending;
  private final AtomicInteger pending = new AtomicInteger();
  private final Housekeeping idleCheck;
  private KafkaProducer<String, byte[]> producer;
  private volatile long lastSendNanos;
  private boolean idleCheckScheduled;
  private ExecutorService sender;
  private boolean closed;

  /**
   * @param name      names the thread and the client id
   * @param kafka     the process's Kafka settings (only the producer's are used; never transactional)
   * @param overrides producer settings of this use (acks, linger, idempotence, …)
   */
  public OnDemandProducer(String name, Map<String, Object> kafka, Map<String, Object> overrides, Duration idle,
      int maxPending) {
    if (name == null || name.isBlank() || idle == null || idle.isNegative() || idle.isZero() || maxPending < 1) {
      throw new IllegalArgumentException("on-demand producer: need a name, a positive idle time and maxPending >= 1");
    }
    this.name = name;
    this.idle = idle;
    this.maxPending = maxPending;
    Map<String, Object> c = new HashMap<>();
    kafka.forEach((k, v) -> {
      if (ProducerConfig.configNames().contains(k)) {
        c.put(k, v);
      }
    });
    c.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
    c.put(ProducerConfig.CLIENT_ID_CONFIG, name);
    c.putAll(overrides);
    this.config = Map.copyOf(c);
    this.idleCheck = Housekeeping.of(name);
  }

  /**
   * Sends {@code record} soon, off this thread. False when it was refused: closing, or
   * {@code maxPending} sends already wait.
   */
  public boolean send(ProducerRecord<String, byte[]> record, Consumer<Exception> onFailure) {
    if (pending.incrementAndGet() > maxPending) {
      pending.decrementAndGet();
      return false;
    }
    try {
      sender().execute(() -> {
        try {
          sendNow(record, onFailure);
        } finally {
          pending.decrementAndGet();
        }
      });
      return true;
    } catch (RejectedExecutionException e) {
      pending.decrementAndGet();
      return false;
    }
  }

  private void sendNow(ProducerRecord<String, byte[]> record, Consumer<Exception> onFailure) {
    lastSendNanos = System.nanoTime();
    KafkaProducer<String, byte[]> p = producer();
    if (p == null) {
      return;
    }
    try {
      p.send(record, (md, err) -> {
        if (err != null) {
          onFailure.accept(err);
        }
      });
    } catch (KafkaException e) {
      onFailure.accept(e);
    }
  }

  private synchronized ExecutorService sender() {
    if (sender == null) {
      sender = OnDemandThreads.pool(name, 1, Duration.ofSeconds(5));
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
      producer = new KafkaProducer<>(new HashMap<>(config), new StringSerializer(), new ByteArraySerializer());
      if (!idleCheckScheduled) {
        idleCheckScheduled = true;
        idleCheck.every(idle, idle, this::closeIfIdle);
      }
    }
    return producer;
  }

  /** On the housekeeping thread: hands the (blocking) close to the sender. */
  private void closeIfIdle() {
    if (System.nanoTime() - lastSendNanos > idle.toNanos()) {
      try {
        sender().execute(this::closeIdleProducer);
      } catch (RejectedExecutionException e) {
        // closing anyway
      }
    }
  }

  /** On the sender, the only other user of the producer: no send is running now. */
  private synchronized void closeIdleProducer() {
    if (producer != null && System.nanoTime() - lastSendNanos > idle.toNanos()) {
      producer.close(Duration.ofSeconds(5));
      producer = null;
    }
  }

  /** Whether a producer is open now (for tests of the idle close). */
  synchronized boolean open() {
    return producer != null;
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
