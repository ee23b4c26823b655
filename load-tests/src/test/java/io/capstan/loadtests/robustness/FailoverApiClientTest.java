package io.capstan.loadtests.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.capstan.loadtests.api.ApiTarget;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client of several gateways, against real HTTP servers on loopback: one answering, one gone, one that hangs up. */
class FailoverApiClientTest {
  HttpServer live;
  final AtomicInteger liveCalls = new AtomicInteger();
  volatile int liveCode = 200;

  @BeforeEach
  void startLiveGateway() throws IOException {
    live = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    live.createContext("/", ex -> {
      liveCalls.incrementAndGet();
      ex.getRequestBody().readAllBytes();
      byte[] body = "{\"kind\":\"ConfigMap\",\"metadata\":{\"resourceVersion\":\"7\"}}".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(liveCode, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    live.start();
  }

  @AfterEach
  void stop() {
    live.stop(0);
  }

  static ApiTarget target(int port) {
    return new ApiTarget(URI.create("http://127.0.0.1:" + port), null, "t");
  }

  static int deadPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort(); // closed again: connections are refused
    }
  }

  @Test
  void aRequestThatCouldNotBeSentGoesToTheNextGatewayAtOnce() throws Exception {
    FailoverApiClient c = new FailoverApiClient(List.of(target(deadPort()), target(live.getAddress().getPort())), 0,
        Duration.ofSeconds(10));
    ApiClient.Answer a = c.call("POST", "/api/v1/namespaces/n/configmaps", "application/json", "{}");
    assertEquals(200, a.code());
    assertEquals(1, liveCalls.get());
    assertEquals(1, c.current(), "it stays on the gateway that answered");
    c.call("GET", "/x", null, null);
    assertEquals(2, liveCalls.get());
  }

  @Test
  void aRequestSentButNotAnsweredIsReportedAndTheNextGoesElsewhere() throws Exception {
    try (ServerSocket hangsUp = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Thread t = new Thread(() -> {
        try (Socket s = hangsUp.accept()) {
          s.getInputStream().read(new byte[4096]); // the request arrived, maybe applied; no answer
        } catch (IOException e) {
          // done
        }
      });
      t.setDaemon(true);
      t.start();
      FailoverApiClient c = new FailoverApiClient(List.of(target(hangsUp.getLocalPort()),
          target(live.getAddress().getPort())), 0, Duration.ofSeconds(10));
      assertThrows(IOException.class, () -> c.call("PUT", "/api/v1/namespaces/n/configmaps/k", "application/json", "{}"));
      assertEquals(0, liveCalls.get(), "a request that may have been applied is not sent again");
      assertEquals(1, c.current());
      assertEquals(200, c.call("GET", "/x", null, null).code());
    }
  }

  @Test
  void aServerErrorIsTheAnswerAndTheNextRequestGoesToTheOtherGateway() throws Exception {
    liveCode = 503;
    int port = live.getAddress().getPort();
    FailoverApiClient c = new FailoverApiClient(List.of(target(port), target(deadPort())), 0, Duration.ofSeconds(10));
    assertEquals(503, c.call("GET", "/x", null, null).code());
    assertEquals(1, c.current());
    liveCode = 200;
    assertEquals(200, c.call("GET", "/x", null, null).code(), "refused by the other, back to the first");
    assertEquals(0, c.current());
  }

  @Test
  void everyGatewayGoneIsAnError() throws Exception {
    FailoverApiClient c = new FailoverApiClient(List.of(target(deadPort()), target(deadPort())), 1,
        Duration.ofSeconds(10));
    IOException e = assertThrows(IOException.class, () -> c.call("GET", "/x", null, null));
    assertTrue(FailoverApiClient.notSent(e), e.toString());
  }
}
