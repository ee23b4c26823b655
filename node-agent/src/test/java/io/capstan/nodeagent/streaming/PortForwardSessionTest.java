package io.capstan.nodeagent.streaming;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyPingFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyPingFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyVersion;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The port-forward session against a SPDY/3.1 client built on the same codec (as kubectl's
 * spdystream frames it): stream pairs answered, bytes relayed both ways to a real listening socket
 * (the host's network: no namespace), a closed port reported on the error stream, pings answered,
 * a stream without a port refused.
 */
class PortForwardSessionTest {

  /** The client's side: frames it received, decoded. */
  static final class Client {
    final EmbeddedChannel codec = new EmbeddedChannel(new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
    final LinkedBlockingQueue<Object> frames = new LinkedBlockingQueue<>();
    /** Where the client's bytes go: the server side under test. */
    java.util.function.Consumer<Buffer> sink;

    synchronized Future<Void> fromServer(Buffer bytes) {
      codec.writeInbound(Unpooled.wrappedBuffer(bytes.getBytes()));
      Object f;
      while ((f = codec.readInbound()) != null) {
        frames.add(f);
      }
      return Future.succeededFuture();
    }

    void send(Object frame) {
      Buffer out = Buffer.buffer();
      synchronized (this) {
        codec.writeOutbound(frame);
        ByteBuf b;
        while ((b = codec.readOutbound()) != null) {
          byte[] bytes = new byte[b.readableBytes()];
          b.readBytes(bytes);
          b.release();
          out.appendBytes(bytes);
        }
      }
      sink.accept(out);
    }

    void open(int id, String type, int port, String requestId) {
      DefaultSpdySynStreamFrame syn = new DefaultSpdySynStreamFrame(id, 0, (byte) 0);
      syn.headers().set("streamtype", type).set("port", Integer.toString(port)).set("requestid", requestId);
      send(syn);
    }

    <T> T next(Class<T> type) throws InterruptedException {
      Object f = frames.poll(20, TimeUnit.SECONDS);
      if (f == null) {
        throw new AssertionError("no " + type.getSimpleName() + " from the server");
      }
      if (!type.isInstance(f)) {
        ReferenceCountUtil.release(f);
        throw new AssertionError("expected a " + type.getSimpleName() + ", got " + f);
      }
      return type.cast(f);
    }

    /** Data frames' text on one stream up to its FIN. */
    String readStream(int stream, List<Object> others) throws InterruptedException {
      StringBuilder text = new StringBuilder();
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (System.nanoTime() < deadline) {
        Object f = frames.poll(1, TimeUnit.SECONDS);
        if (f instanceof SpdyDataFrame d && d.streamId() == stream) {
          text.append(d.content().toString(StandardCharsets.UTF_8));
          boolean last = d.isLast();
          d.release();
          if (last) {
            return text.toString();
          }
        } else if (f != null) {
          others.add(f);
        }
      }
      throw new AssertionError("stream " + stream + " did not end; so far: " + text);
    }
  }

  /** A client and its session. */
  private record Connected(Client client, PortForwardSession session) {}

  private static Connected connect() {
    Client c = new Client();
    PortForwardSession session = new PortForwardSession(new PortForwardSession.Target("sandbox-x", "",
        Optional.empty()), c::fromServer, () -> { });
    c.sink = session::received;
    return new Connected(c, session);
  }

  @Test
  void aForwardedConnectionRelaysBothWays() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread echo = new Thread(() -> {
        try (Socket s = server.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
          byte[] buf = new byte[64];
          int n;
          while ((n = in.read(buf)) > 0) {
            out.write(new String(buf, 0, n, StandardCharsets.UTF_8).toUpperCase().getBytes(StandardCharsets.UTF_8));
          }
        } catch (Exception ignored) {
          // the test ends it
        }
      });
      echo.start();
      Connected cs = connect();
      Client c = cs.client();
      c.open(1, "error", server.getLocalPort(), "0");
      assertEquals(1, c.next(SpdySynReplyFrame.class).streamId());
      c.open(3, "data", server.getLocalPort(), "0");
      assertEquals(3, c.next(SpdySynReplyFrame.class).streamId());
      c.send(new DefaultSpdyDataFrame(3, Unpooled.copiedBuffer("hello pod", StandardCharsets.UTF_8)));
      DefaultSpdyDataFrame end = new DefaultSpdyDataFrame(3);
      end.setLast(true);
      c.send(end); // the client is done sending: the pod sees its input end and closes
      List<Object> others = new ArrayList<>();
      assertEquals("HELLO POD", c.readStream(3, others));
      assertEquals("", c.readStream(1, others), "no error, and the error stream ends too");
      c.send(new DefaultSpdyPingFrame(7));
      assertEquals(7, c.next(SpdyPingFrame.class).id());
      cs.session().close();
      echo.join(5000);
    }
  }

  @Test
  void aClosedPortIsReportedOnTheErrorStreamAsKubeletReportsIt() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    Connected cs = connect();
    Client c = cs.client();
    c.open(1, "error", closed, "5");
    c.next(SpdySynReplyFrame.class);
    c.open(3, "data", closed, "5");
    c.next(SpdySynReplyFrame.class);
    List<Object> others = new ArrayList<>();
    String error = c.readStream(1, others);
    assertTrue(error.startsWith("error forwarding port " + closed + " to pod sandbox-x, uid : failed to connect to"
        + " localhost:" + closed), error);
    // kubelet's "error forwarding port" around containerd's words, IPv4 tried before IPv6
    assertTrue(error.contains(" inside namespace \"sandbox-x\", IPv4: dial tcp4 127.0.0.1:" + closed
        + ": connect: connection refused IPv6 dial tcp6 [::1]:" + closed + ": connect: "), error);
    cs.session().close();
  }

  @Test
  void aStreamWithoutAPortIsRefused() throws Exception {
    Connected cs = connect();
    Client c = cs.client();
    DefaultSpdySynStreamFrame syn = new DefaultSpdySynStreamFrame(1, 0, (byte) 0);
    syn.headers().set("streamtype", "data");
    c.send(syn);
    assertEquals(1, c.next(SpdyRstStreamFrame.class).streamId());
    cs.session().close();
  }
}
