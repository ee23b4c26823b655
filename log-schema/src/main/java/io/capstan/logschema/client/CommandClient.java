package io.capstan.logschema.client;

import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.DeleteOptions;
import io.capstan.log.ErrorStatus;
import io.capstan.log.Reply;
import io.capstan.logschema.client.ClientMetrics.Outcome;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.codec.MalformedRecordException;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.logschema.metrics.ConsumerLag;
import io.capstan.logschema.threads.OnDemandThreads;
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
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
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
 * Sends Commands to {@code capstan.commands} and completes each future with the Reply the
 * command processor writes to {@code capstan.replies}. One per component; thread-safe.
 *
 * <p>How it works: a command is keyed by its object key and sent to that key's partition, so it
 * reaches the key's single writer. Replies for this client land on one partition of the replies
 * topic (keyed by client id); a consumer assigned to just that partition, reading committed
 * records from the end offset seen at startup, matches them to pending requests by request id.
 * When an attempt gets no reply within the configured timeout the very same command (same
 * request id) is sent again: the processor remembers recent request ids per key and answers a
 * repeat with the original reply, so a retry never writes twice. Futures complete on a small
 * executor of the client's, never on the reply loop, so user callbacks cannot stall it. Callers
 * never block either: {@code KafkaProducer.send} waits for metadata when the broker is away, so
 * commands go out through a bounded outbox drained by one sender thread.
 *
 * <p>Threads: the producer's I/O thread and the reply loop live as long as the client; the sender
 * and the completion threads exist only while there is work (they end after
 * {@link #IDLE_THREAD_KEEP_ALIVE} idle), and the attempt timers of every client of the process
 * share one timer thread, which also ends when no attempt is waiting. An idle client holds two
 * threads.
 */
public final class CommandClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CommandClient.class);

  /** Batching a few ms of commands per partition costs little latency and saves many requests. */
  public static final int DEFAULT_LINGER_MS = 2;
  /**
   * A read_committed fetch waits up to this long when nothing new is committed. The fetch is
   * answered as soon as the reply's transaction commits, so the wait does not delay replies; it
   * only bounds how often an idle client asks the broker (Kafka's default of 500 ms made each
   * idle client two fetches a second, and a process has several). The reply partition is assigned
   * once, so no new partition ever waits for a fetch in flight.
   */
  public static final int DEFAULT_REPLY_FETCH_MAX_WAIT_MS = 5000;
  /** How long startup waits for the topics' metadata and the replies end offset. */
  static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
  /** How long one poll of the replies waits: timeouts run on a timer and close() wakes the poll. */
  private static final Duration POLL = Duration.ofSeconds(5);
  private static final long ERROR_BACKOFF_MS = 500;
  /** The reply consumer's name in {@code capstan_kafka_consumer_lag}. */
  public static final String REPLY_CONSUMER = "command-replies";
  /** Commands waiting for the sender thread; bounded so a long Kafka outage cannot eat the heap. */
  public static final int OUTBOX_CAPACITY = 65_536;
  private static final int SEND_BATCH = 512;
  /** How long an idle sender, completion or timer thread is kept before it ends. */
  public static final Duration IDLE_THREAD_KEEP_ALIVE = Duration.ofSeconds(30);
  /** The attempt timers of every client in the process: quick tasks (a re-send is an outbox offer). */
  private static final ScheduledThreadPoolExecutor TIMER = sharedTimer();

  private final CommandClientConfig config;
  private final String commandsTopic;
  private final int commandPartitions;
  private final TopicPartition replyPartition;
  private final byte[] clientIdBytes;
  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaConsumer<byte[], byte[]> replies;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private final BlockingQueue<Pending> outbox = new LinkedBlockingQueue<>(OUTBOX_CAPACITY);
  /** Runs one drain of the outbox at a time; its thread ends when idle. */
  private final ThreadPoolExecutor sender;
  /** A drain of the outbox is queued or running: a send then needs no new one. */
  private final AtomicBoolean draining = new AtomicBoolean();
  private final ExecutorService completions;
  private final ClientMetrics metrics;
  private final ConsumerLag replyLag;
  private final Thread replyLoop;
  private volatile boolean closed;

  public CommandClient(CommandClientConfig cfg, MeterRegistry registry) {
    this.config = cfg;
    TopicLayout layout = cfg.layout();
    this.commandsTopic = layout.commands();
    this.clientIdBytes = cfg.clientId().getBytes(StandardCharsets.UTF_8);
    KafkaConsumer<byte[], byte[]> consumer = null;
    KafkaProducer<byte[], byte[]> prod = null;
    try {
      this.commandPartitions = PartitionCount.of(cfg.kafka(), layout.commands(), STARTUP_TIMEOUT);
      int replyPartitions = PartitionCount.of(cfg.kafka(), layout.replies(), STARTUP_TIMEOUT);
      consumer = new KafkaConsumer<>(consumerConfig(cfg), new ByteArrayDeserializer(), new ByteArrayDeserializer());
      this.replyPartition = new TopicPartition(layout.replies(), ObjectPartitioner.partition(cfg.clientId(), replyPartitions));
      // ListOffsets succeeds only once the leader has opened a partition. Sending to a partition
      // the broker is still opening can wedge the idempotent producer (KAFKA-15591: the first
      // batch fails NOT_LEADER, a later one lands, the first then spins on OUT_OF_ORDER_SEQUENCE).
      List<TopicPartition> commandTps = new ArrayList<>();
      for (int i = 0; i < commandPartitions; i++) {
        commandTps.add(new TopicPartition(commandsTopic, i));
      }
      consumer.endOffsets(commandTps, STARTUP_TIMEOUT);
      consumer.assign(List.of(replyPartition));
      consumer.seekToEnd(List.of(replyPartition));
      // Resolve the end offset now: a reply written before a lazy seek resolved would be skipped.
      long start = consumer.position(replyPartition, STARTUP_TIMEOUT);
      prod = new KafkaProducer<>(producerConfig(cfg), new ByteArraySerializer(), new ByteArraySerializer());
      prod.partitionsFor(commandsTopic); // warm the metadata so the first send does not block on it
      log.info("command client {} ready: {} partitions of {}, replies from {} at offset {}",
          cfg.clientId(), commandPartitions, commandsTopic, replyPartition, start);
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
    this.completions = OnDemandThreads.pool("capstan-command-completion-" + cfg.clientId(), 2, IDLE_THREAD_KEEP_ALIVE);
    this.metrics = new ClientMetrics(registry, cfg.clientId(), pending::size);
    this.replyLag = ConsumerLag.bind(registry, cfg.component(), REPLY_CONSUMER, replies::metrics);
    this.replyLoop = daemonThreads("capstan-command-replies-" + cfg.clientId()).newThread(this::readReplies);
    this.replyLoop.start();
    this.sender = OnDemandThreads.pool("capstan-command-sender-" + cfg.clientId(), 1, IDLE_THREAD_KEEP_ALIVE);
  }

  /** One timer thread that ends after {@link #IDLE_THREAD_KEEP_ALIVE} with no attempt waiting. */
  private static ScheduledThreadPoolExecutor sharedTimer() {
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, daemonThreads("capstan-command-timer"));
    t.setKeepAliveTime(IDLE_THREAD_KEEP_ALIVE.toNanos(), TimeUnit.NANOSECONDS);
    t.allowCoreThreadTimeOut(true);
    t.setRemoveOnCancelPolicy(true); // answered attempts leave the queue, so an idle timer can end
    return t;
  }

  public CommandClientConfig config() {
    return config;
  }

  /** The partition count of the commands topic, which every object-keyed topic shares. */
  public int partitions() {
    return commandPartitions;
  }

  /** The partition an object key lives on (its commands, events and state). */
  public int partitionOf(String objectKey) {
    return ObjectPartitioner.partition(objectKey, commandPartitions);
  }

  public CompletableFuture<CommandResult> create(IndexedRecord object) {
    return send(Commands.create(object));
  }

  public CompletableFuture<CommandResult> update(IndexedRecord object) {
    return send(Commands.update(object));
  }

  public CompletableFuture<CommandResult> updateStatus(IndexedRecord object) {
    return send(Commands.updateStatus(object));
  }

  public CompletableFuture<CommandResult> delete(Kind kind, String namespace, String name, DeleteOptions opts) {
    return send(Commands.delete(kind, namespace, name, opts));
  }

  public CompletableFuture<CommandResult> bind(String namespace, String podName, String nodeName) {
    return send(Commands.bind(namespace, podName, nodeName));
  }

  /**
   * Sends a command and completes with the processor's answer. Fills the request id (a random
   * UUID), client id, actor and send time when they are empty; the caller's record is not
   * modified. A command whose request id is already in flight joins that request instead of
   * being sent twice. The future fails with {@link CommandTimeoutException} when no attempt got
   * a reply, with {@link CommandSendException} when Kafka refused the command for good.
   *
   * @throws IllegalArgumentException when the command lacks what its op needs (kind, name, object, node)
   */
  public CompletableFuture<CommandResult> send(Command command) {
    if (command == null) {
      throw new IllegalArgumentException("send: command is required");
    }
    Command c;
    try {
      c = Command.newBuilder(command).build();
    } catch (org.apache.avro.AvroRuntimeException e) {
      throw new IllegalArgumentException("send: incomplete command: " + e.getMessage(), e);
    }
    if (c.getRequestId().isEmpty()) {
      c.setRequestId(UUID.randomUUID().toString());
    }
    if (c.getClientId().isEmpty()) {
      c.setClientId(config.clientId());
    }
    if (c.getActor().isEmpty()) {
      c.setActor(config.actor());
    }
    if (c.getSentAtMicros() == 0) {
      c.setSentAtMicros(nowMicros());
    }
    checkComplete(c);
    String key = c.getKind() + "/" + c.getNamespace() + "/" + c.getName();
    if (closed) {
      return CompletableFuture.failedFuture(new CommandSendException(c.getOp(), key, c.getRequestId(), commandsTopic,
          new IllegalStateException("command client " + config.clientId() + " is closed")));
    }
    Pending p = new Pending(c, key, ObjectPartitioner.partition(key, commandPartitions), LogCodec.get().encode(c));
    Pending earlier = pending.putIfAbsent(p.requestId, p);
    if (earlier != null) {
      return earlier.future;
    }
    transmit(p);
    scheduleAttemptTimeout(p);
    if (closed && pending.remove(p.requestId, p)) {
      // close() ran between the check above and the registration: nobody would answer this one
      p.cancelTimer();
      p.future.completeExceptionally(new CommandSendException(c.getOp(), key, c.getRequestId(), commandsTopic,
          new IllegalStateException("command client " + config.clientId() + " is closed")));
    }
    return p.future;
  }

  /** Commands sent and not yet answered. */
  public int inFlight() {
    return pending.size();
  }

  private void checkComplete(Command c) {
    CommandOp op = c.getOp();
    if (op == null) {
      throw new IllegalArgumentException("command: op is required");
    }
    if (c.getKind() == null || c.getKind().isEmpty()) {
      throw new IllegalArgumentException(op + ": kind is required");
    }
    Kinds.require(c.getKind());
    if (c.getName() == null || c.getName().isEmpty()) {
      throw new IllegalArgumentException(op + " " + c.getKind() + ": name is required");
    }
    if (c.getNamespace() == null) {
      c.setNamespace("");
    }
    // A quota ledger step (the quota controller's RECORD / PRUNE) names its object in the step instead.
    boolean needsObject = (op == CommandOp.CREATE || op == CommandOp.UPDATE || op == CommandOp.UPDATE_STATUS)
        && c.getQuota() == null;
    if (needsObject && c.getObject() == null) {
      throw new IllegalArgumentException(op + " " + c.getKind() + " " + c.getName() + ": object is required");
    }
    if (op == CommandOp.BIND && (c.getNodeName() == null || c.getNodeName().isEmpty())) {
      throw new IllegalArgumentException("BIND " + c.getKind() + " " + c.getName() + ": nodeName is required");
    }
  }

  /** Hands a command to the sender, unless it is already waiting there. */
  private void transmit(Pending p) {
    if (!p.queued.compareAndSet(false, true)) {
      return;
    }
    if (!outbox.offer(p)) {
      p.queued.set(false);
      sendFailed(p, new IllegalStateException("the outbox is full: " + OUTBOX_CAPACITY
          + " commands are waiting for Kafka at " + config.kafka().get("bootstrap.servers")));
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

  private void produce(Pending p) {
    ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(commandsTopic, p.partition, p.keyBytes, p.bytes);
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

  /** Runs on the producer's I/O thread: must not block. */
  private void sendFailed(Pending p, Throwable err) {
    if (err instanceof RetriableException && !closed) {
      // The broker may be restarting: the attempt timeout sends it again.
      log.debug("sending {} (request id {}) failed, will retry: {}", p.key, p.requestId, err.toString());
      return;
    }
    if (pending.remove(p.requestId, p)) {
      p.cancelTimer();
      metrics.finished(p.kind, p.op.name(), Outcome.FAILED, System.nanoTime() - p.startNanos);
      completeAsync(p, () -> p.future.completeExceptionally(
          new CommandSendException(p.op, p.key, p.requestId, commandsTopic, err)));
    }
  }

  private void scheduleAttemptTimeout(Pending p) {
    try {
      p.timer = TIMER.schedule(() -> attemptTimedOut(p), config.timeout().toNanos(), TimeUnit.NANOSECONDS);
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
      pending.remove(p.requestId, p); // the caller cancelled or completed it
      return;
    }
    if (p.attempt < config.attempts()) {
      p.attempt++;
      metrics.retried();
      log.debug("no reply to {} {} (request id {}) within {} ms; sending attempt {} of {}", p.op, p.key, p.requestId,
          config.timeout().toMillis(), p.attempt, config.attempts());
      transmit(p);
      scheduleAttemptTimeout(p);
    } else if (pending.remove(p.requestId, p)) {
      metrics.finished(p.kind, p.op.name(), Outcome.TIMEOUT, System.nanoTime() - p.startNanos);
      CommandTimeoutException e =
          new CommandTimeoutException(p.op, p.key, p.requestId, p.attempt, config.timeout());
      log.warn(e.getMessage());
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
        if (!Arrays.equals(r.key(), clientIdBytes) || r.value() == null) {
          continue; // another client's reply on the same partition
        }
        Reply reply;
        try {
          reply = LogCodec.get().decode(r.value(), Reply.class);
        } catch (MalformedRecordException e) {
          log.warn("skipping malformed reply at {}-{} offset {}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
          continue;
        }
        Pending p = pending.remove(reply.getRequestId());
        if (p == null) {
          // a repeat reply to a retried command, or a request of an earlier run of this client id
          log.debug("reply to request {} which is not pending", reply.getRequestId());
          continue;
        }
        p.cancelTimer();
        completeAsync(p, () -> complete(p, reply));
      }
    }
  }

  private void complete(Pending p, Reply reply) {
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
      IndexedRecord object = o == null ? null : LogCodec.get().decode(bytesOf(o));
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

  /** Stops reading replies and fails what is still pending; waits briefly for queued sends. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
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
    replies.close(Duration.ofSeconds(5));
    for (Pending p : List.copyOf(pending.values())) {
      if (pending.remove(p.requestId, p)) {
        p.cancelTimer(); // the timer thread is shared: leave nothing of ours on it
        metrics.finished(p.kind, p.op.name(), Outcome.FAILED, System.nanoTime() - p.startNanos);
        p.future.completeExceptionally(new CommandSendException(p.op, p.key, p.requestId, commandsTopic,
            new IllegalStateException("command client " + config.clientId() + " closed before the reply arrived")));
      }
    }
    completions.shutdown();
    try {
      completions.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    metrics.close();
    log.info("command client {} closed", config.clientId());
  }

  /** One command waiting for its reply. */
  private static final class Pending {
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

    Pending(Command c, String key, int partition, byte[] bytes) {
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
    p.put(ProducerConfig.LINGER_MS_CONFIG, DEFAULT_LINGER_MS);
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
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, DEFAULT_REPLY_FETCH_MAX_WAIT_MS);
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

  private static long nowMicros() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
