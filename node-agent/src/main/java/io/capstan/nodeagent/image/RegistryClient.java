package io.capstan.nodeagent.image;

import io.capstan.logschema.images.ImageReference;
import io.capstan.nodeagent.runtime.RegistryCredentials;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client of the OCI distribution API (the Docker registry HTTP API v2): manifests by tag or
 * digest, blobs streamed to a file with their digest checked on the way, and the two
 * authentication challenges registries send (HTTP Basic, and the bearer-token dance with the
 * realm the registry names). Registries on loopback are spoken to over plain HTTP, as
 * containerd and Docker allow; every other one over HTTPS. {@code docker.io} is
 * {@code registry-1.docker.io}.
 */
public final class RegistryClient {
  static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  private static final String ACCEPT = String.join(", ", OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST);
  /** A manifest larger than this is not a manifest (the distribution spec suggests 4 MiB). */
  static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  /** A manifest or index as the registry served it: its digest, media type and parsed body. */
  public record Manifest(String digest, String mediaType, JsonNode body) {
    boolean isIndex() {
      return mediaType.equals(OCI_INDEX) || mediaType.equals(DOCKER_LIST) || body.has("manifests");
    }
  }

  /** The registry could not be reached at all (no address, no connection): not an answer about the image. */
  public static final class Unreachable extends IOException {
    Unreachable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final java.util.concurrent.atomic.AtomicReference<HttpClient> http;
  /** The credentials used when a call gives none of its own. */
  private final Function<String, Optional<RegistryCredentials>> credentials;
  /** Bearer tokens by registry and scope, reused until the registry refuses one. */
  private final Map<String, String> tokens = new ConcurrentHashMap<>();

  private final RegistryHosts hosts;

  /** @param credentials the user and password to answer a registry host's challenge with, if any */
  public RegistryClient(Function<String, Optional<RegistryCredentials>> credentials) {
    this(credentials, RegistryHosts.none());
  }

  /**
   * @param credentials the user and password to answer a registry host's challenge with, if any
   *                    (the hosts' own {@code auth} answers when this gives none)
   * @param hosts       mirrors, plain-HTTP endpoints and per-host users (registries.yaml)
   */
  public RegistryClient(Function<String, Optional<RegistryCredentials>> credentials, RegistryHosts hosts) {
    // made at the first pull: a client owns a selector thread, and most nodes pull rarely or never
    this.http = new java.util.concurrent.atomic.AtomicReference<>();
    this.credentials = host -> credentials.apply(host).or(() -> hosts.credentials(host));
    this.hosts = hosts;
  }

  private HttpClient http() {
    HttpClient c = http.get();
    if (c == null) {
      c = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NORMAL).build();
      if (!http.compareAndSet(null, c)) {
        c = http.get();
      }
    }
    return c;
  }

  /** The credentials configured for a registry host, used when a pull gives none of its own. */
  Optional<RegistryCredentials> defaultCredentials(String registry) {
    return credentials.apply(registry);
  }

  /** Where images of a registry are asked for: its mirrors in order, then itself. */
  List<String> endpoints(String registry) {
    return hosts.endpoints(registry);
  }

  /** Credentials for a host: the pull's own, else the hosts' configured ones. */
  Function<String, Optional<RegistryCredentials>> withConfigured(Function<String, Optional<RegistryCredentials>> creds) {
    return host -> creds.apply(host).or(() -> hosts.credentials(host));
  }

  /** The base address of a registry host's API. */
  URI base(String registry) {
    String host = registry.equals(ImageReference.DOCKER_HUB) ? "registry-1.docker.io" : registry;
    return URI.create((isLoopback(host) || hosts.plainHttp().contains(registry) ? "http://" : "https://") + host + "/v2/");
  }

  static boolean isLoopback(String hostAndPort) {
    String host = hostAndPort.startsWith("[") ? hostAndPort.substring(1, hostAndPort.indexOf(']'))
        : hostAndPort.contains(":") ? hostAndPort.substring(0, hostAndPort.lastIndexOf(':')) : hostAndPort;
    if (host.equals("localhost")) {
      return true;
    }
    if (!host.matches("[0-9.]+|[0-9a-fA-F:]+")) {
      return false; // a name: never resolved just to decide the scheme
    }
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /**
   * The manifest (or image index) of {@code reference}, a tag or a digest; a digest is checked
   * against the bytes served.
   */
  public Manifest manifest(ImageReference image, String reference) throws IOException {
    return manifest(image, reference, credentials);
  }

  /** {@link #manifest(ImageReference, String)}, answering challenges with these credentials. */
  public Manifest manifest(ImageReference image, String reference, Function<String, Optional<RegistryCredentials>> creds)
      throws IOException {
    URI uri = base(image.registry()).resolve(image.repository() + "/manifests/" + reference);
    HttpResponse<InputStream> r = send(image, HttpRequest.newBuilder(uri).header("Accept", ACCEPT).GET(), creds);
    try (InputStream in = r.body()) {
      if (r.statusCode() == 404) {
        throw new IOException("manifest unknown: " + image.registry() + " has no " + image.repository() + ":"
            + reference.replaceFirst("^(sha256:)", "@$1"));
      }
      expectOk(r, "the manifest of " + image.repository() + " " + reference);
      byte[] body = in.readNBytes(MAX_MANIFEST_BYTES + 1);
      if (body.length > MAX_MANIFEST_BYTES) {
        throw new IOException("the manifest of " + image.normalized() + " is larger than " + MAX_MANIFEST_BYTES + " bytes");
      }
      String digest = "sha256:" + HexFormat.of().formatHex(LayerUnpacker.sha256().digest(body));
      if (reference.startsWith("sha256:") && !reference.equals(digest)) {
        throw new IOException("the registry served a manifest with digest " + digest + " for " + reference);
      }
      JsonNode json;
      try {
        json = JSON.readTree(body);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IOException("the manifest of " + image.normalized() + " is not JSON: " + e.getOriginalMessage());
      }
      if (json == null || !json.isObject()) {
        throw new IOException("the manifest of " + image.normalized() + " is not a JSON object");
      }
      String type = r.headers().firstValue("Content-Type").map(t -> t.split(";")[0].trim())
          .filter(t -> !t.isEmpty() && !t.equals("application/json")).orElse(json.path("mediaType").asText(""));
      if (!List.of(OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST).contains(type) && !json.has("manifests")
          && !json.has("layers")) {
        throw new IOException("the manifest of " + image.normalized() + " has media type \"" + type
            + "\", which Capstan cannot run (OCI or Docker schema 2 only)");
      }
      return new Manifest(digest, type, json);
    }
  }

  /**
   * Streams the blob {@code digest} into {@code target}, checking its digest; on any failure
   * the file is removed. {@code progress} hears the bytes written so far.
   */
  public long blob(ImageReference image, String digest, Path target, LongConsumer progress) throws IOException {
    return blob(image, digest, target, progress, credentials);
  }

  /** {@link #blob(ImageReference, String, Path, LongConsumer)}, answering challenges with these credentials. */
  public long blob(ImageReference image, String digest, Path target, LongConsumer progress,
      Function<String, Optional<RegistryCredentials>> creds) throws IOException {
    if (!digest.matches("sha256:[0-9a-f]{64}")) {
      throw new IOException("the manifest of " + image.normalized() + " refers to a blob by \"" + digest
          + "\", which is not a sha256 digest");
    }
    URI uri = base(image.registry()).resolve(image.repository() + "/blobs/" + digest);
    HttpResponse<InputStream> r = send(image, HttpRequest.newBuilder(uri).GET(), creds);
    boolean done = false;
    try (InputStream raw = r.body()) {
      expectOk(r, "blob " + digest + " of " + image.repository());
      MessageDigest sha = LayerUnpacker.sha256();
      long n = 0;
      try (InputStream in = new DigestInputStream(raw, sha); OutputStream out = Files.newOutputStream(target)) {
        byte[] buf = new byte[1 << 16];
        for (int k; (k = in.read(buf)) > 0; ) {
          out.write(buf, 0, k);
          n += k;
          progress.accept(n);
        }
      }
      long expected = r.headers().firstValueAsLong("Content-Length").orElse(-1);
      if (expected >= 0 && n != expected) {
        throw new IOException("blob " + digest + " of " + image.normalized() + " ended after " + n + " of " + expected
            + " bytes");
      }
      String got = "sha256:" + HexFormat.of().formatHex(sha.digest());
      if (!got.equals(digest)) {
        throw new IOException("blob " + digest + " of " + image.normalized() + " arrived with digest " + got
            + ": the registry served other content");
      }
      done = true;
      return n;
    } finally {
      if (!done) {
        Files.deleteIfExists(target);
      }
    }
  }

  /**
   * The blob {@code digest} as a stream, for a reader that checks its digest itself (the
   * unpacker does); a stream that ends before the length the registry announced fails.
   */
  public InputStream openBlob(ImageReference image, String digest, Function<String, Optional<RegistryCredentials>> creds)
      throws IOException {
    if (!digest.matches("sha256:[0-9a-f]{64}")) {
      throw new IOException("the manifest of " + image.normalized() + " refers to a blob by \"" + digest
          + "\", which is not a sha256 digest");
    }
    URI uri = base(image.registry()).resolve(image.repository() + "/blobs/" + digest);
    HttpResponse<InputStream> r = send(image, HttpRequest.newBuilder(uri).GET(), creds);
    try {
      expectOk(r, "blob " + digest + " of " + image.repository());
    } catch (IOException e) {
      r.body().close();
      throw e;
    }
    long expected = r.headers().firstValueAsLong("Content-Length").orElse(-1);
    return new java.io.FilterInputStream(r.body()) {
      private long read;

      @Override
      public int read() throws IOException {
        int b = super.read();
        count(b < 0 ? -1 : 1);
        return b;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        count(n);
        return n;
      }

      private void count(int n) throws IOException {
        if (n < 0 && expected >= 0 && read != expected) {
          throw new IOException("blob " + digest + " of " + image.normalized() + " ended after " + read + " of "
              + expected + " bytes");
        }
        read += Math.max(0, n);
      }
    };
  }

  /** Sends, answering one authentication challenge if the registry makes one. */
  private HttpResponse<InputStream> send(ImageReference image, HttpRequest.Builder request,
      Function<String, Optional<RegistryCredentials>> credentials) throws IOException {
    request.timeout(TIMEOUT);
    String scope = "repository:" + image.repository() + ":pull";
    Optional<RegistryCredentials> creds = credentials.apply(image.registry());
    // Tokens are per user: one pod's pull secret must not lend its access to another pod.
    String tokenKey = image.registry() + " " + scope + " " + creds.map(RegistryCredentials::username).orElse("")
        + " " + creds.map(c -> Integer.toHexString(c.password().hashCode())).orElse("");
    String token = tokens.get(tokenKey);
    if (token != null) {
      request.setHeader("Authorization", token);
    }
    HttpResponse<InputStream> r = exchange(image, request.build());
    if (r.statusCode() != 401) {
      return r;
    }
    r.body().close();
    String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
    String authorization;
    if (challenge.regionMatches(true, 0, "Basic", 0, 5)) {
      RegistryCredentials c = creds.orElseThrow(() -> new IOException("the registry " + image.registry()
          + " asks for a user name and password (HTTP Basic), and none is configured for it: add an imagePullSecret"));
      authorization = basic(c);
    } else if (challenge.regionMatches(true, 0, "Bearer", 0, 6)) {
      authorization = "Bearer " + bearerToken(image, challenge, scope, creds);
    } else {
      throw new IOException("the registry " + image.registry() + " refused the request (401) with a challenge Capstan "
          + "does not know: \"" + challenge + "\"");
    }
    tokens.put(tokenKey, authorization);
    r = exchange(image, request.setHeader("Authorization", authorization).build());
    if (r.statusCode() == 401) {
      r.body().close();
      tokens.remove(tokenKey);
      throw new IOException("the registry " + image.registry() + " refused the credentials for " + image.repository()
          + " (401 Unauthorized)" + (creds.isEmpty() ? ": anonymous pulls are not allowed there" : ""));
    }
    return r;
  }

  private String bearerToken(ImageReference image, String challenge, String scope, Optional<RegistryCredentials> creds)
      throws IOException {
    Map<String, String> params = new LinkedHashMap<>();
    Matcher m = PARAM.matcher(challenge);
    while (m.find()) {
      params.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
    }
    String realm = params.get("realm");
    if (realm == null || realm.isEmpty()) {
      throw new IOException("the registry " + image.registry() + " asks for a bearer token but names no realm: " + challenge);
    }
    StringBuilder q = new StringBuilder(realm).append(realm.contains("?") ? '&' : '?');
    if (params.containsKey("service")) {
      q.append("service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8)).append('&');
    }
    q.append("scope=").append(URLEncoder.encode(params.getOrDefault("scope", scope), StandardCharsets.UTF_8));
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(q.toString())).timeout(TIMEOUT).GET();
    creds.ifPresent(c -> req.header("Authorization", basic(c)));
    HttpResponse<InputStream> r = exchange(image, req.build());
    try (InputStream in = r.body()) {
      if (r.statusCode() != 200) {
        throw new IOException("the token service " + realm + " of " + image.registry() + " answered " + r.statusCode()
            + (r.statusCode() == 401 ? ": the credentials were refused" : ""));
      }
      JsonNode body = JSON.readTree(in.readNBytes(1 << 20));
      String token = body.path("token").asText(body.path("access_token").asText(""));
      if (token.isEmpty()) {
        throw new IOException("the token service " + realm + " of " + image.registry() + " answered without a token");
      }
      return token;
    }
  }

  private static String basic(RegistryCredentials c) {
    return "Basic " + Base64.getEncoder().encodeToString((c.username() + ":" + c.password())
        .getBytes(StandardCharsets.UTF_8));
  }

  private HttpResponse<InputStream> exchange(ImageReference image, HttpRequest request) throws IOException {
    try {
      return http().send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while talking to " + image.registry(), e);
    } catch (IOException e) {
      throw new Unreachable("cannot reach the registry " + image.registry() + " at " + request.uri().getHost()
          + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
    }
  }

  private static void expectOk(HttpResponse<InputStream> r, String what) throws IOException {
    if (r.statusCode() != 200) {
      String detail = "";
      try {
        JsonNode errors = JSON.readTree(r.body().readNBytes(64 * 1024)).path("errors");
        if (errors.isArray() && !errors.isEmpty()) {
          detail = ": " + errors.get(0).path("code").asText() + " " + errors.get(0).path("message").asText();
        }
      } catch (IOException | RuntimeException e) {
        // not the registry's JSON error body
      }
      throw new IOException("the registry answered " + r.statusCode() + " for " + what + detail);
    }
  }
}
