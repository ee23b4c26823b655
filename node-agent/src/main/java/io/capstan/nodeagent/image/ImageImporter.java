package io.capstan.nodeagent.image;

import io.capstan.logschema.images.ImageReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.nodeagent.runtime.ImageInfo;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Imports images into an {@link ImageStore} from the two formats images travel in without a
 * registry: an OCI image layout (a directory, or a tar of one) and a {@code docker save} tarball.
 * Every digest is checked (blobs against their descriptors, each unpacked layer against the
 * image config's {@code diff_ids}), layers already in the store are not unpacked again, and
 * nothing is named in the store until all of an image's layers are in place: a bad archive
 * leaves the store as it was.
 */
public final class ImageImporter {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String REF_NAME = "org.opencontainers.image.ref.name";
  static final String CONTAINERD_NAME = "io.containerd.image.name";
  private static final Set<String> INDEX_TYPES = Set.of("application/vnd.oci.image.index.v1+json",
      "application/vnd.docker.distribution.manifest.list.v2+json");

  private final ImageStore store;
  private final Consumer<String> progress;

  public ImageImporter(ImageStore store, Consumer<String> progress) {
    this.store = store;
    this.progress = progress;
  }

  /**
   * Imports every image in {@code source}.
   *
   * @param names names to give the image (required when the archive names none; with several
   *              images in the archive, only allowed if it holds exactly one)
   * @throws IOException naming what is wrong with the archive
   */
  public List<ImageInfo> importFrom(Path source, List<String> names) throws IOException {
    if (Files.isDirectory(source)) {
      return importDirectory(source, names);
    }
    if (!Files.isRegularFile(source)) {
      throw new IOException(source + " does not exist (expected an OCI image layout or a docker save tarball)");
    }
    Path tmp = Files.createTempDirectory(store.root(), ".import-");
    try {
      progress.accept("reading " + source);
      extract(source, tmp);
      return importDirectory(tmp, names);
    } finally {
      BusyboxImage.deleteTree(tmp);
    }
  }

  private List<ImageInfo> importDirectory(Path dir, List<String> names) throws IOException {
    List<Manifest> manifests;
    if (Files.isRegularFile(dir.resolve("index.json"))) {
      manifests = ociManifests(dir);
    } else if (Files.isRegularFile(dir.resolve("manifest.json"))) {
      manifests = dockerManifests(dir);
    } else {
      throw new IOException("neither an OCI image layout (no index.json) nor a docker save tarball (no manifest.json)");
    }
    if (manifests.isEmpty()) {
      throw new IOException("the archive holds no image");
    }
    if (!names.isEmpty() && manifests.size() > 1) {
      throw new IOException("the archive holds " + manifests.size() + " images; --name can only name one");
    }
    List<ImageInfo> out = new ArrayList<>();
    for (Manifest m : manifests) {
      Set<String> all = new LinkedHashSet<>(m.names());
      all.addAll(names);
      for (String n : all) {
        ImageReference.parse(n); // a bad name is refused before anything is unpacked
      }
      if (all.isEmpty()) {
        throw new IOException("the archive does not name its image " + m.configDigest() + "; give it one with --name");
      }
      out.add(importImage(m, List.copyOf(all)));
    }
    return out;
  }

  /** One image: its config blob, its layers (base first) and its names. */
  private record Manifest(Path config, String configDigest, List<Layer> layers, List<String> names) {}

  /** A layer blob, with the digest the manifest gives it (null in a docker save tarball). */
  private record Layer(Path blob, String digest) {}

  /**
   * Imports one image whose blobs were fetched into files (from a registry): the config, and
   * each layer's blob with the digest its manifest gives. A layer already in the store is not
   * read, so its blob need not have been fetched (see {@link #hasLayer}).
   */
  ImageInfo importBlobs(Path config, String configDigest, List<Path> layerBlobs, List<String> layerDigests,
      List<String> names) throws IOException {
    List<Layer> layers = new ArrayList<>();
    for (int i = 0; i < layerBlobs.size(); i++) {
      layers.add(new Layer(layerBlobs.get(i), layerDigests.get(i)));
    }
    return importImage(new Manifest(config, configDigest, layers, names), names);
  }

  /** Whether the layer with this diff_id is unpacked in the store already. */
  boolean hasLayer(String diffId) {
    try {
      return Files.isDirectory(store.layer(diffId));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private ImageInfo importImage(Manifest m, List<String> names) throws IOException {
    byte[] configBytes = Files.readAllBytes(m.config());
    String id = "sha256:" + HexFormat.of().formatHex(LayerUnpacker.sha256().digest(configBytes));
    if (m.configDigest() != null && !m.configDigest().equals(id)) {
      throw new IOException("image config " + m.config().getFileName() + " has digest " + id + ", not "
          + m.configDigest() + " as its manifest says: the archive is damaged");
    }
    JsonNode config = JSON.readTree(configBytes);
    checkPlatform(config, names);
    JsonNode diffIds = config.path("rootfs").path("diff_ids");
    if (!diffIds.isArray() || diffIds.size() != m.layers().size()) {
      throw new IOException("image " + names.get(0) + ": its config lists " + diffIds.size() + " layer diff_ids but"
          + " the manifest has " + m.layers().size() + " layers");
    }
    progress.accept("image " + names.get(0) + " (" + id.substring(0, 19) + "…, " + m.layers().size() + " layer(s))");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < m.layers().size(); i++) {
      String diffId = diffIds.get(i).asText();
      ids.add(diffId);
      unpackLayer(m.layers().get(i), diffId, i + 1, m.layers().size());
    }
    JsonNode c = config.path("config");
    ImageInfo info = store.addLayered(id, ids, names, strings(c.get("Entrypoint")), strings(c.get("Cmd")),
        strings(c.get("Env")), c.path("WorkingDir").asText(""));
    progress.accept("imported " + String.join(", ", info.names()) + " as " + id);
    return info;
  }

  private void unpackLayer(Layer layer, String diffId, int n, int of) throws IOException {
    unpackLayer(() -> Files.newInputStream(layer.blob()), layer.digest(), diffId, n, of);
  }

  /** Where a blob's bytes come from: opened only when the layer is not in the store yet. */
  interface BlobSource {
    InputStream open() throws IOException;
  }

  /** A blob streamed from a registry. */
  interface RegistryBlob extends BlobSource {}

  /**
   * Unpacks one layer blob as it streams in (from a file, or straight from a registry), checking
   * the blob against {@code blobDigest} (when given) and its content against {@code diffId};
   * nothing is left in the store unless both hold.
   */
  void unpackLayer(BlobSource source, String blobDigest, String diffId, int n, int of) throws IOException {
    Path target;
    try {
      target = store.layer(diffId);
    } catch (IllegalArgumentException e) {
      throw new IOException("layer " + n + ": " + e.getMessage());
    }
    if (Files.isDirectory(target)) {
      progress.accept("layer " + n + "/" + of + " " + diffId.substring(0, 19) + "… already in the store");
      return;
    }
    Path tmp = Files.createTempDirectory(target.getParent(), ".unpack-");
    try {
      MessageDigest blobSha = LayerUnpacker.sha256();
      LayerUnpacker.Unpacked u;
      // From a registry, the network and the blob's digest run ahead on a thread of their own.
      try (InputStream in = source instanceof RegistryBlob
          ? new ReadAhead(new DigestInputStream(source.open(), blobSha), "capstan-image-layer-read-" + n)
          : new DigestInputStream(source.open(), blobSha)) {
        try {
          u = LayerUnpacker.unpack(in, tmp.resolve("fs"));
        } catch (IOException unreadable) {
          // A damaged blob often fails to unpack before its end: its digest is the real reason.
          in.transferTo(OutputStream.nullOutputStream());
          String got = "sha256:" + HexFormat.of().formatHex(blobSha.digest());
          if (blobDigest != null && !blobDigest.equals(got)) {
            throw new IOException("layer " + n + " blob has digest " + got + ", not " + blobDigest
                + " as its manifest says: the " + (source instanceof RegistryBlob ? "registry served other content"
                : "archive is damaged") + " (" + unreadable.getMessage() + ")");
          }
          throw unreadable;
        }
        in.transferTo(OutputStream.nullOutputStream());
      }
      String gotDigest = "sha256:" + HexFormat.of().formatHex(blobSha.digest());
      if (blobDigest != null && !blobDigest.equals(gotDigest)) {
        throw new IOException("layer " + n + " blob has digest " + gotDigest + ", not " + blobDigest
            + " as its manifest says: the " + (source instanceof RegistryBlob ? "registry served other content"
            : "archive is damaged"));
      }
      if (!u.diffId().equals(diffId)) {
        throw new IOException("layer " + n + " unpacks to content with digest " + u.diffId() + ", not the diff_id "
            + diffId + " the image config gives: the archive is damaged");
      }
      try {
        Files.move(tmp.resolve("fs"), target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
        if (!Files.isDirectory(target)) {
          throw e;
        }
        // another import unpacked the same layer meanwhile
      } catch (IOException e) {
        if (!Files.isDirectory(target)) {
          throw e;
        }
      }
      progress.accept("layer " + n + "/" + of + " " + diffId.substring(0, 19) + "… unpacked: " + u.entries()
          + " entries, " + u.bytes() / 1024 + " KiB");
    } finally {
      BusyboxImage.deleteTree(tmp);
    }
  }

  private static void checkPlatform(JsonNode config, List<String> names) throws IOException {
    String os = config.path("os").asText("linux");
    String arch = config.path("architecture").asText(hostArchitecture());
    if (!os.equals("linux") || !arch.equals(hostArchitecture())) {
      throw new IOException("image " + names.get(0) + " is for " + os + "/" + arch + "; this node runs linux/"
          + hostArchitecture());
    }
  }

  /** The descriptor in an image index of the image for this node's platform (linux, its architecture), or null. */
  static JsonNode forThisPlatform(JsonNode index) {
    for (JsonNode m : index.path("manifests")) {
      JsonNode p = m.path("platform");
      if (p.path("os").asText("linux").equals("linux")
          && p.path("architecture").asText(hostArchitecture()).equals(hostArchitecture())) {
        return m;
      }
    }
    return null;
  }

  public static String hostArchitecture() {
    String a = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    return switch (a) {
      case "x86_64", "amd64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      default -> a;
    };
  }

  // --- OCI image layout ---

  private List<Manifest> ociManifests(Path dir) throws IOException {
    JsonNode index = readJson(dir.resolve("index.json"));
    List<Manifest> out = new ArrayList<>();
    for (JsonNode d : index.path("manifests")) {
      collect(dir, d, List.of(), out);
    }
    return out;
  }

  private void collect(Path dir, JsonNode descriptor, List<String> outerNames, List<Manifest> out) throws IOException {
    List<String> names = new ArrayList<>(outerNames);
    JsonNode ann = descriptor.path("annotations");
    if (ann.hasNonNull(CONTAINERD_NAME)) {
      names.add(ann.get(CONTAINERD_NAME).asText());
    } else if (ann.hasNonNull(REF_NAME) && looksLikeFullName(ann.get(REF_NAME).asText())) {
      names.add(ann.get(REF_NAME).asText());
    }
    Path blob = blob(dir, descriptor.path("digest").asText());
    JsonNode doc = readJson(blob);
    String type = descriptor.path("mediaType").asText(doc.path("mediaType").asText(""));
    if (INDEX_TYPES.contains(type) || doc.has("manifests")) {
      JsonNode chosen = forThisPlatform(doc);
      if (chosen == null) {
        throw new IOException("the image index " + descriptor.path("digest").asText() + " has no linux/"
            + hostArchitecture() + " image");
      }
      collect(dir, chosen, names, out);
      return;
    }
    List<Layer> layers = new ArrayList<>();
    for (JsonNode l : doc.path("layers")) {
      layers.add(new Layer(blob(dir, l.path("digest").asText()), l.path("digest").asText()));
    }
    String configDigest = doc.path("config").path("digest").asText();
    out.add(new Manifest(blob(dir, configDigest), configDigest, layers, names));
  }

  /** A ref.name may be just a tag ("1.36"); only a name with a repository in it names an image. */
  static boolean looksLikeFullName(String refName) {
    return refName.contains("/") || refName.contains(":");
  }

  private static Path blob(Path dir, String digest) throws IOException {
    if (!digest.matches("sha256:[0-9a-f]{64}")) {
      throw new IOException("the archive refers to a blob by \"" + digest + "\", which is not a sha256 digest");
    }
    Path p = dir.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
    if (!Files.isRegularFile(p)) {
      throw new IOException("the archive lacks the blob " + digest);
    }
    return p;
  }

  // --- docker save ---

  private List<Manifest> dockerManifests(Path dir) throws IOException {
    JsonNode manifest = readJson(dir.resolve("manifest.json"));
    if (!manifest.isArray()) {
      throw new IOException("manifest.json is not a list of images");
    }
    List<Manifest> out = new ArrayList<>();
    for (JsonNode m : manifest) {
      Path config = inside(dir, m.path("Config").asText(), "Config");
      List<Layer> layers = new ArrayList<>();
      for (JsonNode l : m.path("Layers")) {
        layers.add(new Layer(inside(dir, l.asText(), "layer"), null));
      }
      out.add(new Manifest(config, null, layers, strings(m.get("RepoTags"))));
    }
    return out;
  }

  private static Path inside(Path dir, String rel, String what) throws IOException {
    Path p = dir.resolve(LayerUnpacker.relative(rel));
    if (rel.isEmpty() || !Files.isRegularFile(p)) {
      throw new IOException("manifest.json names the " + what + " file \"" + rel + "\", which the archive lacks");
    }
    return p;
  }

  // --- helpers ---

  /** Unpacks the outer archive (regular files and directories only) into {@code dir}. */
  private static void extract(Path archive, Path dir) throws IOException {
    try (InputStream in = LayerUnpacker.decompressed(new BufferedInputStream(Files.newInputStream(archive), 1 << 16))) {
      TarReader tar = new TarReader(in);
      for (TarReader.Entry e = tar.next(); e != null; e = tar.next()) {
        String rel = LayerUnpacker.relative(e.name());
        if (rel.isEmpty()) {
          continue;
        }
        Path p = dir.resolve(rel);
        if (e.type() == TarReader.Type.DIRECTORY) {
          Files.createDirectories(p);
        } else if (e.type() == TarReader.Type.FILE) {
          Files.createDirectories(p.getParent());
          try (OutputStream out = Files.newOutputStream(p)) {
            tar.content().transferTo(out);
          }
        } else if (e.type() == TarReader.Type.SYMLINK && !e.linkName().startsWith("/")
            && p.getParent().resolve(e.linkName()).normalize().startsWith(dir)) {
          // docker save (before OCI layouts) links a repeated layer to its first copy, ../<id>/layer.tar
          Files.createDirectories(p.getParent());
          Files.createSymbolicLink(p, Path.of(e.linkName()));
        }
      }
    }
  }

  private static JsonNode readJson(Path p) throws IOException {
    try {
      return JSON.readTree(p.toFile());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException(p.getFileName() + " is not valid JSON: " + e.getOriginalMessage());
    }
  }

  private static List<String> strings(JsonNode n) {
    List<String> out = new ArrayList<>();
    if (n != null && n.isArray()) {
      n.forEach(e -> out.add(e.asText()));
    }
    return out;
  }
}
