package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.security.AdminToken;
import io.capstan.gateway.testing.Fabric8Clients;
import io.capstan.gateway.testing.KafkaGatewayFixture;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.logschema.json.KubeJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Watches whose client handles events slowly (issue 22, item 3), over the gateway on the real
 * backbone: a fabric8 watcher that takes seconds per event gets every change made after its watch
 * was established, in order, one at a time; a client that stops reading is ended as
 * kube-apiserver ends an unresponsive watcher, and gets the rest by watching again from its last
 * resourceVersion.
 *
 * <p>The command processor here emits watermarks every 3 s instead of 200 ms, as a busy
 * cluster's partitions send a quiet kind's watermark only every few ticks: a watch without a
 * resourceVersion waits that long for the consistent cut to pass this gateway's own writes, and
 * changes written meanwhile must still come as events, not folded into the initial ADDED.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SlowWatcherTest {
  /** Events a watch holds while its client's connection is full. */
  static final int BUFFER = 4;

  @TempDir
  static Path dataDir;
  static KafkaGatewayFixture backend;
  static KubernetesClient client;
  static GatewayServer gateway;
  static String token;

  @BeforeAll
  static void start() throws Exception {
    backend = KafkaGatewayFixture.start("slow-watchers", 4, WatchCacheConfig.defaults().withWatchBuffer(BUFFER),
        p -> p.withWatermarkIntervalMs(3_000));
    gateway = backend.startServer(dataDir);
    token = AdminToken.ensure(dataDir.resolve("tokens.csv"));
    client = Fabric8Clients.of(gateway.url(), dataDir.resolve("pki").resolve("ca.crt"), token);
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  /** A fabric8 Watcher that takes {@code millisPerEvent} over each of its first {@code slowEvents}, and records them. */
  static final class SlowWatcher implements Watcher<ConfigMap> {
    final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    final long millisPerEvent;
    final int slowEvents;
    int seen;

    SlowWatcher(long millisPerEvent) {
      this(millisPerEvent, Integer.MAX_VALUE);
    }

    SlowWatcher(long millisPerEvent, int slowEvents) {
      this.millisPerEvent = millisPerEvent;
      this.slowEvents = slowEvents;
    }

    @Override
    public void eventReceived(Action action, ConfigMap cm) {
      Map<String, String> data = cm.getData() == null ? new TreeMap<>() : new TreeMap<>(cm.getData());
      data.keySet().removeIf(k -> k.startsWith("pad"));
      events.add(action + " " + data);
      if (++seen > slowEvents) {
        return;
      }
      try {
        Thread.sleep(millisPerEvent);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void onClose(WatcherException cause) {
      events.add("CLOSED " + cause.getMessage());
    }

    List<String> next(int n, long seconds) throws InterruptedException {
      List<String> got = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (got.size() < n) {
        String e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (e == null) {
          break;
        }
        got.add(e);
      }
      return got;
    }
  }

  @Test
  void patchesRightAfterTheWatchOpensArriveAsModifiedEventsOneAtATime() throws Exception {
    String ns = "slow-patches";
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    var cms = client.configMaps().inNamespace(ns);
    cms.resource(new ConfigMapBuilder().withNewMetadata().withName("s").endMetadata().withData(Map.of("v", "0"))
        .build()).create();
    SlowWatcher watcher = new SlowWatcher(2_000);
    Watch watch = cms.withName("s").watch(watcher);
    try {
      for (int i = 1; i <= 2; i++) {
        cms.withName("s").patch(PatchContext.of(PatchType.STRATEGIC_MERGE), "{\"data\":{\"v\":\"" + i + "\"}}");
      }
      assertEquals(List.of("ADDED {v=0}", "MODIFIED {v=1}", "MODIFIED {v=2}"), watcher.next(3, 30),
          "the state when the watch was established, then each patch");
      assertEquals(List.of(), watcher.next(1, 1), "nothing else");
    } finally {
      watch.close();
    }
  }

  /**
   * A client that stops reading (a raw TLS socket with a 4 KiB receive buffer, so the connection
   * fills at once; fabric8 over the JDK client reads ahead into memory and never pushes back): the
   * gateway stops handing it events, its buffer of 4 fills, and as kube-apiserver ends an
   * unresponsive watcher the stream ends; watching again from the last resourceVersion it read
   * gets the rest, so it sees every change once.
   */
  @Test
  void aClientThatStopsReadingIsEndedAndGetsTheRestWhenItWatchesAgain() throws Exception {
    String ns = "raw-reader";
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    var cms = client.configMaps().inNamespace(ns);
    cms.resource(new ConfigMapBuilder().withNewMetadata().withName("r-0").endMetadata().withData(Map.of("v", "0"))
        .build()).create();
    URI api = URI.create(gateway.url());
    String path = "/api/v1/namespaces/" + ns + "/configmaps?watch=1";
    List<String> seen = new ArrayList<>();
    String lastRv;
    try (SSLSocket socket = (SSLSocket) tls().getSocketFactory().createSocket()) {
      socket.setReceiveBufferSize(4096);
      socket.connect(new java.net.InetSocketAddress(api.getHost(), api.getPort()), 10_000);
      socket.setSoTimeout(60_000);
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + api.getHost() + "\r\nAuthorization: Bearer "
          + token + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      ChunkedLines stream = new ChunkedLines(socket.getInputStream());
      JsonNode first = KubeJson.parse(stream.next());
      assertEquals("ADDED r-0", first.get("type").asText() + " " + first.at("/object/metadata/name").asText());
      lastRv = first.at("/object/metadata/resourceVersion").asText();

      // The client reads nothing more while big changes come.
      String pad = "x".repeat(160 * 1024);
      int changes = 60;
      for (int i = 1; i <= changes; i++) {
        cms.resource(new ConfigMapBuilder().withNewMetadata().withName("r-" + i).endMetadata()
            .withData(Map.of("v", Integer.toString(i), "pad", pad)).build()).create();
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (overflowEnded() < 1 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertTrue(overflowEnded() >= 1, "the gateway ended the watch of the client that stopped reading");

      // What was written before the end is still there; then the stream ends.
      for (String line = stream.next(); line != null; line = stream.next()) {
        JsonNode e = KubeJson.parse(line);
        assertEquals("ADDED", e.get("type").asText(), "no ERROR: the stream just ends, as kube-apiserver's: " + line);
        seen.add(e.at("/object/metadata/name").asText());
        lastRv = e.at("/object/metadata/resourceVersion").asText();
      }
      assertTrue(seen.size() < changes, "the watch ended before the end: " + seen);

      // Watching again from the last version read gets the rest.
      HttpResponse<Stream<String>> again = HttpClient.newBuilder().sslContext(tls()).build().send(
          HttpRequest.newBuilder(URI.create(gateway.url() + path + "&timeoutSeconds=3&resourceVersion=" + lastRv))
              .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofLines());
      assertEquals(200, again.statusCode());
      try (Stream<String> lines = again.body()) {
        lines.filter(l -> !l.isBlank()).map(KubeJson::parse).filter(e -> !e.get("type").asText().equals("BOOKMARK"))
            .forEach(e -> seen.add(e.at("/object/metadata/name").asText()));
      }
      List<String> expected = new ArrayList<>();
      for (int i = 1; i <= changes; i++) {
        expected.add("r-" + i);
      }
      assertEquals(expected.stream().sorted().toList(), seen.stream().sorted().toList(), "every change once: " + seen);
    }
  }

  private static double overflowEnded() {
    return backend.registry().scrape().lines()
        .filter(l -> l.startsWith("capstan_gateway_watches_closed_total") && l.contains("kind=\"ConfigMap\"")
            && l.contains("reason=\"overflow\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  /** TLS trusting only the gateway's CA. */
  private static SSLContext tls() throws Exception {
    java.security.cert.Certificate ca;
    try (var in = Files.newInputStream(dataDir.resolve("pki").resolve("ca.crt"))) {
      ca = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    java.security.KeyStore trust = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("capstan-ca", ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return ssl;
  }

  /** The lines of a chunked HTTP/1.1 response body, after its headers; null at the last chunk. */
  static final class ChunkedLines {
    private final java.io.DataInputStream in;
    private final StringBuilder pending = new StringBuilder();
    private boolean done;

    ChunkedLines(java.io.InputStream raw) throws java.io.IOException {
      this.in = new java.io.DataInputStream(new java.io.BufferedInputStream(raw));
      String status = readLine();
      assertTrue(status.startsWith("HTTP/1.1 200"), status);
      while (!readLine().isEmpty()) {
        // headers
      }
    }

    String next() throws java.io.IOException {
      while (true) {
        int nl = pending.indexOf("\n");
        if (nl >= 0) {
          String line = pending.substring(0, nl);
          pending.delete(0, nl + 1);
          if (!line.isBlank()) {
            return line;
          }
          continue;
        }
        if (done) {
          return null;
        }
        int size = Integer.parseInt(readLine().trim(), 16);
        if (size == 0) {
          done = true;
          continue;
        }
        byte[] chunk = new byte[size];
        in.readFully(chunk);
        readLine();
        pending.append(new String(chunk, StandardCharsets.UTF_8));
      }
    }

    private String readLine() throws java.io.IOException {
      StringBuilder b = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new java.io.EOFException("the connection closed mid-line: " + b);
        }
        if (c != '\r') {
          b.append((char) c);
        }
      }
      return b.toString();
    }
  }
}
