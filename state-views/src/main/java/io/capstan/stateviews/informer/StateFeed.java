package io.capstan.stateviews.informer;

import io.capstan.logschema.metrics.ConsumerLag;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumer reading the state topics of a set of informers: every informer of a
 * {@link SharedInformers} (a process), or one informer alone. An idle consumer still costs a
 * fetch round trip every {@code fetch.max.wait} on the client and on the broker; with a
 * consumer per kind that cost was paid once per kind in every process, and each new kind (every
 * CustomResourceDefinition) added one more consumer, thread and poll loop. Here an informer that
 * starts adds its topic's partitions to the one assignment, so a kind costs its partitions in the
 * fetch session (sent again only when they change, as incremental fetch sessions do) and
 * nothing while it is quiet.
 *
 * <p>Records are handed to their informer on the feed's thread, per partition in log order; an
 * informer applies them and tells its handlers there. Handlers of one kind therefore hold up the
 * others: they must return quickly and hand slow work to a queue (as they always had to).
 * Waiters are completed on the feed's notifier thread, so their callbacks cannot stall it.
 *
 * <p>Thread-safe. The consumer and its thread start with the first informer.
 */
final class StateFeed implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StateFeed.class);

  /** A record ends the poll at once; this only bounds how often an idle feed looks at its queue (a change wakes it). */
  static final Duration POLL = Duration.ofMillis(500);
  /**
   * The poll while a reader waits for its consumer's positions (a consistent read): a fetch that
   * only moves past transaction markers returns no record, so it would not end a {@link #POLL}.
   * A short poll costs no request: the fetch in flight goes on.
   */
  static final Duration POSITIONS_POLL = Duration.ofMillis(5);
  private static final long ERROR_BACKOFF_MS = 500;
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

  /** What an informer is to the feed. Every call is made on the feed's thread. */
  interface Reader {
    /** The state topic it reads. */
    String topic();

    /** Its partitions were assigned and rewound; {@code endOffsets} are their end offsets now (what "synced" means). */
    void joined(Map<TopicPartition, Long> endOffsets);

    /** The records of one partition from one poll, in log order. */
    void apply(TopicPartition partition, List<ConsumerRecord<byte[], byte[]>> records);

    /** After every poll, for progress figures taken from the consumer (positions, lag); must not block for long. */
    void polled(Consumer<byte[], byte[]> consumer);

    /** The feed stopped reading for it (its own error, or the feed's). Not called when it leaves. */
    void stopped(Throwable why);

    /** Whether it waits for its partitions' positions to pass offsets: the feed then polls briefly. */
    default boolean awaitsPositions() {
      return false;
    }
  }

  /** What the feed's thread is asked to do between polls. */
  private sealed interface Change {}

  private record Join(Reader reader, List<TopicPartition> partitions, String consumerName,
      CompletableFuture<Map<TopicPartition, Long>> done) implements Change {}

  private record Leave(Reader reader, CompletableFuture<Void> done) implements Change {}

  /** Only ends a wait. */
  private record Wake() implements Change {}

  private final InformerConfig config;
  private final MeterRegistry registry;
  private final String clientId;
  private final String threadName;
  private final ExecutorService notifier;
  private final LogEnds logEnds;
  /** Joins and leaves for the feed's thread, which alone touches the consumer and {@link #readers}. */
  private final LinkedBlockingQueue<Change> changes = new LinkedBlockingQueue<>();
  /** By topic; the feed's thread only. */
  private final Map<String, Reader> readers = new HashMap<>();
  private final Map<TopicPartition, Reader> byPartition = new HashMap<>();
  /** The {@code capstan_kafka_consumer_lag} consumer tag of each topic, e.g. {@code informer-pod}. */
  private final Map<String, String> consumerNames = new ConcurrentHashMap<>();
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private Thread thread;
  private ConsumerLag lagExport;
  private volatile boolean closed;
  private volatile Throwable failed;

  /**
   * @param clientId   the consumer's Kafka client id
   * @param threadName the name of the feed's thread
   */
  StateFeed(InformerConfig config, MeterRegistry registry, String clientId, String threadName) {
    this.config = config;
    this.registry = registry;
    this.clientId = clientId;
    this.threadName = threadName;
    this.logEnds = new LogEnds(config, clientId + "-ends");
    this.notifier = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, threadName + "-notify");
      t.setDaemon(true);
      return t;
    });
  }

  /** Where the informers of this feed read their partitions' end offsets (batched, see {@link LogEnds}). */
  LogEnds logEnds() {
    return logEnds;
  }

  /**
   * Ends the poll in progress, so that every reader is told {@link Reader#polled} soon: a reader
   * that just started waiting for positions learns the consumer's current ones.
   */
  void wakeForPositions() {
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  /** Where informers complete their waiters, off the feed's thread. */
  ExecutorService notifier() {
    return notifier;
  }

  /**
   * Starts reading {@code partitions} of the reader's topic from the beginning, beside whatever
   * the feed already reads. Returns once they are assigned and their end offsets known.
   *
   * @param consumerName the reader's consumer tag in {@code capstan_kafka_consumer_lag}
   * @throws IllegalStateException when the feed is closed or failed, the topic is read already,
   *                               or the end offsets are not known within {@code timeout}
   */
  Map<TopicPartition, Long> join(Reader reader, List<TopicPartition> partitions, String consumerName,
      Duration timeout) throws InterruptedException {
    Join j = new Join(reader, List.copyOf(partitions), consumerName, new CompletableFuture<>());
    synchronized (this) {
      requireOpen();
      if (thread == null) {
        thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
      }
      changes.add(j);
      wake();
    }
    try {
      return j.done().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof RuntimeException r ? r
          : new IllegalStateException("reading " + reader.topic() + " failed: " + cause, cause);
    } catch (TimeoutException e) {
      leave(reader); // if it joins late, it leaves again
      throw new IllegalStateException("reading " + reader.topic() + " did not start within " + timeout
          + " (Kafka at " + config.kafka().get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG) + ")");
    }
  }

  /**
   * Stops reading the reader's topic; no call reaches it once this returns (unless called from
   * the feed's thread itself, e.g. by a handler: then it stops before the next poll).
   */
  void leave(Reader reader) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    synchronized (this) {
      if (thread == null || closed) {
        return;
      }
      changes.add(new Leave(reader, done));
      wake();
    }
    if (Thread.currentThread() == thread) {
      return;
    }
    try {
      done.get(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("{}: {} did not stop reading within {}", clientId, reader.topic(), CLOSE_TIMEOUT);
    }
  }

  /** The topics read now (for tests and logs). */
  Set<String> topics() {
    return Set.copyOf(consumerNames.keySet());
  }

  /** Stops the feed's thread and closes the consumer. Readers still joined are not told (their owner closes them). */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      t = thread;
      wake();
    }
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join(CLOSE_TIMEOUT.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    notifier.shutdown();
    logEnds.close();
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("the informers of " + config.component() + " are closed");
    }
    if (failed != null) {
      throw new IllegalStateException("the informers of " + config.component() + " stopped reading: " + failed, failed);
    }
  }

  /** Ends a wait for records or for a change: the feed's thread looks at its queue. */
  private void wake() {
    changes.add(new Wake()); // for a thread blocked on the queue (nothing assigned)
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup(); // for a thread in poll()
    }
  }

  // ---- the feed's thread ----

  private void run() {
    Throwable why = null;
    try {
      consumer = new KafkaConsumer<>(consumerConfig(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
      lagExport = ConsumerLag.bindPerTopic(registry, config.component(), "informers",
          topic -> consumerNames.getOrDefault(topic, "informers"), consumer::metrics);
      while (!closed) {
        // nothing to read: wait for a join without polling
        runChanges(readers.isEmpty() ? changes.take() : null);
        if (closed || readers.isEmpty()) {
          continue;
        }
        ConsumerRecords<byte[], byte[]> batch;
        boolean shortPoll = awaitsPositions();
        try {
          batch = consumer.poll(shortPoll ? POSITIONS_POLL : POLL);
        } catch (WakeupException e) {
          // a change, close() or a reader waiting for positions woke us: the readers look at them below
          if (closed) {
            continue;
          }
          batch = ConsumerRecords.empty();
        } catch (KafkaException e) {
          log.warn("{} failed to read {}; retrying in {} ms: {}", clientId, readers.keySet(), ERROR_BACKOFF_MS,
              e.toString());
          Thread.sleep(ERROR_BACKOFF_MS);
          continue;
        }
        for (TopicPartition tp : batch.partitions()) {
          Reader r = byPartition.get(tp);
          if (r != null) {
            try {
              r.apply(tp, batch.records(tp));
            } catch (RuntimeException | Error e) {
              drop(r, e);
            }
          }
        }
        for (Reader r : List.copyOf(readers.values())) {
          if (shortPoll && batch.isEmpty() && !r.awaitsPositions()) {
            continue; // a brief poll for another reader's positions: nothing new for this one
          }
          try {
            r.polled(consumer);
          } catch (WakeupException e) {
            break; // woken while looking at positions: the next turn looks again
          } catch (RuntimeException | Error e) {
            drop(r, e);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      why = e;
    } catch (RuntimeException | Error e) {
      log.error("{} stopped reading {}", clientId, readers.keySet(), e);
      why = e;
    } finally {
      stopped(why);
    }
  }

  private boolean awaitsPositions() {
    for (Reader r : readers.values()) {
      if (r.awaitsPositions()) {
        return true;
      }
    }
    return false;
  }

  private void stopped(Throwable why) {
    List<Join> waiting = new ArrayList<>();
    synchronized (this) {
      if (why != null) {
        failed = why;
      }
      // joins that came too late fail; leaves have nothing left to do
      for (Change c; (c = changes.poll()) != null; ) {
        if (c instanceof Join j) {
          waiting.add(j);
        } else if (c instanceof Leave l) {
          l.done().complete(null);
        }
      }
    }
    IllegalStateException stop = new IllegalStateException(why == null
        ? "the informers of " + config.component() + " are closed"
        : "the informers of " + config.component() + " stopped reading: " + why, why);
    for (Join j : waiting) {
      j.done().completeExceptionally(stop);
    }
    if (why != null) {
      for (Reader r : List.copyOf(readers.values())) {
        r.stopped(why);
      }
    }
    readers.clear();
    byPartition.clear();
    consumerNames.clear();
    if (lagExport != null) {
      lagExport.close();
    }
    if (consumer != null) {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /** Makes the changes asked for: {@code first} (if not null) and those queued. */
  private void runChanges(Change first) {
    List<Join> joins = new ArrayList<>();
    for (Change c = first != null ? first : changes.poll(); c != null; c = changes.poll()) {
      if (c instanceof Join j) {
        joins.add(j); // taken together: one assignment, one end-offsets round trip
      } else if (c instanceof Leave l) {
        if (!joins.isEmpty()) { // in the order asked: a reader that gave up waiting for its join leaves after it
          joinNow(joins);
          joins.clear();
        }
        leaveNow(l.reader());
        l.done().complete(null);
      }
    }
    if (!joins.isEmpty()) {
      joinNow(joins);
    }
  }

  private void joinNow(List<Join> joins) {
    List<Join> taken = new ArrayList<>();
    Set<String> topics = new HashSet<>();
    for (Join j : joins) {
      String topic = j.reader().topic();
      if (readers.containsKey(topic) || !topics.add(topic)) {
        j.done().completeExceptionally(new IllegalStateException(topic + " is read already by this process's informers"));
      } else {
        taken.add(j);
      }
    }
    if (taken.isEmpty()) {
      return;
    }
    Set<TopicPartition> added = new HashSet<>();
    taken.forEach(j -> added.addAll(j.partitions()));
    Set<TopicPartition> before = new HashSet<>(consumer.assignment());
    Set<TopicPartition> all = new HashSet<>(before);
    all.addAll(added);
    Map<TopicPartition, Long> ends;
    try {
      consumer.assign(all);
      consumer.seekToBeginning(added);
      ends = evenIfWoken(() -> consumer.endOffsets(added, Informer.STARTUP_TIMEOUT));
    } catch (RuntimeException e) {
      consumer.assign(before);
      for (Join j : taken) {
        j.done().completeExceptionally(e);
      }
      return;
    }
    for (Join j : taken) {
      Map<TopicPartition, Long> mine = new HashMap<>();
      for (TopicPartition tp : j.partitions()) {
        mine.put(tp, ends.getOrDefault(tp, 0L));
        byPartition.put(tp, j.reader());
      }
      readers.put(j.reader().topic(), j.reader());
      consumerNames.put(j.reader().topic(), j.consumerName());
      try {
        j.reader().joined(mine);
        evenIfWoken(() -> { // an empty topic is synced now, not after the first poll
          j.reader().polled(consumer);
          return null;
        });
        j.done().complete(Map.copyOf(mine));
      } catch (RuntimeException e) {
        leaveNow(j.reader());
        j.done().completeExceptionally(e);
      }
    }
  }

  /**
   * A blocking consumer call made between polls: a wake-up meant for poll() (a join or leave
   * asked meanwhile, which the next turn makes) may end it early, so it is made again.
   */
  private static <V> V evenIfWoken(java.util.function.Supplier<V> call) {
    while (true) {
      try {
        return call.get();
      } catch (WakeupException e) {
        // the wake-up is spent; the change that asked for it waits in the queue
      }
    }
  }

  private void leaveNow(Reader reader) {
    if (!readers.remove(reader.topic(), reader)) {
      return;
    }
    byPartition.values().removeIf(r -> r == reader);
    consumerNames.remove(reader.topic());
    consumer.assign(byPartition.keySet()); // the others keep their positions
  }

  /** A reader failed on its own records: the others go on without it. */
  private void drop(Reader reader, Throwable e) {
    log.error("{}: stopped reading {} after an error", clientId, reader.topic(), e);
    leaveNow(reader);
    reader.stopped(e);
  }

  Map<String, Object> consumerConfig() {
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) config.fetchMaxWait().toMillis());
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.kafka().forEach((k, v) -> {
      if (ConsumerConfig.configNames().contains(k)) {
        c.put(k, v);
      }
    });
    // State records are written in the processor's transactions: only committed ones are state.
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    // assigned, not subscribed: every informer reads its partitions in full, without a group
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    c.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    return c;
  }
}
