package io.capstan.stateviews.processor;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.streams.processor.internals.DefaultKafkaClientSupplier;

/**
 * How long the processor's stream threads wait in {@code poll()}. While a task checks for the
 * moment to commit early (outputs wait, and the input may have gone quiet), a thread must come
 * back every {@code poll.ms} (2 ms) to run the check; otherwise nothing is urgent until a record
 * arrives, and {@code poll()} returns as soon as one does, so the thread waits up to
 * {@link #IDLE_POLL} instead of spinning 500 times a second (the watermark tick and the pruning
 * of request ids may run that much late). The global (namespace mirror) thread has no
 * punctuators and always waits that long.
 *
 * <p>Given to Kafka Streams as its client supplier: the consumers it hands out are the default
 * ones, with {@code poll(Duration)} paced (and the global one renewed while it restores, see
 * {@link GlobalRestoreConsumer}). Thread-safe.
 */
final class PollPacing extends DefaultKafkaClientSupplier {
  static final Duration IDLE_POLL = Duration.ofMillis(500);

  private final AtomicInteger armed = new AtomicInteger();

  /** A task started checking for an early commit. */
  void armed() {
    armed.incrementAndGet();
  }

  /** A task stopped. */
  void disarmed() {
    armed.decrementAndGet();
  }

  boolean busy() {
    return armed.get() > 0;
  }

  @Override
  public Consumer<byte[], byte[]> getConsumer(Map<String, Object> config) {
    return paced(super.getConsumer(config), this::busy);
  }

  @Override
  public Consumer<byte[], byte[]> getGlobalConsumer(Map<String, Object> config) {
    return paced(GlobalRestoreConsumer.of(() -> super.getGlobalConsumer(config)), () -> false);
  }

  /** {@code consumer}, whose blocking {@code poll(Duration)} waits at least {@link #IDLE_POLL} unless {@code busy}. */
  @SuppressWarnings("unchecked")
  static Consumer<byte[], byte[]> paced(Consumer<byte[], byte[]> consumer, BooleanSupplier busy) {
    return (Consumer<byte[], byte[]>) Proxy.newProxyInstance(Consumer.class.getClassLoader(),
        new Class<?>[] {Consumer.class}, (proxy, method, args) -> {
          Object[] a = args;
          if (method.getName().equals("poll") && a != null && a.length == 1 && a[0] instanceof Duration d
              && !d.isZero() && d.compareTo(IDLE_POLL) < 0 && !busy.getAsBoolean()) {
            a = new Object[] {IDLE_POLL};
          }
          try {
            return method.invoke(consumer, a);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
