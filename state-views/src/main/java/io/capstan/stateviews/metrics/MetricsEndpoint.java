package io.capstan.stateviews.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoint Prometheus scrapes: {@code GET /metrics} answers with every series of the
 * one registry the process shares (text exposition format 0.0.4), {@code GET /healthz} with
 * {@code ok}. The JDK's built-in server is enough: a scrape every few seconds is no load.
 */
public final class MetricsEndpoint implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);

  /** The Prometheus text exposition format, version 0.0.4 (what Prometheus asks for by default). */
  public static final String TEXT_FORMAT_004 = "text/plain; version=0.0.4; charset=utf-8";

  /** Where to listen; {@code port} 0 picks a free port, see {@link #port()}. */
  public record Config(String host, int port) {
    public Config {
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException("metrics host must not be empty");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("metrics port must be 0..65535, got " + port);
      }
    }
  }

  private final PrometheusMeterRegistry registry;
  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsEndpoint(PrometheusMeterRegistry registry, HttpServer server, ExecutorService executor) {
    this.registry = registry;
    this.server = server;
    this.executor = executor;
  }

  /** Binds the port and starts serving; fails with the address when the port is taken. */
  public static MetricsEndpoint start(Config config, PrometheusMeterRegistry registry) {
    InetSocketAddress address = new InetSocketAddress(config.host(), config.port());
    HttpServer server;
    try {
      server = HttpServer.create(address, 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve metrics on " + config.host() + ":" + config.port()
          + " (" + e.getMessage() + "); pick another --metrics-port", e);
    }
    // One thread at most: scrapes are rare and short, and a slow client must not pile up threads;
    // none between scrapes (15 s or more apart).
    ExecutorService executor = io.capstan.logschema.threads.OnDemandThreads.pool("capstan-metrics-http", 1,
        java.time.Duration.ofSeconds(5));
    MetricsEndpoint endpoint = new MetricsEndpoint(registry, server, executor);
    server.createContext("/", endpoint::handle);
    server.setExecutor(executor);
    server.start();
    log.info("serving metrics on {}", endpoint.url());
    return endpoint;
  }

  /** The port actually bound (differs from the config when it asked for 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The scrape URL, e.g. {@code http://127.0.0.1:9464/metrics}. */
  public String url() {
    String host = server.getAddress().getHostString();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + port() + "/metrics";
  }

  /**
   * What the endpoint answers to a request, whatever server carries it: {@code GET /metrics} the
   * scrape, {@code GET /healthz} ok, other paths 404, other methods 405 (with {@code allow} set).
   */
  public record Answer(int status, String contentType, String body, String allow) {
    public static Answer to(String method, String path, PrometheusMeterRegistry registry) {
      if (!method.equals("GET") && !method.equals("HEAD")) {
        return new Answer(405, PLAIN, method + " not allowed; use GET\n", "GET, HEAD");
      } else if (path.equals("/metrics")) {
        return new Answer(200, TEXT_FORMAT_004, registry.scrape(), null);
      } else if (path.equals("/healthz")) {
        return new Answer(200, PLAIN, "ok", null);
      }
      return new Answer(404, PLAIN, "no such path " + path + "; try /metrics or /healthz\n", null);
    }
  }

  private static final String PLAIN = "text/plain; charset=utf-8";

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      Answer answer = Answer.to(method, exchange.getRequestURI().getPath(), registry);
      if (answer.allow() != null) {
        exchange.getResponseHeaders().set("Allow", answer.allow());
      }
      byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", answer.contentType());
      boolean head = method.equals("HEAD");
      exchange.sendResponseHeaders(answer.status(), head ? -1 : bytes.length);
      if (!head) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(bytes);
        }
      }
    } catch (RuntimeException e) {
      // The JDK server would drop the connection silently; say why in the log instead.
      log.warn("metrics request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
      throw e;
    }
  }

  /** Stops serving at once (a scrape in flight is cut short: Prometheus retries). */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    log.info("stopped serving metrics on {}", url());
  }
}
