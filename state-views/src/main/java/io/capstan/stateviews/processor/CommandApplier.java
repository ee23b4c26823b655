package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.rules.ObjectFields.meta;

import io.capstan.api.CustomResourceDefinition;
import io.capstan.api.Namespace;
import io.capstan.api.ResourceQuota;
import io.capstan.api.Service;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.ErrorStatus;
import io.capstan.log.Event;
import io.capstan.log.EventOp;
import io.capstan.log.Reply;
import io.capstan.log.Watermark;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.codec.MalformedRecordException;
import io.capstan.logschema.codec.RecordedSchema;
import io.capstan.logschema.json.ObjectDiff;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.stateviews.processor.quota.QuotaAdmission;
import io.capstan.stateviews.processor.quota.QuotaLedger;
import io.capstan.stateviews.processor.quota.QuotaMetrics;
import io.capstan.stateviews.processor.services.AddressLedger;
import io.capstan.stateviews.processor.services.ServiceAllocation;
import io.capstan.stateviews.processor.rules.FieldOwnership;
import io.capstan.stateviews.processor.rules.ObjectFields;
import io.capstan.stateviews.processor.rules.Outcome;
import io.capstan.stateviews.processor.rules.PatchRebase;
import io.capstan.stateviews.processor.rules.StatusErrors;
import io.capstan.stateviews.processor.rules.WriteRules;
import io.capstan.stateviews.view.PodsByNodeTopic;
import io.capstan.logschema.session.SessionProtocol;
import io.capstan.stateviews.processor.authn.CommandAuthenticator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of one partition's objects (one per stream task). For each command it
 * reads the stored object, lets {@link WriteRules} decide, and then writes the store, the Event,
 * the state-table record and the Reply: all in the task's exactly-once transaction, so they
 * appear together or not at all. A wall-clock punctuator emits the partition's watermark to
 * the state topics that need one ({@link WatermarkSchedule}).
 *
 * <p>Each command is first decided, then written: anything that can go wrong with a command's
 * content goes wrong before the first store write, and is answered with an error Reply.
 */
final class CommandApplier implements Processor<String, byte[], String, byte[]> {
  private static final Logger log = LoggerFactory.getLogger(CommandApplier.class);
  /** The clock store's one key: each task has its own store instance. */
  static final String CLOCK_KEY = "hlc";
  /** While a partition is busy, kinds nobody writes get a watermark every this many ticks (see {@link WatermarkSchedule}). */
  static final int BUSY_IDLE_WATERMARK_TICKS = 5;
  /** The header every state record carries: the resourceVersion, as a decimal string. */
  public static final String RV_HEADER = "capstan.rv";
  /** How often a slice of the request-id store is checked for ids past their retention. */
  /**
   * The pruning of request ids goes through the store a slice every this while a pass lasts; between
   * passes it sleeps until the oldest id left can expire (a tick costs a commit, a transaction).
   */
  static final Duration PRUNE_INTERVAL = Duration.ofSeconds(10);
  static final int PRUNE_BATCH = 10_000;
  static final int NAMESPACE_CACHE_SIZE = 1024;
  /** Early commits are for light traffic: not when more than this many outputs are waiting... */
  static final int EARLY_COMMIT_MAX_PENDING = 100;
  /** ...and at most one per task this often... */
  static final long EARLY_COMMIT_MIN_GAP_MS = 20;
  /** ...and only when the last command was written this recently (else a backlog is draining). */
  static final long EARLY_COMMIT_MAX_AGE_MS = 50;
  /** The metrics result of an applied command. */
  private static final String ACCEPTED = "accepted";
  /**
   * The largest object, as stored, that a write may leave behind. Every record the single writer
   * produces must fit in one Kafka record (the producer's and the topics' default limit is 1 MiB):
   * the state record and the reply carry the object, and an event carries it with its diff. A
   * write whose result would be larger is refused with 413 instead of failing the transaction,
   * which would stop the partition.
   */
  static final int MAX_OBJECT_BYTES = 1_000_000;
  /** An event larger than this leaves out its merge patch (then its changed paths): readers diff. */
  static final int MAX_EVENT_BYTES = 1_040_000;
  /**
   * How many bytes of remembered replies one key keeps (the newest reply is always kept): a
   * large object patched often would otherwise keep a copy per remembered request.
   */
  static final int REQUEST_MEMORY_BYTES_PER_KEY = 256 * 1024;

  private final ProcessorConfig cfg;
  private final ProcessorMetrics metrics;
  private final QuotaMetrics quotaMetrics;
  private final Clock clock;
  private final int partitions;
  private final LogCodec codec = LogCodec.get();

  private ProcessorContext<String, byte[]> context;
  private KeyValueStore<String, byte[]> objects;
  private KeyValueStore<String, byte[]> clockStore;
  private KeyValueStore<String, byte[]> requests;
  private ReadOnlyKeyValueStore<String, byte[]> namespaces;
  private ReadOnlyKeyValueStore<String, byte[]> serviceAccounts;
  private HybridClock hlc;
  private WriteRules rules;
  private QuotaAdmission quotas;
  private ServiceAllocation services;
  private int partition;
  /** Outputs since this task last asked for a commit (any commit since then is not visible here). */
  private long pending;
  /** Outputs since the later of that request and the last commit-interval boundary: the traffic. */
  private long uncommitted;
  private long windowStartMs;
  private long lastEarlyCommitMs;
  private long lastOutputMs;
  private boolean processedSinceQuietCheck;
  private long lastRecordTimestampMs;
  private String pruneCursor;
  /** The oldest "newest use" (µs) among the ids the current pruning pass kept; Long.MAX_VALUE for none. */
  private long pruneOldestKeptMicros = Long.MAX_VALUE;
  /** When the current pruning pass began (ms): ids remembered since may sit where it has looked already. */
  private long prunePassStartMs;
  /** When request ids were last stored (ms). */
  private long lastRememberedMs;
  private WatermarkSchedule watermarks;
  /** The punctuators while they have work, else null. */
  private Cancellable quietCheck;
  private Cancellable watermarkTick;
  private Cancellable pruneTick;
  private final PollPacing pacing;
  private final DefinitionEstablisher definitions;
  private final io.capstan.stateviews.processor.rules.NamedLookup<io.capstan.api.PriorityClass> priorityClasses;
  private final io.capstan.stateviews.processor.rules.NamedLookup<io.capstan.api.StorageClass> storageClasses;
  private final io.capstan.stateviews.processor.rules.LimitRangeLookup limitRanges;
  private final io.capstan.stateviews.processor.authz.ComponentAuthorizer components;
  /** Checks every command's session ticket and MAC; null when this processor authenticates nobody. */
  private final CommandAuthenticator authenticator;
  /** A write was forwarded since the last watermark (what {@code capstan_processor_watermark_lag_seconds} measures). */
  private boolean owingWatermark;
  private final Map<String, CachedNamespace> namespaceCache = new HashMap<>();
  /** The fingerprints of the custom kinds' schemas this task has recorded since it started. */
  private final java.util.Set<Long> recordedSchemas = new java.util.HashSet<>();

  /**
   * @param partitions the partition count of the object-keyed topics, to check that a command
   *                   arrived on its key's partition and to find a namespace's partition
   * @param priorityClasses what pod admission resolves {@code priorityClassName} against
   * @param storageClasses what claim admission finds the default class in
   * @param limitRanges     the LimitRanges pod admission applies
   * @param components      authorizes the commands of Capstan's components (RBAC, NodeRestriction)
   */
  CommandApplier(ProcessorConfig cfg, ProcessorMetrics metrics, QuotaMetrics quotaMetrics, Clock clock, int partitions,
      PollPacing pacing, DefinitionEstablisher definitions,
      io.capstan.stateviews.processor.rules.NamedLookup<io.capstan.api.PriorityClass> priorityClasses,
      io.capstan.stateviews.processor.rules.NamedLookup<io.capstan.api.StorageClass> storageClasses,
      io.capstan.stateviews.processor.rules.LimitRangeLookup limitRanges,
      io.capstan.stateviews.processor.authz.ComponentAuthorizer components) {
    this.components = components;
    this.authenticator = cfg.authentication() == null ? null : cfg.authentication().authenticator();
    this.priorityClasses = priorityClasses;
    this.storageClasses = storageClasses;
    this.limitRanges = limitRanges;
    this.definitions = definitions;
    this.cfg = cfg;
    this.pacing = pacing;
    this.metrics = metrics;
    this.quotaMetrics = quotaMetrics;
    this.clock = clock;
    this.partitions = partitions;
  }

  @Override
  public void init(ProcessorContext<String, byte[]> context) {
    this.context = context;
    this.partition = context.taskId().partition();
    this.objects = context.getStateStore(CommandTopology.OBJECTS_STORE);
    this.clockStore = context.getStateStore(CommandTopology.CLOCK_STORE);
    this.requests = context.getStateStore(CommandTopology.REQUESTS_STORE);
    this.namespaces = context.getStateStore(CommandTopology.NAMESPACES_STORE);
    this.hlc = HybridClock.decode(clockStore.get(CLOCK_KEY));
    this.serviceAccounts = context.getStateStore(CommandTopology.SERVICE_ACCOUNTS_STORE);
    this.rules = new WriteRules(this::findNamespace, priorityClasses, this::findServiceAccount, storageClasses,
        limitRanges);
    this.quotas = new QuotaAdmission(new QuotaLedger(context.getStateStore(CommandTopology.QUOTA_LEDGER_STORE)), objects,
        context.getStateStore(CommandTopology.QUOTAS_STORE),
        key -> partitions <= 0 || ObjectPartitioner.partition(key, partitions) == partition, quotaMetrics);
    this.services = new ServiceAllocation(cfg.serviceNetwork(),
        new AddressLedger(context.getStateStore(CommandTopology.ADDRESS_LEDGER_STORE)));
    this.watermarks = new WatermarkSchedule(Kinds::all, BUSY_IDLE_WATERMARK_TICKS * cfg.watermarkIntervalMs());
    metrics.partitionAssigned(partition);
    // The punctuators run only while they have work: Kafka Streams commits a task after every
    // punctuation, so one that fired on an idle partition would cost a transaction each time.
    armWatermarkTick(); // the first tick closes every kind after a start
    armPrune(PRUNE_INTERVAL); // what the restored store holds is not known: look soon
    log.info("partition {} of {}: resourceVersion clock at {}, last watermark {}", partition, context.applicationId(),
        hlc.lastRv(), hlc.lastWatermark());
  }

  @Override
  public void close() {
    disarmQuietCheck();
    watermarkTick = disarm(watermarkTick);
    pruneTick = disarm(pruneTick);
    metrics.forgetPartition(partition);
  }

  // ---- commands ----

  @Override
  public void process(Record<String, byte[]> record) {
    long started = System.nanoTime();
    processedSinceQuietCheck = true;
    lastRecordTimestampMs = record.timestamp();
    if (record.value() == null) {
      skip("empty", "a record without value");
      return;
    }
    if (ObjectPartitioner.isWatermarkKey(record.key())) {
      takeProgressRequest(record);
      return;
    }
    if (SessionProtocol.isSessionKey(record.key())) {
      answerSession(record);
      return;
    }
    Command cmd;
    try {
      Object decoded = codec.decode(record.value());
      if (!(decoded instanceof Command c)) {
        skip("not-a-command", "a " + ((org.apache.avro.generic.IndexedRecord) decoded).getSchema().getFullName()
            + " record instead of a Command");
        return;
      }
      cmd = c;
    } catch (MalformedRecordException e) {
      skip("malformed", e.getMessage());
      return;
    }
    if (authenticator != null) {
      // Before anything else is looked at: an unauthenticated command learns nothing and changes nothing.
      String refusal = authenticator.refusal(record.headers(), record.value(), cmd, clock.millis(),
          QuotaAdmission.isChargedCreate(cmd) || ServiceAllocation.isAllocated(cmd));
      if (refusal != null) {
        log.warn("refused {} {}/{}/{} as {} (request {}, client {}): 401 {}", cmd.getOp(), cmd.getKind(),
            cmd.getNamespace(), cmd.getName(), cmd.getActor(), cmd.getRequestId(), cmd.getClientId(), refusal);
        replyOnly(cmd, StatusErrors.unauthorized(refusal));
        metrics.command(cmd.getKind(), cmd.getOp(), "Unauthorized", System.nanoTime() - started);
        return;
      }
    }
    Instant now = clock.instant();
    long nowMicros = micros(now);
    if (cmd.getSentAtMicros() > 0) {
      metrics.age(nowMicros - cmd.getSentAtMicros());
    }
    Optional<Kind> kindFound = Kinds.byName(cmd.getKind());
    if (kindFound.isEmpty()) {
      // Not applied; the client still hears why rather than waiting for a reply that never comes.
      skip("unknown-kind", "unknown kind \"" + cmd.getKind() + "\"");
      replyOnly(cmd, StatusErrors.badRequest("unknown kind \"" + cmd.getKind() + "\"; known kinds: "
          + Kinds.all().stream().map(Kind::kind).toList()));
      return;
    }
    Kind kind = kindFound.get();
    ErrorStatus badAddress = WriteRules.checkAddress(cmd, kind);
    if (badAddress != null) {
      replyOnly(cmd, badAddress);
      metrics.command(kind.kind(), cmd.getOp(), badAddress.getReason(), System.nanoTime() - started);
      return;
    }
    String key = new ObjectKey(kind.kind(), cmd.getNamespace(), cmd.getName()).toString();
    ErrorStatus misplaced = checkPlacement(record.key(), key);
    if (misplaced != null) {
      replyOnly(cmd, misplaced);
      metrics.command(kind.kind(), cmd.getOp(), misplaced.getReason(), System.nanoTime() - started);
      return;
    }
    if (ServiceAllocation.isLedgerStep(cmd)) {
      // A step of Service address allocation for the ledger under this key; it answers only a refusal.
      String result = applyAllocationStep(cmd, key, now);
      metrics.command(kind.kind(), cmd.getOp(), result, System.nanoTime() - started);
      return;
    }
    if (QuotaAdmission.isLedgerStep(cmd)) {
      // A step of quota admission for the quota under this key; it answers only a refused charge.
      String result = applyQuotaStep(cmd, kind, key, now, nowMicros);
      metrics.command(kind.kind(), cmd.getOp(), result, System.nanoTime() - started);
      return;
    }
    if (QuotaAdmission.isVerify(cmd)) {
      // A quota asks whether the object it holds a charge for still exists here.
      byte[] here = objects.get(key);
      quotas.verify(cmd, here == null ? null : codec.decode(here)).forEach(f -> forwardCommand(f, now));
      metrics.command(kind.kind(), cmd.getOp(), "quota-verify", System.nanoTime() - started);
      return;
    }
    byte[] rememberedBytes = requests.get(key);
    RecentRequests recent = RecentRequests.decode(rememberedBytes);
    RecentRequests.Entry original = recent.answered(cmd.getRequestId());
    if (ServiceAllocation.isAllocated(cmd) && (original != null || recent.find(cmd.getRequestId()) == null)) {
      // Addresses reserved for a write that is no longer waiting here (answered, or forgotten): give them back.
      forwardAllocation(ServiceAllocation.undo(cmd), now);
      if (QuotaAdmission.isChargedCreate(cmd)) {
        quotas.undoCharges(cmd).forEach(f -> forwardCommand(f, now));
      }
      if (original != null) {
        forward(cmd.getClientId(), originalReply(key, original), CommandTopology.REPLIES_SINK, now, null);
        metrics.command(kind.kind(), cmd.getOp(), "duplicate", System.nanoTime() - started);
      } else {
        reject(cmd, key, recent, nowMicros, StatusErrors.conflict(StatusErrors.resource(kind), kind, cmd.getName(),
            "the allocated write (request " + cmd.getRequestId() + ") is not waiting here any more: it was answered"
                + " and forgotten; send it again"));
        metrics.command(kind.kind(), cmd.getOp(), "stale-allocated-write", System.nanoTime() - started);
      }
      return;
    }
    if (original == null && QuotaAdmission.isChargedCreate(cmd) && recent.find(cmd.getRequestId()) == null) {
      // Not the continuation of a create waiting here: applying it would give its uid a second life.
      quotas.undoCharges(cmd).forEach(f -> forwardCommand(f, now));
      reject(cmd, key, recent, nowMicros, StatusErrors.conflict(StatusErrors.resource(kind), kind,
          cmd.getName(), "the charged create (request " + cmd.getRequestId() + ") is not waiting here any more: it was"
              + " answered and forgotten, or its object was deleted since; create the object again"));
      metrics.command(kind.kind(), cmd.getOp(), "stale-charged-create", System.nanoTime() - started);
      return;
    }
    if (original != null) {
      if (QuotaAdmission.isChargedCreate(cmd)) {
        // A retried create whose first attempt was answered: what this attempt charged is not needed.
        quotas.undoCharges(cmd).forEach(f -> forwardCommand(f, now));
      }
      forward(cmd.getClientId(), originalReply(key, original), CommandTopology.REPLIES_SINK, now, null);
      metrics.command(kind.kind(), cmd.getOp(), "duplicate", System.nanoTime() - started);
      return;
    }
    String result = apply(cmd, kind, key, recent, now, nowMicros);
    metrics.command(kind.kind(), cmd.getOp(), result, System.nanoTime() - started);
  }

  /**
   * A component opens its session (docs/identity.md section 2): a ticket and this processor's
   * share when its certificate, signature and time check out, else 401. A processor that
   * authenticates nobody answers without a ticket, and the client sends its commands plain.
   */
  private void answerSession(Record<String, byte[]> record) {
    SessionProtocol.Request r;
    try {
      r = SessionProtocol.decodeRequest(record.value());
    } catch (IllegalArgumentException e) {
      skip("malformed-session-request", e.getMessage());
      return;
    }
    Instant now = clock.instant();
    CommandAuthenticator.SessionAnswer a = authenticator == null ? null : authenticator.answer(r, now.toEpochMilli(),
        context.recordMetadata().map(RecordMetadata::offset).orElse(-1L));
    ErrorStatus refused = a == null || a.refusal() == null ? null
        : StatusErrors.unauthorized("session refused: " + a.refusal());
    Reply reply = new Reply(r.requestId(), r.clientId(), refused == null, null, refused, 0L, partition, false);
    Headers headers = a == null ? new RecordHeaders() : a.headers();
    context.forward(new Record<>(r.clientId(), codec.encode(reply), now.toEpochMilli(), headers),
        CommandTopology.REPLIES_SINK);
    outputsWaiting();
    if (refused != null) {
      metrics.skipped("session-unauthorized");
      log.warn("refused the session request {} of client {}: {}", r.requestId(), r.clientId(), a.refusal());
    } else if (a != null) {
      log.info("session of {} (client {}) open until {}", a.identity().name(), r.clientId(),
          Instant.ofEpochMilli(a.notAfter()));
    }
  }

  private void takeProgressRequest(Record<String, byte[]> record) {
    Object decoded;
    try {
      decoded = codec.decode(record.value());
    } catch (MalformedRecordException e) {
      skip("malformed", e.getMessage());
      return;
    }
    if (!(decoded instanceof Watermark request) || request.getPartition() != partition) {
      skip("misaddressed-progress-request", "a record keyed " + record.key() + " on partition " + partition
          + " that is not a watermark request for it");
      return;
    }
    answerProgressRequest();
  }

  /** Decides and writes one command; returns the metrics result (accepted or the rejection reason). */
  private String apply(Command cmd, Kind kind, String key, RecentRequests recent, Instant now, long nowMicros) {
    byte[] storedBytes = objects.get(key);
    Outcome outcome;
    IndexedRecord stored = null;
    List<io.capstan.logschema.apply.ManagedEntry> appliedManaged = null;
    try {
      stored = storedBytes == null ? null : codec.decode(storedBytes);
      IndexedRecord object = null;
      if (cmd.getObject() != null) {
        try {
          object = codec.decode(bytes(cmd.getObject()));
        } catch (MalformedRecordException e) {
          return reject(cmd, key, recent, nowMicros, StatusErrors.badRequest("the object in the " + cmd.getOp()
              + " command for " + key + " could not be decoded: " + e.getMessage()));
        }
      }
      if (FieldOwnership.isApply(cmd)) {
        // Server-side apply: merged and conflict-checked here, against the stored object.
        FieldOwnership.Result applied = FieldOwnership.apply(kind, cmd, stored, now);
        if (applied instanceof FieldOwnership.Refused refused) {
          return reject(cmd, key, recent, nowMicros, refused.status());
        }
        FieldOwnership.Applied a = (FieldOwnership.Applied) applied;
        object = a.object();
        appliedManaged = a.managed();
        cmd.setOp(a.op());
        cmd.setPatch(null);
        cmd.setObject(ByteBuffer.wrap(codec.encode(object))); // what a charged create carries on
      }
      if (PatchRebase.needed(cmd.getPatch(), object, stored)
          && (cmd.getOp() == CommandOp.UPDATE || cmd.getOp() == CommandOp.UPDATE_STATUS)) {
        PatchRebase.Result rebased = PatchRebase.onto(kind, cmd.getPatch(), stored);
        if (rebased instanceof PatchRebase.Refused refused) {
          return reject(cmd, key, recent, nowMicros, refused.status());
        }
        object = ((PatchRebase.Rebased) rebased).object();
      }
      List<io.capstan.api.ManagedFieldsEntry> sentManaged = object == null ? null : meta(object).getManagedFields();
      if (appliedManaged == null && object != null && sentManaged == null && stored != null) {
        meta(object).setManagedFields(meta(stored).getManagedFields()); // none sent: kept as stored
      }
      if (!QuotaAdmission.isChargedCreate(cmd) && !ServiceAllocation.isAllocated(cmd)) {
        // A charged or allocated write comes back here: it was authorized when it first arrived.
        Optional<ErrorStatus> forbidden = components.refusal(cmd, kind, object, stored);
        if (forbidden.isPresent()) {
          log.warn("refused {} {} by {} (request {}): {}", cmd.getOp(), key, cmd.getActor(), cmd.getRequestId(),
              forbidden.get().getMessage());
          return reject(cmd, key, recent, nowMicros, forbidden.get());
        }
      }
      outcome = rules.decide(cmd, kind, object, stored, now);
      if (outcome instanceof Outcome.Write w && FieldOwnership.records(cmd.getOp())) {
        outcome = owned(cmd, kind, w, appliedManaged, sentManaged, now);
      }
    } catch (RuntimeException e) {
      log.error("command {} ({} {}) at {} could not be decided", cmd.getRequestId(), cmd.getOp(), key, where(), e);
      return reject(cmd, key, recent, nowMicros, StatusErrors.internal(cmd.getOp() + " " + key + ": " + e));
    }
    // Quota admission (ResourceQuota): a create that quotas cover is charged first and comes back.
    if (QuotaAdmission.isChargedCreate(cmd)) {
      if (outcome instanceof Outcome.Write w) {
        meta(w.after()).setUid(cmd.getQuota().getObjectUid()); // the uid the quotas' ledgers know it by
      } else if (!cmd.getDryRun()) {
        quotas.undoCharges(cmd).forEach(f -> forwardCommand(f, now));
      }
    } else if (cmd.getOp() == CommandOp.CREATE && cmd.getAllocation() == null && outcome instanceof Outcome.Write w) {
      QuotaAdmission.Routing routing;
      try {
        routing = quotas.route(cmd, kind, w.after());
      } catch (RuntimeException e) {
        log.error("quota admission of {} ({} {}) at {} failed", cmd.getRequestId(), cmd.getOp(), key, where(), e);
        return reject(cmd, key, recent, nowMicros, StatusErrors.internal("quota admission of " + key + ": " + e));
      }
      if (routing instanceof QuotaAdmission.Routing.Refuse refuse) {
        outcome = new Outcome.Rejected(refuse.status());
      } else if (routing instanceof QuotaAdmission.Routing.Charge charge) {
        forwardCommand(charge.first(), now);
        // Only this request's charged create may come back and be applied (RecentRequests.PENDING).
        remember(key, recent.pending(cmd.getRequestId(), nowMicros, cfg.requestIdsPerKey())
            .encode(REQUEST_MEMORY_BYTES_PER_KEY));
        return "quota-charge";
      }
    }
    // Service addresses (after quota admission, whose leaks the quota controller repairs): reserved
    // at the ledger's partition first, the write comes back ALLOCATED.
    boolean allocated = ServiceAllocation.isAllocated(cmd);
    if (Kinds.SERVICE.equals(kind) && outcome instanceof Outcome.Write w
        && (cmd.getOp() == CommandOp.CREATE || cmd.getOp() == CommandOp.UPDATE)) {
      Service after = (Service) w.after();
      if (allocated) {
        if (w.before() == null) {
          meta(after).setUid(cmd.getAllocation().getServiceUid()); // the uid the ledger knows it by
        }
        ServiceAllocation.fill(after, cmd.getAllocation());
      }
      ServiceAllocation.Plan plan;
      try {
        plan = services.plan((Service) w.before(), after, allocated ? cmd.getAllocation() : null);
      } catch (RuntimeException e) {
        log.error("address allocation of {} ({} {}) at {} failed", cmd.getRequestId(), cmd.getOp(), key, where(), e);
        plan = new ServiceAllocation.Plan.Invalid(List.of());
        outcome = new Outcome.Rejected(StatusErrors.internal("address allocation of " + key + ": " + e));
      }
      if (plan instanceof ServiceAllocation.Plan.Invalid invalid && !invalid.errors().isEmpty()) {
        outcome = new Outcome.Rejected(StatusErrors.invalid(kind, cmd.getName(), invalid.errors()));
      } else if (plan instanceof ServiceAllocation.Plan.Allocate allocate) {
        if (allocated) {
          outcome = new Outcome.Rejected(StatusErrors.conflict(StatusErrors.resource(kind), kind, cmd.getName(),
              "the Service changed while its addresses were being allocated; please apply your changes to the"
                  + " latest version and try again"));
        } else if (!cmd.getDryRun()) {
          forwardAllocation(services.allocate(cmd, allocate, meta(after).getUid()), now);
          // Only this request's allocated write may come back and be applied (RecentRequests.PENDING).
          remember(key, recent.pending(cmd.getRequestId(), nowMicros, cfg.requestIdsPerKey())
              .encode(REQUEST_MEMORY_BYTES_PER_KEY));
          return "service-allocation";
        }
        // A dry run reserves nothing: it is answered without the addresses a real write would get.
      }
    }
    if (allocated && !(outcome instanceof Outcome.Write)) {
      forwardAllocation(ServiceAllocation.undo(cmd), now); // refused after all: the addresses go back
      allocated = false;
    }
    if (Kinds.CUSTOM_RESOURCE_DEFINITION.equals(kind) && outcome instanceof Outcome.Write w) {
      // Names checked, the kind's topic made, and only then Established (nothing written if that fails).
      ErrorStatus failed;
      try {
        failed = definitions.establish((CustomResourceDefinition) w.after(), cmd.getDryRun(), now);
      } catch (RuntimeException e) {
        log.error("definition {} ({} {}) at {} could not be established", cmd.getRequestId(), cmd.getOp(), key, where(), e);
        failed = StatusErrors.internal("establishing " + key + ": " + e);
      }
      if (failed != null) {
        outcome = new Outcome.Rejected(failed);
      }
    }
    if (Kinds.RESOURCE_QUOTA.equals(kind) && outcome instanceof Outcome.Write w) {
      // A quota's status is its ledger's: hard from spec.hard, used summed from the charges.
      quotas.refreshStatus(key, (ResourceQuota) w.after());
      if (w.before() != null && ObjectFields.same(w.before(), w.after())) {
        outcome = new Outcome.Unchanged(w.before());
      }
    }
    // Java 17: no pattern switch yet; the sealed Outcome keeps this list complete.
    if (outcome instanceof Outcome.Rejected r) {
      // The stored version goes with the refusal: a writer that lost a race waits to read the winner.
      long storedRv = stored == null ? 0 : parseRv(meta(stored).getResourceVersion());
      return reject(cmd, key, recent, nowMicros, r.status(), storedRv);
    }
    if (outcome instanceof Outcome.Unchanged) {
      long rv = parseRv(meta(stored).getResourceVersion());
      answer(cmd, key, recent, nowMicros, reply(cmd, true, storedBytes, null, rv, false), now, rv);
    } else if (outcome instanceof Outcome.Write w) {
      String result = write(cmd, kind, key, storedBytes, recent, w, now, nowMicros);
      if (!cmd.getDryRun() && ACCEPTED.equals(result) && w.after() instanceof CustomResourceDefinition crd) {
        definitions.written(crd);
      }
      if (!cmd.getDryRun() && ACCEPTED.equals(result) && w.before() != null) {
        followUps(key, () -> quotas.afterWrite(cmd, kind, w.before(), w.after()), now);
      } else if (!ACCEPTED.equals(result) && QuotaAdmission.isChargedCreate(cmd)) {
        quotas.undoCharges(cmd).forEach(f -> forwardCommand(f, now)); // could not be written after all
      }
      if (!ACCEPTED.equals(result) && allocated) {
        forwardAllocation(ServiceAllocation.undo(cmd), now);
      } else if (!cmd.getDryRun() && ACCEPTED.equals(result) && w.before() instanceof Service was) {
        // A type or port change gives back what the Service no longer holds.
        services.releaseDropped(cmd.getNamespace(), cmd.getName(), was, (Service) w.after())
            .forEach(f -> forwardAllocation(f, now));
      }
      return result;
    } else if (outcome instanceof Outcome.Remove r) {
      String result = remove(cmd, kind, key, storedBytes, recent, r.last(), now, nowMicros);
      if (!cmd.getDryRun() && ACCEPTED.equals(result)) {
        if (Kinds.RESOURCE_QUOTA.equals(kind)) {
          quotas.forget(key);
        }
        if (r.last() instanceof Service gone) {
          services.releaseDropped(cmd.getNamespace(), cmd.getName(), gone, null).forEach(f -> forwardAllocation(f, now));
        }
        followUps(key, () -> quotas.afterRemove(cmd, kind, r.last()), now);
      }
      return result;
    } else {
      throw new IllegalStateException("unknown outcome " + outcome);
    }
    return "accepted";
  }

  /** The write with its ownership recorded: an apply's entries, or an update's (422 for malformed ones sent). */
  private static Outcome owned(Command cmd, Kind kind, Outcome.Write w,
      List<io.capstan.logschema.apply.ManagedEntry> appliedManaged, List<io.capstan.api.ManagedFieldsEntry> sent,
      Instant now) {
    if (appliedManaged != null) {
      io.capstan.logschema.apply.ManagedFields.write(meta(w.after()), appliedManaged);
      return w;
    }
    List<io.capstan.logschema.validation.FieldError> errors;
    try {
      errors = FieldOwnership.recordUpdate(kind, cmd, w.before(), w.after(), sent, now);
    } catch (RuntimeException e) {
      // Ownership is bookkeeping: a failure to record it must not refuse the write itself.
      log.error("the field ownership of {} ({} {} {}) could not be recorded; kept as it was", cmd.getRequestId(),
          cmd.getOp(), kind.kind(), cmd.getName(), e);
      meta(w.after()).setManagedFields(w.before() == null ? null : meta(w.before()).getManagedFields());
      return w;
    }
    return errors.isEmpty() ? w : new Outcome.Rejected(StatusErrors.invalid(kind, cmd.getName(), errors));
  }

  private String write(Command cmd, Kind kind, String key, byte[] storedBytes, RecentRequests recent, Outcome.Write w,
      Instant now, long nowMicros) {
    IndexedRecord after = w.after();
    if (cmd.getDryRun()) {
      // What would be stored, but no resourceVersion is spent: the object keeps its stored one.
      meta(after).setResourceVersion(w.before() == null ? null : meta(w.before()).getResourceVersion());
      byte[] preview;
      try {
        preview = codec.encode(after);
      } catch (RuntimeException e) {
        log.error("dry run {} ({} {}) at {} could not be encoded", cmd.getRequestId(), cmd.getOp(), key, where(), e);
        return reject(cmd, null, recent, nowMicros, StatusErrors.internal(cmd.getOp() + " " + key + ": " + e));
      }
      recordSchema(kind, after, preview, now);
      answer(cmd, null, recent, nowMicros, reply(cmd, true, preview, null, 0, false), now, RecentRequests.COMPLETE);
      return "accepted";
    }
    long rv;
    byte[] bytes;
    byte[] event;
    Reply reply;
    try {
      rv = hlc.next(nowMicros);
      meta(after).setResourceVersion(Long.toString(rv));
      bytes = codec.encode(after);
      if (bytes.length > MAX_OBJECT_BYTES) {
        return reject(cmd, key, recent, nowMicros, StatusErrors.tooLarge(kind, cmd.getName(), bytes.length,
            MAX_OBJECT_BYTES));
      }
      ObjectDiff.Diff diff = w.before() == null ? null : diff(w.before(), after, key);
      event = encodeEvent(event(w.op(), cmd, kind, after, rv, nowMicros, bytes, diff), key);
      reply = reply(cmd, true, bytes, null, rv, false);
    } catch (RuntimeException e) {
      // Nothing is written yet: refuse the command rather than stop the partition on it.
      log.error("command {} ({} {}) at {} could not be encoded", cmd.getRequestId(), cmd.getOp(), key, where(), e);
      return reject(cmd, key, recent, nowMicros, StatusErrors.internal(cmd.getOp() + " " + key + ": " + e));
    }
    keepRepliesOf(storedBytes, recent);
    objects.put(key, bytes);
    clockStore.put(CLOCK_KEY, hlc.encode());
    recordSchema(kind, after, bytes, now);
    forward(key, event, CommandTopology.EVENTS_SINK, now, rv);
    forwardState(key, bytes, kind, now, rv);
    forwardPodView(key, w.before(), after, bytes, now, rv);
    written(kind, now);
    answer(cmd, key, recent, nowMicros, reply, now, rv);
    return "accepted";
  }

  /**
   * A ledger step of quota admission at the quota's key: the ledger and the quota's status change
   * together (a STATUS_UPDATED event and state record, no reply: the create's client hears from
   * the create), further steps go out, and a refused charge answers the waiting client with 403.
   * Steps from a component (the quota controller) carry a client id and get the quota as reply.
   */
  private String applyQuotaStep(Command cmd, Kind kind, String key, Instant now, long nowMicros) {
    if (!Kinds.RESOURCE_QUOTA.equals(kind)) {
      skip("misaddressed-quota-step", "a quota step " + cmd.getQuota().getOp() + " addressed to " + key);
      if (!cmd.getClientId().isEmpty()) {
        replyOnly(cmd, StatusErrors.badRequest("quota steps are addressed to a ResourceQuota, not " + key));
      }
      return "BadRequest";
    }
    byte[] storedBytes = objects.get(key);
    QuotaAdmission.StepResult r;
    try {
      ResourceQuota stored = storedBytes == null ? null : codec.decode(storedBytes, ResourceQuota.class);
      r = quotas.step(cmd, key, stored, nowMicros);
    } catch (RuntimeException e) {
      log.error("quota step {} ({} {}) at {} could not be decided", cmd.getRequestId(), cmd.getQuota().getOp(), key,
          where(), e);
      if (!cmd.getClientId().isEmpty()) {
        replyOnly(cmd, StatusErrors.internal("quota step on " + key + ": " + e));
      }
      return "InternalError";
    }
    long rv = 0;
    byte[] afterBytes = storedBytes;
    if (r.after() != null) {
      rv = hlc.next(nowMicros);
      meta(r.after()).setResourceVersion(Long.toString(rv));
      afterBytes = codec.encode(r.after());
      IndexedRecord before = codec.decode(storedBytes);
      byte[] event = encodeEvent(event(EventOp.STATUS_UPDATED, cmd, kind, r.after(), rv, nowMicros, afterBytes,
          diff(before, r.after(), key)), key);
      // Replies remembered for this key lean on the stored object: give them their copy first.
      byte[] remembered = requests.get(key);
      if (remembered != null) {
        RecentRequests recent = RecentRequests.decode(remembered);
        keepRepliesOf(storedBytes, recent);
        remember(key, recent.encode(REQUEST_MEMORY_BYTES_PER_KEY));
      }
      objects.put(key, afterBytes);
      clockStore.put(CLOCK_KEY, hlc.encode());
      forward(key, event, CommandTopology.EVENTS_SINK, now, rv);
      forwardState(key, afterBytes, kind, now, rv);
      forwardPodView(key, before, r.after(), afterBytes, now, rv);
      written(kind, now);
      outputsWaiting();
    }
    r.forwards().forEach(f -> forwardCommand(f, now));
    if (!cmd.getClientId().isEmpty()) {
      if (r.refusal() != null) {
        replyOnly(cmd, r.refusal());
      } else if (cmd.getQuota().getOp() != io.capstan.log.QuotaStepOp.CHARGE) {
        forward(cmd.getClientId(), codec.encode(reply(cmd, true, afterBytes, null,
            rv > 0 ? rv : (storedBytes == null ? 0 : parseRv(meta(codec.decode(storedBytes)).getResourceVersion())),
            false)), CommandTopology.REPLIES_SINK, now, null);
        outputsWaiting();
      }
    }
    return r.result();
  }

  /**
   * The quota steps that follow an applied change. The change stands either way: a step that
   * cannot be computed is logged, and the quota controller's recount repairs the ledger.
   */
  private void followUps(String key, java.util.function.Supplier<List<QuotaAdmission.Forward>> steps, Instant now) {
    List<QuotaAdmission.Forward> out;
    try {
      out = steps.get();
    } catch (RuntimeException e) {
      log.error("quota follow-up of the change of {} at {} failed; the quota controller will recount", key, where(), e);
      return;
    }
    out.forEach(f -> forwardCommand(f, now));
  }

  /**
   * A step of Service address allocation at the ledger's key: the ledger changes (no object,
   * event or state record does), the allocated write goes back to the Service's key, and a refused
   * allocation answers the waiting client.
   */
  private String applyAllocationStep(Command cmd, String key, Instant now) {
    if (!ServiceAllocation.ledgerKey().equals(key)) {
      skip("misaddressed-allocation-step", "an allocation step " + cmd.getAllocation().getOp() + " addressed to " + key);
      return "BadRequest";
    }
    ServiceAllocation.StepResult r;
    try {
      r = services.step(cmd);
    } catch (RuntimeException e) {
      log.error("allocation step {} ({}) at {} could not be decided", cmd.getRequestId(), cmd.getAllocation().getOp(),
          where(), e);
      if (!cmd.getClientId().isEmpty()) {
        replyOnly(cmd, StatusErrors.internal("address allocation for Service " + cmd.getAllocation().getServiceNamespace()
            + "/" + cmd.getAllocation().getServiceName() + ": " + e));
      }
      return "InternalError";
    }
    r.forwards().forEach(f -> forwardAllocation(f, now));
    if (r.refusal() != null && !cmd.getClientId().isEmpty()) {
      replyOnly(cmd, r.refusal());
    }
    outputsWaiting(); // the ledger's store writes ride the next commit
    return r.result();
  }

  private void forwardAllocation(ServiceAllocation.Forward f, Instant now) {
    forward(f.key(), codec.encode(f.command()), CommandTopology.COMMANDS_SINK, now, null);
    outputsWaiting();
  }

  /** Sends a command to another key (its partition's task), in this task's transaction. */
  private void forwardCommand(QuotaAdmission.Forward f, Instant now) {
    forward(f.key(), codec.encode(f.command()), CommandTopology.COMMANDS_SINK, now, null);
    outputsWaiting();
  }

  /** What changed, for the event; an event without it beats no event. */
  private ObjectDiff.Diff diff(IndexedRecord before, IndexedRecord after, String key) {
    try {
      return ObjectDiff.diff(before, after);
    } catch (RuntimeException e) {
      log.warn("no diff for the event of {}: {}", key, e.toString());
      return null;
    }
  }

  private String remove(Command cmd, Kind kind, String key, byte[] storedBytes, RecentRequests recent,
      IndexedRecord last, Instant now, long nowMicros) {
    // The reply carries the object as it was removed, as kube-apiserver answers the write that
    // completes a deletion (a delete, or the update that removes the last finalizer) with it.
    if (cmd.getDryRun()) {
      byte[] preview;
      try {
        preview = codec.encode(last);
      } catch (RuntimeException e) {
        log.error("dry run {} ({} {}) at {} could not be encoded", cmd.getRequestId(), cmd.getOp(), key, where(), e);
        return reject(cmd, null, recent, nowMicros, StatusErrors.internal(cmd.getOp() + " " + key + ": " + e));
      }
      recordSchema(kind, last, preview, now);
      answer(cmd, null, recent, nowMicros, reply(cmd, true, preview, null, 0, true), now, RecentRequests.COMPLETE);
      return "accepted";
    }
    long rv;
    byte[] event;
    byte[] lastBytes;
    Reply reply;
    try {
      rv = hlc.next(nowMicros);
      // The DELETED event carries the last state at the delete's resourceVersion, as a watch does.
      meta(last).setResourceVersion(Long.toString(rv));
      lastBytes = codec.encode(last);
      event = codec.encode(event(EventOp.DELETED, cmd, kind, last, rv, nowMicros, lastBytes, null));
      reply = reply(cmd, true, lastBytes, null, rv, true);
    } catch (RuntimeException e) {
      log.error("command {} ({} {}) at {} could not be encoded", cmd.getRequestId(), cmd.getOp(), key, where(), e);
      return reject(cmd, key, recent, nowMicros, StatusErrors.internal(cmd.getOp() + " " + key + ": " + e));
    }
    keepRepliesOf(storedBytes, recent);
    objects.delete(key);
    clockStore.put(CLOCK_KEY, hlc.encode());
    recordSchema(kind, last, lastBytes, now);
    forward(key, event, CommandTopology.EVENTS_SINK, now, rv);
    forwardState(key, null, kind, now, rv);
    forwardPodView(key, last, null, null, now, rv);
    written(kind, now);
    answer(cmd, key, recent, nowMicros, reply, now, RecentRequests.COMPLETE);
    return "accepted";
  }

  private String reject(Command cmd, String key, RecentRequests recent, long nowMicros, ErrorStatus status) {
    return reject(cmd, key, recent, nowMicros, status, 0);
  }

  private String reject(Command cmd, String key, RecentRequests recent, long nowMicros, ErrorStatus status,
      long storedRv) {
    answer(cmd, key, recent, nowMicros, reply(cmd, false, null, status, storedRv, false), clock.instant(),
        RecentRequests.COMPLETE);
    return status.getReason();
  }

  /**
   * Sends the reply and, unless it is a dry run, remembers it under the request id: without its
   * object when that is the object stored under the key at {@code storedObjectRv}.
   */
  private void answer(Command cmd, String key, RecentRequests recent, long nowMicros, Reply reply, Instant now,
      long storedObjectRv) {
    byte[] bytes = codec.encode(reply);
    if (key != null && !cmd.getDryRun()) {
      byte[] remembered = bytes;
      if (storedObjectRv != RecentRequests.COMPLETE && reply.getObject() != null) {
        reply.setObject(null);
        remembered = codec.encode(reply);
      } else {
        storedObjectRv = RecentRequests.COMPLETE;
      }
      remember(key, recent.remember(cmd.getRequestId(), nowMicros, remembered, storedObjectRv,
          cfg.requestIdsPerKey()).encode(REQUEST_MEMORY_BYTES_PER_KEY));
    }
    forward(cmd.getClientId(), bytes, CommandTopology.REPLIES_SINK, now, null);
    outputsWaiting();
  }

  /** The stored object is about to change: remembered replies that lean on it get their own copy. */
  private void keepRepliesOf(byte[] storedBytes, RecentRequests recent) {
    if (storedBytes != null) {
      recent.materialize(stripped -> withObject(stripped, storedBytes));
    }
  }

  /** The reply a request got the first time, byte for byte. */
  private byte[] originalReply(String key, RecentRequests.Entry e) {
    if (e.storedObjectRv() == RecentRequests.COMPLETE) {
      return e.reply();
    }
    byte[] stored = objects.get(key);
    if (stored == null || parseRv(meta(codec.decode(stored)).getResourceVersion()) != e.storedObjectRv()) {
      // Cannot happen while every change of the object materializes first; answer without the object.
      log.error("reply to {} on {} leans on the object at rv {} which is no longer stored", e.requestId(), key,
          e.storedObjectRv());
      return e.reply();
    }
    return withObject(e.reply(), stored);
  }

  private byte[] withObject(byte[] strippedReply, byte[] object) {
    Reply r = codec.decode(strippedReply, Reply.class);
    r.setObject(ByteBuffer.wrap(object));
    return codec.encode(r);
  }

  /** A reply for a command that names no valid object key: nothing to remember it under. */
  private void replyOnly(Command cmd, ErrorStatus status) {
    answer(cmd, null, null, 0, reply(cmd, false, null, status, 0, false), clock.instant(), RecentRequests.COMPLETE);
  }

  /** Records are built with their constructors: Avro builders resolve every default on each build. */
  private Reply reply(Command cmd, boolean accepted, byte[] object, ErrorStatus status, long rv, boolean deleted) {
    return new Reply(cmd.getRequestId(), cmd.getClientId(), accepted, object == null ? null : ByteBuffer.wrap(object),
        status, rv, partition, deleted);
  }

  /**
   * The encoded event; one too large for a record leaves out its merge patch, then its changed
   * paths (the object is always there, and it fits: see {@link #MAX_OBJECT_BYTES}).
   */
  private byte[] encodeEvent(Event event, String key) {
    byte[] bytes = codec.encode(event);
    if (bytes.length > MAX_EVENT_BYTES && event.getMergePatch() != null) {
      log.info("the event of {} at rv {} leaves out its merge patch: {} bytes with it", key,
          event.getResourceVersion(), bytes.length);
      event.setMergePatch(null);
      bytes = codec.encode(event);
    }
    if (bytes.length > MAX_EVENT_BYTES && !event.getChangedPaths().isEmpty()) {
      event.setChangedPaths(List.of());
      bytes = codec.encode(event);
    }
    return bytes;
  }

  private static Event event(EventOp op, Command cmd, Kind kind, IndexedRecord object, long rv, long nowMicros,
      byte[] objectBytes, ObjectDiff.Diff diff) {
    return new Event(op, kind.kind(), cmd.getNamespace(), cmd.getName(), nullToEmpty(meta(object).getUid()),
        cmd.getActor(), cmd.getRequestId(), nowMicros, rv, ByteBuffer.wrap(objectBytes),
        diff == null ? List.of() : diff.changedPaths(), diff == null ? null : diff.mergePatch());
  }

  /**
   * The record must be keyed by the object key it names and sit on that key's partition: the
   * object's state, events and watermarks all live on that partition number.
   */
  private ErrorStatus checkPlacement(String recordKey, String key) {
    if (!key.equals(recordKey)) {
      return StatusErrors.badRequest("the command record is keyed \"" + recordKey + "\" but names the object \""
          + key + "\": key commands by the object key");
    }
    if (partitions > 0 && ObjectPartitioner.partition(key, partitions) != partition) {
      return StatusErrors.badRequest("the command for \"" + key + "\" arrived on partition " + partition
          + " but the key belongs to partition " + ObjectPartitioner.partition(key, partitions)
          + ": produce commands with the object-key partitioner");
    }
    return null;
  }

  /**
   * The namespace as this task knows it: from its own store when the namespace lives on this
   * partition (exact), else from the global copy of the namespace table, which trails the
   * namespace's own partition by about one commit (a create sent right after its namespace's
   * create was answered can still find the namespace missing there, and should be retried).
   */
  private Optional<Namespace> findNamespace(String name) {
    String nsKey = new ObjectKey(Kinds.NAMESPACE.kind(), "", name).toString();
    boolean local = partitions > 0 && ObjectPartitioner.partition(nsKey, partitions) == partition;
    byte[] bytes = local ? objects.get(nsKey) : namespaces.get(nsKey);
    if (bytes == null) {
      return Optional.empty();
    }
    // Creates come in bursts per namespace: decode each version of a Namespace once.
    CachedNamespace cached = namespaceCache.get(nsKey);
    if (cached == null || !Arrays.equals(cached.bytes(), bytes)) {
      cached = new CachedNamespace(bytes, codec.decode(bytes, Namespace.class));
      if (namespaceCache.size() >= NAMESPACE_CACHE_SIZE) {
        namespaceCache.clear();
      }
      namespaceCache.put(nsKey, cached);
    }
    return Optional.of(cached.namespace());
  }

  /**
   * A ServiceAccount as this task knows it: from its own store when it lives on this partition,
   * else from the global copy of the ServiceAccount table (about one commit behind, as for
   * namespaces).
   */
  private Optional<io.capstan.api.ServiceAccount> findServiceAccount(String namespace, String name) {
    String key = new ObjectKey(Kinds.SERVICE_ACCOUNT.kind(), namespace, name).toString();
    boolean local = partitions > 0 && ObjectPartitioner.partition(key, partitions) == partition;
    byte[] bytes = local ? objects.get(key) : serviceAccounts.get(key);
    return bytes == null ? Optional.empty() : Optional.of(codec.decode(bytes, io.capstan.api.ServiceAccount.class));
  }

  /** A decoded Namespace and the bytes it was decoded from. */
  private record CachedNamespace(byte[] bytes, Namespace namespace) {}

  // ---- punctuation ----

  /** Outputs were forwarded that a commit must make visible: an early commit may be due. */
  private void outputsWaiting() {
    pending++;
    uncommitted++;
    lastOutputMs = clock.millis();
    if (quietCheck == null && cfg.earlyCommitQuietMs() > 0) {
      quietCheck = arm(Duration.ofMillis(cfg.earlyCommitQuietMs()), this::commitIfQuiet);
      pacing.armed();
    }
  }

  private void armWatermarkTick() {
    if (watermarkTick == null) {
      watermarkTick = arm(Duration.ofMillis(cfg.watermarkIntervalMs()), t -> emitWatermarks());
    }
  }

  /** Stores the request ids of a key; the pruning forgets them a retention after their newest. */
  private void remember(String key, byte[] recentRequests) {
    requests.put(key, recentRequests);
    lastRememberedMs = clock.millis();
    // Nothing else was left to prune: these expire a retention from now at the earliest.
    armPrune(Duration.ofMillis(Math.max(PRUNE_INTERVAL.toMillis(), cfg.requestIdRetentionMs())));
  }

  /** Arms the pruning {@code after} from now, unless it is armed already. */
  private void armPrune(Duration after) {
    if (pruneTick == null) {
      pruneTick = arm(after, t -> pruneRequestIds());
    }
  }

  private Cancellable arm(Duration interval, Punctuator p) {
    return context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, p);
  }

  /** Cancels an armed punctuator; returns null for the field that held it. */
  private static Cancellable disarm(Cancellable c) {
    if (c != null) {
      c.cancel();
    }
    return null;
  }

  /**
   * The early-commit check stops. While it runs the stream thread polls every {@code poll.ms} so
   * that it runs on time (see {@link PollPacing}); the other punctuators may run up to
   * {@link PollPacing#IDLE_POLL} late.
   */
  private void disarmQuietCheck() {
    if (quietCheck != null) {
      quietCheck = disarm(quietCheck);
      pacing.disarmed();
    }
  }

  /** A state record of {@code kind} was forwarded: the partition owes its readers a watermark. */
  private void written(Kind kind, Instant now) {
    watermarks.written(kind);
    armWatermarkTick();
    if (!owingWatermark) {
      owingWatermark = true;
      metrics.watermarkOwed(partition, now.toEpochMilli());
    }
  }

  /** The tick: the watermarks {@link WatermarkSchedule} finds due, if any; it stops once nothing is owed. */
  private void emitWatermarks() {
    Instant now = clock.instant();
    emitWatermarks(watermarks.due(now.toEpochMilli()), now);
    if (!watermarks.owing()) {
      watermarkTick = disarm(watermarkTick);
    }
  }

  /**
   * A reader waits for this partition to close at a version (a list after a write on another
   * partition, on a cluster too quiet to send watermarks by itself): promise now, to every kind.
   * The promise is the partition's own clock, whatever version was asked for: every version
   * assigned before the request was sent is below it (versions follow the time they were
   * assigned), and a request for a version from the future must not push this partition's
   * versions ahead of the others' (a later write elsewhere would get a lower version), so its
   * reader keeps waiting and answers "Too large resource version".
   */
  private void answerProgressRequest() {
    Instant now = clock.instant();
    metrics.progressRequested();
    emitWatermarks(watermarks.requested(now.toEpochMilli()), now);
  }

  /** Promises the readers of these kinds' topics that nothing at or below W follows on this partition. */
  private void emitWatermarks(List<Kind> kinds, Instant now) {
    if (kinds.isEmpty()) {
      return; // nothing to say: no record, no transaction
    }
    long nowMicros = micros(now);
    long w = hlc.watermark(nowMicros);
    clockStore.put(CLOCK_KEY, hlc.encode());
    byte[] value = codec.encode(new Watermark(partition, w, nowMicros));
    String key = ObjectPartitioner.watermarkKey(partition);
    for (Kind k : kinds) {
      forwardState(key, value, k, now, w);
    }
    metrics.watermark(partition);
    owingWatermark = false;
    outputsWaiting();
  }

  /**
   * Asks for a commit once the input is drained and traffic is light, so an idle or lightly used
   * cluster answers within milliseconds while a busy one commits at the commit interval and
   * batches. Every commit flushes and writes a marker to every partition it touched; under load,
   * extra commits cost far more throughput than they save latency. So: no command since the last
   * check (quiet), the last command was fresh (caught up, not draining a backlog), few outputs
   * wait, and at most one such commit per task every {@value #EARLY_COMMIT_MIN_GAP_MS} ms.
   */
  private void commitIfQuiet(long nowMs) {
    if (nowMs - windowStartMs >= cfg.commitIntervalMs()) {
      // The commit interval passed: Kafka Streams has committed what was pending then.
      uncommitted = 0;
      windowStartMs = nowMs;
    }
    boolean caughtUp = clock.millis() - lastRecordTimestampMs <= EARLY_COMMIT_MAX_AGE_MS;
    if (!processedSinceQuietCheck && pending > 0 && caughtUp && uncommitted <= EARLY_COMMIT_MAX_PENDING
        && nowMs - lastEarlyCommitMs >= EARLY_COMMIT_MIN_GAP_MS) {
      Instant now = clock.instant();
      List<Kind> closing = watermarks.settled(now.toEpochMilli());
      if (!closing.isEmpty()) { // the watermarks ride this commit: no tick owes them
        emitWatermarks(closing, now);
        watermarkTick = disarm(watermarkTick);
      }
      context.commit();
      pending = 0;
      uncommitted = 0;
      lastEarlyCommitMs = nowMs;
      windowStartMs = nowMs;
    }
    processedSinceQuietCheck = false;
    if (pending == 0 || nowMs - lastOutputMs > cfg.commitIntervalMs()) {
      // Committed early, or Kafka Streams' interval commit has taken it: nothing left to check.
      pending = 0;
      disarmQuietCheck();
    }
  }

  /**
   * Forgets request ids of keys idle longer than the retention, a slice of the store at a time
   * every {@link #PRUNE_INTERVAL}. After a pass it sleeps until the oldest id it kept can expire
   * (an hour after a busy spell, by default), or stops when it kept none (the next write starts
   * it again): on an idle cluster a tick every 10 s cost a transaction each.
   */
  private void pruneRequestIds() {
    long nowMicros = micros(clock.instant());
    long horizon = nowMicros - cfg.requestIdRetentionMs() * 1000;
    List<String> expired = new ArrayList<>();
    String next = null;
    if (pruneCursor == null) { // a new pass
      pruneOldestKeptMicros = Long.MAX_VALUE;
      prunePassStartMs = clock.millis();
    }
    int seen = 0;
    try (KeyValueIterator<String, byte[]> it = pruneCursor == null ? requests.all() : requests.range(pruneCursor, null)) {
      while (it.hasNext()) {
        var kv = it.next();
        if (seen++ == PRUNE_BATCH) {
          next = kv.key;
          break;
        }
        long newest = RecentRequests.newestMicros(kv.value);
        if (newest < horizon) {
          expired.add(kv.key);
        } else {
          pruneOldestKeptMicros = Math.min(pruneOldestKeptMicros, newest);
        }
      }
    }
    expired.forEach(requests::delete);
    pruneCursor = next;
    pruneTick = disarm(pruneTick);
    if (next != null) {
      armPrune(PRUNE_INTERVAL); // the pass goes on
    } else if (pruneOldestKeptMicros != Long.MAX_VALUE) {
      long untilExpiryMs = (pruneOldestKeptMicros - horizon) / 1000 + 1;
      armPrune(Duration.ofMillis(Math.max(PRUNE_INTERVAL.toMillis(), untilExpiryMs)));
    } else if (lastRememberedMs >= prunePassStartMs) {
      // written during the pass, perhaps behind the cursor: those ids expire a retention from now
      armPrune(Duration.ofMillis(Math.max(PRUNE_INTERVAL.toMillis(), cfg.requestIdRetentionMs())));
    }
    if (!expired.isEmpty()) {
      log.debug("partition {}: forgot the request ids of {} idle keys", partition, expired.size());
      outputsWaiting();
    }
  }

  // ---- plumbing ----

  private void forward(String key, byte[] value, String sink, Instant now, Long rv) {
    Headers headers = headers(rv);
    if (authenticator != null && CommandTopology.COMMANDS_SINK.equals(sink)) {
      authenticator.processorHeaders(headers, value); // a component cannot forge the processor's own steps
    }
    context.forward(new Record<>(key, value, now.toEpochMilli(), headers), sink);
  }

  private static Headers headers(Long rv) {
    Headers headers = new RecordHeaders();
    if (rv != null) {
      headers.add(RV_HEADER, Long.toString(rv).getBytes(StandardCharsets.UTF_8));
    }
    return headers;
  }

  /**
   * Records a custom kind's writer schema in the schemas topic, in the transaction of the first
   * record this task writes with it (and again after the task restarts: compaction keeps one), so
   * no record on the log has a writer schema that is not in the schemas topic before or with it.
   * Built-in kinds' schemas ship with the code. A set lookup per write otherwise.
   */
  private void recordSchema(Kind kind, IndexedRecord object, byte[] written, Instant now) {
    if (!kind.custom() || object == null) {
      return;
    }
    long fingerprint = LogCodec.fingerprintOf(written);
    if (recordedSchemas.contains(fingerprint)) {
      return;
    }
    RecordedSchema r = new RecordedSchema(fingerprint, kind.kind(), kind.group(), object.getSchema());
    forward(r.key(), r.value().getBytes(StandardCharsets.UTF_8), CommandTopology.SCHEMAS_SINK, now, null);
    recordedSchemas.add(fingerprint);
  }

  /** A record for a kind's state topic: a custom kind's names its topic for the shared sink. */
  private void forwardState(String key, byte[] value, Kind kind, Instant now, long rv) {
    Headers headers = headers(rv);
    if (kind.custom()) {
      headers.add(CommandTopology.TOPIC_HEADER, cfg.layout().state(kind).getBytes(StandardCharsets.UTF_8));
    }
    context.forward(new Record<>(key, value, now.toEpochMilli(), headers), CommandTopology.stateSink(kind));
  }

  /**
   * The pods-by-node view, in the pod write's own transaction: the pod under its node's key, and
   * a tombstone under the node it had when it leaves it (deleted, or bound elsewhere). Node
   * agents read their node's partition, so they see a pod as soon as a watch of pods does.
   */
  private void forwardPodView(String key, IndexedRecord before, IndexedRecord after, byte[] afterBytes, Instant now,
      long rv) {
    String was = nodeOf(before);
    String node = nodeOf(after);
    if (was != null && !was.equals(node)) {
      forward(PodsByNodeTopic.key(was, key), null, CommandTopology.PODS_BY_NODE_SINK, now, rv);
    }
    if (node != null) {
      forward(PodsByNodeTopic.key(node, key), afterBytes, CommandTopology.PODS_BY_NODE_SINK, now, rv);
    }
  }

  /** The node a pod is bound to, or null (not a pod, or not bound). */
  private static String nodeOf(IndexedRecord object) {
    if (!(object instanceof io.capstan.api.Pod pod) || pod.getSpec() == null) {
      return null;
    }
    String node = pod.getSpec().getNodeName();
    return node == null || node.isEmpty() ? null : node;
  }

  private void skip(String reason, String detail) {
    metrics.skipped(reason);
    log.warn("skipping record at {}: {}", where(), detail);
  }

  private String where() {
    Optional<RecordMetadata> md = context.recordMetadata();
    return md.map(m -> m.topic() + "-" + m.partition() + "@" + m.offset()).orElse("partition " + partition);
  }

  static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
  }

  private static long parseRv(String rv) {
    try {
      return rv == null ? 0 : Long.parseLong(rv);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
