package io.capstan.stateviews.processor;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * The global (mirror) thread's consumer, made fresh each time its assignment changes.
 *
 * <p>Kafka Streams restores global stores one partition at a time: it assigns the partition, reads
 * it to its end offset, and moves to the next one. By then the consumer has already sent its next
 * fetch for the finished partition, which the broker holds for {@code fetch.max.wait.ms} (5 s here,
 * so an idle processor asks twice a minute, see {@link CommandProcessor#GLOBAL_FETCH_MAX_WAIT_MS});
 * a consumer has one fetch in flight per broker, so the fetch for the next partition waited those
 * 5 s, for every partition of every mirrored table: two minutes before a processor could start on
 * a log with a few thousand records. A new consumer has nothing in flight. Every assignment is
 * followed by a seek (Kafka Streams seeks to the checkpoint or the beginning), so nothing the
 * closed consumer knew is lost. Once restored, the assignment never changes again and the proxy
 * only forwards.
 */
final class GlobalRestoreConsumer {
  private GlobalRestoreConsumer() {}

  /** A consumer that forwards to one made by {@code factory}, replaced by a new one when {@code assign} changes the partitions. */
  @SuppressWarnings("unchecked")
  static Consumer<byte[], byte[]> of(Supplier<Consumer<byte[], byte[]>> factory) {
    Object lock = new Object();
    Consumer<byte[], byte[]>[] current = new Consumer[] {factory.get()};
    Set<TopicPartition> assigned = new HashSet<>();
    return (Consumer<byte[], byte[]>) Proxy.newProxyInstance(Consumer.class.getClassLoader(),
        new Class<?>[] {Consumer.class}, (proxy, method, args) -> {
          Consumer<byte[], byte[]> target;
          synchronized (lock) {
            if (method.getName().equals("assign") && args != null && args.length == 1
                && args[0] instanceof Collection<?> c) {
              Set<TopicPartition> next = new HashSet<>((Collection<TopicPartition>) c);
              if (!assigned.isEmpty() && !assigned.equals(next)) {
                // close first: the new consumer registers its metrics under the same client id
                current[0].close(Duration.ZERO);
                current[0] = factory.get();
              }
              assigned.clear();
              assigned.addAll(next);
            }
            target = current[0];
          }
          try {
            return method.invoke(target, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
