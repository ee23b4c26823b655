package io.capstan.stateviews.informer;

import io.capstan.logschema.client.PartitionCount;
import io.capstan.logschema.codec.MalformedRecordException;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A list+watch cache of one kind, fed by its state topic (client-go's SharedIndexInformer). The
 * topic's partitions (all, or a shard's subset) are read from the beginning, committed records
 * only: the compacted topic is the list, what follows is the watch. Each record updates the
 * {@link IndexedStore}, advances its partition's {@link AppliedVersions} and is then told to
 * handlers and listeners, per partition in log order, on the reading thread. The consumer and
 * its thread are a {@link StateFeed}: the informers of one {@link SharedInformers} share one,
 * an informer made alone has its own.
 *
 * <pre>{@code
 * Informer<Pod> pods = new Informer<>(InformerConfig.defaults(kafka, layout, "scheduler"), Kinds.POD, Pod.class, registry);
 * pods.addHandler(new ResourceEventHandler<>() { public void onAdd(Pod p) { queue.add(key(p)); } });
 * pods.start();
 * pods.awaitSynced(Duration.ofMinutes(1));
 * List<Pod> onNode = pods.byIndex(Indexes.NODE_NAME, "node-1");
 * }</pre>
 *
 * <p>Objects handed out are shared with the cache: copy before modifying.
 */
public final class Informer<T extends IndexedRecord> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Informer.class);

  /** How long startup waits for the topic's metadata and end offsets. */
  static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
  private final InformerConfig config;
  private final Kind kind;
  private final String topic;
  private final IndexedStore<T> store = new IndexedStore<>();
  /** Held by the informer thread while it applies and delivers a record, and by registrations. */
  private final ReentrantLock applyLock = new ReentrantLock();
  private final List<ResourceEventHandler<? super T>> handlers = new CopyOnWriteArrayList<>();
  private final List<StateListener<T>> listeners = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> synced = new CompletableFuture<>();
  /** Completes waiters off the reading thread, so their callbacks cannot stall it (the feed's). */
  private final ExecutorService notifier;
  private final InformerMetrics metrics;
  private final StateFeed feed;
  private final boolean ownsFeed;
  private final StateFeed.Reader reader = new FeedReader();

  private volatile AppliedVersions versions;
  private volatile int partitionCount;
  private volatile long consumerLag;
  private volatile boolean started;
  private volatile boolean closed;
  /** The feed's thread only. */
  private Map<TopicPartition, Long> endAtStart;
  /** The consumer's position per partition read, or less: every record below it is applied. */
  private final Map<Integer, Long> positions = new java.util.concurrent.ConcurrentHashMap<>();
  /** Consistent reads waiting for positions to pass end offsets; guarded by itself. */
  private final List<PositionWaiter> positionWaiters = new ArrayList<>();
  private volatile boolean awaitingPositions;

  private record PositionWaiter(Map<Integer, Long> offsets, CompletableFuture<Void> done) {}
  private final ProgressRequests progress;
  private final boolean ownsProgress;

  /**
   * @param type the kind's generated class (or a supertype such as {@code IndexedRecord} for
   *             code that handles every kind alike)
   */
  public Informer(InformerConfig config, Kind kind, Class<T> type, MeterRegistry registry) {
    this(config, kind, type, registry, null, null);
  }

  /**
   * @param progress where to ask for watermarks, shared by a set of informers; null for one of its own
   * @param feed     the consumer that reads for a set of informers; null for one of its own
   */
  Informer(InformerConfig config, Kind kind, Class<T> type, MeterRegistry registry, ProgressRequests progress,
      StateFeed feed) {
    if (config == null || kind == null || type == null || registry == null) {
      throw new IllegalArgumentException("an informer needs a config, a kind, a type and a meter registry");
    }
    Class<?> generated = kind.custom() ? org.apache.avro.generic.GenericData.Record.class
        : SpecificData.get().getClass(kind.schema()); // a custom kind has no class of its own
    if (generated == null || !type.isAssignableFrom(generated)) {
      throw new IllegalArgumentException("an informer of " + kind.kind() + " reads " + kind.schema().getFullName()
          + " records, which are not " + type.getName());
    }
    this.config = config;
    this.kind = kind;
    this.topic = config.layout().state(kind);
    this.ownsProgress = progress == null;
    this.progress = progress == null ? new ProgressRequests(config) : progress;
    store.addIndex(Indexes.NAMESPACE, Indexes.namespace());
    store.addIndex(Indexes.LABEL, Indexes.labels());
    store.addIndex(Indexes.OWNER_UID, Indexes.ownerUids());
    store.addIndex(Indexes.ORPHANS, Indexes.orphans());
    if (hasPath(kind.schema(), Indexes.NODE_NAME)) {
      store.addIndex(Indexes.NODE_NAME, Indexes.nodeName());
    }
    this.ownsFeed = feed == null;
    this.feed = feed != null ? feed : new StateFeed(config, registry, config.component() + "-informer-" + kind.singular(),
        "capstan-informer-" + kind.singular() + "-" + config.component());
    this.notifier = this.feed.notifier();
    this.metrics = new InformerMetrics(registry, kind.kind(), config.component());
  }

  public Kind kind() {
    return kind;
  }

  public String topic() {
    return topic;
  }

  /** Adds a named index; allowed before and after start (what is cached is indexed at once). */
  public Informer<T> addIndex(String name, IndexFunction<? super T> function) {
    store.addIndex(name, function);
    return this;
  }

  /**
   * Adds the partitions to its feed's consumer, from the beginning, notes the end offsets that
   * mark "synced" and starts reading (on the feed's thread).
   *
   * @throws IllegalStateException when the topic does not exist or the informer was started or closed
   * @throws IllegalArgumentException when a configured partition does not exist
   */
  public synchronized Informer<T> start() {
    if (started || closed) {
      throw new IllegalStateException("informer of " + kind.kind() + " was already " + (closed ? "closed" : "started"));
    }
    int n = PartitionCount.of(config.kafka(), topic, STARTUP_TIMEOUT);
    Set<Integer> wanted = new TreeSet<>(config.partitions());
    if (wanted.isEmpty()) {
      for (int p = 0; p < n; p++) {
        wanted.add(p);
      }
    }
    List<TopicPartition> tps = new ArrayList<>();
    for (int p : wanted) {
      if (p >= n) {
        throw new IllegalArgumentException("partition " + p + " of " + topic + " does not exist (it has " + n
            + " partitions)");
      }
      tps.add(new TopicPartition(topic, p));
    }
    // Known before the first record arrives, which may be before join() returns.
    partitionCount = n;
    versions = new AppliedVersions(wanted);
    Map<TopicPartition, Long> ends;
    try {
      ends = feed.join(reader, tps, consumerName(kind), STARTUP_TIMEOUT);
    } catch (InterruptedException e) {
      feed.leave(reader); // the join may have gone through: its records must not reach an informer that did not start
      versions = null;
      Thread.currentThread().interrupt();
      throw new IllegalStateException("informer of " + kind.kind() + " was interrupted while starting", e);
    } catch (RuntimeException e) {
      feed.leave(reader);
      versions = null;
      throw e;
    }
    started = true;
    metrics.registerGauges(store::size, this::watermarkLagSeconds, () -> consumerLag);
    log.info("informer of {} reading {} partitions {} of {} (end offsets at start {})", kind.kind(), topic,
        versions.partitions(), n(), ends.values());
    return this;
  }

  public boolean isStarted() {
    return started;
  }

  private int n() {
    return partitionCount;
  }

  // ---- reading the cache ----

  /** The object of a key ({@code Kind/namespace/name}). */
  public Optional<T> get(String key) {
    return store.get(key);
  }

  /** The object of a name in a namespace (namespace "" for cluster-scoped kinds). */
  public Optional<T> get(String namespace, String name) {
    return store.get(kind.kind() + "/" + (namespace == null ? "" : namespace) + "/" + name);
  }

  /** Every cached object, ordered by key. */
  public List<T> list() {
    return store.list();
  }

  /** The cached objects of one namespace, ordered by key. */
  public List<T> list(String namespace) {
    return store.byIndex(Indexes.NAMESPACE, namespace == null ? "" : namespace);
  }

  /** The cached objects with {@code value} in a named index; see {@link Indexes}. */
  public List<T> byIndex(String indexName, String value) {
    return store.byIndex(indexName, value);
  }

  public List<String> keys() {
    return store.keys();
  }

  /** The store itself, for code that works on stores (listers, tests). */
  public IndexedStore<T> store() {
    return store;
  }

  // ---- progress ----

  /** Whether the cache has caught up with the end offsets seen at start: the initial list is complete. */
  public boolean hasSynced() {
    return synced.isDone() && !synced.isCompletedExceptionally();
  }

  /** Waits for {@link #hasSynced()}; false on timeout or if the informer stopped. */
  public boolean awaitSynced(Duration timeout) throws InterruptedException {
    try {
      synced.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException | ExecutionException e) {
      return false;
    }
  }

  /** Completes when synced (on the informer's notifier thread). */
  public CompletableFuture<Void> whenSynced() {
    return synced.thenApplyAsync(v -> v, notifier);
  }

  /** The partition numbers this informer reads. */
  public Set<Integer> partitions() {
    return Set.copyOf(requireStarted().partitions());
  }

  /** The partition count of the topic (all object-keyed topics share it). */
  public int partitionCount() {
    requireStarted();
    return partitionCount;
  }

  /** The partition an object key lives on. */
  public int partitionOf(String key) {
    requireStarted();
    return ObjectPartitioner.partition(key, partitionCount);
  }

  /** The rv of the last record applied on a partition (0 before any). */
  public long appliedResourceVersion(int partition) {
    return requireStarted().appliedRv(partition);
  }

  /** The last watermark applied on a partition (0 before any). */
  public long appliedWatermark(int partition) {
    return requireStarted().watermark(partition);
  }

  /** Every record of the partition with an rv up to this is applied: max(applied rv, watermark). */
  public long closedResourceVersion(int partition) {
    return requireStarted().closed(partition);
  }

  /**
   * The consistent cut: the minimum over the partitions read of their closed rv. A list served
   * at this rv contains every change with rv &lt;= it (see ARCHITECTURE.md, "Consistent reads").
   * 0 before start or while a partition has neither a record nor a watermark.
   */
  public long listResourceVersion() {
    AppliedVersions v = versions;
    return v == null ? 0 : v.listResourceVersion();
  }

  /**
   * Whether the consistent cut has reached {@code resourceVersion}. When it has not, asks the
   * partitions behind for a watermark: a quiet partition sends none by itself, so a caller that
   * looks again later (a controller's requeue) finds the cut moved on.
   */
  public boolean listReached(long resourceVersion) {
    AppliedVersions v = versions;
    if (v == null) {
      return false;
    }
    if (v.listResourceVersion() >= resourceVersion) {
      return true;
    }
    requestProgress(resourceVersion);
    return false;
  }

  /**
   * Asks every partition read whose closed version is below {@code resourceVersion} for a
   * watermark at or above it (coalesced: asking again for the same version is cheap). For a
   * waiter on the consistent cut: a partition nobody writes would otherwise never pass it.
   */
  public void requestProgress(long resourceVersion) {
    AppliedVersions v = versions;
    if (v == null || closed) {
      return;
    }
    for (int p : v.partitions()) {
      if (v.closed(p) < resourceVersion) {
        progress.request(p, resourceVersion);
      }
    }
  }

  /** As {@link #requestProgress(long)} for one partition read (nothing when it is closed there already). */
  public void requestProgress(int partition, long resourceVersion) {
    AppliedVersions v = versions;
    if (v == null || closed || !v.reads(partition) || v.closed(partition) >= resourceVersion) {
      return;
    }
    progress.request(partition, resourceVersion);
  }

  /**
   * Read-your-writes: waits until a partition has applied {@code resourceVersion} (a write's
   * reply gives both). False on timeout.
   *
   * @throws IllegalArgumentException when this informer does not read that partition
   */
  public boolean awaitApplied(int partition, long resourceVersion, Duration timeout) throws InterruptedException {
    CompletableFuture<Void> f = whenApplied(partition, resourceVersion);
    try {
      f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      f.cancel(false);
      return false;
    } catch (ExecutionException e) {
      return false;
    }
  }

  /**
   * Completes when a partition has applied {@code resourceVersion}, off the informer's thread;
   * for non-blocking callers (an event loop). Cancel it, or let {@code orTimeout} fail it, to stop waiting.
   */
  public CompletableFuture<Void> whenApplied(int partition, long resourceVersion) {
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("informer of " + kind.kind() + " is closed"));
    }
    return requireStarted().whenClosed(partition, resourceVersion, notifier);
  }

  /**
   * A consistent read (kube-apiserver's consistent list from cache): completes, off the informer's
   * thread, once every record that was in {@code partitions} of the topic when this was called is
   * applied (and told to handlers and listeners). The end offsets are read from the brokers, in
   * one round trip shared with the other waiters of this informer's feed (see {@link LogEnds});
   * then the informer's consumer must reach them. Fails when the offsets cannot be read; never
   * times out by itself (use {@code orTimeout}).
   *
   * @param partitions partitions this informer reads; empty for all of them
   * @throws IllegalArgumentException when it does not read one of them
   */
  public CompletableFuture<Void> whenCaughtUp(java.util.Collection<Integer> partitions) {
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("informer of " + kind.kind() + " is closed"));
    }
    AppliedVersions v = requireStarted();
    java.util.Collection<Integer> wanted = partitions.isEmpty() ? v.partitions() : partitions;
    List<TopicPartition> tps = new ArrayList<>(wanted.size());
    for (int p : wanted) {
      if (!v.reads(p)) {
        throw new IllegalArgumentException("partition " + p + " of " + topic + " is not read here (reading "
            + v.partitions() + ")");
      }
      tps.add(new TopicPartition(topic, p));
    }
    // continued on the notifier: the lookup's thread goes on to the next lookup
    return feed.logEnds().of(tps).thenComposeAsync(ends -> {
      Map<Integer, Long> offsets = new HashMap<>();
      ends.forEach((tp, end) -> offsets.put(tp.partition(), end));
      return whenConsumed(offsets);
    }, notifier);
  }

  /** A consistent read waits at most this long for the consumer (callers usually give up sooner). */
  static final Duration MAX_CAUGHT_UP_WAIT = Duration.ofMinutes(1);

  /** Completes (on the notifier) once the consumer's position on each partition is at its offset or beyond. */
  private CompletableFuture<Void> whenConsumed(Map<Integer, Long> offsets) {
    if (consumedUpTo(offsets)) {
      return CompletableFuture.completedFuture(null);
    }
    PositionWaiter w = new PositionWaiter(offsets, new CompletableFuture<>());
    w.done().orTimeout(MAX_CAUGHT_UP_WAIT.toMillis(), TimeUnit.MILLISECONDS); // forgotten then, see below
    boolean first;
    synchronized (positionWaiters) {
      first = positionWaiters.isEmpty();
      positionWaiters.add(w);
      awaitingPositions = true;
    }
    w.done().whenComplete((x, err) -> {
      if (err != null) {
        synchronized (positionWaiters) {
          positionWaiters.remove(w);
          awaitingPositions = !positionWaiters.isEmpty();
        }
      }
    });
    // The positions may have passed since they were noted: the feed polls again at once (while
    // waiters are there it polls briefly anyway).
    if (first) {
      feed.wakeForPositions();
    }
    return w.done();
  }

  private boolean consumedUpTo(Map<Integer, Long> offsets) {
    for (Map.Entry<Integer, Long> e : offsets.entrySet()) {
      Long at = positions.get(e.getKey());
      if (at == null || at < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /**
   * On the feed's thread, after a poll: while reads wait, takes the consumer's positions (past
   * transaction markers and aborted records too) and completes the waiters they satisfy. Without
   * waiters only applied records move the positions noted (a lower bound: never too high).
   */
  private void updatePositions(Consumer<byte[], byte[]> consumer) {
    if (!awaitingPositions) {
      return;
    }
    for (TopicPartition tp : endAtStart.keySet()) {
      positions.put(tp.partition(), consumer.position(tp));
    }
    List<PositionWaiter> done = new ArrayList<>();
    synchronized (positionWaiters) {
      positionWaiters.removeIf(w -> {
        if (consumedUpTo(w.offsets())) {
          done.add(w);
          return true;
        }
        return false;
      });
      awaitingPositions = !positionWaiters.isEmpty();
    }
    for (PositionWaiter w : done) {
      try {
        notifier.execute(() -> w.done().complete(null));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        w.done().complete(null);
      }
    }
  }

  private void failPositionWaiters(RuntimeException why) {
    List<PositionWaiter> failed;
    synchronized (positionWaiters) {
      failed = List.copyOf(positionWaiters);
      positionWaiters.clear();
      awaitingPositions = false;
    }
    failed.forEach(w -> w.done().completeExceptionally(why));
  }

  /** The objects and the versions they reflect, taken atomically. */
  public Snapshot<T> snapshot() {
    applyLock.lock();
    try {
      return snapshotLocked();
    } finally {
      applyLock.unlock();
    }
  }

  private Snapshot<T> snapshotLocked() {
    AppliedVersions v = versions;
    if (v == null) {
      return new Snapshot<>(store.list(), 0, Map.of());
    }
    return new Snapshot<>(store.list(), v.listResourceVersion(), v.closedByPartition());
  }

  // ---- handlers and listeners ----

  /**
   * Registers a handler. If objects are already cached they are delivered first as {@code onAdd},
   * on the calling thread and before any later change, as client-go does for late handlers.
   */
  public Registration addHandler(ResourceEventHandler<? super T> handler) {
    if (handler == null) {
      throw new IllegalArgumentException("handler must not be null");
    }
    applyLock.lock();
    try {
      for (T o : store.list()) {
        try {
          handler.onAdd(o);
        } catch (RuntimeException e) {
          handlerFailed(handler, "ADDED (replay)", "", e);
        }
      }
      handlers.add(handler);
    } finally {
      applyLock.unlock();
    }
    return () -> handlers.remove(handler);
  }

  /**
   * Registers a listener together with a snapshot, atomically: the listener gets exactly the
   * changes applied after the snapshot. What a watch cache starts from.
   */
  public Subscription<T> subscribe(StateListener<T> listener) {
    if (listener == null) {
      throw new IllegalArgumentException("listener must not be null");
    }
    applyLock.lock();
    try {
      Snapshot<T> s = snapshotLocked();
      listeners.add(listener);
      return new Subscription<>() {
        @Override
        public Snapshot<T> snapshot() {
          return s;
        }

        @Override
        public void close() {
          listeners.remove(listener);
        }
      };
    } finally {
      applyLock.unlock();
    }
  }

  // ---- on the feed's thread ----

  /** What this informer is to its feed. */
  private final class FeedReader implements StateFeed.Reader {
    @Override
    public String topic() {
      return topic;
    }

    @Override
    public void joined(Map<TopicPartition, Long> endOffsets) {
      endAtStart = new HashMap<>(endOffsets);
    }

    @Override
    public void apply(TopicPartition partition, List<ConsumerRecord<byte[], byte[]>> records) {
      if (versions == null) {
        return; // its start failed (or was interrupted at shutdown) after the join: it is leaving the feed
      }
      for (ConsumerRecord<byte[], byte[]> r : records) {
        Informer.this.apply(r);
      }
      if (!records.isEmpty()) {
        positions.merge(partition.partition(), records.get(records.size() - 1).offset() + 1, Math::max);
      }
      versions.release(partition.partition(), notifier);
    }

    @Override
    public void polled(Consumer<byte[], byte[]> consumer) {
      if (!synced.isDone()) {
        checkSynced(consumer);
      }
      updatePositions(consumer);
      updateLag(consumer);
    }

    @Override
    public boolean awaitsPositions() {
      return awaitingPositions;
    }

    @Override
    public void stopped(Throwable why) {
      log.error("informer of {} stopped reading {}", kind.kind(), topic, why);
      synced.completeExceptionally(why);
      AppliedVersions v = versions;
      IllegalStateException stop = new IllegalStateException("informer of " + kind.kind() + " stopped: " + why, why);
      if (v != null) {
        v.failWaiters(stop);
      }
      failPositionWaiters(stop);
    }
  }

  private void checkSynced(Consumer<byte[], byte[]> consumer) {
    for (Map.Entry<TopicPartition, Long> e : endAtStart.entrySet()) {
      // position() moves past transaction markers and compacted gaps, so it reaches the end offset
      if (consumer.position(e.getKey()) < e.getValue()) {
        return;
      }
    }
    log.info("informer of {} synced: {} objects, list resourceVersion {}", kind.kind(), store.size(),
        listResourceVersion());
    synced.complete(null);
  }

  private void apply(ConsumerRecord<byte[], byte[]> r) {
    StateRecord record;
    try {
      record = StateRecord.decode(kind, r);
    } catch (MalformedRecordException e) {
      metrics.skipped();
      log.warn("skipping malformed record on {} partition {} offset {}: {}", r.topic(), r.partition(), r.offset(),
          e.getMessage());
      return;
    }
    metrics.applied();
    applyLock.lock();
    try {
      if (record instanceof StateRecord.ObjectStored s) {
        @SuppressWarnings("unchecked") // the constructor checked that the kind's class is a T
        T object = (T) s.object();
        T previous = store.put(s.key(), object);
        versions.recordApplied(r.partition(), s.resourceVersion());
        deliver(new Change<>(previous == null ? ChangeType.ADDED : ChangeType.MODIFIED, s.key(), object, previous,
            s.resourceVersion(), r.partition()));
      } else if (record instanceof StateRecord.ObjectRemoved d) {
        T previous = store.remove(d.key());
        versions.recordApplied(r.partition(), d.resourceVersion());
        if (previous != null) { // a tombstone of a key never seen (compacted history) changes nothing
          deliver(new Change<>(ChangeType.DELETED, d.key(), previous, previous, d.resourceVersion(), r.partition()));
        }
      } else if (record instanceof StateRecord.WatermarkReached w) {
        if (versions.watermarkApplied(w.partition(), w.resourceVersion(), w.timeMicros())) {
          long closedRv = versions.closed(w.partition());
          for (StateListener<T> l : listeners) {
            try {
              l.onProgress(w.partition(), closedRv);
            } catch (RuntimeException e) {
              handlerFailed(l, "progress", "partition " + w.partition(), e);
            }
          }
        }
      }
    } finally {
      applyLock.unlock();
    }
  }

  private void deliver(Change<T> c) {
    for (ResourceEventHandler<? super T> h : handlers) {
      try {
        switch (c.type()) {
          case ADDED -> h.onAdd(c.object());
          case MODIFIED -> h.onUpdate(c.previous(), c.object());
          case DELETED -> h.onDelete(c.object());
          default -> throw new IllegalStateException("unknown change type " + c.type());
        }
      } catch (RuntimeException e) {
        handlerFailed(h, c.type().name(), c.key(), e);
      }
    }
    for (StateListener<T> l : listeners) {
      try {
        l.onChange(c);
      } catch (RuntimeException e) {
        handlerFailed(l, c.type().name(), c.key(), e);
      }
    }
  }

  private void handlerFailed(Object who, String what, String key, RuntimeException e) {
    metrics.handlerFailed();
    log.warn("informer of {}: {} failed on {} {}", kind.kind(), who, what, key, e);
  }

  private void updateLag(Consumer<byte[], byte[]> consumer) {
    long lag = 0;
    for (TopicPartition tp : endAtStart.keySet()) {
      lag += consumer.currentLag(tp).orElse(0);
    }
    consumerLag = lag;
  }

  private double watermarkLagSeconds() {
    long rv = listResourceVersion();
    if (rv == 0) {
      return Double.NaN;
    }
    // resourceVersions are hybrid-logical-clock values in microseconds since the epoch
    long nowMicros = System.currentTimeMillis() * 1000;
    return Math.max(0, nowMicros - rv) / 1e6;
  }

  private AppliedVersions requireStarted() {
    AppliedVersions v = versions;
    if (v == null) {
      throw new IllegalStateException("informer of " + kind.kind() + " is not started");
    }
    return v;
  }

  /** This informer's consumer in {@code capstan_kafka_consumer_lag}, e.g. {@code informer-pod}. */
  public static String consumerName(Kind kind) {
    return "informer-" + kind.singular();
  }

  /** The settings of the consumer this informer reads through (its feed's, shared with the others of a {@link SharedInformers}). */
  Map<String, Object> consumerConfig() {
    return feed.consumerConfig();
  }

  /** Stops reading; pending waiters fail, the cache stays readable. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    feed.leave(reader);
    if (ownsFeed) {
      feed.close();
    }
    IllegalStateException why = new IllegalStateException("informer of " + kind.kind() + " closed");
    synced.completeExceptionally(why);
    if (versions != null) {
      versions.failWaiters(why);
    }
    failPositionWaiters(why);
    metrics.close();
    if (ownsProgress) {
      progress.close();
    }
  }

  /** Whether a dotted path exists in a schema (through nullable unions), e.g. spec.nodeName of Pod. */
  static boolean hasPath(Schema schema, String dotted) {
    Schema cur = schema;
    for (String step : dotted.split("\\.")) {
      if (cur.getType() == Schema.Type.UNION) {
        cur = cur.getTypes().stream().filter(s -> s.getType() == Schema.Type.RECORD).findFirst().orElse(null);
      }
      if (cur == null || cur.getType() != Schema.Type.RECORD || cur.getField(step) == null) {
        return false;
      }
      cur = cur.getField(step).schema();
    }
    return true;
  }
}
