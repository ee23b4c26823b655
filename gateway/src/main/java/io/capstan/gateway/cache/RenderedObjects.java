package io.capstan.gateway.cache;

import io.capstan.gateway.store.StoredObject;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.avro.generic.IndexedRecord;

/**
 * The JSON of the objects gets and lists have read, kept while each object stays the current
 * version of its key, so reading an unchanged object again (a controller's relist, a dashboard's
 * poll, {@code kubectl get} in a loop) costs a copy of bytes instead of a serialization. A list of
 * 500 objects rendered on an event loop also held up every request behind it on that loop.
 *
 * <p>Kept renderings are bounded by one byte budget shared by every kind; past it, objects are
 * still rendered for each read but no longer kept. A change or delete of a key drops its
 * rendering. An entry is kept only for the object the cache holds as current, checked again after
 * it is stored, so a reader racing a change never leaves a stale rendering behind.
 */
public final class RenderedObjects {
  /** Default budget of kept renderings per gateway. */
  public static final long DEFAULT_MAX_BYTES = 256L << 20;

  private final long maxBytes;
  private final AtomicLong bytes = new AtomicLong();
  private final Counter hits;
  private final Counter misses;

  public RenderedObjects(long maxBytes, MeterRegistry registry) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("the rendered-object budget must not be negative, got " + maxBytes);
    }
    this.maxBytes = maxBytes;
    Gauge.builder("capstan_gateway_rendered_bytes", bytes, AtomicLong::get)
        .description("Bytes of object JSON the gateway keeps for repeated reads").register(registry);
    this.hits = Counter.builder("capstan_gateway_rendered_reads_total").tag("result", "hit")
        .description("Reads of one object answered from a kept rendering (hit) or rendered anew (miss)")
        .register(registry);
    this.misses = Counter.builder("capstan_gateway_rendered_reads_total").tag("result", "miss").register(registry);
  }

  /** The renderings of one kind's cache. */
  final class OfKind {
    private final ConcurrentHashMap<String, StoredObject> byKey = new ConcurrentHashMap<>();
    private final Function<String, IndexedRecord> current;

    /** @param current the cache's current object of a key (null when there is none) */
    OfKind(Function<String, IndexedRecord> current) {
      this.current = current;
    }

    /** The object of {@code key} with its JSON rendered: the kept one when it is this object. */
    StoredObject read(String key, IndexedRecord object) {
      StoredObject kept = byKey.get(key);
      if (kept != null && kept.object() == object) {
        hits.increment();
        return kept;
      }
      misses.increment();
      StoredObject s = new StoredObject(object, KindCache.rvOf(object));
      int size = s.json().length;
      if (current.apply(key) != object || bytes.get() + size > maxBytes) {
        return s; // an older version (an exact list, a lagging read), or over budget
      }
      StoredObject replaced = byKey.put(key, s);
      bytes.addAndGet(size - (replaced == null ? 0 : replaced.json().length));
      if (current.apply(key) != object) {
        forget(key, s); // a change landed meanwhile; its forget may have run before the put
      }
      return s;
    }

    /** The kept instance when it holds this object, else a new one rendered when first sent (a watch's initial state). */
    StoredObject shared(String key, IndexedRecord object) {
      StoredObject kept = byKey.get(key);
      return kept != null && kept.object() == object ? kept : new StoredObject(object, KindCache.rvOf(object));
    }

    /** Drops the rendering of a key that changed or went away. */
    void forget(String key) {
      StoredObject gone = byKey.remove(key);
      if (gone != null) {
        bytes.addAndGet(-gone.json().length);
      }
    }

    private void forget(String key, StoredObject s) {
      if (byKey.remove(key, s)) {
        bytes.addAndGet(-s.json().length);
      }
    }

    /** Drops every rendering of this kind (the cache closes). */
    void clear() {
      byKey.keySet().forEach(this::forget);
    }
  }

  long bytes() {
    return bytes.get();
  }
}
