package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.gateway.store.InMemoryResourceStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow clients (issue 20, hostile input): a connection that sends nothing, trickles its request
 * line or headers, never finishes its body, or idles after an answer is closed by the gateway
 * within its deadlines ({@link ClientDeadlines}), a body that never arrives with 408 first. The
 * deadlines are the gateway's own, so any store will do; short ones keep the test quick.
 */
class SlowClientTest {
  static final Duration HEADER_TIMEOUT = Duration.ofSeconds(2);
  static final Duration IDLE_TIMEOUT = Duration.ofSeconds(4);
  static final Duration BODY_TIMEOUT = Duration.ofSeconds(3);
  static final String NS = "/api/v1/namespaces/default";

  @TempDir
  static Path dataDir;
  static Vertx vertx;
  static GatewayServer gateway;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    gateway = GatewayServer.prepare(new GatewayConfig("127.0.0.1", 0, dataDir, true, 1 << 20, null, List.of()),
        new InMemoryResourceStore(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
        .withClientTimeouts(HEADER_TIMEOUT, IDLE_TIMEOUT, BODY_TIMEOUT);
    vertx.deployVerticle(gateway).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static String abbreviate(String s) {
    String one = s.replace("\r", "\\r").replace("\n", "\\n");
    return one.length() <= 300 ? one : one.substring(0, 300) + "...(" + one.length() + " chars)";
  }

  /** How a slow connection ended: after how long, and what the server wrote before closing it. */
  record Closed(long millis, String answer, boolean closed) {}

  /**
   * Opens a connection, writes {@code head} (and then one more byte every 300 ms while
   * {@code trickle}), and waits for the server to close it.
   */
  static Closed slowClient(String head, boolean trickle) throws Exception {
    long start = System.nanoTime();
    try (Socket s = new Socket("127.0.0.1", gateway.port())) {
      s.setSoTimeout(300);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      StringBuilder got = new StringBuilder();
      byte[] buf = new byte[4096];
      long limit = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < limit) {
        try {
          int n = in.read(buf);
          if (n < 0) {
            return new Closed((System.nanoTime() - start) / 1_000_000, got.toString(), true);
          }
          got.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
        } catch (java.net.SocketTimeoutException e) {
          if (trickle) {
            try {
              out.write('X');
              out.flush();
            } catch (java.io.IOException closed) {
              return new Closed((System.nanoTime() - start) / 1_000_000, got.toString(), true);
            }
          }
        } catch (java.io.IOException reset) {
          return new Closed((System.nanoTime() - start) / 1_000_000, got.toString(), true);
        }
      }
      return new Closed((System.nanoTime() - start) / 1_000_000, got.toString(), false);
    }
  }

  @Test
  void slowClientsAreClosedByTheServer() throws Exception {
    String cm = NS + "/configmaps";
    Map<String, String> heads = new TreeMap<>();
    heads.put("idle before any request", "");
    heads.put("headers trickled", "GET " + cm + " HTTP/1.1\r\nHost: gateway\r\nX-Slow: ");
    heads.put("request line trickled", "GET " + cm);
    heads.put("body never finished", "POST " + cm + " HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        + "Content-Length: 100000\r\n\r\n{\"apiVersion\":\"v1\",");
    heads.put("chunked body never finished", "POST " + cm + " HTTP/1.1\r\nHost: gateway\r\n"
        + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"apiVersion\":\"v");
    heads.put("body trickled", "PUT " + cm + "/hostile-cm HTTP/1.1\r\nHost: gateway\r\n"
        + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"a\":\"");
    heads.put("idle after an answer", "GET /version HTTP/1.1\r\nHost: gateway\r\n\r\n");
    ExecutorService pool = Executors.newFixedThreadPool(heads.size() * 3);
    Map<String, List<Future<Closed>>> running = new TreeMap<>();
    try {
      for (Map.Entry<String, String> h : heads.entrySet()) {
        boolean trickle = h.getKey().contains("trickled");
        for (int i = 0; i < 3; i++) {
          running.computeIfAbsent(h.getKey(), k -> new ArrayList<>()).add(pool.submit(() -> slowClient(h.getValue(),
              trickle)));
        }
      }
      List<String> problems = new ArrayList<>();
      for (Map.Entry<String, List<Future<Closed>>> r : running.entrySet()) {
        for (Future<Closed> f : r.getValue()) {
          Closed c = f.get(60, TimeUnit.SECONDS);
          System.out.println("slow client, " + r.getKey() + ": closed=" + c.closed() + " after " + c.millis() + " ms, "
              + "answer " + abbreviate(c.answer()));
          long bound = (r.getKey().contains("body") ? BODY_TIMEOUT : r.getKey().contains("after")
              ? IDLE_TIMEOUT : HEADER_TIMEOUT).toMillis() + 3_000;
          if (!c.closed() || c.millis() > bound) {
            problems.add(r.getKey() + ": " + (c.closed() ? "closed only after " + c.millis() + " ms" : "never closed")
                + " (bound " + bound + " ms)");
          }
          if (r.getKey().contains("body") && !c.answer().startsWith("HTTP/1.1 408")) {
            problems.add(r.getKey() + ": expected a 408 answer before the close, got " + abbreviate(c.answer()));
          }
          if (r.getKey().contains("after") && !c.answer().startsWith("HTTP/1.1 200")) {
            problems.add(r.getKey() + ": expected the answer to the request, got " + abbreviate(c.answer()));
          }
        }
      }
      assertTrue(problems.isEmpty(), String.join("\n", problems));
    } finally {
      pool.shutdownNow();
    }
  }
}
