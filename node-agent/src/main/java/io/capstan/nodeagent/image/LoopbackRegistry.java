package io.capstan.nodeagent.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * A real Docker registry (Debian's {@code docker-registry}, the distribution project's server)
 * on a loopback port, with its storage in a directory of the caller's, and the pushes a client
 * makes: blobs through the upload API, manifests by tag. For the pull tests and the pull
 * benchmark; a cluster never starts one.
 */
public final class LoopbackRegistry implements AutoCloseable {
  static final String BINARY = "/usr/bin/docker-registry";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final Path dir;
  public final String host;
  private final String authorization;
  private final HttpClient http = HttpClient.newHttpClient();

  private LoopbackRegistry(Process process, Path dir, String host, String authorization) {
    this.process = process;
    this.dir = dir;
    this.host = host;
    this.authorization = authorization;
  }

  /** Starts one; with a user and password, it asks for them (HTTP Basic, an htpasswd file). */
  public static LoopbackRegistry start(Path dir, String user, String password) throws Exception {
    if (!Files.isExecutable(Path.of(BINARY))) {
      throw new IllegalStateException(BINARY + " is missing: apt-get install -y docker-registry (./capstan test installs it)");
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Files.createDirectories(dir);
    StringBuilder config = new StringBuilder("""
        version: 0.1
        log:
          level: warn
        storage:
          filesystem:
            rootdirectory: %s
        http:
          addr: 127.0.0.1:%d
        """.formatted(dir.resolve("data"), port));
    String authorization = null;
    if (user != null) {
      String hash = OpenBSDBCrypt.generate("2y", password.toCharArray(), new byte[16], 5);
      Files.writeString(dir.resolve("htpasswd"), user + ":" + hash + "\n");
      config.append("""
          auth:
            htpasswd:
              realm: capstan-test
              path: %s
          """.formatted(dir.resolve("htpasswd")));
      authorization = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
    Path file = Files.writeString(dir.resolve("config.yml"), config);
    Process p = new ProcessBuilder(BINARY, "serve", file.toString()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("registry.log").toFile()).start();
    LoopbackRegistry r = new LoopbackRegistry(p, dir, "127.0.0.1:" + port, authorization);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try {
        int code = r.http.send(HttpRequest.newBuilder(URI.create("http://" + r.host + "/v2/")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
        if (code == 200 || code == 401) {
          return r;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (!p.isAlive() || System.nanoTime() > deadline) {
        r.close();
        throw new IllegalStateException("the registry did not start: " + Files.readString(dir.resolve("registry.log")));
      }
      Thread.sleep(50);
    }
  }

  /** Uploads a blob (a monolithic upload: POST, then PUT with the digest). */
  public void pushBlob(String repository, byte[] blob) throws Exception {
    HttpResponse<String> started = send(HttpRequest.newBuilder(URI.create("http://" + host + "/v2/" + repository
        + "/blobs/uploads/")).POST(HttpRequest.BodyPublishers.noBody()));
    expect(202, started, "starting an upload");
    String location = started.headers().firstValue("Location").orElseThrow();
    URI put = URI.create("http://" + host + "/").resolve(location);
    String sep = put.getQuery() == null ? "?" : "&";
    expect(201, send(HttpRequest.newBuilder(URI.create(put + sep + "digest=" + sha256(blob)))
        .header("Content-Type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofByteArray(blob))),
        "finishing an upload");
  }

  /** Puts a manifest (or index) under a tag or digest; returns its digest. */
  public String pushManifest(String repository, String reference, String mediaType, byte[] manifest) throws Exception {
    expect(201, send(HttpRequest.newBuilder(URI.create("http://" + host + "/v2/" + repository + "/manifests/" + reference))
        .header("Content-Type", mediaType).PUT(HttpRequest.BodyPublishers.ofByteArray(manifest))), "putting a manifest");
    return sha256(manifest);
  }

  /**
   * Pushes an image of these (uncompressed) layers, gzip-compressed, as an OCI manifest tagged
   * {@code tag}; returns the manifest's bytes.
   */
  public byte[] pushImage(String repository, String tag, List<byte[]> layers, byte[] config) throws Exception {
    List<byte[]> compressed = new java.util.ArrayList<>();
    for (byte[] l : layers) {
      compressed.add(gzip(l, java.util.zip.Deflater.DEFAULT_COMPRESSION));
    }
    return pushCompressed(repository, tag, compressed, config);
  }

  /** {@link #pushImage} of layers that are gzip-compressed already; returns the manifest's bytes. */
  public byte[] pushCompressed(String repository, String tag, List<byte[]> gzipLayers, byte[] config) throws Exception {
    return pushCompressed(repository, tag, gzipLayers, config, "application/vnd.oci.image.layer.v1.tar+gzip");
  }

  /** {@link #pushImage} of layers compressed already, as {@code layerMediaType} says; returns the manifest's bytes. */
  public byte[] pushCompressed(String repository, String tag, List<byte[]> gzipLayers, byte[] config,
      String layerMediaType) throws Exception {
    pushBlob(repository, config);
    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", RegistryClient.OCI_MANIFEST);
    manifest.putObject("config").put("mediaType", "application/vnd.oci.image.config.v1+json")
        .put("digest", sha256(config)).put("size", config.length);
    ArrayNode ls = manifest.putArray("layers");
    for (byte[] gz : gzipLayers) {
      pushBlob(repository, gz);
      ls.addObject().put("mediaType", layerMediaType)
          .put("digest", sha256(gz)).put("size", gz.length);
    }
    byte[] bytes = JSON.writeValueAsBytes(manifest);
    pushManifest(repository, tag, RegistryClient.OCI_MANIFEST, bytes);
    return bytes;
  }

  /** An OCI index of these manifests, each with its platform (os/architecture). */
  public static byte[] index(Map<byte[], String> manifestsByPlatform) throws Exception {
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", RegistryClient.OCI_INDEX);
    ArrayNode ms = index.putArray("manifests");
    manifestsByPlatform.forEach((m, platform) -> {
      ObjectNode d = ms.addObject().put("mediaType", RegistryClient.OCI_MANIFEST)
          .put("digest", sha256(m)).put("size", m.length);
      d.putObject("platform").put("os", platform.split("/")[0]).put("architecture", platform.split("/")[1]);
    });
    return JSON.writeValueAsBytes(index);
  }

  /** A blob's digest, {@code sha256:<hex>}. */
  public static String sha256(byte[] b) {
    return "sha256:" + java.util.HexFormat.of().formatHex(LayerUnpacker.sha256().digest(b));
  }

  /** Gzip-compressed at this level ({@link java.util.zip.Deflater}'s 1–9). */
  public static byte[] gzip(byte[] b, int level) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(b.length / 2 + 64);
    try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out) {
      {
        def.setLevel(level);
      }
    }) {
      gz.write(b);
    }
    return out.toByteArray();
  }

  /** Where the registry keeps a blob's bytes (to damage it). */
  public Path blobData(String digest) {
    String hex = digest.substring("sha256:".length());
    return dir.resolve("data/docker/registry/v2/blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex).resolve("data");
  }

  private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void expect(int code, HttpResponse<String> r, String what) {
    if (r.statusCode() != code) {
      throw new IllegalStateException(what + ": the registry answered " + r.statusCode() + " " + r.body());
    }
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
