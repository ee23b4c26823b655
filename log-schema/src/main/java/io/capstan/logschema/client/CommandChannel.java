package io.capstan.logschema.client;

import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.ErrorStatus;
import io.capstan.log.Reply;
import io.capstan.logschema.client.ClientMetrics.Outcome;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.codec.MalformedRecordException;
import io.capstan.logschema.metrics.ConsumerLag;
import io.capstan.logschema.secrets.SecretSealing;
import io.capstan.logschema.session.ComponentSessions;
import io.capstan.logschema.session.SessionProtocol;
import io.capstan.logschema.threads.Housekeeping;
import io.capstan.logschema.threads.OnDemandThreads;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the {@link CommandClient}s of one process share when they talk to the same cluster: one
 * idempotent producer, one reply consumer on one reply partition, the map of pending requests,
 * the outbox with its sender and the completion threads. Each component of a process used to own
 * all of this (two threads each while idle, a producer and a consumer connection each); now the
 * first client opens the channel, later clients with the same Kafka settings, topic layout,
 * attempt timeout and meter registry join it, and the last one to close closes it.
 *
 * <p>Commands carry the channel's id as their client id, so replies come back to its partition;
 * the actor, attempt timeout, attempt count and in-flight gauge stay each client's own. Closing
 * one client fails only that client's pending requests.
 */
final class CommandChannel {
  private static final Logger log = LoggerFactory.getLogger(CommandChannel.class);

  /** What makes two clients able to share: everything the producer and the consumer are built from. */
  private record Key(Map<String, Object> kafka, TopicLayout layout, Duration timeout, MeterRegistry registry) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && kafka.equals(k.kafka) && layout.equals(k.layout) && timeout.equals(k.timeout)
          && registry == k.registry;
    }

    @Override
    public int hashCode() {
      return (kafka.hashCode() * 31 + layout.hashCode()) * 31 + timeout.hashCode() * 31
          + System.identityHashCode(registry);
    }
  }

  private static final Map<Key, CommandChannel> OPEN = new HashMap<>();


  private final Key key;
  private int users;
  final String id;
  final String commandsTopic;
  final int commandPartitions;
  private final TopicPartition replyPartition;
  private final byte[] idBytes;
  private final Object kafkaServers;
  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaConsumer<byte[], byte[]> replies;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private final BlockingQueue<Pending> outbox = new LinkedBlockingQueue<>(CommandClient.OUTBOX_CAPACITY);
  /** Runs one drain of the outbox at a time; its thread ends when idle. */
  private final ThreadPoolExecutor sender;
  /** A drain of the outbox is queued or running: a send then needs no new one. */
  private final AtomicBoolean draining = new AtomicBoolean();
  private final ExecutorService completions;
  private final ConsumerLag replyLag;
  private final Thread replyLoop;
  private volatile boolean closed;
  /**
   * A timeout was logged and no reply has come since: while Kafka is away every command times
   * out, and one warning says so; the others go to debug (counted) until the next reply.
   */
  private final AtomicBoolean timeoutsQuiet = new AtomicBoolean();
  private final AtomicInteger quietTimeouts = new AtomicInteger();
  /** The sessions of the identities whose commands go through this channel (docs/identity.md section 2). */
  private final ChannelSessions<Pending> sessions;

  /** Joins the channel of clients configured like {@code cfg}, opening it when there is none. */
  static CommandChannel join(CommandClientConfig cfg, MeterRegistry registry) {
    Key key = new Key(cfg.kafka(), cfg.layout(), cfg.timeout(), registry);
    synchronized (OPEN) {
      CommandChannel c = OPEN.get(key);
      if (c == null) {
        c = new CommandChannel(key, cfg, registry);
        OPEN.put(key, c);
      }
      c.users++;
      return c;
    }
  }

  /** A channel of one client's own, shared with nobody (a load generator that wants several producers). */
  static CommandChannel own(CommandClientConfig cfg, MeterRegistry registry) {
    CommandChannel c = new CommandChannel(null, cfg, registry);
    c.users = 1;
    return c;
  }

  /** A client leaves; the last one closes the channel. */
  void leave() {
    synchronized (OPEN) {
      if (--users > 0) {
        return;
      }
      if (key != null) {
        OPEN.remove(key, this);
      }
    }
    close();
  }

  private CommandChannel(Key key, CommandClientConfig cfg, MeterRegistry registry) {
    this.key = key;
    this.id = cfg.clientId();
    TopicLayout layout = cfg.layout();
    this.commandsTopic = layout.commands();
    this.idBytes = id.getBytes(StandardCharsets.UTF_8);
    this.kafkaServers = cfg.kafka().get("bootstrap.servers");
    KafkaConsumer<byte[], byte[]> consumer = null;
    KafkaProducer<byte[], byte[]> prod = null;
    try {
      this.commandPartitions = PartitionCount.of(cfg.kafka(), layout.commands(), CommandClient.STARTUP_TIMEOUT);
      int replyPartitions = PartitionCount.of(cfg.kafka(), layout.replies(), CommandClient.STARTUP_TIMEOUT);
      consumer = new KafkaConsumer<>(consumerConfig(cfg), new ByteArrayDeserializer(), new ByteArrayDeserializer());
      this.replyPartition = new TopicPartition(layout.replies(), ObjectPartitioner.partition(id, replyPartitions));
      // ListOffsets succeeds only once the leader has opened a partition. Sending to a partition
      // the broker is still opening can wedge the idempotent producer (KAFKA-15591: the first
      // batch fails NOT_LEADER, a later one lands, the first then spins on OUT_OF_ORDER_SEQUENCE).
      List<TopicPartition> commandTps = new ArrayList<>();
      for (int i = 0; i < commandPartitions; i++) {
        commandTps.add(new TopicPartition(commandsTopic, i));
      }
      consumer.endOffsets(commandTps, CommandClient.STARTUP_TIMEOUT);
      consumer.assign(List.of(replyPartition));
      consumer.seekToEnd(List.of(replyPartition));
      // Resolve the end offset now: a reply written before a lazy seek resolved would be skipped.
      long start = consumer.position(replyPartition, CommandClient.STARTUP_TIMEOUT);
      prod = new KafkaProducer<>(producerConfig(cfg), new ByteArraySerializer(), new ByteArraySerializer());
      prod.partitionsFor(commandsTopic); // warm the metadata so the first send does not block on it
      log.info("command channel {} ready: {} partitions of {}, replies from {} at offset {}",
          id, commandPartitions, commandsTopic, replyPartition, start);
    } catch (RuntimeException e) {
      if (consumer != null) {
        consumer.close(Duration.ZERO);
      }
      if (prod != null) {
        prod.close(Duration.ZERO);
      }
      throw e;
    }
    this.replies = consumer;
    this.producer = prod;
    this.sessions = new ChannelSessions<>(new ChannelSessions.Channel<>() {
      @Override
      public void sendSessionRequest(byte[] value) {
        produceSessionRequest(value);
      }

      @Override
      public void resume(List<Pending> parked) {
        for (Pending p : parked) {
          if (pending.get(p.requestId) == p) {
            transmit(p);
          }
        }
      }

      @Override
      public void refuse(List<Pending> parked, ErrorStatus status) {
        for (Pending p : parked) {
          if (remove(p)) {
            p.cancelTimer();
            Reply r = new Reply(p.requestId, id, false, null, status, 0L, -1, false);
            completeAsync(p, () -> complete(p, r));
          }
        }
      }
    }, id, cfg.timeout());
    this.completions = OnDemandThreads.pool("capstan-command-completion-" + id, COMPLETION_THREADS, CommandClient.IDLE_THREAD_KEEP_ALIVE);
    this.replyLag = ConsumerLag.bind(registry, cfg.component(), CommandClient.REPLY_CONSUMER, replies::metrics);
    this.replyLoop = daemonThreads("capstan-command-replies-" + id).newThread(this::readReplies);
    this.replyLoop.start();
    this.sender = OnDemandThreads.pool("capstan-command-sender-" + id, 1, CommandClient.IDLE_THREAD_KEEP_ALIVE);
  }

  int partitionOf(String objectKey) {
    return ObjectPartitioner.partition(objectKey, commandPartitions);
  }

  /** Registers and sends a complete command (client id, actor and times filled in) for {@code owner}. */
  CompletableFuture<CommandResult> send(CommandClient owner, Command c, String key) {
    if (closed || owner.isClosed()) {
      return CompletableFuture.failedFuture(closedError(owner, c.getOp(), key, c.getRequestId(), "is closed"));
    }
    Pending p = new Pending(owner, c, key, partitionOf(key), LogCodec.get().encode(c));
    Pending earlier = pending.putIfAbsent(p.requestId, p);
    if (earlier != null) {
      return earlier.future;
    }
    owner.inFlight.incrementAndGet();
    transmit(p);
    scheduleAttemptTimeout(p);
    if ((closed || owner.isClosed()) && remove(p)) {
      // a close ran between the check above and the registration: nobody would answer this one
      p.cancelTimer();
      p.future.completeExceptionally(closedError(owner, c.getOp(), key, c.getRequestId(), "is closed"));
    }
    return p.future;
  }

  private CommandSendException closedError(CommandClient owner, CommandOp op, String key, String requestId, String what) {
    return new CommandSendException(op, key, requestId, commandsTopic,
        new IllegalStateException("command client " + owner.config().clientId() + " " + what));
  }

  /** Takes a request out of the pending map; true when this call did (so only one party finishes it). */
  private boolean remove(Pending p) {
    if (pending.remove(p.requestId, p)) {
      p.owner.inFlight.decrementAndGet();
      return true;
    }
    return false;
  }

  /** Hands a command to the sender, unless it is already waiting there. */
  private void transmit(Pending p) {
    if (!p.queued.compareAndSet(false, true)) {
      return;
    }
    if (!outbox.offer(p)) {
      p.queued.set(false);
      sendFailed(p, new IllegalStateException("the outbox is full: " + CommandClient.OUTBOX_CAPACITY
          + " commands are waiting for Kafka at " + kafkaServers));
      return;
    }
    startDrain();
  }

  private void startDrain() {
    if (!closed && draining.compareAndSet(false, true)) {
      try {
        sender.execute(this::sendQueued);
      } catch (RejectedExecutionException e) {
        draining.set(false); // closing: close() fails whatever is left pending
      }
    }
  }

  /** The sender: the only caller of {@code producer.send}, which may block on metadata; runs until the outbox is empty. */
  private void sendQueued() {
    List<Pending> batch = new ArrayList<>(SEND_BATCH);
    while (!closed) {
      outbox.drainTo(batch, SEND_BATCH);
      if (batch.isEmpty()) {
        draining.set(false);
        // a command offered after the drain found nothing, but before the flag fell, saw a drain running
        if (outbox.isEmpty() || !draining.compareAndSet(false, true)) {
          return;
        }
        continue;
      }
      for (Pending p : batch) {
        p.queued.set(false);
        if (pending.get(p.requestId) == p && !closed) {
          produce(p);
        }
      }
      batch.clear();
    }
    draining.set(false);
  }

  private static final int SEND_BATCH = 512;
  /** Completions of every client of the channel; threads exist only while there is work. */
  private static final int COMPLETION_THREADS = 4;
  private static final long ERROR_BACKOFF_MS = 500;
  /** How long one poll of the replies waits: timeouts run on a timer and close() wakes the poll. */
  private static final Duration POLL = Duration.ofSeconds(5);

  private void produce(Pending p) {
    org.apache.kafka.common.header.Headers headers = null;
    if (ComponentSessions.installed()) {
      try {
        headers = sessions.headers(p.owner.config().actor(), p.bytes, p);
      } catch (RuntimeException e) {
        sendFailed(p, e); // no credentials can be had for the identity: say so rather than time out
        return;
      }
      if (headers == null) {
        return; // parked: sent when the session is open
      }
    }
    ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(commandsTopic, p.partition, p.keyBytes, p.bytes, headers);
    try {
      producer.send(r, (meta, err) -> {
        if (err != null) {
          sendFailed(p, err);
        }
      });
    } catch (KafkaException | IllegalStateException e) {
      sendFailed(p, e);
    }
  }

  private void produceSessionRequest(byte[] value) {
    try {
      producer.send(new ProducerRecord<>(commandsTopic, partitionOf(SessionProtocol.SESSION_KEY),
          SessionProtocol.SESSION_KEY.getBytes(StandardCharsets.UTF_8), value), (meta, err) -> {
            if (err != null) {
              log.debug("sending a session request failed (the commands waiting for it ask again): {}", err.toString());
            }
          });
    } catch (KafkaException | IllegalStateException e) {
      log.debug("sending a session request failed (the commands waiting for it ask again): {}", e.toString());
    }
  }

  /** Runs on the producer's I/O thread: must not block. */
  private void sendFailed(Pending p, Throwable err) {
    if (err instanceof RetriableException && !closed) {
      // The broker may be restarting: the attempt timeout sends it again.
      log.debug("sending {} (request id {}) failed, will retry: {}", p.key, p.requestId, err.toString());
      return;
    }
    if (remove(p)) {
      p.cancelTimer();
      p.owner.metrics.finished(p.kind, p.op.name(), Outcome.FAILED, System.nanoTime() - p.startNanos);
      completeAsync(p, () -> p.future.completeExceptionally(
          new CommandSendException(p.op, p.key, p.requestId, commandsTopic, err)));
    }
  }

  private void scheduleAttemptTimeout(Pending p) {
    try {
      // quick: a re-send is an outbox offer; on the process's housekeeping thread
      p.timer = Housekeeping.once(p.owner.config().timeout(), () -> attemptTimedOut(p));
    } catch (RejectedExecutionException e) {
      // closing: close() fails whatever is left pending
    }
  }

  /** Runs on the timer thread. */
  private void attemptTimedOut(Pending p) {
    if (pending.get(p.requestId) != p) {
      return; // answered meanwhile
    }
    if (p.future.isDone()) {
      remove(p); // the caller cancelled or completed it
      return;
    }
    CommandClientConfig config = p.owner.config();
    if (p.attempt < config.attempts()) {
      p.attempt++;
      p.owner.metrics.retried();
      log.debug("no reply to {} {} (request id {}) within {} ms; sending attempt {} of {}", p.op, p.key, p.requestId,
          config.timeout().toMillis(), p.attempt, config.attempts());
      transmit(p);
      scheduleAttemptTimeout(p);
    } else if (remove(p)) {
      p.owner.metrics.finished(p.kind, p.op.name(), Outcome.TIMEOUT, System.nanoTime() - p.startNanos);
      CommandTimeoutException e =
          new CommandTimeoutException(p.op, p.key, p.requestId, p.attempt, config.timeout());
      if (timeoutsQuiet.compareAndSet(false, true)) {
        log.warn("{}; further timeouts are logged at debug until a reply arrives", e.getMessage());
      } else {
        quietTimeouts.incrementAndGet();
        log.debug(e.getMessage());
      }
      completeAsync(p, () -> p.future.completeExceptionally(e));
    }
  }

  private void readReplies() {
    while (!closed) {
      ConsumerRecords<byte[], byte[]> batch;
      try {
        batch = replies.poll(POLL);
      } catch (WakeupException e) {
        continue; // close() woke us up
      } catch (KafkaException e) {
        log.warn("reading replies from {} failed; retrying in {} ms: {}", replyPartition, ERROR_BACKOFF_MS, e.toString());
        sleepQuietly(ERROR_BACKOFF_MS);
        continue;
      }
      for (ConsumerRecord<byte[], byte[]> r : batch) {
        if (!Arrays.equals(r.key(), idBytes) || r.value() == null) {
          continue; // another client's reply on the same partition
        }
        Reply reply;
        try {
          reply = LogCodec.get().decode(r.value(), Reply.class);
        } catch (MalformedRecordException e) {
          log.warn("skipping malformed reply at {}-{} offset {}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
          continue;
        }
        if (sessions.answered(reply, r.headers())) {
          continue;
        }
        Pending p = pending.get(reply.getRequestId());
        if (p == null || !remove(p)) {
          // a repeat reply to a retried command, or a request of an earlier run of this client id
          log.debug("reply to request {} which is not pending", reply.getRequestId());
          continue;
        }
        p.cancelTimer();
        if (timeoutsQuiet.get() && timeoutsQuiet.compareAndSet(true, false)) {
          log.info("replies arrive again on {}; {} more command(s) timed out meanwhile", replyPartition,
              quietTimeouts.getAndSet(0));
        }
        completeAsync(p, () -> complete(p, reply));
      }
    }
  }

  private static void complete(Pending p, Reply reply) {
    ClientMetrics metrics = p.owner.metrics;
    CommandResult result;
    try {
      result = toResult(reply);
    } catch (MalformedRecordException e) {
      metrics.finished(p.kind, p.op.name(), Outcome.FAILED, System.nanoTime() - p.startNanos);
      p.future.completeExceptionally(new MalformedRecordException("the reply to " + p.op + " " + p.key
          + " (request id " + p.requestId + ") carries an object that cannot be decoded: " + e.getMessage(), e));
      return;
    } catch (RuntimeException e) {
      // Whatever goes wrong here fails this request: the caller must never wait for ever.
      metrics.finished(p.kind, p.op.name(), Outcome.FAILED, System.nanoTime() - p.startNanos);
      p.future.completeExceptionally(new IllegalStateException("the reply to " + p.op + " " + p.key
          + " (request id " + p.requestId + ") could not be read: " + e, e));
      return;
    }
    Outcome outcome = result instanceof CommandResult.Accepted ? Outcome.ACCEPTED : Outcome.REJECTED;
    metrics.finished(p.kind, p.op.name(), outcome, System.nanoTime() - p.startNanos);
    p.future.complete(result);
  }

  static CommandResult toResult(Reply reply) {
    if (reply.getAccepted()) {
      ByteBuffer o = reply.getObject();
      // A Secret comes back sealed, as the processor stored it; the caller gets its values.
      IndexedRecord object = o == null ? null : SecretSealing.openIfSecret(LogCodec.get().decode(bytesOf(o)));
      return new CommandResult.Accepted(object, reply.getResourceVersion(), reply.getPartition(), reply.getDeleted());
    }
    ErrorStatus status = reply.getStatus();
    if (status == null) {
      status = ErrorStatus.newBuilder().setCode(500).setReason("InternalError")
          .setMessage("the command was rejected without a status").build();
    }
    return new CommandResult.Rejected(status, reply.getResourceVersion(), reply.getPartition());
  }

  private void completeAsync(Pending p, Runnable completion) {
    try {
      completions.execute(completion);
    } catch (RejectedExecutionException e) {
      completion.run(); // closing: complete on this thread rather than leave the caller waiting
    }
  }

  /** Fails what {@code owner} still has pending: it is closing. */
  void failPending(CommandClient owner, String why) {
    for (Pending p : List.copyOf(pending.values())) {
      if (p.owner == owner && remove(p)) {
        p.cancelTimer(); // the timer thread is shared: leave nothing of ours on it
        owner.metrics.finished(p.kind, p.op.name(), Outcome.FAILED, System.nanoTime() - p.startNanos);
        p.future.completeExceptionally(closedError(owner, p.op, p.key, p.requestId, why));
      }
    }
  }

  /** Stops reading replies; waits briefly for queued sends. Clients fail their own pending requests first. */
  private void close() {
    closed = true;
    replyLag.close();
    replies.wakeup();
    try {
      replyLoop.join(5_000);
      sender.shutdown();
      if (!sender.awaitTermination(1, TimeUnit.SECONDS)) {
        sender.shutdownNow(); // blocked in send() waiting for an absent broker
        sender.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(Duration.ofSeconds(5));
    // Assigned, no group, nothing to commit: nothing to wait for but the fetch in flight, which
    // the broker holds for up to fetch.max.wait.ms (5 s) when no reply comes.
    replies.close(Duration.ZERO);
    for (Pending p : List.copyOf(pending.values())) {
      if (remove(p)) {
        p.cancelTimer();
        p.owner.metrics.finished(p.kind, p.op.name(), Outcome.FAILED, System.nanoTime() - p.startNanos);
        p.future.completeExceptionally(closedError(p.owner, p.op, p.key, p.requestId, "closed before the reply arrived"));
      }
    }
    completions.shutdown();
    try {
      completions.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.info("command channel {} closed", id);
  }

  /** One command waiting for its reply. */
  private static final class Pending {
    final CommandClient owner;
    final String requestId;
    final String key;
    final byte[] keyBytes;
    final String kind;
    final CommandOp op;
    final int partition;
    final byte[] bytes;
    final long startNanos = System.nanoTime();
    final CompletableFuture<CommandResult> future = new CompletableFuture<>();
    /** Touched by the sending thread, then only by the timer thread. */
    volatile int attempt = 1;
    volatile ScheduledFuture<?> timer;
    /** Waiting in the outbox: a retry does not queue it twice. */
    final AtomicBoolean queued = new AtomicBoolean();

    Pending(CommandClient owner, Command c, String key, int partition, byte[] bytes) {
      this.owner = owner;
      this.requestId = c.getRequestId();
      this.key = key;
      this.keyBytes = key.getBytes(StandardCharsets.UTF_8);
      this.kind = c.getKind();
      this.op = c.getOp();
      this.partition = partition;
      this.bytes = bytes;
    }

    void cancelTimer() {
      ScheduledFuture<?> t = timer;
      if (t != null) {
        t.cancel(false);
      }
    }
  }

  // ---- configuration ----

  static Map<String, Object> producerConfig(CommandClientConfig cfg) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.LINGER_MS_CONFIG, CommandClient.DEFAULT_LINGER_MS);
    p.putAll(known(cfg.kafka(), ProducerConfig.configNames()));
    // A batch undelivered after one attempt's timeout is expired rather than retried inside the
    // producer for the default two minutes: the attempt timer sends the command again anyway, and
    // an expired batch makes the idempotent producer bump its epoch, which un-wedges a partition
    // stuck on OUT_OF_ORDER_SEQUENCE (KAFKA-15591). Kafka needs delivery >= linger + request timeout.
    long linger = Long.parseLong(p.get(ProducerConfig.LINGER_MS_CONFIG).toString());
    long attemptMs = cfg.timeout().toMillis();
    p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(30_000, Math.max(1_000, attemptMs - linger)));
    long request = Long.parseLong(p.get(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG).toString());
    p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(attemptMs, linger + request));
    // Not negotiable: a command must be written once and survive a broker failover.
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.CLIENT_ID_CONFIG, cfg.clientId() + "-commands");
    p.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
    return p;
  }

  static Map<String, Object> consumerConfig(CommandClientConfig cfg) {
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, CommandClient.DEFAULT_REPLY_FETCH_MAX_WAIT_MS);
    // If the position ever falls off the retained log, nothing older is wanted: replies are transient.
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    c.putAll(known(cfg.kafka(), ConsumerConfig.configNames()));
    // Replies are written in the processor's transactions: only committed ones are real.
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, cfg.clientId() + "-replies");
    // assigned, not subscribed: no group, no rebalances, no committed offsets
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    c.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    return c;
  }

  /** The user's settings a client knows, so a shared map does not log "unknown config" warnings. */
  private static Map<String, Object> known(Map<String, Object> kafka, Set<String> names) {
    Map<String, Object> m = new HashMap<>();
    kafka.forEach((k, v) -> {
      if (names.contains(k)) {
        m.put(k, v);
      }
    });
    return m;
  }

  private static ThreadFactory daemonThreads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      int i = n.getAndIncrement();
      Thread t = new Thread(r, i == 0 ? name : name + "-" + i);
      t.setDaemon(true);
      return t;
    };
  }

  private static byte[] bytesOf(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
