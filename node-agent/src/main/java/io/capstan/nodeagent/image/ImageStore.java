package io.capstan.nodeagent.image;

import io.capstan.logschema.images.ImageReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.nodeagent.runtime.ImageInfo;
import io.capstan.nodeagent.runtime.ImagePullFailure;
import io.capstan.nodeagent.runtime.ImageService;
import io.capstan.nodeagent.runtime.RegistryCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's images, under {@code <root>/<hex digest>/}: {@code image.json} (names, id, layers and
 * the OCI image config's Entrypoint/Cmd/Env/WorkingDir) and, for an image built here, its one
 * {@code rootfs/}. Imported layers live under {@code <root>/layers/<hex diff_id>/}, unpacked once
 * and shared read-only by every image and container that has them. No registry is reachable from
 * here: pulling an image that is not in the store fails with ErrImagePull and a message saying how
 * to get it. Another process may import while an agent runs: a name not found is looked for again
 * on disk before the pull fails.
 */
public final class ImageStore implements ImageService {
  private static final Logger log = LoggerFactory.getLogger(ImageStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The store's directory under a node agent's data dir. */
  public static final String SUBDIR = "images";
  /** The registry of images that only node stores have (the seeded busybox): never asked for. */
  static final String LOCAL_REGISTRY = "capstan.local";
  static final String RECORD = "image.json";
  static final String LAYERS = "layers";

  private final Path root;
  private final Map<String, ImageInfo> byName = new ConcurrentHashMap<>();
  /** Pulls images this store lacks from their registries; null: none are pulled. */
  private volatile ImagePuller puller;

  public ImageStore(Path root) {
    this.root = root;
    try {
      Files.createDirectories(root.resolve(LAYERS));
      rescan();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the image store " + root, e);
    }
    log.info("image store {}: {} image name(s)", root, byName.size());
  }

  /** From now on, an image this store lacks is pulled from its registry. */
  public ImageStore pullingFrom(RegistryClient registry) {
    puller = new ImagePuller(this, registry, line -> log.info("image pull: {}", line));
    return this;
  }

  /** Reads every image record on disk again (images another process imported). */
  private synchronized void rescan() throws IOException {
    Map<String, ImageInfo> fresh = new java.util.HashMap<>();
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path d : dirs.toList()) {
        Path rec = d.resolve(RECORD);
        if (Files.isRegularFile(rec)) {
          ImageInfo info = read(rec, d);
          info.names().forEach(n -> fresh.put(n, info));
        }
      }
    }
    byName.putAll(fresh);
    byName.keySet().retainAll(fresh.keySet());
  }

  /** Where the layer with this diff_id is (or would be) unpacked. */
  public Path layer(String diffId) {
    return root.resolve(LAYERS).resolve(hex(diffId, "layer diff_id"));
  }

  private static String hex(String digest, String what) {
    if (!digest.matches("sha256:[0-9a-f]{64}")) {
      throw new IllegalArgumentException(what + " must be sha256:<64 hex>, got " + digest);
    }
    return digest.substring("sha256:".length());
  }

  public Path root() {
    return root;
  }

  @Override
  public ImageInfo pullImage(String reference) {
    return pullImage(reference, false, host -> Optional.empty());
  }

  /**
   * {@inheritDoc}
   *
   * <p>Images of {@link BusyboxImage}'s registry ({@code capstan.local}) live only here and are
   * never asked for. With {@code refresh}, a present image whose registry cannot be reached at
   * all is used as it is (a node that imported its images has no registry to ask), with a
   * warning in the log; a registry that answers, but not with the image, fails the pull as
   * kubelet's would.
   */
  @Override
  public ImageInfo pullImage(String reference, boolean refresh,
      Function<String, Optional<RegistryCredentials>> credentials) {
    ImageReference ref;
    try {
      ref = ImageReference.parse(reference);
    } catch (IllegalArgumentException e) {
      // kubelet reports a malformed name as InvalidImageName; it is a pull failure all the same.
      throw new ImagePullFailure("Failed to apply default image tag \"" + reference + "\": " + e.getMessage());
    }
    Optional<ImageInfo> found = find(ref);
    ImagePuller p = puller;
    boolean remote = p != null && !ref.registry().equals(LOCAL_REGISTRY);
    if (found.isPresent() && !(refresh && remote)) {
      return found.get();
    }
    String hint = ref.normalized() + " is not in this node's image store: push it to a registry this node reaches, or"
        + " import it with `./capstan image import FILE` (an OCI layout or `docker save` tarball), or use "
        + BusyboxImage.NAME;
    if (!remote) {
      throw new ImagePullFailure("Failed to pull image \"" + reference + "\": " + hint);
    }
    try {
      return p.pull(reference, credentials);
    } catch (RegistryClient.Unreachable e) {
      if (found.isPresent()) {
        log.warn("image {}: its registry cannot be reached ({}); using the copy in the store", reference, e.getMessage());
        return found.get();
      }
      throw new ImagePullFailure("Failed to pull image \"" + reference + "\": " + e.getMessage() + "; " + hint);
    } catch (IOException | RuntimeException e) {
      throw new ImagePullFailure("Failed to pull image \"" + reference + "\": " + e.getMessage() + "; " + hint);
    }
  }

  @Override
  public Optional<ImageInfo> imageStatus(String reference) {
    try {
      return find(ImageReference.parse(reference));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private Optional<ImageInfo> find(ImageReference ref) {
    Optional<ImageInfo> known = lookUp(ref);
    if (known.isPresent()) {
      return known;
    }
    try {
      rescan();
    } catch (IOException e) {
      log.warn("cannot read the image store {} again: {}", root, e.getMessage());
    }
    return lookUp(ref);
  }

  private Optional<ImageInfo> lookUp(ImageReference ref) {
    if (ref.digest() != null) {
      // A repository digest (the manifest's, as pulled) names the image; else the image id may.
      ImageInfo pulled = byName.get(ref.registry() + "/" + ref.repository() + "@" + ref.digest());
      return pulled != null ? Optional.of(pulled)
          : byName.values().stream().filter(i -> i.id().equals(ref.digest())).findFirst();
    }
    return Optional.ofNullable(byName.get(ref.normalized()));
  }

  @Override
  public List<ImageInfo> listImages() {
    return byName.values().stream().distinct().toList();
  }

  /**
   * Adds an unpacked image: {@code rootfs} is moved into the store under its digest (or dropped
   * when that digest is already there), then the names point at it.
   */
  public synchronized ImageInfo add(String digest, Path rootfs, List<String> names, List<String> entrypoint,
      List<String> cmd, List<String> env, String workingDir) {
    if (!digest.matches("sha256:[0-9a-f]{64}")) {
      throw new IllegalArgumentException("image digest must be sha256:<64 hex>, got " + digest);
    }
    List<String> normalized = names.stream().map(n -> ImageReference.parse(n).normalized()).toList();
    Path dir = root.resolve(digest.substring("sha256:".length()));
    try {
      Path target = dir.resolve("rootfs");
      if (!Files.isDirectory(target)) {
        Files.createDirectories(dir);
        Files.move(rootfs, target, StandardCopyOption.ATOMIC_MOVE);
      }
      ImageInfo info = new ImageInfo(normalized, digest, target, entrypoint, cmd, env, workingDir, sizeOf(target));
      Path tmp = dir.resolve(RECORD + ".tmp");
      Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson(info)));
      Files.move(tmp, dir.resolve(RECORD), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      index(info);
      log.info("image {} stored as {}", normalized, digest);
      return info;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store image " + names + " in " + dir, e);
    }
  }

  /**
   * Adds an imported image whose layers (diff_ids, the base first) are already unpacked under
   * {@link #layer}; the names point at it, replacing what they named before.
   */
  public synchronized ImageInfo addLayered(String digest, List<String> diffIds, List<String> names,
      List<String> entrypoint, List<String> cmd, List<String> env, String workingDir) {
    Path dir = root.resolve(hex(digest, "image digest"));
    List<String> normalized = names.stream().map(n -> ImageReference.parse(n).normalized()).toList();
    try {
      List<Path> layers = new ArrayList<>();
      long size = 0;
      for (String d : diffIds) {
        Path l = layer(d);
        if (!Files.isDirectory(l)) {
          throw new IllegalStateException("layer " + d + " of image " + digest + " is not unpacked at " + l);
        }
        layers.add(l);
        size += sizeOf(l);
      }
      ImageInfo info = new ImageInfo(normalized, digest, layers, entrypoint, cmd, env, workingDir, size);
      untag(normalized, dir);
      Files.createDirectories(dir);
      ObjectNode rec = toJson(info);
      rec.set("layers", JSON.valueToTree(diffIds));
      Path tmp = dir.resolve(RECORD + ".tmp");
      Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(rec));
      Files.move(tmp, dir.resolve(RECORD), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      rescan();
      log.info("image {} stored as {} ({} layer(s))", normalized, digest, layers.size());
      return info;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store image " + names + " in " + dir, e);
    }
  }

  /**
   * Removes the image with this id (its record, its own rootfs) and every layer no other image
   * of the store has, as kubelet's image garbage collection asks the runtime to; the image's names
   * stop resolving. Images of {@value #LOCAL_REGISTRY} are never removed (nothing could pull them
   * again).
   *
   * @return the bytes freed on disk (0 when there was no such image, or it is pinned)
   */
  public synchronized long remove(String id) {
    List<ImageInfo> all = allImages();
    Optional<ImageInfo> image = all.stream().filter(i -> i.id().equals(id)).findFirst();
    if (image.isEmpty() || pinned(image.get())) {
      return 0;
    }
    Path dir = root.resolve(hex(id, "image id"));
    java.util.Set<Path> kept = new java.util.HashSet<>();
    all.stream().filter(i -> !i.id().equals(id)).forEach(i -> kept.addAll(i.layers()));
    try {
      long freed = 0;
      for (Path layer : image.get().layers()) {
        if (!kept.contains(layer) && Files.isDirectory(layer)) {
          freed += sizeOf(layer);
          deleteTree(layer);
        }
      }
      if (Files.isDirectory(dir)) {
        freed += sizeOf(dir);
        Files.deleteIfExists(dir.resolve(RECORD)); // first: a half-removed image is no image at a rescan
        deleteTree(dir);
      }
      byName.values().removeIf(i -> i.id().equals(id));
      log.info("image {} ({}) removed, {} bytes freed", image.get().names(), id, freed);
      return freed;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove image " + id + " from " + root, e);
    }
  }

  /**
   * Every image on disk, with names or without (an image whose names a later pull or import took
   * over), as image garbage collection sees them.
   */
  public synchronized List<ImageInfo> allImages() {
    List<ImageInfo> out = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path d : dirs.toList()) {
        Path rec = d.resolve(RECORD);
        if (Files.isRegularFile(rec)) {
          out.add(read(rec, d));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the images in " + root, e);
    }
    return out;
  }

  /** Whether the image only this store has (the seeded busybox), which is never removed. */
  static boolean pinned(ImageInfo image) {
    return !image.names().isEmpty() && image.names().stream().allMatch(n -> n.startsWith(LOCAL_REGISTRY + "/"));
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** Takes these names off every other image's record: a name names one image. */
  private void untag(List<String> names, Path keep) throws IOException {
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path d : dirs.toList()) {
        Path rec = d.resolve(RECORD);
        if (d.equals(keep) || !Files.isRegularFile(rec)) {
          continue;
        }
        ObjectNode o = (ObjectNode) JSON.readTree(rec.toFile());
        List<String> had = strings(o.get("names"));
        List<String> left = had.stream().filter(n -> !names.contains(n)).toList();
        if (left.size() != had.size()) {
          o.set("names", JSON.valueToTree(left));
          Path tmp = d.resolve(RECORD + ".tmp");
          Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
          Files.move(tmp, rec, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  private void index(ImageInfo info) {
    for (String n : info.names()) {
      byName.put(n, info);
    }
  }

  private static long sizeOf(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    }
  }

  private static ObjectNode toJson(ImageInfo i) {
    ObjectNode o = JSON.createObjectNode();
    o.set("names", JSON.valueToTree(i.names()));
    o.put("id", i.id());
    o.put("sizeBytes", i.sizeBytes());
    ObjectNode config = o.putObject("config");
    config.set("Entrypoint", JSON.valueToTree(i.entrypoint()));
    config.set("Cmd", JSON.valueToTree(i.cmd()));
    config.set("Env", JSON.valueToTree(i.env()));
    config.put("WorkingDir", i.workingDir());
    return o;
  }

  private ImageInfo read(Path rec, Path dir) throws IOException {
    JsonNode o = JSON.readTree(rec.toFile());
    JsonNode c = o.path("config");
    List<Path> layers = o.has("layers")
        ? strings(o.get("layers")).stream().map(this::layer).toList() : List.of(dir.resolve("rootfs"));
    return new ImageInfo(strings(o.get("names")), o.path("id").asText(), layers, strings(c.get("Entrypoint")),
        strings(c.get("Cmd")), strings(c.get("Env")), c.path("WorkingDir").asText(""), o.path("sizeBytes").asLong());
  }

  private static List<String> strings(JsonNode n) {
    List<String> out = new ArrayList<>();
    if (n instanceof ArrayNode a) {
      a.forEach(e -> out.add(e.asText()));
    }
    return out;
  }
}
