package io.capstan.gateway.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.api.ObjectMeta;
import io.capstan.gateway.cache.KindCache;
import io.capstan.gateway.cache.WatchCache;
import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.paging.ContinueToken;
import io.capstan.gateway.threads.ThreadNice;
import io.capstan.log.Command;
import io.capstan.log.CommandPatch;
import io.capstan.log.DeleteOptions;
import io.capstan.log.ErrorStatus;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.client.CommandSendException;
import io.capstan.logschema.client.CommandTimeoutException;
import io.capstan.logschema.client.Commands;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.audit.AuditEntry;
import io.capstan.stateviews.audit.AuditQuery;
import io.capstan.stateviews.audit.AuditTrail;
import io.capstan.stateviews.history.AsOf;
import io.capstan.stateviews.history.EventHistory;
import io.capstan.stateviews.history.HistoricalObjects;
import io.capstan.stateviews.history.ObjectVersion;
import io.capstan.stateviews.history.VersionedObjects;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.codec.MalformedRecordException;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ResourceStore} on Capstan's backbone: writes are Commands sent through the
 * {@link CommandClient} (the request's user as the command's actor, so the event log records who
 * did what) and answered by the command processor's Reply; reads come from the gateway's own
 * {@link WatchCache}, never from Kafka directly.
 *
 * <p>Consistency, as ARCHITECTURE.md's "Consistency model" says:
 * <ul>
 *   <li><b>read your writes</b>: a get waits until the cache has applied, on the key's partition,
 *       the highest version this gateway wrote there; a list or a watch without a
 *       resourceVersion waits until the consistent cut has passed every write of this gateway;
 *   <li><b>lists</b> are served at one resourceVersion exactly (the consistent cut, a requested
 *       version with {@code resourceVersionMatch=Exact}, or a continue token's);
 *       {@code resourceVersion=0} answers from the cache at once; a version the cache has not
 *       reached waits for it, then 504 Timeout; one older than the cache's window is 410 Expired.
 * </ul>
 * Waiting never blocks a thread: futures complete when the cache gets there.
 *
 * <p>Failures: a Rejected reply becomes an {@link ApiException} with the same code, reason and
 * causes; no reply after every attempt ({@link CommandTimeoutException}) is 504 Timeout; Kafka
 * refusing the command ({@link CommandSendException}) is 503 ServiceUnavailable.
 */
public final class KafkaResourceStore implements ResourceStore, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KafkaResourceStore.class);
  private static final String ANONYMOUS = "system:anonymous";

  private final CommandClient client;
  private final WatchCache cache;
  private final boolean owns;
  private final OwnWrites own;
  private final AccessLog access;
  /** Lists filter and copy many objects: off the event loop. */
  private final ExecutorService listers = Executors.newFixedThreadPool(2,
      ThreadNice.normalPriority("capstan-gateway-list"));
  /**
   * How long the history of the event log is kept without a historical read: then its thread ends,
   * and the index goes with it (the next historical read loads its last saved snapshot, when it is
   * saved ({@link #keepHistoryIn}), or reads the log again).
   */
  public static final java.time.Duration HISTORY_KEPT = java.time.Duration.ofMinutes(10);
  private static final java.util.concurrent.ThreadFactory HISTORY_THREADS =
      ThreadNice.normalPriority("capstan-gateway-history");
  /**
   * Historical reads, one at a time: a thread made on the first such read that ends after {@link
   * #HISTORY_KEPT} without one, so an idle gateway has no thread and no memory for them.
   */
  private final java.util.concurrent.ThreadPoolExecutor historians = new java.util.concurrent.ThreadPoolExecutor(
      0, 1, HISTORY_KEPT.toMillis(), TimeUnit.MILLISECONDS, new java.util.concurrent.LinkedBlockingQueue<>(),
      work -> HISTORY_THREADS.newThread(() -> {
        try {
          work.run();
        } finally {
          dropHistory(); // the thread ends: idle for HISTORY_KEPT, or the store closes
        }
      }));
  private final Object historyLock = new Object();
  /** The event log folded into every version of every object; made on the first historical read. */
  private EventHistory history;
  /** Where the history's index is saved between its uses and across restarts; null: in memory only. */
  private volatile java.nio.file.Path historyDir;

  /** A store on a started cache and a client the caller keeps and closes. */
  public KafkaResourceStore(CommandClient client, WatchCache cache) {
    this(client, cache, false);
  }

  private KafkaResourceStore(CommandClient client, WatchCache cache, boolean owns) {
    this.client = client;
    this.cache = cache;
    this.owns = owns;
    this.own = new OwnWrites(client.partitions());
    this.access = AccessLog.kafka(client.config().kafka(), client.config().layout().access(), client.config().clientId(),
        client.registry());
  }

  @Override
  public AccessLog accessLog() {
    return access;
  }

  /**
   * Connects to Kafka: a command client and a watch cache over every kind's state topic, loaded
   * before this returns (blocking). Closing the store closes both.
   *
   * @param component the gateway's name in client ids and metric tags, e.g. {@code gateway}
   */
  public static KafkaResourceStore connect(Map<String, Object> kafka, TopicLayout layout, String component,
      WatchCacheConfig config, MeterRegistry registry) throws InterruptedException {
    return connect(kafka, layout, component, null, config, registry);
  }

  /**
   * As {@link #connect(Map, TopicLayout, String, WatchCacheConfig, MeterRegistry)}, with the watch
   * cache over informers shared with the process's other components.
   *
   * @param shared the process's informers (the cache borrows a handle), or null for informers of its own
   */
  public static KafkaResourceStore connect(Map<String, Object> kafka, TopicLayout layout, String component,
      SharedInformers shared, WatchCacheConfig config, MeterRegistry registry) throws InterruptedException {
    CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, component), registry);
    WatchCache cache = new WatchCache(SharedInformers.borrowOrOwn(shared, InformerConfig.defaults(kafka, layout,
        component), registry), config, registry);
    try {
      cache.start();
    } catch (RuntimeException | InterruptedException e) {
      cache.close();
      client.close();
      throw e;
    }
    log.info("gateway store ready: commands through client {}, reads from the watch cache",
        client.config().clientId());
    return new KafkaResourceStore(client, cache, true);
  }

  public WatchCache cache() {
    return cache;
  }

  @Override
  public CompletionStage<java.util.List<AuditEntry>> audit(AuditQuery query) {
    return audit(query, false);
  }

  @Override
  public CompletionStage<java.util.List<AuditEntry>> audit(AuditQuery query, boolean objects) {
    AuditTrail trail = new AuditTrail(client.config().kafka(), client.config().layout());
    return CompletableFuture.supplyAsync(() -> {
      try {
        return trail.query(query, objects);
      } catch (RuntimeException e) {
        throw new ApiException(ApiStatus.serviceUnavailable("cannot read the event log: " + e.getMessage()));
      }
    }, listers);
  }

  // ---- historical reads ----

  /**
   * From the event log, folded into every version of every object on the first historical read
   * and read on to the log's end at each later one ({@link EventHistory}), so the answer holds
   * every write acknowledged before the request.
   */
  @Override
  public CompletionStage<StoredObject> getAsOf(Kind kind, String namespace, String name, AsOf at) {
    String key = cache.of(kind).key(namespace, name);
    return historical(objects -> objects.at(key, at)
        .map(v -> historicalObject(v))
        .orElseThrow(() -> new ApiException(ApiStatus.notFound(kind.group(), kind.plural(), name))), at);
  }

  /**
   * Paginated as a live list: {@code limit} items a chunk and a continue token naming the last
   * key; the next chunk is read at the same point again (the client repeats {@code asOf}, and the
   * past does not change), from after that key.
   */
  @Override
  public CompletionStage<ListResult> listAsOf(Kind kind, ListOptions o, AsOf at) {
    String prefix = cache.of(kind).keyPrefix(o.namespace());
    String startAfter = o.continueFrom() == null ? null : o.continueFrom().startAfter();
    return historical(objects -> {
      VersionedObjects.Cut cut = objects.at(at, prefix);
      List<StoredObject> items = new ArrayList<>();
      List<String> keys = new ArrayList<>();
      for (ObjectVersion v : cut.objects()) {
        if (startAfter != null && v.key().compareTo(startAfter) <= 0) {
          continue;
        }
        StoredObject s = historicalObject(v);
        if (matches(s.object(), o)) {
          items.add(s);
          keys.add(v.key());
        }
      }
      if (o.limit() > 0 && items.size() > o.limit()) {
        int n = (int) o.limit();
        String token = new ContinueToken(cut.resourceVersion(), keys.get(n - 1)).encode();
        return new ListResult(items.subList(0, n), cut.resourceVersion(), token, (long) (items.size() - n));
      }
      return new ListResult(items, cut.resourceVersion(), null, null);
    }, at);
  }

  @Override
  public CompletionStage<List<HistoricalObjects.HistoryEntry>> history(Kind kind, String namespace, String name) {
    String key = cache.of(kind).key(namespace, name);
    return historical(objects -> {
      List<ObjectVersion> versions = objects.versions(key);
      if (versions.isEmpty()) {
        throw new ApiException(ApiStatus.notFound(kind.group(), kind.plural(), name));
      }
      try {
        return HistoricalObjects.history(versions, LogCodec.get());
      } catch (MalformedRecordException e) {
        throw new ApiException(ApiStatus.internalError("a version of " + key + " in the event log cannot be decoded: "
            + e.getMessage()));
      }
    }, null);
  }

  @Override
  public CompletionStage<WriteTimeline> timeline(java.time.Instant from, java.time.Instant to, int buckets) {
    return historical(objects -> {
      long oldest = objects.oldestMicros();
      long toMicros = to != null ? AsOf.Time.of(to).micros() : AsOf.Time.of(java.time.Instant.now()).micros() + 1;
      long fromMicros = from != null ? AsOf.Time.of(from).micros()
          : oldest > 0 && oldest < toMicros ? oldest : toMicros - 3_600_000_000L;
      VersionedObjects.Timeline t = objects.timeline(fromMicros, toMicros, buckets, WriteTimeline.MAX_MARKERS * 4);
      List<WriteTimeline.Marker> markers = new ArrayList<>();
      for (ObjectVersion v : t.marked()) {
        WriteTimeline.Marker m = marker(v);
        if (m != null) {
          markers.add(m);
        }
      }
      List<WriteTimeline.Marker> kept = markers.size() > WriteTimeline.MAX_MARKERS
          ? markers.subList(markers.size() - WriteTimeline.MAX_MARKERS, markers.size()) : markers;
      return new WriteTimeline(new AsOf.Time(fromMicros).instant(), new AsOf.Time(toMicros).instant(), t.writes(),
          oldest > 0 ? new AsOf.Time(oldest).instant() : null, List.copyOf(kept));
    }, null);
  }

  /** A Deployment's change or a Warning event as a timeline marker; null for other versions of those kinds. */
  private static WriteTimeline.Marker marker(ObjectVersion v) {
    String op = v.op().name();
    if (!op.equals("CREATED") && !op.equals("UPDATED") && !op.equals("DELETED")) {
      return null;
    }
    java.time.Instant time = new AsOf.Time(v.timeMicros()).instant();
    io.capstan.logschema.kinds.ObjectKey key = io.capstan.logschema.kinds.ObjectKey.parse(v.key());
    if (key.kind().equals("Deployment")) {
      return new WriteTimeline.Marker(time, v.resourceVersion(), "Deployment", "Deployment", key.namespace(),
          key.name(), op, v.actor(), null, null);
    }
    if (op.equals("DELETED") || v.object() == null) {
      return null;
    }
    IndexedRecord o;
    try {
      o = HistoricalObjects.object(v, LogCodec.get());
    } catch (MalformedRecordException e) {
      return null; // the history read skips it too
    }
    if (!(o instanceof io.capstan.api.Event event) || !"Warning".equals(event.getType())) {
      return null;
    }
    io.capstan.api.ObjectReference about = event.getInvolvedObject();
    return new WriteTimeline.Marker(time, v.resourceVersion(), "Warning", about == null ? null : about.getKind(),
        about == null ? key.namespace() : about.getNamespace(), about == null ? key.name() : about.getName(), op,
        v.actor(), event.getReason(), event.getMessage());
  }

  private static StoredObject historicalObject(ObjectVersion v) {
    try {
      return new StoredObject(HistoricalObjects.object(v, LogCodec.get()), v.resourceVersion());
    } catch (MalformedRecordException e) {
      throw new ApiException(ApiStatus.internalError("the version " + v.resourceVersion() + " of " + v.key()
          + " in the event log cannot be decoded: " + e.getMessage()));
    }
  }

  /** Runs {@code read} on the historians' thread after reading the log on; 410 when {@code at} is before its retained start. */
  private <T> CompletionStage<T> historical(java.util.function.Function<VersionedObjects, T> read, AsOf at) {
    return CompletableFuture.supplyAsync(() -> {
      synchronized (historyLock) {
        return readHistory(read, at);
      }
    }, historians);
  }

  private <T> T readHistory(java.util.function.Function<VersionedObjects, T> read, AsOf at) {
    VersionedObjects objects;
    try {
      if (history == null) {
        history = new EventHistory(client.config().kafka(), client.config().layout(),
            client.config().clientId() + "-history", historyDir, WriteTimeline.MARKED_KINDS);
      }
      objects = history.catchUp();
    } catch (RuntimeException e) {
      log.warn("historical reads: cannot read the event log: {}", e.toString());
      throw new ApiException(ApiStatus.serviceUnavailable("cannot read the event log: " + e.getMessage()));
    }
    if (at != null) {
      try {
        history.checkRetained(at);
      } catch (EventHistory.Gone e) {
        throw new ApiException(ApiStatus.gone(e.getMessage()));
      }
    }
    return read.apply(objects);
  }

  private void dropHistory() {
    synchronized (historyLock) {
      if (history != null) {
        history.close();
        history = null;
        log.info("historical reads: the history of the event log let go ({} without historical reads, or closing)",
            HISTORY_KEPT);
      }
    }
  }

  /** Whether the history of the event log is held now (read on a historical read, let go when idle). */
  public boolean holdsHistory() {
    synchronized (historyLock) {
      return history != null;
    }
  }

  /**
   * Saves the history's index in {@code dir} (snapshots of it as it grows, see {@link EventHistory}),
   * so letting it go when idle, or a restart, costs loading the last snapshot and reading the log on
   * from it rather than reading the whole log; before the first historical read.
   */
  public void keepHistoryIn(java.nio.file.Path dir) {
    this.historyDir = dir;
  }

  /** Sets how long the history is kept without historical reads (default {@link #HISTORY_KEPT}; tests shorten it). */
  public void keepHistoryFor(java.time.Duration idle) {
    historians.setKeepAliveTime(idle.toMillis(), TimeUnit.MILLISECONDS);
  }

  // ---- reads ----

  /** As "any version" ({@code resourceVersion=0}): this gateway's own writes, without a broker round trip. */
  @Override
  public CompletionStage<StoredObject> get(Kind kind, String namespace, String name) {
    return get(kind, namespace, name, "0");
  }

  /**
   * As kube-apiserver: no {@code resourceVersion} is "most recent" (a quorum read there), served
   * from the cache once it has applied everything its key's partition held when the request came
   * ({@link KindCache#whenCaughtUp}, one broker round trip shared with concurrent reads); "0" is
   * any version (this gateway's own writes included); N is not older than N (the consistent cut
   * at N, else 504 after the read wait).
   */
  @Override
  public CompletionStage<StoredObject> get(Kind kind, String namespace, String name, String resourceVersion) {
    KindCache c = cache.of(kind);
    String key = c.key(namespace, name);
    int partition = c.partitionOf(key);
    long mine = own.on(kind, partition, key);
    CompletableFuture<Void> ready;
    if (resourceVersion == null || resourceVersion.isEmpty()) {
      ready = caughtUp(c, partition).thenCompose(v -> waitFor(c, partition, mine));
    } else if (resourceVersion.equals("0")) {
      ready = waitFor(c, partition, mine);
    } else {
      long n;
      try {
        n = Long.parseLong(resourceVersion);
        if (n < 0) {
          throw new NumberFormatException();
        }
      } catch (NumberFormatException e) {
        return failed(ApiStatus.badRequest("resourceVersion: Invalid value: \"" + resourceVersion
            + "\": must be a non-negative integer"));
      }
      // the cut, not the key's partition: N may come from another partition, and a quiet
      // partition is asked to pass it only by a wait on the cut
      ready = waitFor(c, -1, n).thenCompose(v -> waitFor(c, partition, mine));
    }
    return ready.thenApply(v -> c.get(key)
        .map(o -> c.read(key, o))
        .orElseThrow(() -> new ApiException(ApiStatus.notFound(kind.group(), kind.plural(), name))));
  }

  @Override
  public java.util.Optional<org.apache.avro.generic.IndexedRecord> current(Kind kind, String namespace, String name) {
    KindCache c = cache.of(kind);
    return c.get(c.key(namespace, name));
  }

  @Override
  public CompletionStage<ListResult> list(Kind kind, ListOptions o) {
    KindCache c = cache.of(kind);
    String rv = o.resourceVersion() == null || o.resourceVersion().isEmpty() ? null : o.resourceVersion();
    String match = o.resourceVersionMatch();
    boolean exact = "Exact".equals(match);
    CompletableFuture<Long> at;
    if (o.continueFrom() != null) {
      if (rv != null && !rv.equals("0")) {
        return failed(ApiStatus.badRequest("specifying resource version is not allowed when using continue"));
      }
      long tokenRv = o.continueFrom().resourceVersion();
      at = waitFor(c, -1, tokenRv).thenApply(v -> tokenRv);
    } else if (rv == null) {
      if (match != null) {
        return failed(ApiStatus.badRequest("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden "
            + "unless resourceVersion is provided"));
      }
      // "Most recent" (a quorum read in Kubernetes, served from the cache as kube-apiserver's
      // consistent list from cache): first the cache applies everything the state topic held when
      // the request came (its end offsets, one broker round trip shared with concurrent reads),
      // so every write acknowledged before it, through any gateway, is in; then the cut must
      // reach the newest version applied on any partition, else the list is served at a cut from
      // before it and shows, e.g., an object already deleted. A quiet partition is asked for a
      // watermark (KindCache.whenReached): a round trip to the processor.
      at = caughtUp(c, -1).thenCompose(v -> waitFor(c, -1, Math.max(own.highest(kind), c.newestApplied())))
          .thenApply(v -> c.listResourceVersion());
    } else if (rv.equals("0")) {
      if (exact) {
        return failed(ApiStatus.badRequest("resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is "
            + "forbidden for resourceVersion \"0\""));
      }
      // "Any version" still includes this gateway's own writes: client-go's reflectors list at
      // "0", and kubectl rollout status must not see the Deployment from before its set env.
      at = waitFor(c, -1, own.highest(kind)).thenApply(v -> c.listResourceVersion());
    } else {
      long n;
      try {
        n = Long.parseLong(rv);
        if (n < 0) {
          throw new NumberFormatException();
        }
      } catch (NumberFormatException e) {
        return failed(ApiStatus.badRequest("resourceVersion: Invalid value: \"" + rv
            + "\": must be a non-negative integer"));
      }
      at = waitFor(c, -1, n).thenApply(v -> exact ? n : c.listResourceVersion());
    }
    return at.thenApplyAsync(version -> page(kind, c, o, version), listers);
  }

  private ListResult page(Kind kind, KindCache c, ListOptions o, long version) {
    String startAfter = o.continueFrom() == null ? null : o.continueFrom().startAfter();
    List<IndexedRecord> all;
    try {
      all = c.listAt(version, c.keyPrefix(o.namespace()), startAfter);
    } catch (ApiException e) {
      if (o.continueFrom() != null && e.status().code() == 410) {
        throw new ApiException(ApiStatus.expired("The provided continue parameter is too old to display a consistent"
            + " list result. You can start a new list without the continue parameter. (" + e.status().message() + ")"));
      }
      throw e;
    }
    List<IndexedRecord> matching = new ArrayList<>();
    for (IndexedRecord obj : all) {
      if (matches(obj, o)) {
        matching.add(obj);
      }
    }
    long limit = o.limit();
    if (limit > 0 && matching.size() > limit) {
      List<IndexedRecord> chunk = matching.subList(0, (int) limit);
      ObjectMeta last = meta(chunk.get(chunk.size() - 1));
      String token = new ContinueToken(version, c.key(last.getNamespace(), last.getName())).encode();
      return new ListResult(stored(c, chunk), version, token, (long) (matching.size() - chunk.size()));
    }
    return new ListResult(stored(c, matching), version, null, null);
  }

  private static boolean matches(IndexedRecord obj, ListOptions o) {
    if (o.labels() != null && !o.labels().isEverything()) {
      Map<String, String> labels = meta(obj).getLabels();
      if (!o.labels().matches(labels == null ? Map.of() : labels)) {
        return false;
      }
    }
    return o.fields() == null || o.fields().isEverything() || o.fields().matches(KubeJson.toJson(obj));
  }

  /** Rendered here, on the listers' pool, rather than on the event loop that sends the list. */
  private static List<StoredObject> stored(KindCache c, List<IndexedRecord> objects) {
    List<StoredObject> out = new ArrayList<>(objects.size());
    for (IndexedRecord obj : objects) {
      ObjectMeta m = meta(obj);
      out.add(c.read(c.key(m.getNamespace(), m.getName()), obj));
    }
    return out;
  }

  /**
   * Completes when the cache has applied everything the state topic held on a partition (-1:
   * every partition) when this was called; 504 after the read wait (kube-apiserver falls back to
   * etcd there; this gateway has no other copy to read, and a stale answer is never given), 503
   * when the brokers cannot say their end offsets.
   */
  private CompletableFuture<Void> caughtUp(KindCache c, int partition) {
    long ms = cache.config().readWait().toMillis();
    return c.whenCaughtUp(partition).orTimeout(ms, TimeUnit.MILLISECONDS).exceptionally(e -> {
      Throwable cause = unwrap(e);
      if (cause instanceof TimeoutException) {
        throw new ApiException(ApiStatus.timeout("the watch cache of " + c.kind().plural() + " did not catch up with "
            + "the log within " + ms + " ms; try again"));
      }
      throw new ApiException(ApiStatus.serviceUnavailable("cannot serve a consistent read of " + c.kind().plural()
          + ": " + cause.getMessage()));
    });
  }

  /** Completes when the cache has reached {@code rv} on a partition (-1: the consistent cut); 504 after the read wait. */
  private CompletableFuture<Void> waitFor(KindCache c, int partition, long rv) {
    if (rv <= 0) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> reached = c.whenReached(partition, rv);
    if (reached.isDone()) {
      return reached;
    }
    long ms = cache.config().readWait().toMillis();
    return reached.orTimeout(ms, TimeUnit.MILLISECONDS).exceptionally(e -> {
      if (unwrap(e) instanceof TimeoutException) {
        throw new ApiException(c.tooLarge(rv));
      }
      throw e instanceof CompletionException ce ? ce : new CompletionException(e);
    });
  }

  // ---- writes ----

  @Override
  public CompletionStage<StoredObject> create(Kind kind, IndexedRecord object, WriteOptions options) {
    return write(kind, () -> Commands.create(object), options);
  }

  @Override
  public CompletionStage<StoredObject> update(Kind kind, IndexedRecord object, WriteOptions options) {
    return write(kind, () -> withPatch(Commands.update(object), options), options);
  }

  @Override
  public CompletionStage<StoredObject> updateStatus(Kind kind, IndexedRecord object, WriteOptions options) {
    return write(kind, () -> withPatch(Commands.updateStatus(object), options), options);
  }

  /** The processor takes only the ephemeral containers, and refuses changes to existing ones. */
  @Override
  public CompletionStage<StoredObject> updateEphemeralContainers(IndexedRecord pod, WriteOptions options) {
    return write(Kinds.POD, () -> Commands.updateEphemeralContainers(pod), options);
  }

  /** The processor merges, checks ownership and records it against the stored object (FieldOwnership). */
  @Override
  public CompletionStage<Applied> apply(Kind kind, String namespace, String name, JsonNode config, boolean status,
      boolean force, WriteOptions options) {
    KindCache c = cache.of(kind);
    String ns = kind.namespaced() ? namespace : "";
    String uidBefore = c.get(c.key(ns, name)).map(o -> meta(o).getUid()).orElse(null);
    Command cmd;
    try {
      cmd = Commands.apply(kind, ns, name, status, config.toString(), force);
    } catch (IllegalArgumentException e) {
      return failed(ApiStatus.badRequest(e.getMessage()));
    }
    return write(kind, () -> cmd, options)
        .thenApply(s -> new Applied(s, !status && !meta(s.object()).getUid().equals(uidBefore)));
  }

  /** The processor re-applies the patch if the object moved on meanwhile (see CommandPatch). */
  private static Command withPatch(Command cmd, WriteOptions options) {
    if (options.patch() != null) {
      cmd.setPatch(new CommandPatch(options.patch().type().mediaType(), options.patch().body().toString()));
    }
    return cmd;
  }

  private CompletionStage<StoredObject> write(Kind kind, java.util.function.Supplier<Command> command,
      WriteOptions options) {
    String actor = options.actor();
    boolean dryRun = options.dryRun();
    Command cmd;
    try {
      cmd = command.get();
    } catch (IllegalArgumentException e) {
      return failed(ApiStatus.badRequest(e.getMessage()));
    }
    if (cmd.getFieldManager() == null) {
      cmd.setFieldManager(options.fieldManager());
    }
    return send(kind, cmd, actor, dryRun).thenApply(a -> {
      IndexedRecord stored = a.object();
      if (stored == null) {
        throw new ApiException(ApiStatus.internalError("the reply to " + cmd.getOp() + " " + kind.kind() + " "
            + cmd.getName() + " carries no object"));
      }
      return new StoredObject(stored, a.resourceVersion() > 0 ? a.resourceVersion() : KindCache.rvOf(stored));
    });
  }

  @Override
  public CompletionStage<StoredObject> delete(Kind kind, String namespace, String name, DeleteRequest options) {
    KindCache c = cache.of(kind);
    String key = c.key(namespace, name);
    int partition = c.partitionOf(key);
    IndexedRecord before = c.get(key).orElse(null);
    DeleteOptions opts = new DeleteOptions(options.preconditionUid(), options.preconditionResourceVersion(),
        options.gracePeriodSeconds(), options.propagationPolicy());
    Command cmd;
    try {
      cmd = Commands.delete(kind, kind.namespaced() ? namespace : "", name, opts);
    } catch (IllegalArgumentException e) {
      return failed(ApiStatus.badRequest(e.getMessage()));
    }
    return send(kind, cmd, options.actor(), options.dryRun()).thenCompose(a -> {
      if (a.object() != null) {
        // Marked for deletion (finalizers or a grace period hold it), or removed: the reply
        // carries the object as it was removed, as kube-apiserver answers a delete.
        long rv = a.resourceVersion() > 0 ? a.resourceVersion() : KindCache.rvOf(a.object());
        return CompletableFuture.completedFuture(new StoredObject(a.object(), rv));
      }
      // A reply remembered from before removals carried the object: rebuild it from the cache.
      if (options.dryRun() || a.resourceVersion() <= 0) {
        return CompletableFuture.completedFuture(lastState(kind, namespace, name, before, 0));
      }
      // Gone: answer with the object as the delete removed it, which the cache's window holds
      // once it has applied the delete (as kube-apiserver returns the deleted object).
      return c.whenReached(partition, a.resourceVersion())
          .orTimeout(cache.config().readWait().toMillis(), TimeUnit.MILLISECONDS)
          .handle((v, err) -> c.findChange(partition, key, a.resourceVersion())
              .map(ch -> new StoredObject(copy(ch.object()), a.resourceVersion()))
              .orElseGet(() -> lastState(kind, namespace, name, before, a.resourceVersion())));
    });
  }

  /**
   * Binds an unbound pod to a node (the {@code pods/binding} subresource): the processor's BIND
   * command sets {@code spec.nodeName} and the PodScheduled condition; Conflict when the pod is
   * already bound.
   */
  @Override
  public CompletionStage<StoredObject> bind(String namespace, String podName, String nodeName, WriteOptions options) {
    return write(Kinds.POD, () -> Commands.bind(namespace, podName, nodeName), options);
  }

  private static StoredObject lastState(Kind kind, String namespace, String name, IndexedRecord before, long rv) {
    if (before != null) {
      IndexedRecord o = rv > 0 ? KindCache.withResourceVersion(before, rv) : copy(before);
      return new StoredObject(o, rv > 0 ? rv : KindCache.rvOf(o));
    }
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("apiVersion", kind.apiVersion()).put("kind", kind.kind());
    ObjectNode meta = json.putObject("metadata").put("name", name);
    if (kind.namespaced() && namespace != null) {
      meta.put("namespace", namespace);
    }
    if (rv > 0) {
      meta.put("resourceVersion", Long.toString(rv));
    }
    return new StoredObject(KubeJson.fromJson(kind, json).object(), rv);
  }

  /** Sends a command as {@code actor}; completes with the Accepted reply or fails with the Status. */
  private CompletableFuture<CommandResult.Accepted> send(Kind kind, Command cmd, String actor, boolean dryRun) {
    cmd.setActor(actor == null || actor.isEmpty() ? ANONYMOUS : actor);
    cmd.setDryRun(dryRun);
    CompletableFuture<CommandResult> sent;
    try {
      sent = client.send(cmd);
    } catch (IllegalArgumentException e) {
      return failed(ApiStatus.badRequest(e.getMessage()));
    }
    return sent.handle((result, err) -> {
      if (err != null) {
        throw toApiException(err);
      }
      if (result instanceof CommandResult.Rejected r) {
        // The refusal names the version it was checked against (the write this one lost to, for a
        // Conflict): this gateway's later reads wait for it, so a retry re-reads the winner.
        remember(kind, cmd, r.partition(), r.resourceVersion());
        throw new ApiException(statusOf(r.status()));
      }
      CommandResult.Accepted a = (CommandResult.Accepted) result;
      if (!dryRun) {
        remember(kind, cmd, a.partition(), a.resourceVersion());
      }
      return a;
    });
  }

  /** Reads of the command's object wait until the cache has {@code rv} on {@code partition}. */
  private void remember(Kind kind, Command cmd, int partition, long rv) {
    KindCache c = cache.of(kind);
    String key = c.key(cmd.getNamespace(), cmd.getName());
    if (own.wrote(kind, partition, key, rv)) {
      c.whenReached(partition, rv).thenRun(() -> own.applied(key, rv));
    }
  }

  /** A Rejected reply's Status, unchanged: code, reason, message, details and causes. */
  static ApiStatus statusOf(ErrorStatus s) {
    List<ApiStatus.Cause> causes = s.getCauses().stream()
        .map(c -> new ApiStatus.Cause(emptyToNull(c.getReason()), c.getMessage(), emptyToNull(c.getField())))
        .toList();
    boolean noDetails = s.getName().isEmpty() && s.getKind().isEmpty() && s.getGroup().isEmpty() && causes.isEmpty();
    ApiStatus.Details details = noDetails ? null
        : new ApiStatus.Details(emptyToNull(s.getName()), s.getGroup(), emptyToNull(s.getKind()), causes, null);
    return new ApiStatus(s.getCode(), s.getReason(), s.getMessage(), details);
  }

  static ApiException toApiException(Throwable error) {
    Throwable e = unwrap(error);
    if (e instanceof ApiException api) {
      return api;
    }
    if (e instanceof CommandTimeoutException t) {
      return new ApiException(ApiStatus.timeout(t.getMessage()), t);
    }
    if (e instanceof CommandSendException s && s.getCause() instanceof RecordTooLargeException tooLarge) {
      return new ApiException(new ApiStatus(413, "RequestEntityTooLarge", "the object is too large to store: "
          + tooLarge.getMessage(), null), s);
    }
    if (e instanceof CommandSendException s) {
      return new ApiException(ApiStatus.serviceUnavailable(s.getMessage()), s);
    }
    if (e instanceof TimeoutException t) {
      return new ApiException(ApiStatus.timeout("the request timed out: " + t.getMessage()), t);
    }
    if (e instanceof IllegalArgumentException bad) {
      return new ApiException(ApiStatus.badRequest(bad.getMessage()), bad);
    }
    return new ApiException(ApiStatus.internalError(String.valueOf(e)), e);
  }

  // ---- watch ----

  @Override
  public WatchHandle watch(Kind kind, WatchOptions options, Consumer<WatchEvent> sink) {
    return cache.of(kind).watch(options, own.highest(kind), sink);
  }

  // ---- helpers ----

  private static Throwable unwrap(Throwable e) {
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private static ObjectMeta meta(IndexedRecord o) {
    return (ObjectMeta) o.get(o.getSchema().getField("metadata").pos());
  }

  /** Objects leave the cache as copies: a caller that changes one must not change the cache. */
  private static IndexedRecord copy(IndexedRecord o) {
    return SpecificData.get().deepCopy(o.getSchema(), o);
  }

  private static <T> CompletableFuture<T> failed(ApiStatus status) {
    return CompletableFuture.failedFuture(new ApiException(status));
  }

  @Override
  public void close() {
    listers.shutdown();
    historians.shutdown();
    dropHistory();
    access.close();
    if (owns) {
      cache.close();
      client.close();
    }
  }
}
