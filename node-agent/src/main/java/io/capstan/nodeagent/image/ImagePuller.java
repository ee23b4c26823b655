package io.capstan.nodeagent.image;

import io.capstan.logschema.images.ImageReference;
import io.capstan.nodeagent.runtime.RegistryCredentials;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.nodeagent.runtime.ImageInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Pulls images from registries into an {@link ImageStore}: the manifest by tag or digest (an
 * image index resolved to this node's platform), then the config and the layers the store does
 * not have yet, each checked against its digest while it streams in, then unpacked and named
 * as an import is ({@link ImageImporter}). The image is named by the reference pulled and by
 * its repository digest ({@code registry/repository@sha256:…}), as Docker's RepoTags and
 * RepoDigests. Concurrent pulls of one reference share one download; a failed pull leaves the
 * store as it was.
 */
public final class ImagePuller {
  private static final ObjectMapper JSON = new ObjectMapper();
  /**
   * Layers fetched and unpacked at once per node. containerd downloads three at a time; Capstan
   * unpacks as it downloads, so a pull is CPU-bound rather than network-bound, and a fourth layer
   * keeps the cores busy while the others finish (4-layer bench image: 0.50 of skopeo's rate with
   * three, 0.53–0.54 with four, alternating runs).
   */
  static final int LAYER_THREADS = 4;
  private static final ExecutorService LAYERS = layerPool();

  /** Threads only while pulls run: an idle node keeps none. */
  private static ExecutorService layerPool() {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(LAYER_THREADS, LAYER_THREADS, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "capstan-image-layer-pull");
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  private final ImageStore store;
  private final RegistryClient registry;
  private final ImageImporter importer;
  private final Consumer<String> progress;
  private final ConcurrentHashMap<String, CompletableFuture<ImageInfo>> inFlight = new ConcurrentHashMap<>();

  public ImagePuller(ImageStore store, RegistryClient registry, Consumer<String> progress) {
    this.store = store;
    this.registry = registry;
    this.importer = new ImageImporter(store, progress);
    this.progress = progress;
  }

  /** Pulls {@code reference} (however a user writes it) and returns the image as stored. */
  public ImageInfo pull(String reference) throws IOException {
    return pull(reference, registry::defaultCredentials);
  }

  /** {@link #pull(String)}, answering the registry's challenge with these credentials (a pod's pull secrets). */
  public ImageInfo pull(String reference, Function<String, Optional<RegistryCredentials>> creds)
      throws IOException {
    ImageReference ref = ImageReference.parse(reference);
    CompletableFuture<ImageInfo> mine = new CompletableFuture<>();
    CompletableFuture<ImageInfo> running = inFlight.putIfAbsent(ref.normalized(), mine);
    if (running != null) {
      return await(running);
    }
    try {
      mine.complete(pullNow(ref, creds));
    } catch (IOException | RuntimeException e) {
      mine.completeExceptionally(e);
    } finally {
      inFlight.remove(ref.normalized(), mine);
    }
    return await(mine);
  }

  /** Waits for every layer; the first failure is the pull's (the others are cancelled). */
  private static void awaitAll(List<Future<?>> layers) throws IOException {
    try {
      for (Future<?> f : layers) {
        f.get();
      }
    } catch (InterruptedException e) {
      layers.forEach(f -> f.cancel(true));
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while pulling", e);
    } catch (ExecutionException e) {
      layers.forEach(f -> f.cancel(true));
      for (Future<?> f : layers) {
        try {
          f.get(); // let the others finish or stop before the download directory goes
        } catch (Exception ignored) {
          // reported through the first failure
        }
      }
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException(e.getCause());
    }
  }

  private static ImageInfo await(CompletableFuture<ImageInfo> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while pulling", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException(e.getCause());
    }
  }

  /**
   * Pulls from the registry's mirrors in order, then from the registry itself (containerd's and
   * k3s's order); the first that has the image serves it. The image is named after the
   * registry, whichever endpoint served it.
   */
  private ImageInfo pullNow(ImageReference ref, Function<String, Optional<RegistryCredentials>> creds)
      throws IOException {
    List<String> endpoints = registry.endpoints(ref.registry());
    Function<String, Optional<RegistryCredentials>> all = registry.withConfigured(creds);
    List<String> errors = new ArrayList<>();
    IOException last = null;
    boolean allUnreachable = true;
    for (String endpoint : endpoints) {
      ImageReference from = new ImageReference(endpoint, ref.repository(), ref.tag(), ref.digest());
      try {
        return pullFrom(ref, from, all);
      } catch (IOException e) {
        last = e;
        allUnreachable &= e instanceof RegistryClient.Unreachable;
        errors.add(endpoint + ": " + e.getMessage());
        if (endpoints.size() > 1) {
          progress.accept("pulling " + ref.normalized() + " from " + endpoint + " failed: " + e.getMessage());
        }
      }
    }
    if (endpoints.size() == 1) {
      throw last;
    }
    String message = "no endpoint of " + ref.registry() + " gave " + ref.normalized() + ": " + String.join("; ", errors);
    throw allUnreachable ? new RegistryClient.Unreachable(message, last) : new IOException(message, last);
  }

  private ImageInfo pullFrom(ImageReference named, ImageReference ref,
      Function<String, Optional<RegistryCredentials>> creds) throws IOException {
    long start = System.nanoTime();
    RegistryClient.Manifest m = registry.manifest(ref, ref.digest() != null ? ref.digest() : ref.tag(), creds);
    if (m.isIndex()) {
      JsonNode chosen = ImageImporter.forThisPlatform(m.body());
      if (chosen == null) {
        throw new IOException("the image index of " + ref.normalized() + " has no linux/"
            + ImageImporter.hostArchitecture() + " image");
      }
      m = registry.manifest(ref, chosen.path("digest").asText(), creds);
      if (m.isIndex()) {
        throw new IOException("the image index of " + ref.normalized() + " points at another index, not at an image");
      }
    }
    JsonNode manifest = m.body();
    String configDigest = manifest.path("config").path("digest").asText("");
    JsonNode layers = manifest.path("layers");
    if (configDigest.isEmpty() || !layers.isArray() || layers.isEmpty()) {
      throw new IOException("the manifest of " + ref.normalized() + " names no config or no layers");
    }
    Set<String> names = new LinkedHashSet<>();
    names.add(named.normalized());
    names.add(named.registry() + "/" + named.repository() + "@" + m.digest());
    Path tmp = Files.createTempDirectory(store.root(), ".pull-");
    try {
      Path config = tmp.resolve("config");
      registry.blob(ref, configDigest, config, n -> { }, creds);
      JsonNode diffIds = JSON.readTree(config.toFile()).path("rootfs").path("diff_ids");
      if (!diffIds.isArray() || diffIds.size() != layers.size()) {
        throw new IOException("image " + ref.normalized() + ": its config lists " + diffIds.size()
            + " layer diff_ids but the manifest has " + layers.size() + " layers");
      }
      // Each missing layer streams from the registry straight into the unpacker (one pass: the
      // blob's digest, gunzip, the content's diff_id), LAYER_THREADS layers at a time.
      List<Path> blobs = new ArrayList<>();
      List<String> digests = new ArrayList<>();
      List<Future<?>> unpacking = new ArrayList<>();
      long bytes = 0;
      for (int i = 0; i < layers.size(); i++) {
        String digest = layers.get(i).path("digest").asText("");
        blobs.add(tmp.resolve("layer-" + i)); // never written: every layer is unpacked before the import
        digests.add(digest);
        String diffId = diffIds.get(i).asText();
        if (importer.hasLayer(diffId)) {
          continue; // unpacked for another image: not fetched again
        }
        bytes += layers.get(i).path("size").asLong();
        int n = i + 1;
        ImageImporter.RegistryBlob source = () -> registry.openBlob(ref, digest, creds);
        unpacking.add(LAYERS.submit(() -> {
          importer.unpackLayer(source, digest, diffId, n, layers.size());
          return null;
        }));
      }
      awaitAll(unpacking);
      ImageInfo info = importer.importBlobs(config, configDigest, blobs, digests, List.copyOf(names));
      progress.accept("pulled " + named.normalized() + (named.equals(ref) ? "" : " from " + ref.registry())
          + " (" + m.digest() + "): " + bytes / 1024 + " KiB in "
          + (System.nanoTime() - start) / 1_000_000 + " ms");
      return info;
    } finally {
      BusyboxImage.deleteTree(tmp);
    }
  }
}
