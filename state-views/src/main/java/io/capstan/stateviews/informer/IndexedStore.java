package io.capstan.stateviews.informer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thread-safe map from object key to object with named secondary indexes, as client-go's
 * ThreadSafeStore: one writer (the informer) and many readers. Lists come back ordered by key,
 * as etcd lists do, so a client can page through them.
 *
 * <p>Objects are shared, not copied: callers must not modify what they get (copy first, e.g.
 * {@code ConfigMap.newBuilder(cm).build()}), exactly as with client-go's cache.
 */
public final class IndexedStore<T> {
  private static final Logger log = LoggerFactory.getLogger(IndexedStore.class);

  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private final NavigableMap<String, T> items = new TreeMap<>();
  private final Map<String, IndexFunction<? super T>> indexers = new LinkedHashMap<>();
  /** index name -> index value -> keys */
  private final Map<String, Map<String, TreeSet<String>>> indices = new HashMap<>();

  /**
   * Adds a named index and indexes what is already stored.
   *
   * @throws IllegalArgumentException if an index of that name exists
   */
  public void addIndex(String name, IndexFunction<? super T> function) {
    if (name == null || name.isEmpty() || function == null) {
      throw new IllegalArgumentException("an index needs a name and a function");
    }
    lock.writeLock().lock();
    try {
      if (indexers.containsKey(name)) {
        throw new IllegalArgumentException("index \"" + name + "\" already exists");
      }
      indexers.put(name, function);
      Map<String, TreeSet<String>> index = new HashMap<>();
      indices.put(name, index);
      items.forEach((key, obj) -> {
        for (String v : valuesOf(name, function, key, obj)) {
          index.computeIfAbsent(v, x -> new TreeSet<>()).add(key);
        }
      });
    } finally {
      lock.writeLock().unlock();
    }
  }

  public boolean hasIndex(String name) {
    lock.readLock().lock();
    try {
      return indexers.containsKey(name);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Stores (or replaces) the object of a key; returns the one it replaced, or null. */
  public T put(String key, T object) {
    if (key == null || object == null) {
      throw new IllegalArgumentException("put needs a key and an object (key " + key + ")");
    }
    lock.writeLock().lock();
    try {
      T old = items.put(key, object);
      if (old != null) {
        unindex(key, old);
      }
      index(key, object);
      return old;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Removes the object of a key; returns it, or null if there was none. */
  public T remove(String key) {
    lock.writeLock().lock();
    try {
      T old = items.remove(key);
      if (old != null) {
        unindex(key, old);
      }
      return old;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Removes everything whose key matches (e.g. when a partition is given up). */
  public List<T> removeIf(java.util.function.Predicate<String> keyMatches) {
    lock.writeLock().lock();
    try {
      List<T> removed = new ArrayList<>();
      var it = items.entrySet().iterator();
      while (it.hasNext()) {
        var e = it.next();
        if (keyMatches.test(e.getKey())) {
          unindex(e.getKey(), e.getValue());
          removed.add(e.getValue());
          it.remove();
        }
      }
      return removed;
    } finally {
      lock.writeLock().unlock();
    }
  }

  public Optional<T> get(String key) {
    lock.readLock().lock();
    try {
      return Optional.ofNullable(items.get(key));
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Every object, ordered by key. */
  public List<T> list() {
    lock.readLock().lock();
    try {
      return new ArrayList<>(items.values());
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Every key, ordered. */
  public List<String> keys() {
    lock.readLock().lock();
    try {
      return new ArrayList<>(items.keySet());
    } finally {
      lock.readLock().unlock();
    }
  }

  public int size() {
    lock.readLock().lock();
    try {
      return items.size();
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * The objects with {@code value} in index {@code indexName}, ordered by key.
   *
   * @throws IllegalArgumentException naming the known indexes when there is no such index
   */
  public List<T> byIndex(String indexName, String value) {
    lock.readLock().lock();
    try {
      Set<String> keys = indexOf(indexName).get(value);
      if (keys == null) {
        return List.of();
      }
      List<T> out = new ArrayList<>(keys.size());
      for (String k : keys) {
        out.add(items.get(k));
      }
      return out;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The keys with {@code value} in an index, ordered. */
  public List<String> keysByIndex(String indexName, String value) {
    lock.readLock().lock();
    try {
      Set<String> keys = indexOf(indexName).get(value);
      return keys == null ? List.of() : new ArrayList<>(keys);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The values an index currently holds (e.g. every namespace with objects in it). */
  public Set<String> indexValues(String indexName) {
    lock.readLock().lock();
    try {
      return new TreeSet<>(indexOf(indexName).keySet());
    } finally {
      lock.readLock().unlock();
    }
  }

  private Map<String, TreeSet<String>> indexOf(String name) {
    Map<String, TreeSet<String>> index = indices.get(name);
    if (index == null) {
      throw new IllegalArgumentException("no index \"" + name + "\"; indexes: " + indexers.keySet());
    }
    return index;
  }

  private void index(String key, T obj) {
    indexers.forEach((name, fn) -> {
      Map<String, TreeSet<String>> index = indices.get(name);
      for (String v : valuesOf(name, fn, key, obj)) {
        index.computeIfAbsent(v, x -> new TreeSet<>()).add(key);
      }
    });
  }

  private void unindex(String key, T obj) {
    indexers.forEach((name, fn) -> {
      Map<String, TreeSet<String>> index = indices.get(name);
      for (String v : valuesOf(name, fn, key, obj)) {
        TreeSet<String> keys = index.get(v);
        if (keys != null) {
          keys.remove(key);
          if (keys.isEmpty()) {
            index.remove(v);
          }
        }
      }
    });
  }

  /** A failing index function leaves the object out of that index rather than out of the store. */
  private static <T> Collection<String> valuesOf(String name, IndexFunction<? super T> fn, String key, T obj) {
    try {
      Collection<String> values = fn.valuesOf(obj);
      return values == null ? List.of() : values;
    } catch (RuntimeException e) {
      log.warn("index \"{}\" failed for {}; leaving it out of that index: {}", name, key, e.toString());
      return List.of();
    }
  }
}
