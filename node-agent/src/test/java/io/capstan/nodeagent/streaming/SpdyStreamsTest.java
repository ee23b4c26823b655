package io.capstan.nodeagent.streaming;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdySynReplyFrame;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** A remote command's streams over SPDY, against a client on the same codec (as kubectl's SPDY executor frames them). */
class SpdyStreamsTest {

  @Test
  void theCommandRunsOnceItsStreamsAreOpenAndEndsWithTheStatus() throws Exception {
    PortForwardSessionTest.Client c = new PortForwardSessionTest.Client();
    AtomicBoolean closed = new AtomicBoolean();
    StreamOptions options = new StreamOptions(true, true, false, true, List.of("cat"));
    SpdyStreams streams = new SpdyStreams(options, c::fromServer, () -> closed.set(true));
    c.sink = streams::received;
    open(c, 1, "error");
    open(c, 3, "stdin");
    open(c, 5, "stdout");
    assertFalse(streams.awaitReady(100), "the resize stream of a terminal is still missing");
    open(c, 7, "resize");
    assertTrue(streams.awaitReady(5000));
    for (int i = 0; i < 4; i++) {
      c.next(SpdySynReplyFrame.class);
    }

    c.send(new DefaultSpdyDataFrame(7, Unpooled.copiedBuffer("{\"Width\":80,\"Height\":24}{\"Width\":100,",
        StandardCharsets.UTF_8)));
    assertArrayEquals(new int[] {80, 24}, streams.firstSize(1000));
    List<int[]> later = new ArrayList<>();
    streams.onResize(later::add);
    c.send(new DefaultSpdyDataFrame(7, Unpooled.copiedBuffer("\"Height\":30}", StandardCharsets.UTF_8)));
    assertEquals(1, later.size());
    assertArrayEquals(new int[] {100, 30}, later.get(0));

    ByteArrayOutputStream typed = new ByteArrayOutputStream();
    CompletableFuture<Void> stdinClosed = new CompletableFuture<>();
    streams.pumpStdin(() -> new OutputStream() {
      @Override
      public void write(int b) {
        typed.write(b);
      }

      @Override
      public void close() {
        stdinClosed.complete(null);
      }
    });
    DefaultSpdyDataFrame input = new DefaultSpdyDataFrame(3, Unpooled.copiedBuffer("typed", StandardCharsets.UTF_8));
    input.setLast(true);
    c.send(input);
    stdinClosed.get(5, TimeUnit.SECONDS);
    assertEquals("typed", typed.toString(StandardCharsets.UTF_8));

    streams.pump(new java.io.ByteArrayInputStream("out".getBytes(StandardCharsets.UTF_8)), ChannelProtocol.STDOUT)
        .join(5000);
    List<Object> others = new ArrayList<>();
    assertEquals("out", c.readStream(5, others));
    byte[] status = ChannelProtocol.exitStatus(List.of("cat"), 2);
    streams.finish(status);
    assertEquals(new String(status, StandardCharsets.UTF_8), c.readStream(1, others));
    assertTrue(closed.get(), "the connection is closed after the status");
  }

  private static void open(PortForwardSessionTest.Client c, int id, String type) {
    DefaultSpdySynStreamFrame syn = new DefaultSpdySynStreamFrame(id, 0, (byte) 0);
    syn.headers().set("streamtype", type);
    c.send(syn);
  }
}
