package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A SPDY client's {@code POST} upgrade of a pod stream reaches the server as the GET whose
 * connection Vert.x hands over: on a real Vert.x server, the client gets its 101 and then the
 * raw connection; other requests keep their method.
 */
class SpdyUpgradesTest {

  private static HttpRequest request(HttpMethod method, String uri, String upgrade) {
    HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
    if (upgrade != null) {
      r.headers().set("Connection", "Upgrade").set("Upgrade", upgrade);
    }
    return r;
  }

  @Test
  void onlyASpdyPostOfAPodStreamIsShownAsGet() {
    assertTrue(SpdyUpgrades.isSpdyPost(request(HttpMethod.POST,
        "/api/v1/namespaces/default/pods/web/portforward", "SPDY/3.1")));
    assertTrue(SpdyUpgrades.isSpdyPost(request(HttpMethod.POST,
        "/api/v1/namespaces/default/pods/web/exec?command=true&stdout=true", "SPDY/3.1")));
    assertEquals(false, SpdyUpgrades.isSpdyPost(request(HttpMethod.POST,
        "/api/v1/namespaces/default/pods", "SPDY/3.1")), "a create is no stream");
    assertEquals(false, SpdyUpgrades.isSpdyPost(request(HttpMethod.POST,
        "/api/v1/namespaces/default/pods/web/exec", "websocket")));
    assertEquals(false, SpdyUpgrades.isSpdyPost(request(HttpMethod.POST,
        "/api/v1/namespaces/default/pods/web/exec", null)));
    assertEquals(false, SpdyUpgrades.isSpdyPost(request(HttpMethod.PUT,
        "/api/v1/namespaces/default/pods/web/attach", "SPDY/3.1")));
  }

  @Test
  void aVertxServerHandsOverTheConnectionOfASpdyPost() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      // HTTP/1.1 from the first byte, as the gateway's servers: the handler is in place before the first request
      HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false))
          .connectionHandler(SpdyUpgrades::install)
          .requestHandler(req -> {
            req.response().putHeader("Connection", "Upgrade").putHeader("Upgrade", "SPDY/3.1")
                .putHeader("X-Seen-Method", req.method().name());
            req.toNetSocket().onSuccess(s -> s.handler(b -> s.write(b.toString().toUpperCase())))
                .onFailure(e -> req.response().setStatusCode(500).end(e.getMessage()));
          })
          .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.actualPort())) {
        s.setSoTimeout(30_000);
        OutputStream out = s.getOutputStream();
        out.write(("POST /api/v1/namespaces/default/pods/web/portforward HTTP/1.1\r\nHost: x\r\n"
            + "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n"
            + "Content-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        String head = readHead(in);
        assertTrue(head.startsWith("HTTP/1.1 101 "), head);
        assertTrue(head.toLowerCase().contains("x-seen-method: get"), head);
        out.write("tunnelled".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        byte[] echo = in.readNBytes("TUNNELLED".length());
        assertEquals("TUNNELLED", new String(echo, StandardCharsets.US_ASCII), "the raw connection after the 101");
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static String readHead(InputStream in) throws Exception {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        break;
      }
      head.append((char) c);
    }
    return head.toString();
  }
}
