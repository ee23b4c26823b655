package io.capstan.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.api.ObjectMeta;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.selection.FieldSelector;
import io.capstan.gateway.selection.LabelSelector;
import io.capstan.gateway.store.StoredObject;
import io.capstan.gateway.store.WatchEvent;
import io.capstan.gateway.store.WatchHandle;
import io.capstan.gateway.store.WatchSink;
import io.capstan.logschema.json.KubeJson;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.generic.IndexedRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch on the cache (kube-apiserver's cacheWatcher): its filter and a bounded buffer between
 * the cache and the watch's sink, drained on a dispatcher thread while the sink's connection
 * takes events ({@link WatchSink#ready}); when it is full (the client reads slowly), events wait
 * here. A change that finds the buffer full waits for room within the cache's
 * {@link DispatchBudget}; a watch still full after that is ended as kube-apiserver ends it: its
 * buffered events are dropped and the stream just ends ({@link WatchEvent.End}), and the client
 * watches again from the last resourceVersion it received, which the cache's window replays.
 */
final class CacheWatcher implements WatchHandle {
  private static final Logger log = LoggerFactory.getLogger(CacheWatcher.class);

  /** Why a watch ended, as the metrics count it. */
  enum End { CLIENT, OVERFLOW, ERROR, SHUTDOWN }

  private final KindCache cache;
  private final String keyPrefix;
  private final LabelSelector labels;
  private final FieldSelector fields;
  final boolean bookmarks;
  private final WatchSink sink;
  private final Executor dispatcher;
  private final ConcurrentLinkedQueue<WatchEvent> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final AtomicBoolean ended = new AtomicBoolean();
  private volatile int limit;
  /** No more events are accepted: an ERROR or END is queued as the last one, or the watch was closed. */
  private volatile boolean terminating;
  /** Signalled when the drain makes room, for a change waiting to be queued. */
  private final Object room = new Object();
  private volatile boolean waitingForRoom;
  /** Written under the cache's lock only. */
  long lastBookmarkNanos;
  long lastBookmarkRv;
  /**
   * The newest change queued to this watch: a bookmark never goes below it, or a client that
   * takes the bookmark's version as its own would re-watch from before an event it already has.
   */
  long lastEventRv;

  CacheWatcher(KindCache cache, String keyPrefix, LabelSelector labels, FieldSelector fields, boolean bookmarks,
      WatchSink sink, Executor dispatcher, int buffer) {
    this.cache = cache;
    this.keyPrefix = keyPrefix;
    this.labels = labels == null ? LabelSelector.EVERYTHING : labels;
    this.fields = fields == null ? FieldSelector.EVERYTHING : fields;
    this.bookmarks = bookmarks;
    this.sink = sink;
    this.dispatcher = dispatcher;
    this.limit = buffer;
    this.lastBookmarkNanos = System.nanoTime();
  }

  /** Lets the events queued at start (the initial state or a replay) come on top of the live buffer. */
  void allowInitial(int initialEvents) {
    limit += initialEvents;
  }

  String keyPrefix() {
    return keyPrefix;
  }

  boolean matches(String key, IndexedRecord object) {
    if (!key.startsWith(keyPrefix)) {
      return false;
    }
    if (!labels.isEverything()) {
      ObjectMeta meta = (ObjectMeta) object.get(object.getSchema().getField("metadata").pos());
      Map<String, String> l = meta.getLabels();
      if (!labels.matches(l == null ? Map.of() : l)) {
        return false;
      }
    }
    if (!fields.isEverything()) {
      JsonNode json = KubeJson.toJson(object);
      return fields.matches(json);
    }
    return true;
  }

  /**
   * The event this watcher sees for a change, or null: an object that starts or stops matching
   * the filter is ADDED or DELETED for this watch, as the cacher does.
   */
  WatchEvent eventFor(CachedChange c) {
    switch (c.type()) {
      case ADDED:
        return matches(c.key(), c.object()) ? new WatchEvent.Added(c.stored()) : null;
      case DELETED:
        return matches(c.key(), c.previous()) ? new WatchEvent.Deleted(c.stored()) : null;
      case MODIFIED:
      default:
        boolean now = matches(c.key(), c.object());
        boolean before = c.previous() != null && matches(c.key(), c.previous());
        if (now && before) {
          return new WatchEvent.Modified(c.stored());
        } else if (now) {
          return new WatchEvent.Added(c.stored());
        } else if (before) {
          // the object as it was, at the version of the change that took it out of this watch
          return new WatchEvent.Deleted(stored(KindCache.withResourceVersion(c.previous(), c.resourceVersion()),
              c.resourceVersion()));
        }
        return null;
    }
  }

  private static StoredObject stored(IndexedRecord o, long rv) {
    return new StoredObject(o, rv);
  }

  /** Queues a live event if the buffer has room; false when it is full (the watch goes on). */
  boolean offer(WatchEvent e) {
    if (terminating) {
      return true;
    }
    if (queued.incrementAndGet() > limit) {
      queued.decrementAndGet();
      return false;
    }
    queue.add(e);
    schedule();
    return true;
  }

  /**
   * Queues a live event, waiting for room until {@code deadlineNanos} (System.nanoTime); a watch
   * still full then is ended as too slow. Called by the cache's dispatch, never under its lock.
   *
   * @return whether the event was queued
   */
  boolean offer(WatchEvent e, long deadlineNanos) throws InterruptedException {
    if (offer(e)) {
      return true;
    }
    synchronized (room) {
      waitingForRoom = true;
      try {
        while (true) {
          if (offer(e)) {
            return true;
          }
          long left = deadlineNanos - System.nanoTime();
          if (left <= 0) {
            break;
          }
          room.wait(Math.max(1, left / 1_000_000));
        }
      } finally {
        waitingForRoom = false;
      }
    }
    endUnresponsive();
    return false;
  }

  /** kube-apiserver's answer to a watcher that does not keep up: drop what it has not taken, end the stream. */
  private void endUnresponsive() {
    if (terminating) {
      return;
    }
    terminating = true;
    cache.metrics().watchClosed(End.OVERFLOW);
    log.info("ending a watch of {}: its client fell {} events behind", cache.kind().kind(), limit);
    cache.removeWatcher(this);
    queue.clear();
    queued.set(1);
    queue.add(new WatchEvent.End());
    schedule();
  }

  /** Queues events that are not counted against the buffer (the initial state, a replay). */
  void offerInitial(WatchEvent e) {
    queued.incrementAndGet();
    queue.add(e);
    schedule();
  }

  /** Ends the watch with an ERROR event after what is already queued. */
  void terminate(ApiStatus status, boolean countAsError) {
    if (terminating) {
      return;
    }
    terminating = true;
    if (countAsError) {
      cache.metrics().watchClosed(End.ERROR);
    }
    cache.removeWatcher(this);
    queued.incrementAndGet();
    queue.add(new WatchEvent.Error(status));
    schedule();
  }

  private void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      try {
        dispatcher.execute(this::drain);
      } catch (RejectedExecutionException e) {
        scheduled.set(false); // shutting down
      }
    }
  }

  private void drain() {
    while (true) {
      WatchEvent e;
      while ((e = queue.peek()) != null) {
        boolean last = e instanceof WatchEvent.Error || e instanceof WatchEvent.End;
        if (!last && !ended.get() && !sink.ready()) {
          // The client's connection is full: the rest waits here, counted against the buffer.
          scheduled.set(false);
          sink.onReady(this::schedule);
          return;
        }
        e = queue.poll(); // the one peeked, or the END of a watch just ended as too slow
        if (e == null) {
          continue;
        }
        last = e instanceof WatchEvent.Error || e instanceof WatchEvent.End;
        queued.decrementAndGet();
        if (waitingForRoom) {
          synchronized (room) {
            room.notifyAll();
          }
        }
        if (ended.get()) {
          continue;
        }
        try {
          sink.accept(e);
        } catch (RuntimeException ex) {
          log.warn("a watch sink of {} failed; closing the watch", cache.kind().kind(), ex);
          close();
        }
        if (last) {
          end();
        }
      }
      scheduled.set(false);
      if (queue.isEmpty() || !scheduled.compareAndSet(false, true)) {
        return;
      }
    }
  }

  boolean isTerminating() {
    return terminating;
  }

  private void end() {
    if (ended.compareAndSet(false, true)) {
      cache.removeWatcher(this);
    }
  }

  /** Called by the client (the watch's HTTP response ended): stops delivery; idempotent. */
  @Override
  public void close() {
    if (!terminating) {
      cache.metrics().watchClosed(End.CLIENT);
    }
    terminating = true;
    end();
    queue.clear();
  }
}
