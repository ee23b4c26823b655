package io.capstan.logschema.client;

import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.secrets.SecretKeys;
import io.capstan.logschema.secrets.SecretSealing;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.generic.IndexedRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends Commands to {@code capstan.commands} and completes each future with the Reply the
 * command processor writes to {@code capstan.replies}. One per component; thread-safe.
 *
 * <p>How it works: a command is keyed by its object key and sent to that key's partition, so it
 * reaches the key's single writer. Replies land on one partition of the replies topic (keyed by
 * client id); a consumer assigned to just that partition, reading committed records from the end
 * offset seen at startup, matches them to pending requests by request id. When an attempt gets no
 * reply within the configured timeout the very same command (same request id) is sent again: the
 * processor remembers recent request ids per key and answers a repeat with the original reply, so
 * a retry never writes twice. Futures complete on a small executor, never on the reply loop, so
 * user callbacks cannot stall it. Callers never block either: {@code KafkaProducer.send} waits for
 * metadata when the broker is away, so commands go out through a bounded outbox drained by one
 * sender thread.
 *
 * <p>Threads: the clients of one process that talk to the same cluster share one
 * {@link CommandChannel} (producer, reply consumer, outbox); its producer's I/O thread and reply
 * loop live as long as a client uses it; the sender and completion threads exist only while there
 * is work (they end after {@link #IDLE_THREAD_KEEP_ALIVE} idle), and the attempt timers run on the
 * process's {@link io.capstan.logschema.threads.Housekeeping} thread. An idle process holds two
 * threads for all its clients.
 */
public final class CommandClient implements AutoCloseable {
  /** The registry the client's meters are in; others of its process can join it. */
  private final MeterRegistry registry;
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
  /** The reply consumer's name in {@code capstan_kafka_consumer_lag}. */
  public static final String REPLY_CONSUMER = "command-replies";
  /** Commands waiting for the sender thread; bounded so a long Kafka outage cannot eat the heap. */
  public static final int OUTBOX_CAPACITY = 65_536;
  /**
   * How long an idle sender or completion thread is kept before it ends. Short: an idle cluster's
   * only traffic is a lease renewal or status report every ten seconds or so, and starting a
   * thread for it costs tens of microseconds, where keeping one costs a thread for ever; under
   * load the gaps are far shorter and the threads stay.
   */
  public static final Duration IDLE_THREAD_KEEP_ALIVE = Duration.ofSeconds(5);

  private final CommandClientConfig config;
  private final CommandChannel channel;
  final ClientMetrics metrics;
  /** This client's requests among the channel's pending ones. */
  final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean closed;

  /** A client on the process's channel for {@code cfg}'s cluster (shared with the other clients configured alike). */
  public CommandClient(CommandClientConfig cfg, MeterRegistry registry) {
    this(cfg, registry, CommandChannel.join(cfg, registry));
  }

  /**
   * A client with a channel of its own (its own producer and reply consumer), for load generators
   * that spread their commands over several connections; components share.
   */
  public static CommandClient unshared(CommandClientConfig cfg, MeterRegistry registry) {
    return new CommandClient(cfg, registry, CommandChannel.own(cfg, registry));
  }

  private CommandClient(CommandClientConfig cfg, MeterRegistry registry, CommandChannel channel) {
    this.config = cfg;
    this.channel = channel;
    this.metrics = new ClientMetrics(registry, cfg.clientId(), inFlight::get);
    this.registry = registry;
    log.debug("command client {} uses channel {}", cfg.clientId(), channel.id);
  }

  public CommandClientConfig config() {
    return config;
  }

  /** The partition count of the commands topic, which every object-keyed topic shares. */
  public int partitions() {
    return channel.commandPartitions;
  }

  /** The partition an object key lives on (its commands, events and state). */
  public int partitionOf(String objectKey) {
    return channel.partitionOf(objectKey);
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
   * UUID), client id (the channel's, so the reply comes back to it), actor and send time when they
   * are empty; the caller's record is not modified. A command whose request id is already in
   * flight joins that request instead of being sent twice. The future fails with
   * {@link CommandTimeoutException} when no attempt got a reply, with {@link CommandSendException}
   * when Kafka refused the command for good.
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
      c.setClientId(channel.id);
    }
    if (c.getActor().isEmpty()) {
      c.setActor(config.actor());
    }
    if (c.getSentAtMicros() == 0) {
      c.setSentAtMicros(nowMicros());
    }
    checkComplete(c);
    sealSecret(c);
    return channel.send(this, c, c.getKind() + "/" + c.getNamespace() + "/" + c.getName());
  }

  /**
   * Secret values never reach Kafka in plaintext: a Secret's data is sealed here, the one door
   * every writer's commands pass, with the process's encryption keys ({@link SecretKeys}). The
   * patch of a PATCH is dropped: it carries values in clear, and the processor could not apply it
   * to sealed data anyway; the update stays guarded by the object's resourceVersion instead.
   */
  private static void sealSecret(Command c) {
    if (!Kinds.SECRET.kind().equals(c.getKind())) {
      return;
    }
    c.setPatch(null);
    if (c.getObject() == null) {
      return;
    }
    byte[] bytes = new byte[c.getObject().remaining()];
    c.getObject().duplicate().get(bytes);
    IndexedRecord object = LogCodec.get().decode(bytes);
    IndexedRecord sealed = SecretSealing.sealIfSecret(object);
    if (sealed != object) {
      c.setObject(ByteBuffer.wrap(LogCodec.get().encode(sealed)));
    }
  }

  /** The registry this client's meters are in. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Commands sent and not yet answered. */
  public int inFlight() {
    return inFlight.get();
  }

  boolean isClosed() {
    return closed;
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
    // A server-side apply carries its configuration as the patch; the processor makes the object.
    boolean apply = c.getPatch() != null && Commands.APPLY_PATCH.equals(c.getPatch().getContentType());
    boolean needsObject = (op == CommandOp.CREATE || op == CommandOp.UPDATE || op == CommandOp.UPDATE_STATUS)
        && c.getQuota() == null && !apply;
    if (needsObject && c.getObject() == null) {
      throw new IllegalArgumentException(op + " " + c.getKind() + " " + c.getName() + ": object is required");
    }
    if (op == CommandOp.BIND && (c.getNodeName() == null || c.getNodeName().isEmpty())) {
      throw new IllegalArgumentException("BIND " + c.getKind() + " " + c.getName() + ": nodeName is required");
    }
  }

  /** Fails this client's pending requests and leaves the channel (the last client closes it). */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    channel.failPending(this, "closed before the reply arrived");
    channel.leave();
    metrics.close();
    log.info("command client {} closed", config.clientId());
  }

  private static long nowMicros() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }
}
