package io.capstan.nodeagent.logs;

import io.capstan.api.Pod;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's HTTPS server for container logs, what the gateway's {@code pods/log} proxies to
 * (kubelet's {@code /containerLogs/{namespace}/{pod}/{container}}): query parameters {@code
 * follow}, {@code previous}, {@code tailLines}, {@code sinceSeconds}, {@code timestamps},
 * {@code limitBytes}. On the address it is given (127.0.0.1 by default). File reads never run on
 * the event loop.
 *
 * <p>Security as kubelet's defaults have it: the serving certificate is self-signed, made at each
 * start; a caller authenticates with a client certificate issued by the CA of {@code
 * clientCaFile} (kubelet's {@code --client-ca-file}), and any caller so authenticated may read
 * (kubelet with {@code --authorization-mode=AlwaysAllow}). Without a client certificate the
 * answer is 401; without a CA file, every log request is refused with 401 saying so.
 * {@code /healthz} needs no certificate.
 *
 * <p>With {@link #streaming} it also serves kubelet's {@code /exec}, {@code /attach} and {@code
 * /portForward} (see {@link io.capstan.nodeagent.streaming.ContainerStreams}), under the same
 * client authentication; with {@link #stats} kubelet's {@code /metrics/resource} and {@code
 * /stats/summary}.
 */
public final class LogServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LogServer.class);
  static final long FOLLOW_POLL_MS = 200;

  private final PodLogPaths paths;
  private final Supplier<Map<String, Pod>> pods;
  private final String host;
  private final int requestedPort;
  private final Path clientCaFile;
  private final Function<Pod, String> noLogs;
  private Vertx vertx;
  /** The process's Vert.x to serve on ({@code capstan up}: the gateway's), or null for one of our own. */
  private Vertx shared;
  private HttpServer server;
  /** exec and port-forward into the node's containers; null where there are none (hollow nodes). */
  private io.capstan.nodeagent.streaming.ContainerStreams streams;
  /** Resource usage for metrics-server's scrapes; null where not served. */
  private io.capstan.nodeagent.stats.NodeStats stats;

  /** Simulated containers (hollow nodes) write nothing: said so, in place of "no logs yet". */
  public static final Function<Pod, String> HOLLOW_NO_LOGS = p -> "hollow node " + p.getSpec().getNodeName()
      + ": simulated containers write no logs";

  /** @param pods the pods of this node by uid (to find a pod's log directory by namespace and name) */
  public LogServer(PodLogPaths paths, Supplier<Map<String, Pod>> pods, String host, int port, Path clientCaFile) {
    this(paths, pods, host, port, clientCaFile, null);
  }

  /**
   * @param pods   the pods served by uid: one node's, or all of a hollow fleet's
   * @param noLogs null for real containers; else why a pod's containers have no logs, answered
   *               (404, which the gateway turns into a 400 Status carrying it) for every pod found
   */
  public LogServer(PodLogPaths paths, Supplier<Map<String, Pod>> pods, String host, int port, Path clientCaFile,
      Function<Pod, String> noLogs) {
    this.noLogs = noLogs;
    this.paths = paths;
    this.clientCaFile = clientCaFile;
    this.pods = pods;
    this.host = host;
    this.requestedPort = port;
  }

  /**
   * Serves on the process's Vert.x instead of starting one (its event loops, acceptor and
   * blocked-thread checker are then not duplicated); {@link #close} leaves it running for its owner.
   */
  public LogServer on(Vertx vertx) {
    this.shared = vertx;
    return this;
  }

  /** Serves kubelet's {@code /exec}, {@code /attach} and {@code /portForward} for these containers too. */
  public LogServer streaming(io.capstan.nodeagent.streaming.ContainerStreams streams) {
    this.streams = streams;
    return this;
  }

  /** Serves kubelet's {@code /metrics/resource} and {@code /stats/summary} from these readings too. */
  public LogServer stats(io.capstan.nodeagent.stats.NodeStats stats) {
    this.stats = stats;
    return this;
  }

  /** Starts listening; returns the port. */
  public int start() {
    vertx = shared != null ? shared : Vertx.vertx();
    Router router = Router.router(vertx);
    router.get("/healthz").handler(ctx -> ctx.response().end("ok"));
    router.route().handler(this::authenticate);
    router.get("/containerLogs/:namespace/:pod/:container").handler(this::containerLogs);
    if (stats != null) {
      stats.routes(router);
    }
    if (streams != null) {
      streams.routes(router);
    } else {
      router.routeWithRegex("^/(exec|attach|portForward)/.*").handler(ctx -> ctx.response().setStatusCode(400)
          .end("this node agent runs no containers to exec into, attach to or forward ports of (its containers are"
              + " simulated)\n"));
    }
    SelfSignedCertificate serving = SelfSignedCertificate.create(host);
    HttpServerOptions options = new HttpServerOptions().setSsl(true).setKeyCertOptions(serving.keyCertOptions())
        .setWebSocketSubProtocols(io.capstan.nodeagent.streaming.ContainerStreams.SUBPROTOCOLS);
    if (clientCaFile != null) {
      options.setClientAuth(ClientAuth.REQUEST).setTrustOptions(new PemTrustOptions().addCertPath(clientCaFile.toString()));
    } else {
      log.warn("log server: no client CA file (--client-ca-file), so no caller can authenticate: every log request"
          + " is refused");
    }
    try {
      server = vertx.createHttpServer(options).requestHandler(router).listen(requestedPort, host)
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      if (shared == null) {
        vertx.close();
      }
      throw new IllegalStateException("the node agent's log server cannot listen on " + host + ":" + requestedPort
          + ": " + e.getMessage(), e);
    }
    serving.delete(); // the key material is loaded; the temporary files are not needed
    log.info("log server listening on https://{}:{}/containerLogs/ (client certificates from {})", host,
        server.actualPort(), clientCaFile == null ? "nobody" : clientCaFile);
    return server.actualPort();
  }

  public int port() {
    return server.actualPort();
  }

  /** A caller must present a client certificate that the TLS handshake verified against the client CA. */
  private void authenticate(RoutingContext ctx) {
    if (clientCaFile == null) {
      ctx.response().setStatusCode(401).end("this node agent was started without a client CA file"
          + " (--client-ca-file), so it cannot authenticate the API server\n");
      return;
    }
    List<Certificate> chain;
    try {
      chain = ctx.request().connection().peerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      chain = List.of();
    }
    if (chain == null || chain.isEmpty()) {
      ctx.response().setStatusCode(401).end("a client certificate issued by the cluster CA is required\n");
      return;
    }
    if (log.isDebugEnabled() && chain.get(0) instanceof X509Certificate x) {
      log.debug("log request from {}", x.getSubjectX500Principal());
    }
    ctx.next();
  }

  private void containerLogs(RoutingContext ctx) {
    String ns = ctx.pathParam("namespace");
    String podName = ctx.pathParam("pod");
    String container = ctx.pathParam("container");
    boolean follow = bool(ctx, "follow");
    boolean previous = bool(ctx, "previous");
    boolean timestamps = bool(ctx, "timestamps");
    long tail;
    long limitBytes;
    Instant since;
    try {
      tail = number(ctx, "tailLines", -1);
      limitBytes = number(ctx, "limitBytes", -1);
      long sinceSeconds = number(ctx, "sinceSeconds", -1);
      since = sinceSeconds >= 0 ? Instant.now().minusSeconds(sinceSeconds) : null;
    } catch (NumberFormatException e) {
      ctx.response().setStatusCode(400).end(e.getMessage() + "\n");
      return;
    }
    Optional<Pod> pod = pods.get().values().stream()
        .filter(p -> ns.equals(p.getMetadata().getNamespace()) && podName.equals(p.getMetadata().getName())).findFirst();
    if (pod.isEmpty()) {
      ctx.response().setStatusCode(404).end("pod " + ns + "/" + podName + " is not on this node\n");
      return;
    }
    if (noLogs != null) {
      ctx.response().setStatusCode(404).end(noLogs.apply(pod.get()) + " (container \"" + container + "\" of pod \""
          + podName + "\")\n");
      return;
    }
    Path dir = paths.podDir(ns, podName, pod.get().getMetadata().getUid()).resolve(container);
    vertx.<Optional<Path>>executeBlocking(() -> logFile(dir, previous)).onComplete(ar -> {
      HttpServerResponse resp = ctx.response();
      if (ar.failed() || ar.result().isEmpty()) {
        resp.setStatusCode(previous ? 400 : 404).end(previous
            ? "previous terminated container \"" + container + "\" in pod \"" + podName + "\" not found\n"
            : "container \"" + container + "\" in pod \"" + podName + "\" has no logs yet\n");
        return;
      }
      Path file = ar.result().get();
      resp.setChunked(true).putHeader("Content-Type", "text/plain; charset=utf-8");
      if (!follow) {
        vertx.executeBlocking(() -> String.join("", CriLogReader.lines(file, tail, since, timestamps).stream()
            .map(l -> l + "\n").toList())).onComplete(text -> {
              if (text.failed()) {
                resp.setStatusCode(500).end(text.cause().getMessage());
              } else {
                resp.end(limit(text.result(), limitBytes));
              }
            });
        return;
      }
      Thread t = new Thread(() -> follow(file, tail, since, timestamps, resp), "capstan-log-follow");
      t.setDaemon(true);
      t.start();
    });
  }

  /** Sends what is there, then what gets appended, until the client goes away or a newer attempt starts. */
  private void follow(Path file, long tail, Instant since, boolean timestamps, HttpServerResponse resp) {
    try {
      StringBuilder first = new StringBuilder();
      CriLogReader.lines(file, tail, since, timestamps).forEach(l -> first.append(l).append('\n'));
      long offset = Files.size(file);
      vertx.runOnContext(v -> resp.write(first.toString()));
      RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r");
      Object fileKey = fileKey(file);
      try {
        StringBuilder partial = new StringBuilder();
        while (!resp.closed() && !resp.ended()) {
          long size = raf.length();
          if (size > offset) {
            raf.seek(offset);
            byte[] buf = new byte[(int) Math.min(size - offset, 1 << 20)];
            raf.readFully(buf);
            offset += buf.length;
            partial.append(new String(buf, StandardCharsets.UTF_8));
            StringBuilder out = new StringBuilder();
            int nl;
            while ((nl = partial.indexOf("\n")) >= 0) {
              CriLogReader.Entry e = CriLogReader.parse(partial.substring(0, nl));
              partial.delete(0, nl + 1);
              if (e != null) {
                out.append(timestamps ? e.time() + " " : "").append(e.content()).append(e.partial() ? "" : "\n");
              }
            }
            if (out.length() > 0) {
              String chunk = out.toString();
              vertx.runOnContext(v -> {
                if (!resp.closed()) {
                  resp.write(chunk);
                }
              });
            }
          } else {
            Object now = fileKey(file);
            if (now != null && !now.equals(fileKey)) {
              // Rotated (the runtime renamed it and started a new one): what was written to the old
              // file has been read, so follow the new one from its start.
              raf.close();
              raf = new RandomAccessFile(file.toFile(), "r");
              fileKey = now;
              offset = 0;
            } else {
              Thread.sleep(FOLLOW_POLL_MS);
            }
          }
        }
      } finally {
        raf.close();
      }
    } catch (IOException | InterruptedException e) {
      vertx.runOnContext(v -> {
        if (!resp.ended() && !resp.closed()) {
          resp.end();
        }
      });
    }
  }

  /** The file's identity (device and inode), or null when it is not there right now. */
  private static Object fileKey(Path file) {
    try {
      return Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
    } catch (IOException e) {
      return null;
    }
  }

  private static String limit(String s, long limitBytes) {
    if (limitBytes < 0) {
      return s;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return b.length <= limitBytes ? s : new String(b, 0, (int) limitBytes, StandardCharsets.UTF_8);
  }

  /** The newest attempt's log, or the one before it for {@code previous}. */
  static Optional<Path> logFile(Path dir, boolean previous) throws IOException {
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> logs = s.filter(p -> p.getFileName().toString().matches("\\d+\\.log"))
          .sorted(Comparator.comparingInt((Path p) -> Integer.parseInt(p.getFileName().toString().replace(".log", ""))))
          .toList();
      int idx = logs.size() - (previous ? 2 : 1);
      return idx < 0 ? Optional.empty() : Optional.of(logs.get(idx));
    }
  }

  private static boolean bool(RoutingContext ctx, String name) {
    String v = ctx.queryParams().get(name);
    return v != null && (v.equals("true") || v.equals("1"));
  }

  private static long number(RoutingContext ctx, String name, long def) {
    String v = ctx.queryParams().get(name);
    if (v == null || v.isEmpty()) {
      return def;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new NumberFormatException(name + " must be an integer, got \"" + v + "\"");
    }
  }

  @Override
  public void close() {
    if (vertx != null) {
      try {
        if (shared != null) {
          if (server != null) {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
          }
          return;
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("closing the log server: {}", e.toString());
      }
    }
  }
}
