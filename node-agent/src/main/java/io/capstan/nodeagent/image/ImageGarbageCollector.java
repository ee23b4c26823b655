package io.capstan.nodeagent.image;

import io.capstan.nodeagent.runtime.ImageInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubelet's image garbage collection for the node's {@link ImageStore}: when the filesystem that
 * holds the images is used at or above the high threshold (85% by default), images no container
 * uses are removed, least recently used first, until usage is back at the low threshold (80%).
 * An image is never removed while a container (running or exited) was made from it, nor within
 * {@link Policy#minAge} of when it was first seen or last used (a pull just done for a container
 * about to be created), nor when only this store has it ({@link ImageStore#pinned}). Each
 * {@link #collect} is one pass; the node agent runs one every {@link #PERIOD}.
 */
public final class ImageGarbageCollector {
  private static final Logger log = LoggerFactory.getLogger(ImageGarbageCollector.class);
  /** Kubelet's ImageGCPeriod. */
  public static final Duration PERIOD = Duration.ofMinutes(5);

  /**
   * Kubelet's imageGCHighThresholdPercent, imageGCLowThresholdPercent and imageMinimumGCAge.
   */
  public record Policy(int highThresholdPercent, int lowThresholdPercent, Duration minAge) {
    public static final Policy DEFAULTS = new Policy(85, 80, Duration.ofMinutes(2));

    public Policy {
      if (highThresholdPercent < 0 || highThresholdPercent > 100) {
        throw new IllegalArgumentException("imageGCHighThresholdPercent must be between 0 and 100, got "
            + highThresholdPercent);
      }
      if (lowThresholdPercent < 0 || lowThresholdPercent > 100) {
        throw new IllegalArgumentException("imageGCLowThresholdPercent must be between 0 and 100, got "
            + lowThresholdPercent);
      }
      if (lowThresholdPercent > highThresholdPercent) {
        throw new IllegalArgumentException("imageGCLowThresholdPercent (" + lowThresholdPercent
            + ") must not be greater than imageGCHighThresholdPercent (" + highThresholdPercent + ")");
      }
    }
  }

  /** The filesystem the images are on: its size and what is free, in bytes. */
  public interface Disk {
    long capacity();

    long available();

    /** The filesystem holding {@code path}. */
    static Disk of(Path path) {
      FileStore fs;
      try {
        fs = Files.getFileStore(path);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot find the filesystem of " + path, e);
      }
      return new Disk() {
        @Override
        public long capacity() {
          try {
            return fs.getTotalSpace();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }

        @Override
        public long available() {
          try {
            return fs.getUsableSpace();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };
    }
  }

  /** What one pass did: bytes it had to free, bytes freed, and the ids of the images removed. */
  public record Result(long bytesToFree, long bytesFreed, List<String> removed) {
    /** Whether the pass freed what the low threshold asked for (or nothing was asked). */
    public boolean enough() {
      return bytesFreed >= bytesToFree;
    }
  }

  private final ImageStore store;
  private final Supplier<Set<String>> inUse;
  private final Policy policy;
  private final Disk disk;
  private final Clock clock;
  /** Per image id: when this collector first saw it, and when a container last used it. */
  private final Map<String, Instant> firstSeen = new HashMap<>();
  private final Map<String, Instant> lastUsed = new HashMap<>();

  /** @param inUse the image ids the runtime's containers (running or exited) were made from */
  public ImageGarbageCollector(ImageStore store, Supplier<Set<String>> inUse, Policy policy, Disk disk, Clock clock) {
    this.store = store;
    this.inUse = inUse;
    this.policy = policy;
    this.disk = disk;
    this.clock = clock;
  }

  /** One pass: notes which images are used now, then frees space if usage is at or above the high threshold. */
  public synchronized Result collect() {
    Instant now = clock.instant();
    Set<String> used = inUse.get();
    List<ImageInfo> images = store.allImages();
    for (ImageInfo i : images) {
      firstSeen.putIfAbsent(i.id(), now);
      if (used.contains(i.id())) {
        lastUsed.put(i.id(), now);
      }
    }
    firstSeen.keySet().retainAll(images.stream().map(ImageInfo::id).toList());
    lastUsed.keySet().retainAll(firstSeen.keySet());

    long capacity = disk.capacity();
    long available = disk.available();
    if (capacity <= 0) {
      return new Result(0, 0, List.of());
    }
    long usagePercent = (capacity - available) * 100 / capacity;
    if (usagePercent < policy.highThresholdPercent()) {
      return new Result(0, 0, List.of());
    }
    long toFree = (capacity - available) - capacity * policy.lowThresholdPercent() / 100;
    log.info("image filesystem at {}% (high threshold {}%): freeing {} bytes to reach {}%", usagePercent,
        policy.highThresholdPercent(), toFree, policy.lowThresholdPercent());
    List<ImageInfo> candidates = new ArrayList<>();
    for (ImageInfo i : images) {
      Instant since = lastUsed.getOrDefault(i.id(), firstSeen.get(i.id()));
      if (!used.contains(i.id()) && !ImageStore.pinned(i)
          && !since.plus(policy.minAge()).isAfter(now)) {
        candidates.add(i);
      }
    }
    candidates.sort(Comparator.comparing((ImageInfo i) -> lastUsed.getOrDefault(i.id(), firstSeen.get(i.id())))
        .thenComparing(ImageInfo::id));
    long freed = 0;
    List<String> removed = new ArrayList<>();
    for (ImageInfo i : candidates) {
      if (freed >= toFree) {
        break;
      }
      freed += store.remove(i.id());
      removed.add(i.id());
      firstSeen.remove(i.id());
      lastUsed.remove(i.id());
    }
    if (freed < toFree) {
      log.warn("Failed to garbage collect required amount of images. Attempted to free {} bytes, but only found {} "
          + "bytes eligible to free.", toFree, freed);
    }
    return new Result(toFree, freed, removed);
  }
}
