package io.capstan.gateway.cache;

import java.time.Duration;

/**
 * Settings of the gateway's watch cache; every default is here.
 *
 * @param windowCapacity   recent changes kept per kind for watch-from-resourceVersion and exact
 *                         lists (default 10,000; older versions get 410 Gone / Expired)
 * @param watchBuffer      live events one watch may hold while its client's connection is full
 *                         (default 1,000); a change that finds it full waits within the dispatch
 *                         budget (at most 100 ms), then the watch is ended and its client watches
 *                         again from its last resourceVersion, as kube-apiserver's cacher ends an
 *                         unresponsive watcher
 * @param readWait         how long a read waits for the cache to reach a version (this gateway's
 *                         own write, or a requested resourceVersion) before answering 504 Timeout
 *                         (default 10 s)
 * @param bookmarkInterval the least time between two BOOKMARK events of one watch (default 1 s)
 * @param syncTimeout      how long start-up waits for every kind's informer to load its table
 *                         (default 2 min)
 */
public record WatchCacheConfig(int windowCapacity, int watchBuffer, Duration readWait, Duration bookmarkInterval,
    Duration syncTimeout) {
  public static final int DEFAULT_WINDOW_CAPACITY = 10_000;
  public static final int DEFAULT_WATCH_BUFFER = 1_000;
  public static final Duration DEFAULT_READ_WAIT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_BOOKMARK_INTERVAL = Duration.ofSeconds(1);
  public static final Duration DEFAULT_SYNC_TIMEOUT = Duration.ofMinutes(2);

  public WatchCacheConfig {
    if (windowCapacity < 1) {
      throw new IllegalArgumentException("watch cache: windowCapacity must be at least 1, got " + windowCapacity);
    }
    if (watchBuffer < 1) {
      throw new IllegalArgumentException("watch cache: watchBuffer must be at least 1, got " + watchBuffer);
    }
    if (readWait == null || readWait.isNegative() || readWait.isZero()) {
      throw new IllegalArgumentException("watch cache: readWait must be positive, got " + readWait);
    }
    if (bookmarkInterval == null || bookmarkInterval.isNegative()) {
      throw new IllegalArgumentException("watch cache: bookmarkInterval must not be negative, got " + bookmarkInterval);
    }
    if (syncTimeout == null || syncTimeout.isNegative() || syncTimeout.isZero()) {
      throw new IllegalArgumentException("watch cache: syncTimeout must be positive, got " + syncTimeout);
    }
  }

  public static WatchCacheConfig defaults() {
    return new WatchCacheConfig(DEFAULT_WINDOW_CAPACITY, DEFAULT_WATCH_BUFFER, DEFAULT_READ_WAIT,
        DEFAULT_BOOKMARK_INTERVAL, DEFAULT_SYNC_TIMEOUT);
  }

  public WatchCacheConfig withWindowCapacity(int capacity) {
    return new WatchCacheConfig(capacity, watchBuffer, readWait, bookmarkInterval, syncTimeout);
  }

  public WatchCacheConfig withWatchBuffer(int buffer) {
    return new WatchCacheConfig(windowCapacity, buffer, readWait, bookmarkInterval, syncTimeout);
  }

  public WatchCacheConfig withReadWait(Duration wait) {
    return new WatchCacheConfig(windowCapacity, watchBuffer, wait, bookmarkInterval, syncTimeout);
  }
}
