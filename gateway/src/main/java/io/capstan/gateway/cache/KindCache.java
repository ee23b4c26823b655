package io.capstan.gateway.cache;

import io.capstan.api.ObjectMeta;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.selection.FieldSelector;
import io.capstan.gateway.selection.LabelSelector;
import io.capstan.gateway.store.StoredObject;
import io.capstan.gateway.store.WatchEvent;
import io.capstan.gateway.store.WatchSink;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.stateviews.informer.Change;
import io.capstan.stateviews.informer.ChangeType;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.Snapshot;
import io.capstan.stateviews.informer.StateListener;
import io.capstan.stateviews.informer.Subscription;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.generic.IndexedRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watch cache of one kind: the current objects by key, the version each partition is closed
 * at, a {@link ChangeWindow} of recent changes, the open watches and the reads waiting for a
 * version. Fed by the kind's informer through a {@link Subscription} (every change after the
 * snapshot it starts from, on the informer's thread); read from any thread.
 *
 * <p>Lists are served at one resourceVersion exactly: the current objects with the changes after
 * that version undone from the window (ARCHITECTURE.md, "Consistent reads"). Watches get changes
 * in resourceVersion order across partitions: a change is sent once the consistent cut has passed
 * it (every partition is closed at its version), merged with the other partitions' changes the
 * cut passed at the same time; a watch from a version replays the window's changes after it up
 * to the cut, then goes on live. So a watch resumed from any version it was sent gets exactly the
 * changes after it.
 */
public final class KindCache implements StateListener<IndexedRecord>, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KindCache.class);

  private final Kind kind;
  private final Informer<IndexedRecord> informer;
  /** The newest change watches with bookmarks saw, and whether quiet partitions will be asked to pass it. */
  private final AtomicLong bookmarkProgressRv = new AtomicLong();
  private final AtomicBoolean bookmarkProgressAsked = new AtomicBoolean();
  private final WatchCacheConfig config;
  private final Executor completions;
  private final Executor dispatcher;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final NavigableMap<String, IndexedRecord> objects = new TreeMap<>();
  private final List<CacheWatcher> watchers = new CopyOnWriteArrayList<>();
  private final CacheMetrics metrics;
  private final DispatchBudget dispatchBudget = new DispatchBudget();
  private final RenderedObjects.OfKind rendered;
  private volatile AtomicLongArray closed;
  private volatile ChangeWindow window;
  private long seq;
  /**
   * Watches have been sent every change up to this version, and none after it (under the write
   * lock): the consistent cut when the last change or watermark was applied. Changes above it
   * wait in the window until every partition is closed at their version, so that watches see
   * one order across partitions, the resourceVersion order.
   */
  private long delivered;
  /** The newest change applied but not yet sent to watches (written under the write lock). */
  private volatile long undeliveredNewest;
  /** When each partition's closed version last rose (System.nanoTime). */
  private volatile AtomicLongArray advancedNanos;
  /** Per partition, the version it was last asked to pass for delivery, and when; guarded by {@link #deliveryAsks}. */
  private long[] deliveryAskedRv;
  private long[] deliveryAskedNanos;
  private boolean deliveryRecheck;
  private long lastDeliveryAskNanos;
  private final Object deliveryAsks = new Object();
  /** A partition whose version rose this recently is busy: it closes past a waiting change by itself. */
  private static final long BUSY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  /**
   * At most one round of requests per this (the processor's watermark interval): each answer is a
   * watermark on every state topic of that partition, one transaction with a marker on each.
   */
  private static final long MIN_ASK_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  private Subscription<IndexedRecord> subscription;
  private long startedAtRv;

  /** Reads waiting for a version: per partition, and (index {@code partitions}) for the consistent cut. */
  private PriorityQueue<Waiter>[] waiters;
  private final Object waitLock = new Object();

  private record Waiter(long rv, CompletableFuture<Void> future) implements Comparable<Waiter> {
    @Override
    public int compareTo(Waiter o) {
      return Long.compare(rv, o.rv);
    }
  }

  KindCache(Kind kind, Informer<IndexedRecord> informer, WatchCacheConfig config, Executor completions,
      Executor dispatcher, RenderedObjects renderings, MeterRegistry registry) {
    this.kind = kind;
    this.rendered = renderings.new OfKind(key -> get(key).orElse(null));
    this.informer = informer;
    this.config = config;
    this.completions = completions;
    this.dispatcher = dispatcher;
    this.metrics = new CacheMetrics(registry, kind.kind(), watchers::size, this::lagSeconds,
        () -> {
          ChangeWindow w = window;
          return w == null ? 0 : w.size();
        });
  }

  /** Takes the informer's snapshot (the informer has synced) and starts following it. */
  @SuppressWarnings("unchecked")
  void start() {
    lock.writeLock().lock();
    try {
      Subscription<IndexedRecord> s = informer.subscribe(this);
      Snapshot<IndexedRecord> snap = s.snapshot();
      int n = informer.partitionCount();
      long[] floors = new long[n];
      closed = new AtomicLongArray(n);
      for (Map.Entry<Integer, Long> e : snap.partitionVersions().entrySet()) {
        floors[e.getKey()] = e.getValue();
        closed.set(e.getKey(), e.getValue());
      }
      for (IndexedRecord o : snap.objects()) {
        objects.put(keyOf(o), o);
      }
      window = new ChangeWindow(n, config.windowCapacity(), floors);
      waiters = new PriorityQueue[n + 1];
      for (int i = 0; i <= n; i++) {
        waiters[i] = new PriorityQueue<>();
      }
      subscription = s;
      delivered = listResourceVersion();
      advancedNanos = new AtomicLongArray(n);
      deliveryAskedRv = new long[n];
      deliveryAskedNanos = new long[n];
      startedAtRv = window.oldestCovered();
      log.info("watch cache of {}: {} objects at resourceVersion {} (partitions {})", kind.kind(), objects.size(),
          snap.listResourceVersion(), snap.partitionVersions());
    } finally {
      lock.writeLock().unlock();
    }
  }

  public Kind kind() {
    return kind;
  }

  CacheMetrics metrics() {
    return metrics;
  }

  public int partitionCount() {
    return closed.length();
  }

  /** The object key of a name: {@code Kind/namespace/name}, namespace empty for cluster-scoped kinds. */
  public String key(String namespace, String name) {
    return new ObjectKey(kind.kind(), kind.namespaced() && namespace != null ? namespace : "", name).toString();
  }

  /** The first key of a namespace's range (or of the whole kind when namespace is null). */
  public String keyPrefix(String namespace) {
    return kind.kind() + "/" + (namespace == null || !kind.namespaced() ? "" : namespace + "/");
  }

  public int partitionOf(String key) {
    return informer.partitionOf(key);
  }

  private String keyOf(IndexedRecord o) {
    ObjectMeta meta = meta(o);
    return key(meta.getNamespace(), meta.getName());
  }

  // ---- versions ----

  /** Every change on the partition up to this version is applied here. */
  public long closedVersion(int partition) {
    return closed.get(partition);
  }

  /** The consistent cut: every change with an rv up to this, on every partition, is applied here. */
  public long listResourceVersion() {
    long min = Long.MAX_VALUE;
    for (int p = 0; p < closed.length(); p++) {
      min = Math.min(min, closed.get(p));
    }
    return min;
  }

  /**
   * The newest version this cache has applied on any partition. A list served once the
   * consistent cut ({@link #listResourceVersion}) reaches it holds every change this cache had
   * applied, so every change its watches had delivered, when the list came in.
   */
  public long newestApplied() {
    long max = 0;
    for (int p = 0; p < closed.length(); p++) {
      max = Math.max(max, closed.get(p));
    }
    return max;
  }

  /** The oldest version a watch may resume from or a list be served at exactly. */
  public long oldestVersion() {
    lock.readLock().lock();
    try {
      return window.oldestCovered();
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Completes (off the informer's thread) once the partition, or with {@code partition} -1 the
   * consistent cut, has reached {@code rv}; at once when it already has.
   */
  public CompletableFuture<Void> whenReached(int partition, long rv) {
    int slot = partition < 0 ? closed.length() : partition;
    long start = System.nanoTime();
    synchronized (waitLock) {
      if (reached(slot, rv)) {
        return CompletableFuture.completedFuture(null);
      }
      CompletableFuture<Void> f = new CompletableFuture<>();
      Waiter w = new Waiter(rv, f);
      waiters[slot].add(w);
      if (partition < 0) {
        // The cut waits for every partition; a quiet one moves only when asked.
        askProgressWhileWaiting(rv, f);
      }
      f.whenComplete((v, err) -> {
        metrics.readWaited(System.nanoTime() - start);
        if (err != null) {
          synchronized (waitLock) {
            waiters[slot].remove(w);
          }
        }
      });
      return f;
    }
  }

  /**
   * A consistent read (kube-apiserver's consistent list from cache): completes, off the
   * informer's thread, once this cache has applied every record its state topic held on
   * {@code partition} (-1: every partition) when this was called. One broker round trip, shared
   * with the other reads waiting at the same time; see {@code Informer.whenCaughtUp}.
   */
  public CompletableFuture<Void> whenCaughtUp(int partition) {
    long start = System.nanoTime();
    CompletableFuture<Void> f = informer.whenCaughtUp(partition < 0 ? List.of() : List.of(partition));
    f.whenComplete((v, err) -> metrics.readWaited(System.nanoTime() - start));
    return f;
  }

  /**
   * Asks the partitions behind {@code rv} for a watermark, and again every second while
   * {@code waiting} is not done: an answer is the partition's own clock, which may still be
   * below a version another processor's clock (a little ahead) assigned.
   */
  private void askProgressWhileWaiting(long rv, CompletableFuture<Void> waiting) {
    informer.requestProgress(rv);
    CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS, completions).execute(() -> {
      if (!waiting.isDone()) {
        askProgressWhileWaiting(rv, waiting);
      }
    });
  }

  private boolean reached(int slot, long rv) {
    return (slot == closed.length() ? listResourceVersion() : closed.get(slot)) >= rv;
  }

  private void releaseWaiters(int partition) {
    List<CompletableFuture<Void>> done = new ArrayList<>();
    synchronized (waitLock) {
      for (int slot : new int[] {partition, closed.length()}) {
        PriorityQueue<Waiter> q = waiters[slot];
        while (!q.isEmpty() && reached(slot, q.peek().rv())) {
          done.add(q.poll().future());
        }
      }
    }
    for (CompletableFuture<Void> f : done) {
      try {
        completions.execute(() -> f.complete(null));
      } catch (RejectedExecutionException e) {
        f.complete(null);
      }
    }
  }

  // ---- reads ----

  /** The current object of a key; shared with the cache (copy before changing it). */
  public Optional<IndexedRecord> get(String key) {
    lock.readLock().lock();
    try {
      return Optional.ofNullable(objects.get(key));
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * An object this cache returned (from {@link #get} or {@link #listAt}) with its JSON rendered:
   * the rendering kept from an earlier read when the object is unchanged since, else rendered now
   * (and kept while it stays current). Shared: never change it.
   */
  public StoredObject read(String key, IndexedRecord object) {
    return rendered.read(key, object);
  }

  /** A change still in the window, e.g. the delete a reply reported, to answer with the object it removed. */
  public Optional<CachedChange> findChange(int partition, String key, long rv) {
    lock.readLock().lock();
    try {
      return window.find(partition, key, rv);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * The objects whose keys start with {@code prefix} and sort after {@code startAfter} (null for
   * the first), as they were at {@code rv}, ordered by key. Objects are shared with the cache.
   *
   * @param rv a version the cache has reached ({@link #whenReached} first)
   * @throws ApiException 410 Expired when {@code rv} is older than the window
   */
  public List<IndexedRecord> listAt(long rv, String prefix, String startAfter) {
    lock.readLock().lock();
    try {
      String end = rangeEnd(prefix);
      String from = startAfter != null && startAfter.compareTo(prefix) > 0 ? startAfter : prefix;
      boolean fromInclusive = startAfter == null || startAfter.compareTo(prefix) <= 0;
      if (from.compareTo(end) >= 0) {
        return List.of();
      }
      NavigableMap<String, IndexedRecord> range = objects.subMap(from, fromInclusive, end, false);
      long current = listResourceVersion();
      if (!window.covers(rv)) {
        if (rv < current) {
          throw new ApiException(ApiStatus.expired("too old resource version: " + rv + " (" + window.oldestCovered()
              + ")"));
        }
        // Only right after start (the window begins where the informer's snapshot was): the current
        // objects, which may hold a few changes past rv on partitions that were further on.
        return new ArrayList<>(range.values());
      }
      Map<String, IndexedRecord> before = window.stateBefore(rv);
      if (before.isEmpty()) {
        return new ArrayList<>(range.values());
      }
      TreeMap<String, IndexedRecord> at = new TreeMap<>(range);
      before.forEach((k, o) -> {
        boolean inRange = k.compareTo(from) > 0 || (fromInclusive && k.equals(from));
        if (inRange && k.compareTo(end) < 0) {
          if (o == ChangeWindow.ABSENT) {
            at.remove(k);
          } else {
            at.put(k, o);
          }
        }
      });
      return new ArrayList<>(at.values());
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The first key after every key that starts with {@code prefix} (which ends in '/'). */
  private static String rangeEnd(String prefix) {
    return prefix.substring(0, prefix.length() - 1) + (char) (prefix.charAt(prefix.length() - 1) + 1);
  }

  // ---- watches ----

  /**
   * Opens a watch as kube-apiserver's cacher does: {@code resourceVersion} absent starts with the
   * state at the version of the request (the consistent cut now, or this gateway's own writes,
   * {@code mustInclude}, when they are later) as ADDED events, then every change after it; "0"
   * starts with the current state; N replays every change after N, then goes live (410 Gone when
   * N is older than the window); with {@code sendInitialEvents} the state at a version not older
   * than N comes first, ended by a BOOKMARK annotated {@code k8s.io/initial-events-end}. Never
   * blocks: when the cache has not reached the version yet the watch starts once it has, or ends
   * with 504 Timeout.
   *
   * <p>The version is fixed when the request arrives, not when the cache gets there: the client
   * has its response headers (the watch is established) before that, and a change it makes
   * meanwhile must reach it as an event, not folded into the initial ADDED (issue 22, item 3).
   */
  public io.capstan.gateway.store.WatchHandle watch(io.capstan.gateway.store.WatchOptions o, long mustInclude,
      Consumer<WatchEvent> sink) {
    CacheWatcher w = newWatcher(o.namespace(), o.labels(), o.fields(), o.bookmarks(), sink);
    String rv = o.resourceVersion();
    Long from;
    Long stateAt;
    long waitFor;
    if (rv == null || rv.isEmpty()) {
      from = null;
      waitFor = Math.max(mustInclude, listResourceVersion());
      stateAt = waitFor;
    } else if (rv.equals("0")) {
      from = null;
      stateAt = null;
      waitFor = 0;
    } else {
      long n;
      try {
        n = Long.parseLong(rv);
        if (n < 0) {
          throw new NumberFormatException();
        }
      } catch (NumberFormatException e) {
        w.terminate(ApiStatus.badRequest("resourceVersion: Invalid value: \"" + rv + "\": must be a non-negative integer"),
            true);
        return w;
      }
      from = o.sendInitialEvents() ? null : n;
      // This gateway's own writes too: replayed from the window they come in resourceVersion
      // order, where live they would come in the order their partitions were read.
      waitFor = o.sendInitialEvents() ? Math.max(Math.max(n, mustInclude), listResourceVersion())
          : Math.max(n, mustInclude);
      stateAt = o.sendInitialEvents() ? waitFor : null;
    }
    if (listResourceVersion() >= waitFor) {
      startWatch(w, from, stateAt, o.sendInitialEvents());
      return w;
    }
    whenReached(-1, waitFor).orTimeout(config.readWait().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .whenComplete((v, err) -> {
          if (err != null) {
            w.terminate(tooLarge(waitFor), true);
          } else {
            startWatch(w, from, stateAt, o.sendInitialEvents());
          }
        });
    return w;
  }

  /** kube-apiserver's answer when a version is not reached in time (client-go matches the cause). */
  public ApiStatus tooLarge(long rv) {
    return new ApiStatus(504, "Timeout", "Too large resource version: " + rv + ", current: " + listResourceVersion(),
        new ApiStatus.Details(null, kind.group(), kind.plural(), List.of(new ApiStatus.Cause("ResourceVersionTooLarge",
            "Too large resource version", null)), 1));
  }

  /** A watch not yet started: {@link #startWatch} registers it once the version it needs is reached. */
  CacheWatcher newWatcher(String namespace, LabelSelector labels, FieldSelector fields, boolean bookmarks,
      Consumer<WatchEvent> sink) {
    return new CacheWatcher(this, keyPrefix(namespace), labels, fields, bookmarks, WatchSink.of(sink), dispatcher,
        config.watchBuffer());
  }

  /**
   * Registers a watch atomically with what it must see first.
   *
   * @param fromRv        replay the changes after this version, then go live; null to start with a
   *                      state as ADDED events
   * @param stateAt       the version of that state (one the cache has reached), the changes after it
   *                      following; null for the consistent cut now
   * @param initialEnd    after the initial state, a BOOKMARK annotated {@code k8s.io/initial-events-end}
   */
  void startWatch(CacheWatcher w, Long fromRv, Long stateAt, boolean initialEnd) {
    lock.writeLock().lock();
    try {
      if (w.isTerminating()) {
        return; // closed while it waited
      }
      List<WatchEvent> first = new ArrayList<>();
      long bookmarkRv;
      long lastEventRv = 0;
      if (fromRv != null) {
        if (!window.covers(fromRv)) {
          w.terminate(ApiStatus.gone("too old resource version: " + fromRv + " (" + window.oldestCovered() + ")"),
              true);
          return;
        }
        for (CachedChange c : window.between(fromRv, delivered)) {
          WatchEvent e = w.eventFor(c);
          if (e != null) {
            first.add(e);
            lastEventRv = Math.max(lastEventRv, c.resourceVersion());
          }
        }
        bookmarkRv = Math.max(fromRv, listResourceVersion());
      } else {
        long at = stateAt == null ? listResourceVersion() : Math.min(stateAt, listResourceVersion());
        boolean exact = window.covers(at);
        Map<String, IndexedRecord> before = exact ? window.stateBefore(at) : Map.of();
        // only the watch's namespace (or kind): this runs under the write lock, holding up the informer
        String prefix = w.keyPrefix();
        String end = rangeEnd(prefix);
        TreeMap<String, IndexedRecord> state = new TreeMap<>(objects.subMap(prefix, true, end, false));
        before.forEach((k, o) -> {
          if (k.compareTo(prefix) < 0 || k.compareTo(end) >= 0) {
            return;
          }
          if (o == ChangeWindow.ABSENT) {
            state.remove(k);
          } else {
            state.put(k, o);
          }
        });
        for (Map.Entry<String, IndexedRecord> e : state.entrySet()) {
          if (w.matches(e.getKey(), e.getValue())) {
            first.add(new WatchEvent.Added(rendered.shared(e.getKey(), e.getValue())));
          }
        }
        if (initialEnd) {
          first.add(new WatchEvent.Bookmark(at, true));
        }
        if (exact) {
          for (CachedChange c : window.between(at, delivered)) {
            WatchEvent e = w.eventFor(c);
            if (e != null) {
              first.add(e);
              lastEventRv = Math.max(lastEventRv, c.resourceVersion());
            }
          }
        }
        bookmarkRv = at;
      }
      w.allowInitial(first.size());
      for (WatchEvent e : first) {
        w.offerInitial(e);
      }
      w.lastBookmarkRv = bookmarkRv;
      w.lastEventRv = lastEventRv;
      metrics.eventsQueued(first.size());
      watchers.add(w);
    } finally {
      lock.writeLock().unlock();
    }
  }

  void removeWatcher(CacheWatcher w) {
    watchers.remove(w);
  }

  // ---- fed by the informer ----

  @Override
  public void onChange(Change<IndexedRecord> c) {
    Delivery d;
    lock.writeLock().lock();
    try {
      IndexedRecord after = c.type() == ChangeType.DELETED ? withResourceVersion(c.previous(), c.resourceVersion())
          : c.object();
      CachedChange cc = new CachedChange(c.type(), c.key(), after, c.previous(), c.resourceVersion(), c.partition(),
          ++seq);
      if (c.type() == ChangeType.DELETED) {
        objects.remove(c.key());
      } else {
        objects.put(c.key(), c.object());
      }
      rendered.forget(c.key());
      if (c.resourceVersion() > closed.get(c.partition())) {
        closed.set(c.partition(), c.resourceVersion());
        advancedNanos.set(c.partition(), System.nanoTime());
      }
      long evicted = window.add(cc);
      if (evicted > delivered && !watchers.isEmpty()) {
        // The cut stayed behind for a whole window of changes: some the watches were not sent yet
        // are gone, so they cannot go on in order. Their clients resume and get 410, then relist.
        for (CacheWatcher w : List.copyOf(watchers)) {
          w.terminate(ApiStatus.gone("too old resource version: the watch cache's window moved past changes not yet "
              + "delivered (" + delivered + ")"), true);
        }
      }
      if (c.resourceVersion() > delivered) {
        undeliveredNewest = Math.max(undeliveredNewest, c.resourceVersion());
      }
      d = deliverLocked();
    } catch (RuntimeException e) {
      log.error("watch cache of {} failed to apply {} {} at {}", kind.kind(), c.type(), c.key(), c.resourceVersion(), e);
      throw e;
    } finally {
      lock.writeLock().unlock();
    }
    releaseWaiters(c.partition());
    afterDelivery(d);
  }

  /** What one delivery did: the watches that were full, and what to ask for next. */
  private static final class Delivery {
    List<CacheWatcher> full;
    List<WatchEvent> fullEvents;
    boolean wantsBookmarks;
    long newest;
  }

  /**
   * Under the write lock: sends watches the changes the consistent cut passed since the last
   * delivery, in resourceVersion order across partitions (kube-apiserver's cacher sends etcd's
   * single order; here the partitions' orders are merged up to the lowest closed partition).
   */
  private Delivery deliverLocked() {
    Delivery d = new Delivery();
    long cut = listResourceVersion();
    if (cut <= delivered) {
      return d;
    }
    List<CachedChange> due = watchers.isEmpty() ? List.of() : window.between(delivered, cut);
    delivered = cut;
    if (undeliveredNewest <= cut) {
      undeliveredNewest = 0;
    }
    int queued = 0;
    for (CachedChange cc : due) {
      d.newest = cc.resourceVersion();
      for (CacheWatcher w : watchers) {
        d.wantsBookmarks |= w.bookmarks;
        WatchEvent e = w.eventFor(cc);
        if (e != null) {
          w.lastEventRv = Math.max(w.lastEventRv, cc.resourceVersion());
          // a watch found full waits for room for this delivery's later events too, in order
          boolean wasFull = d.full != null && d.full.contains(w);
          if (wasFull || !w.offer(e)) {
            if (d.full == null) {
              d.full = new ArrayList<>();
              d.fullEvents = new ArrayList<>();
            }
            d.full.add(w);
            d.fullEvents.add(e);
          }
          queued++;
        }
      }
    }
    if (queued > 0) {
      metrics.eventsQueued(queued);
    }
    return d;
  }

  /** On the informer's thread, outside the lock: the full watches wait, bookmarks and the cut are asked for. */
  private void afterDelivery(Delivery d) {
    if (d.full != null) {
      waitForFullWatches(d.full, d.fullEvents);
    }
    if (d.wantsBookmarks) {
      askForBookmarkProgress(d.newest);
    }
    askForDeliveryProgress();
  }

  /**
   * While changes wait for the cut and watches wait for them, asks the quiet partitions behind for
   * a watermark (a quiet partition sends none by itself; the processor sends one when a busy
   * partition goes quiet). A partition that moved within {@link #BUSY_NANOS} is left to close by
   * itself and looked at again then. One request per partition at a time, for the newest change
   * waiting; again when it is answered, or after a second without an answer.
   */
  private void askForDeliveryProgress() {
    long waiting = undeliveredNewest;
    if (waiting == 0 || watchers.isEmpty()) {
      return;
    }
    boolean recheck = false;
    boolean asked = false;
    synchronized (deliveryAsks) {
      long now = System.nanoTime();
      for (int p = 0; p < closed.length(); p++) {
        long at = closed.get(p);
        if (at >= waiting) {
          continue;
        }
        if (now - advancedNanos.get(p) < BUSY_NANOS || now - lastDeliveryAskNanos < MIN_ASK_GAP_NANOS) {
          recheck = true;
          continue;
        }
        if (at < deliveryAskedRv[p] && now - deliveryAskedNanos[p] < TimeUnit.SECONDS.toNanos(1)) {
          // Asked already. Its answer (onProgress) asks again for what waits then, but an answer
          // may not close the partition past this change (the partition's own clock can be behind
          // the version another partition gave it), and a quiet partition then sends nothing more:
          // look again, and ask again a second after the last ask.
          recheck = true;
          continue;
        }
        deliveryAskedRv[p] = waiting;
        deliveryAskedNanos[p] = now;
        informer.requestProgress(p, waiting);
        asked = true;
      }
      if (asked) {
        lastDeliveryAskNanos = now;
      }
      if (!recheck || deliveryRecheck) {
        return;
      }
      deliveryRecheck = true;
    }
    try {
      CompletableFuture.delayedExecutor(BUSY_NANOS, TimeUnit.NANOSECONDS, completions).execute(() -> {
        synchronized (deliveryAsks) {
          deliveryRecheck = false;
        }
        askForDeliveryProgress();
      });
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  /**
   * As kube-apiserver's cacher dispatches to watchers whose buffers are full: waits for them
   * together, within the {@link DispatchBudget}, then ends those still full. Outside the cache's
   * lock (reads go on) but on the informer's thread, so no later change overtakes this one.
   */
  private void waitForFullWatches(List<CacheWatcher> full, List<WatchEvent> events) {
    long start = System.nanoTime();
    long deadline = start + dispatchBudget.take(start);
    try {
      for (int i = 0; i < full.size(); i++) {
        full.get(i).offer(events.get(i), deadline);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      dispatchBudget.giveBack(deadline - System.nanoTime());
    }
  }

  /**
   * Bookmarks ride on watermarks, and a quiet partition sends one only when asked: after a change
   * that watches with bookmarks saw, the partitions behind it are asked one bookmark interval
   * later, once for all the changes of that interval; then the watches whose bookmark the
   * interval held back get it.
   */
  private void askForBookmarkProgress(long rv) {
    bookmarkProgressRv.accumulateAndGet(rv, Math::max);
    if (bookmarkProgressAsked.compareAndSet(false, true)) {
      CompletableFuture.delayedExecutor(config.bookmarkInterval().toNanos(), TimeUnit.NANOSECONDS, completions)
          .execute(() -> {
            bookmarkProgressAsked.set(false);
            informer.requestProgress(bookmarkProgressRv.get());
            offerBookmarks();
          });
    }
  }

  @Override
  public void onProgress(int partition, long closedResourceVersion) {
    Delivery d;
    lock.writeLock().lock();
    try {
      if (closedResourceVersion > closed.get(partition)) {
        closed.set(partition, closedResourceVersion);
        advancedNanos.set(partition, System.nanoTime());
      }
      d = deliverLocked();
    } finally {
      lock.writeLock().unlock();
    }
    afterDelivery(d);
    offerBookmarks();
    releaseWaiters(partition);
  }

  /**
   * A BOOKMARK at the consistent cut to each watch that asked for them and has not seen it yet,
   * at most one per bookmark interval; a watch held back by the interval is offered again later.
   */
  private void offerBookmarks() {
    long at;
    boolean heldBack = false;
    lock.writeLock().lock();
    try {
      at = listResourceVersion();
      long now = System.nanoTime();
      for (CacheWatcher w : watchers) {
        if (!w.bookmarks || at <= w.lastBookmarkRv) {
          continue;
        }
        if (at <= w.lastEventRv) {
          // Nothing past the last change sent yet; when the cut is still behind it, ask again later.
          heldBack |= at < w.lastEventRv;
          continue;
        }
        // never waited for: a watch too full for a bookmark gets a later one (as the cacher's nonblockingAdd)
        if (now - w.lastBookmarkNanos >= config.bookmarkInterval().toNanos()
            && w.offer(new WatchEvent.Bookmark(at, false))) {
          w.lastBookmarkRv = at;
          w.lastBookmarkNanos = now;
        } else {
          heldBack = true;
        }
      }
    } finally {
      lock.writeLock().unlock();
    }
    if (heldBack) {
      askForBookmarkProgress(Math.max(at, bookmarkProgressRv.get()));
    }
  }

  private double lagSeconds() {
    AtomicLongArray c = closed;
    if (c == null) {
      return Double.NaN;
    }
    long rv = listResourceVersion();
    if (rv == 0) {
      return Double.NaN;
    }
    // resourceVersions are hybrid-logical-clock values in microseconds since the epoch
    return Math.max(0, System.currentTimeMillis() * 1000 - rv) / 1e6;
  }

  /** Stops following the informer; open watches end, waiting reads fail. */
  @Override
  public void close() {
    if (subscription != null) {
      subscription.close();
    }
    for (CacheWatcher w : List.copyOf(watchers)) {
      metrics.watchClosed(CacheWatcher.End.SHUTDOWN);
      w.terminate(ApiStatus.serviceUnavailable("the gateway is shutting down"), false);
    }
    List<CompletableFuture<Void>> waiting = new ArrayList<>();
    synchronized (waitLock) {
      if (waiters != null) {
        for (PriorityQueue<Waiter> q : waiters) {
          q.forEach(w -> waiting.add(w.future()));
          q.clear();
        }
      }
    }
    waiting.forEach(f -> f.completeExceptionally(new IllegalStateException("the watch cache of " + kind.kind()
        + " is closed")));
    rendered.clear();
    metrics.close();
  }

  // ---- objects ----

  static ObjectMeta meta(IndexedRecord o) {
    return (ObjectMeta) o.get(o.getSchema().getField("metadata").pos());
  }

  /** The resourceVersion in an object's metadata (0 when absent). */
  public static long rvOf(IndexedRecord o) {
    String rv = meta(o).getResourceVersion();
    try {
      return rv == null || rv.isEmpty() ? 0 : Long.parseLong(rv);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** A copy of the object carrying another resourceVersion (a delete's, as watches deliver it). */
  public static IndexedRecord withResourceVersion(IndexedRecord o, long rv) {
    IndexedRecord copy = SpecificData.get().deepCopy(o.getSchema(), o);
    meta(copy).setResourceVersion(Long.toString(rv));
    return copy;
  }
}
