package io.capstan.stateviews.processor.quota;

import io.capstan.api.Pod;
import io.capstan.api.ResourceQuota;
import io.capstan.api.ResourceQuotaStatus;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.ErrorStatus;
import io.capstan.log.QuotaStep;
import io.capstan.log.QuotaStepOp;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.quota.ObjectUsage;
import io.capstan.logschema.quota.QuotaCheck;
import io.capstan.logschema.quota.ResourceLists;
import io.capstan.logschema.resource.Quantity;
import io.capstan.stateviews.processor.rules.ObjectFields;
import io.capstan.stateviews.processor.rules.StatusErrors;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decisions of quota admission, for one stream task (see the package description). The
 * command applier asks, and writes what is decided: at an object's partition, whether a create
 * must first be charged ({@link #route}) and which ledger commands follow a delete, a finished
 * pod or a refused charged create; at a quota's partition, what a ledger step does
 * ({@link #step}) and the status a user-written quota gets ({@link #refreshStatus}).
 */
public final class QuotaAdmission {
  private static final Logger log = LoggerFactory.getLogger(QuotaAdmission.class);
  private static final StringSerializer KEYS = new StringSerializer();
  private static final String QUOTA_KIND = Kinds.RESOURCE_QUOTA.kind();

  private final QuotaLedger ledger;
  private final ReadOnlyKeyValueStore<String, byte[]> localObjects;
  private final ReadOnlyKeyValueStore<String, byte[]> quotaMirror;
  private final Predicate<String> isLocalKey;
  private final QuotaMetrics metrics;
  private final LogCodec codec = LogCodec.get();

  /**
   * @param localObjects the task's object store: exact for quotas on this partition
   * @param quotaMirror  the global copy of the ResourceQuota table, one commit behind the others
   * @param isLocalKey   whether an object key lives on this task's partition
   */
  public QuotaAdmission(QuotaLedger ledger, ReadOnlyKeyValueStore<String, byte[]> localObjects,
      ReadOnlyKeyValueStore<String, byte[]> quotaMirror, Predicate<String> isLocalKey, QuotaMetrics metrics) {
    this.ledger = ledger;
    this.localObjects = localObjects;
    this.quotaMirror = quotaMirror;
    this.isLocalKey = isLocalKey;
    this.metrics = metrics;
  }

  /** A command for another key, to go out on {@code capstan.commands} in this transaction. */
  public record Forward(String key, Command command) {}

  /** What to do with a create the write rules accepted. */
  public sealed interface Routing {
    /** No quota covers it: apply it now. */
    record Apply() implements Routing {}

    /** A quota refuses it outright (a container states no cpu or memory the quota tracks). */
    record Refuse(ErrorStatus status) implements Routing {}

    /** Charge the quotas first: send this step to the first one; the create comes back charged. */
    record Charge(Forward first) implements Routing {}
  }

  /** Whether the command is a ledger step for a quota (everything but CREATE_CHARGED and VERIFY). */
  public static boolean isLedgerStep(Command cmd) {
    return cmd.getQuota() != null && cmd.getQuota().getOp() != QuotaStepOp.CREATE_CHARGED
        && cmd.getQuota().getOp() != QuotaStepOp.VERIFY;
  }

  /** Whether the command is a create whose quotas are charged already. */
  public static boolean isChargedCreate(Command cmd) {
    return cmd.getQuota() != null && cmd.getQuota().getOp() == QuotaStepOp.CREATE_CHARGED;
  }

  // ---- at the object's partition ----

  /**
   * For a create the rules accepted ({@code created} is the object as it would be stored, uid
   * assigned): apply at once, refuse, or charge every covering quota first, in name order.
   */
  public Routing route(Command cmd, Kind kind, IndexedRecord created) {
    if (!kind.namespaced() || cmd.getQuota() != null) {
      return new Routing.Apply();
    }
    List<ResourceQuota> covering = new ArrayList<>();
    for (ResourceQuota q : quotasIn(cmd.getNamespace())) {
      Map<String, String> hard = hard(q);
      if (QuotaCheck.covers(kind, q.getSpec(), created)) {
        String violation = QuotaCheck.constraintViolation(q.getMetadata().getName(), kind, created, hard);
        if (violation != null) {
          metrics.charge("missing_requests");
          metrics.refusal();
          return new Routing.Refuse(StatusErrors.forbidden(kind, cmd.getName(), violation));
        }
        covering.add(q);
      }
    }
    if (covering.isEmpty()) {
      return new Routing.Apply();
    }
    if (cmd.getDryRun()) {
      // A dry run charges nothing; it is checked against the quotas' status as this task sees it.
      SortedMap<String, Quantity> usage = ObjectUsage.of(kind, created);
      for (ResourceQuota q : covering) {
        String exceeded = QuotaCheck.exceeded(q.getMetadata().getName(), ResourceLists.parse(hard(q)),
            ResourceLists.parse(q.getStatus() == null ? null : q.getStatus().getUsed()), usage);
        if (exceeded != null) {
          return new Routing.Refuse(StatusErrors.forbidden(kind, cmd.getName(), exceeded));
        }
      }
      return new Routing.Apply();
    }
    List<String> names = covering.stream().map(q -> q.getMetadata().getName()).toList();
    QuotaStep step = QuotaCommands.step(QuotaStepOp.CHARGE, kind.kind(), cmd.getName(),
        ObjectFields.meta(created).getUid(), ObjectUsage.of(kind, created));
    step.setQuotas(names);
    Command charge = Command.newBuilder(cmd)
        .setOp(CommandOp.UPDATE_STATUS).setKind(QUOTA_KIND).setName(names.get(0)).setQuota(step).build();
    return new Routing.Charge(new Forward(QuotaCommands.quotaKey(cmd.getNamespace(), names.get(0)), charge));
  }

  /** Releases for an object that left the store: every quota of its namespace, by the object's uid. */
  public List<Forward> afterRemove(Command cause, Kind kind, IndexedRecord last) {
    if (!kind.namespaced()) {
      return List.of();
    }
    String ns = cause.getNamespace();
    String uid = ObjectFields.meta(last).getUid();
    List<Forward> out = new ArrayList<>();
    for (ResourceQuota q : quotasIn(ns)) {
      String name = q.getMetadata().getName();
      if (kind.kind().equals(QUOTA_KIND) && name.equals(cause.getName())) {
        continue;
      }
      out.add(new Forward(QuotaCommands.quotaKey(ns, name),
          QuotaCommands.release(ns, name, kind.kind(), cause.getName(), uid, QuotaCommands.PROCESSOR_ACTOR)));
    }
    metrics.ledger("release_sent", out.size());
    return out;
  }

  /**
   * A pod that reached Succeeded or Failed no longer counts for pods, cpu and memory (only for
   * {@code count/pods}, as Kubernetes' PodUsageFunc): its charges shrink to that.
   */
  public List<Forward> afterWrite(Command cause, Kind kind, IndexedRecord before, IndexedRecord after) {
    if (!(before instanceof Pod was) || !(after instanceof Pod now) || ObjectUsage.isTerminal(was)
        || !ObjectUsage.isTerminal(now)) {
      return List.of();
    }
    String ns = cause.getNamespace();
    List<Forward> out = new ArrayList<>();
    for (ResourceQuota q : quotasIn(ns)) {
      String name = q.getMetadata().getName();
      if (!QuotaCheck.covers(kind, q.getSpec(), now)) {
        continue; // never charged there
      }
      out.add(new Forward(QuotaCommands.quotaKey(ns, name), QuotaCommands.record(ns, name, kind.kind(),
          cause.getName(), now.getMetadata().getUid(), ObjectUsage.ofPod(now), QuotaCommands.PROCESSOR_ACTOR)));
    }
    return out;
  }

  /** A charged create was refused after all (AlreadyExists, a terminating namespace, ...): undo its charges. */
  public List<Forward> undoCharges(Command createCharged) {
    QuotaStep s = createCharged.getQuota();
    return releases(createCharged.getNamespace(), s.getCharged(), s);
  }

  // ---- at the quota's partition ----

  /**
   * What a ledger step does to its quota ({@code stored}, null when it is gone).
   *
   * @param after   the quota with its new status, or null when it does not change
   * @param refusal the Status for the waiting client of a refused charge, or null
   * @param result  the metrics result
   */
  public record StepResult(ResourceQuota after, List<Forward> forwards, ErrorStatus refusal, String result) {}

  public StepResult step(Command cmd, String quotaKey, ResourceQuota stored, long nowMicros) {
    QuotaStep s = cmd.getQuota();
    String objectKey = new ObjectKey(s.getObjectKind(), cmd.getNamespace(), s.getObjectName()).toString();
    return switch (s.getOp()) {
      case CHARGE -> charge(cmd, quotaKey, objectKey, stored, nowMicros);
      case RECORD -> record(s, quotaKey, objectKey, stored, nowMicros);
      case RELEASE -> release(s, quotaKey, objectKey, stored);
      case PRUNE -> prune(s, quotaKey, stored, nowMicros);
      case CREATE_CHARGED, VERIFY, UNKNOWN -> new StepResult(null, List.of(), StatusErrors.badRequest(
          "quota step " + s.getOp() + " cannot be addressed to a ResourceQuota"), "BadRequest");
    };
  }

  private StepResult charge(Command cmd, String quotaKey, String objectKey, ResourceQuota stored, long nowMicros) {
    QuotaStep s = cmd.getQuota();
    Kind kind = Kinds.byName(s.getObjectKind()).orElse(null);
    if (kind == null) {
      return new StepResult(null, List.of(), StatusErrors.badRequest("unknown kind \"" + s.getObjectKind()
          + "\" in a quota charge"), "BadRequest");
    }
    String quotaName = cmd.getName();
    if (stored == null) {
      // Deleted since the object's partition looked: nothing to charge here.
      metrics.charge("quota_gone");
      return new StepResult(null, List.of(next(cmd, s.getCharged())), null, "quota_gone");
    }
    LedgerEntry entry = ledger.get(quotaKey, objectKey);
    if (entry != null) {
      if (entry.uid().equals(s.getObjectUid()) || entry.requestId().equals(cmd.getRequestId())) {
        // The same object charged again (a client retry): the first charge stands, under its uid;
        // it is not this attempt's to release.
        metrics.charge("already_charged");
        s.setObjectUid(entry.uid());
        return new StepResult(null, List.of(next(cmd, s.getCharged())), null, "already_charged");
      }
      // Another object of this name holds a charge: a concurrent create that got here first.
      metrics.charge("already_exists");
      return refuse(cmd, StatusErrors.alreadyExists(kind, s.getObjectName(), false), "AlreadyExists");
    }
    SortedMap<String, Quantity> hard;
    SortedMap<String, Quantity> used;
    SortedMap<String, Quantity> usage;
    try {
      hard = ResourceLists.parse(hard(stored));
      used = ResourceLists.parse(stored.getStatus() == null ? null : stored.getStatus().getUsed());
      usage = ResourceLists.parse(s.getUsage());
    } catch (IllegalArgumentException e) {
      return refuse(cmd, StatusErrors.internal("quota " + quotaName + " or the charge against it has a bad quantity: "
          + e.getMessage()), "InternalError");
    }
    String missing = QuotaCheck.constraintViolation(quotaName, kind, decodeObject(cmd), hard(stored));
    if (missing != null) {
      metrics.charge("missing_requests");
      metrics.refusal();
      return refuse(cmd, StatusErrors.forbidden(kind, s.getObjectName(), missing), "Forbidden");
    }
    String exceeded = QuotaCheck.exceeded(quotaName, hard, used, usage);
    if (exceeded != null) {
      metrics.charge("exceeded");
      metrics.refusal();
      return refuse(cmd, StatusErrors.forbidden(kind, s.getObjectName(), exceeded), "Forbidden");
    }
    ledger.put(quotaKey, objectKey, new LedgerEntry(s.getObjectUid(), cmd.getRequestId(), nowMicros, usage));
    ResourceQuota after = withUsed(stored, ResourceLists.add(used, ResourceLists.mask(usage, hard.keySet())));
    List<String> charged = new ArrayList<>(s.getCharged());
    charged.add(quotaName);
    metrics.charge("admitted");
    return new StepResult(after, List.of(next(cmd, charged)), null, "admitted");
  }

  private StepResult record(QuotaStep s, String quotaKey, String objectKey, ResourceQuota stored, long nowMicros) {
    if (stored == null) {
      return new StepResult(null, List.of(), null, "quota_gone");
    }
    SortedMap<String, Quantity> usage = ResourceLists.parse(s.getUsage());
    LedgerEntry entry = ledger.get(quotaKey, objectKey);
    if (entry != null && entry.uid().equals(s.getObjectUid()) && entry.usage().equals(usage)) {
      return new StepResult(null, List.of(), null, "unchanged");
    }
    ledger.put(quotaKey, objectKey, new LedgerEntry(s.getObjectUid(), entry == null ? "" : entry.requestId(),
        entry == null ? nowMicros : entry.chargedAtMicros(), usage));
    SortedMap<String, Quantity> hard = ResourceLists.parse(hard(stored));
    SortedMap<String, Quantity> used = ResourceLists.parse(stored.getStatus() == null ? null : stored.getStatus().getUsed());
    if (entry != null) {
      used = ResourceLists.subtract(used, ResourceLists.mask(entry.usage(), hard.keySet()));
    }
    used = ResourceLists.add(used, ResourceLists.mask(usage, hard.keySet()));
    metrics.ledger("record", 1);
    return new StepResult(withUsed(stored, used), List.of(), null, "recorded");
  }

  private StepResult release(QuotaStep s, String quotaKey, String objectKey, ResourceQuota stored) {
    LedgerEntry entry = ledger.get(quotaKey, objectKey);
    if (entry == null || (!s.getObjectUid().isEmpty() && !s.getObjectUid().equals(entry.uid()))) {
      return new StepResult(null, List.of(), null, "unchanged");
    }
    ledger.remove(quotaKey, objectKey);
    metrics.ledger("release", 1);
    if (stored == null) {
      return new StepResult(null, List.of(), null, "released");
    }
    SortedMap<String, Quantity> hard = ResourceLists.parse(hard(stored));
    SortedMap<String, Quantity> used = ResourceLists.parse(stored.getStatus() == null ? null : stored.getStatus().getUsed());
    used = ResourceLists.subtract(used, ResourceLists.mask(entry.usage(), hard.keySet()));
    return new StepResult(withUsed(stored, used), List.of(), null, "released");
  }

  /**
   * The sender (the quota controller) does not see these objects: ask each one's own single
   * writer whether it exists. Its partition is the only place that knows exactly, and a create
   * this quota charged is ahead of the VERIFY on that partition (both were sent from here, in
   * order), so a create still on its way is never mistaken for a vanished object.
   */
  private StepResult prune(QuotaStep s, String quotaKey, ResourceQuota stored, long nowMicros) {
    Set<String> live = new HashSet<>(s.getLive());
    List<Forward> checks = new ArrayList<>();
    String quotaName = quotaKey.substring(quotaKey.lastIndexOf('/') + 1);
    for (Map.Entry<String, LedgerEntry> e : ledger.entries(quotaKey).entrySet()) {
      if (!live.contains(e.getKey()) && e.getValue().chargedAtMicros() < nowMicros - s.getGraceMicros()) {
        ObjectKey object = ObjectKey.parse(e.getKey());
        QuotaStep verify = QuotaCommands.step(QuotaStepOp.VERIFY, object.kind(), object.name(), e.getValue().uid(),
            Map.of());
        verify.setQuotas(List.of(quotaName));
        Command c = QuotaCommands.toQuota(object.namespace(), quotaName, QuotaCommands.PROCESSOR_ACTOR, verify);
        c.setKind(object.kind());
        c.setName(object.name());
        checks.add(new Forward(e.getKey(), c));
      }
    }
    metrics.ledger("verify_sent", checks.size());
    return new StepResult(null, checks, null, "pruned");
  }

  /** Whether a VERIFY step is addressed to an object (not to a quota). */
  public static boolean isVerify(Command cmd) {
    return cmd.getQuota() != null && cmd.getQuota().getOp() == QuotaStepOp.VERIFY;
  }

  /**
   * At the object's own partition: the ledger entry a quota asks about belongs to an object that
   * is gone (or was replaced under the same name): release it.
   */
  public List<Forward> verify(Command cmd, IndexedRecord stored) {
    QuotaStep s = cmd.getQuota();
    if (stored != null && s.getObjectUid().equals(ObjectFields.meta(stored).getUid())) {
      return List.of();
    }
    return releases(cmd.getNamespace(), s.getQuotas(), s);
  }

  /**
   * The status of a quota as its writer keeps it: {@code hard} from {@code spec.hard}, {@code used}
   * the ledger's sum for each hard resource (zero when nothing is charged), as the quota
   * controller shows it in Kubernetes. Applied to every quota a user writes, so status is never
   * anyone's but the ledger's.
   */
  public void refreshStatus(String quotaKey, ResourceQuota q) {
    SortedMap<String, Quantity> hard;
    try {
      hard = ResourceLists.parse(hard(q));
    } catch (IllegalArgumentException e) {
      return; // validation refuses bad quantities before this
    }
    SortedMap<String, Quantity> used = ResourceLists.mask(ledger.sum(quotaKey), hard.keySet());
    setStatus(q, hard, used);
  }

  /** A deleted quota's charges go with it. */
  public void forget(String quotaKey) {
    ledger.removeAll(quotaKey);
  }

  // ---- helpers ----

  /** The next hop of a charge: the next quota, or the create itself back at the object's key. */
  private Forward next(Command cmd, List<String> charged) {
    QuotaStep s = QuotaStep.newBuilder(cmd.getQuota()).build();
    s.setCharged(new ArrayList<>(charged));
    int nextIndex = s.getIndex() + 1;
    if (nextIndex < s.getQuotas().size()) {
      s.setIndex(nextIndex);
      String q = s.getQuotas().get(nextIndex);
      return new Forward(QuotaCommands.quotaKey(cmd.getNamespace(), q),
          Command.newBuilder(cmd).setName(q).setQuota(s).build());
    }
    s.setOp(QuotaStepOp.CREATE_CHARGED);
    Command create = Command.newBuilder(cmd)
        .setOp(CommandOp.CREATE).setKind(s.getObjectKind()).setName(s.getObjectName()).setQuota(s).build();
    return new Forward(new ObjectKey(s.getObjectKind(), cmd.getNamespace(), s.getObjectName()).toString(), create);
  }

  private StepResult refuse(Command cmd, ErrorStatus status, String result) {
    return new StepResult(null, releases(cmd.getNamespace(), cmd.getQuota().getCharged(), cmd.getQuota()), status,
        result);
  }

  private List<Forward> releases(String ns, List<String> quotas, QuotaStep s) {
    List<Forward> out = new ArrayList<>();
    for (String q : quotas) {
      out.add(new Forward(QuotaCommands.quotaKey(ns, q), QuotaCommands.release(ns, q, s.getObjectKind(),
          s.getObjectName(), s.getObjectUid(), QuotaCommands.PROCESSOR_ACTOR)));
    }
    metrics.ledger("release_sent", out.size());
    return out;
  }

  private IndexedRecord decodeObject(Command cmd) {
    if (cmd.getObject() == null) {
      return null;
    }
    try {
      java.nio.ByteBuffer b = cmd.getObject().duplicate();
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      return codec.decode(bytes);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * The namespace's quotas, sorted by name: those on this partition from the task's own store
   * (exact), the others from the global copy (one commit behind their own partition).
   */
  List<ResourceQuota> quotasIn(String namespace) {
    String prefix = QUOTA_KIND + "/" + namespace + "/";
    Map<String, byte[]> found = new TreeMap<>();
    scan(quotaMirror, prefix, found, key -> !isLocalKey.test(key));
    scan(localObjects, prefix, found, key -> true);
    List<ResourceQuota> out = new ArrayList<>(found.size());
    for (Map.Entry<String, byte[]> e : found.entrySet()) {
      try {
        out.add(codec.decode(e.getValue(), ResourceQuota.class));
      } catch (RuntimeException ex) {
        log.warn("skipping quota {}: its record does not decode: {}", e.getKey(), ex.toString());
      }
    }
    return out;
  }

  private static void scan(ReadOnlyKeyValueStore<String, byte[]> store, String prefix, Map<String, byte[]> into,
      Predicate<String> take) {
    if (store == null) {
      return;
    }
    try (KeyValueIterator<String, byte[]> it = store.prefixScan(prefix, KEYS)) {
      while (it.hasNext()) {
        var kv = it.next();
        if (kv.value != null && take.test(kv.key)) {
          into.put(kv.key, kv.value);
        }
      }
    }
  }

  private static Map<String, String> hard(ResourceQuota q) {
    return q.getSpec() == null || q.getSpec().getHard() == null ? Map.of() : q.getSpec().getHard();
  }

  private static ResourceQuota withUsed(ResourceQuota stored, SortedMap<String, Quantity> used) {
    ResourceQuota after = ObjectFields.copy(stored);
    setStatus(after, ResourceLists.parse(hard(stored)), used);
    return after;
  }

  private static void setStatus(ResourceQuota q, SortedMap<String, Quantity> hard, Map<String, Quantity> used) {
    if (hard.isEmpty()) {
      q.setStatus(ResourceQuotaStatus.newBuilder().setHard(null).setUsed(null).build());
      return;
    }
    q.setStatus(ResourceQuotaStatus.newBuilder()
        .setHard(new HashMap<>(ResourceLists.format(hard)))
        .setUsed(new HashMap<>(ResourceLists.format(ResourceLists.zeroFilled(ResourceLists.mask(used, hard.keySet()),
            hard.keySet()))))
        .build());
  }
}
