package io.capstan.nodeagent.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.nodeagent.runtime.ImageInfo;
import io.capstan.stateviews.testing.ManualClock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image garbage collection on a real store on disk, with the filesystem's size made up so the
 * thresholds can be crossed: least recently used images go first, down to the low threshold;
 * images in use, younger than the minimum age or only this node has are kept, and so are layers
 * another image shares.
 */
class ImageGarbageCollectorTest {
  private static final long CAPACITY = 1_000_000;
  private static final int LAYER = 100_000;

  @TempDir
  Path dir;

  private final ManualClock clock = new ManualClock(Instant.parse("2026-12-06T05:00:00Z"));

  @Test
  void leastRecentlyUsedImagesGoFirstDownToTheLowThreshold() throws Exception {
    ImageStore store = new ImageStore(dir.resolve("images"));
    String shared = layer(store, "shared");
    ImageInfo a = image(store, "registry.example/a:1", layer(store, "a1"), shared);
    ImageInfo b = image(store, "registry.example/b:1", layer(store, "b1"), shared);
    ImageInfo c = image(store, "registry.example/c:1", layer(store, "c1"));
    ImageInfo pinned = image(store, "capstan.local/tools:1", layer(store, "p1"));
    AtomicReference<Set<String>> inUse = new AtomicReference<>(Set.of(b.id(), c.id()));
    AtomicLong others = new AtomicLong(); // what else is on the filesystem
    AtomicLong size = new AtomicLong(CAPACITY);
    ImageGarbageCollector.Disk disk = new ImageGarbageCollector.Disk() {
      @Override
      public long capacity() {
        return size.get();
      }

      @Override
      public long available() {
        return size.get() - others.get() - bytesUnder(dir);
      }
    };
    ImageGarbageCollector gc = new ImageGarbageCollector(store, inUse::get, ImageGarbageCollector.Policy.DEFAULTS,
        disk, clock);

    // Below the high threshold: nothing to do, but what is used is noted.
    assertEquals(0, gc.collect().bytesToFree());
    clock.advance(Duration.ofMinutes(1));
    inUse.set(Set.of(c.id()));
    assertEquals(0, gc.collect().bytesToFree());
    assertEquals(4, store.allImages().size());

    // 90% used: free down to 80%. a (never used) goes before b (used a minute later); d is too new.
    clock.advance(Duration.ofMinutes(3));
    ImageInfo d = image(store, "registry.example/d:1", layer(store, "d1"));
    others.set(CAPACITY * 90 / 100 - bytesUnder(dir));
    ImageGarbageCollector.Result first = gc.collect();
    assertEquals(CAPACITY / 10, first.bytesToFree());
    assertEquals(List.of(a.id()), first.removed(), "only the least recently used image was needed");
    assertTrue(first.enough(), first.toString());
    assertFalse(Files.exists(store.layer(digest("a1"))), "a's own layer is gone");
    assertTrue(Files.isDirectory(store.layer(shared)), "the layer b shares is kept");
    assertTrue(store.imageStatus("registry.example/a:1").isEmpty(), "a's name no longer resolves");

    // A deficit larger than what may go: b goes (with the shared layer now), c (in use), d (younger
    // than two minutes) and the node's own image stay, and the pass says it fell short.
    size.set(2 * CAPACITY);
    others.set(2 * CAPACITY - bytesUnder(dir)); // full: 400 kB to free, 200 kB may go
    ImageGarbageCollector.Result second = gc.collect();
    assertEquals(List.of(b.id()), second.removed());
    assertFalse(second.enough(), second.toString());
    assertFalse(Files.exists(store.layer(shared)), "no image has the shared layer any more");
    assertEquals(Set.of(c.id(), d.id(), pinned.id()),
        store.allImages().stream().map(ImageInfo::id).collect(java.util.stream.Collectors.toSet()));
  }

  @Test
  void thresholdsAreCheckedAsKubeletChecksThem() {
    assertThrows(IllegalArgumentException.class, () -> new ImageGarbageCollector.Policy(101, 80, Duration.ZERO));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ImageGarbageCollector.Policy(70, 80, Duration.ZERO));
    assertEquals("imageGCLowThresholdPercent (80) must not be greater than imageGCHighThresholdPercent (70)",
        e.getMessage());
  }

  private static String digest(String seed) throws Exception {
    return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(seed.getBytes(StandardCharsets.UTF_8)));
  }

  /** An unpacked layer of one 100 kB file. */
  private static String layer(ImageStore store, String seed) throws Exception {
    String diffId = digest(seed);
    Path l = store.layer(diffId);
    Files.createDirectories(l);
    Files.write(l.resolve("file"), new byte[LAYER]);
    return diffId;
  }

  private static ImageInfo image(ImageStore store, String name, String... diffIds) throws Exception {
    return store.addLayered(digest("image " + name), List.of(diffIds), List.of(name), List.of("sh"), List.of(),
        List.of(), "/");
  }

  private static long bytesUnder(Path root) {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
