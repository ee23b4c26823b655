package io.capstan.stateviews.informer;

import io.capstan.logschema.threads.OnDemandThreads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The end offsets of state-topic partitions, read from the brokers: what a consistent read waits
 * for (kube-apiserver's consistent list from cache asks etcd for its current revision, then waits
 * until the watch cache has it). One broker round trip answers every request that came in before
 * it started: requests that arrive while a lookup is on its way wait for the next one, which then
 * takes them all. A lookup that started before a request cannot answer it: a write acknowledged
 * just before the request might not be below the offsets it read.
 *
 * <p>The offsets are the <em>high watermarks</em> (isolation {@code read_uncommitted}), not the
 * last stable offsets: the processor writes a command's state record and its reply in one
 * transaction, but the broker writes the commit markers partition by partition, so a client may
 * read the committed reply while the state partition's last stable offset is still below the state
 * record. The high watermark is above it from the moment it was written. The price: a reader
 * waiting for it also waits for transactions still open when it was read to end (at most a commit
 * interval of the processor).
 *
 * <p>Thread-safe. The consumer (no group, nothing assigned: only its metadata and one connection
 * per broker) and a thread are made with the first request; the thread ends while nobody asks.
 */
final class LogEnds implements AutoCloseable {
  /** How long one lookup may take before its requests fail. */
  static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(10);

  private record Request(Set<TopicPartition> partitions, CompletableFuture<Map<TopicPartition, Long>> done) {}

  private final InformerConfig config;
  private final String clientId;
  private final List<Request> queued = new ArrayList<>();
  private boolean inFlight;
  private boolean closed;
  private ExecutorService looker;
  /** The lookup thread's only. */
  private KafkaConsumer<byte[], byte[]> consumer;
  private volatile long lookups;

  LogEnds(InformerConfig config, String clientId) {
    this.config = config;
    this.clientId = clientId;
  }

  /**
   * The end offsets of {@code partitions}, read by a lookup that starts after this call.
   * Completes on the lookup's thread; fails when the brokers do not answer within
   * {@link #LOOKUP_TIMEOUT}.
   */
  CompletableFuture<Map<TopicPartition, Long>> of(Collection<TopicPartition> partitions) {
    Request r = new Request(Set.copyOf(partitions), new CompletableFuture<>());
    boolean start;
    synchronized (this) {
      if (closed) {
        return CompletableFuture.failedFuture(new IllegalStateException("the informers of " + config.component()
            + " are closed"));
      }
      queued.add(r);
      start = !inFlight;
      inFlight = true;
      if (looker == null) {
        looker = OnDemandThreads.pool("capstan-log-ends-" + config.component(), 1, Duration.ofSeconds(30));
      }
    }
    if (start) {
      try {
        looker.execute(this::lookUp);
      } catch (RejectedExecutionException e) {
        r.done().completeExceptionally(new IllegalStateException("the informers of " + config.component()
            + " are closed"));
      }
    }
    return r.done();
  }

  /** How many broker round trips were made (for tests: concurrent requests share them). */
  long lookups() {
    return lookups;
  }

  /** On the lookup thread: rounds until nobody waits. */
  private void lookUp() {
    while (true) {
      List<Request> round;
      synchronized (this) {
        if (queued.isEmpty() || closed) {
          inFlight = false;
          failAll(queued);
          return;
        }
        round = new ArrayList<>(queued);
        queued.clear();
      }
      Set<TopicPartition> all = new HashSet<>();
      round.forEach(r -> all.addAll(r.partitions()));
      Map<TopicPartition, Long> ends;
      try {
        ends = consumer().endOffsets(all, LOOKUP_TIMEOUT);
        lookups++;
      } catch (RuntimeException e) {
        for (Request r : round) {
          r.done().completeExceptionally(new IllegalStateException("the end offsets of " + r.partitions()
              + " could not be read: " + e, e));
        }
        continue;
      }
      for (Request r : round) {
        Map<TopicPartition, Long> mine = new HashMap<>();
        for (TopicPartition tp : r.partitions()) {
          Long end = ends.get(tp);
          if (end == null) {
            r.done().completeExceptionally(new IllegalStateException("no end offset for " + tp));
            break;
          }
          mine.put(tp, end);
        }
        r.done().complete(mine); // no-op when it failed above
      }
    }
  }

  private void failAll(List<Request> requests) {
    if (requests.isEmpty()) {
      return;
    }
    IllegalStateException why = new IllegalStateException("the informers of " + config.component() + " are closed");
    requests.forEach(r -> r.done().completeExceptionally(why));
    requests.clear();
  }

  private KafkaConsumer<byte[], byte[]> consumer() {
    if (consumer == null) {
      Map<String, Object> c = new HashMap<>();
      config.kafka().forEach((k, v) -> {
        if (ConsumerConfig.configNames().contains(k)) {
          c.put(k, v);
        }
      });
      c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted"); // high watermarks: see the class comment
      c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
      c.remove(ConsumerConfig.GROUP_ID_CONFIG);
      c.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
      consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
    return consumer;
  }

  @Override
  public void close() {
    ExecutorService l;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      l = looker;
      failAll(queued);
    }
    if (l != null) {
      // the consumer is the lookup thread's: it closes it after its round
      l.execute(this::closeConsumer);
      l.shutdown();
    }
  }

  private void closeConsumer() {
    if (consumer != null) {
      consumer.close(Duration.ofSeconds(5));
      consumer = null;
    }
  }
}
