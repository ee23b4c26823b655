package io.capstan.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.api.ObjectMeta;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.selection.FieldSelector;
import io.capstan.gateway.selection.LabelSelector;
import io.capstan.gateway.store.StoredObject;
import io.capstan.gateway.store.WatchEvent;
import io.capstan.gateway.store.WatchHandle;
import io.capstan.logschema.json.KubeJson;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch on the cache (kube-apiserver's cacheWatcher): its filter and a bounded queue between
 * the cache, which must never wait for a client, and the watch's sink, drained on a dispatcher
 * thread. A watch that falls more than its buffer behind is closed with an ERROR event rather
 * than slowing the cache or growing without bound; the client watches again from the last
 * resourceVersion it saw.
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
  private final Consumer<WatchEvent> sink;
  private final Executor dispatcher;
  private final ConcurrentLinkedQueue<WatchEvent> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final AtomicBoolean ended = new AtomicBoolean();
  private volatile int limit;
  /** No more events are accepted: an ERROR is queued as the last one, or the watch was closed. */
  private volatile boolean terminating;
  /** Written under the cache's lock only. */
  long lastBookmarkNanos;
  long lastBookmarkRv;
  /** The newest change sent: a bookmark must not go back before it (guarded by the cache's lock). */
  long lastEventRv;

  CacheWatcher(KindCache cache, String keyPrefix, LabelSelector labels, FieldSelector fields, boolean bookmarks,
      Consumer<WatchEvent> sink, Executor dispatcher, int buffer) {
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

  boolean matches(String key, SpecificRecord object) {
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

  private static StoredObject stored(SpecificRecord o, long rv) {
    return new StoredObject(o, rv);
  }

  /** Queues a live event; a watch whose queue is full is ended (never blocks). */
  void offer(WatchEvent e) {
    if (terminating) {
      return;
    }
    if (queued.incrementAndGet() > limit) {
      queued.decrementAndGet();
      cache.metrics().watchClosed(End.OVERFLOW);
      log.info("closing a watch of {}: it fell {} events behind", cache.kind().kind(), limit);
      terminate(new ApiStatus(429, "TooManyRequests", "the watch of " + cache.kind().plural()
          + " was closed because the client fell more than " + limit
          + " events behind; watch again from the last resourceVersion received",
          new ApiStatus.Details(null, cache.kind().group(), cache.kind().plural(), null, 1)), false);
      return;
    }
    queue.add(e);
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
      while ((e = queue.poll()) != null) {
        queued.decrementAndGet();
        if (ended.get()) {
          continue;
        }
        try {
          sink.accept(e);
        } catch (RuntimeException ex) {
          log.warn("a watch sink of {} failed; closing the watch", cache.kind().kind(), ex);
          close();
        }
        if (e instanceof WatchEvent.Error) {
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
