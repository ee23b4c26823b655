package io.capstan.nodeagent.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyPingFrame;
import io.netty.handler.codec.spdy.DefaultSpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyGoAwayFrame;
import io.netty.handler.codec.spdy.SpdyPingFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One port-forward connection from a client: SPDY/3.1 over a byte stream (a WebSocket's binary
 * messages, or an upgraded HTTP connection), as kubelet serves {@code portforward.k8s.io}. For
 * each connection to a local port the client opens two streams with the same {@code requestID}
 * header, an error stream and a data stream, each naming the {@code port}; once both are there
 * the port is connected inside the pod's network namespace and the data stream relays bytes both
 * ways. A failure is written as text on the error stream (kubelet's "error forwarding port …"),
 * which kubectl prints. The SPDY framing (and its compressed header blocks) is Netty's codec, run
 * on an embedded channel; this class keeps the streams.
 *
 * <p>Like kubelet's SPDY library, this side enforces no flow-control windows: each side's
 * back-pressure is its transport's.
 */
final class PortForwardSession {
  private static final Logger log = LoggerFactory.getLogger(PortForwardSession.class);
  private static final byte[] END = new byte[0];
  private static final int CHUNK = 32 * 1024;

  /** The pod as kubelet names it in port-forward errors (its sandbox and uid), and where its ports are. */
  record Target(String podName, String uid, Optional<Path> netns) {}

  private final SpdyCodec codec;
  private final Runnable closeTransport;
  private final Target target;
  private final Map<String, Pair> pairs = new HashMap<>();
  private final Map<Integer, Pair> byStream = new HashMap<>();
  private volatile boolean closed;

  /** The error and data streams of one forwarded connection. */
  private final class Pair {
    final String requestId;
    int port;
    int errorStream;
    int dataStream;
    final LinkedBlockingQueue<byte[]> toPod = new LinkedBlockingQueue<>();
    volatile SocketChannel socket;
    boolean started;

    Pair(String requestId) {
      this.requestId = requestId;
    }

    boolean complete() {
      return errorStream != 0 && dataStream != 0;
    }
  }

  /**
   * @param transport sends bytes to the client; its future completes once the connection took them
   */
  PortForwardSession(Target target, Function<Buffer, Future<Void>> transport, Runnable closeTransport) {
    this.target = target;
    this.codec = new SpdyCodec(transport);
    this.closeTransport = closeTransport;
  }

  /** Bytes from the client. */
  synchronized void received(Buffer bytes) {
    if (closed) {
      return;
    }
    List<Object> frames;
    try {
      frames = codec.decode(bytes);
    } catch (RuntimeException e) {
      log.debug("port-forward to {}: bad SPDY from the client: {}", target.podName(), e.toString());
      close();
      return;
    }
    for (Object frame : frames) {
      try {
        handle(frame);
      } finally {
        ReferenceCountUtil.release(frame);
      }
    }
  }

  private void handle(Object frame) {
    if (frame instanceof SpdySynStreamFrame syn) {
      opened(syn);
    } else if (frame instanceof SpdyDataFrame data) {
      Pair p = byStream.get(data.streamId());
      if (p != null && data.streamId() == p.dataStream) {
        ByteBuf content = data.content();
        if (content.readableBytes() > 0) {
          byte[] b = new byte[content.readableBytes()];
          content.readBytes(b);
          p.toPod.offer(b);
        }
        if (data.isLast()) {
          p.toPod.offer(END);
        }
      }
    } else if (frame instanceof SpdyRstStreamFrame rst) {
      Pair p = byStream.get(rst.streamId());
      if (p != null) {
        p.toPod.offer(END);
        closeSocket(p);
      }
    } else if (frame instanceof SpdyPingFrame ping) {
      codec.write(new DefaultSpdyPingFrame(ping.id()));
    } else if (frame instanceof SpdyGoAwayFrame) {
      close();
    }
    // SETTINGS, WINDOW_UPDATE and HEADERS need nothing here
  }

  /** A new stream: checked as kubelet checks it (a port header, a known stream type), answered, paired. */
  private void opened(SpdySynStreamFrame syn) {
    int id = syn.streamId();
    String portHeader = syn.headers().getAsString("port");
    String type = syn.headers().getAsString("streamtype");
    int port;
    try {
      port = Integer.parseInt(portHeader == null ? "" : portHeader.trim());
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65535 || !("error".equals(type) || "data".equals(type))) {
      log.debug("port-forward to {}: stream {} refused (port {}, type {})", target.podName(), id, portHeader, type);
      codec.write(new DefaultSpdyRstStreamFrame(id, SpdyStreamStatus.PROTOCOL_ERROR));
      return;
    }
    codec.reply(id);
    String requestId = syn.headers().getAsString("requestid");
    if (requestId == null || requestId.isEmpty()) {
      // an old client without request ids: its error and data streams have consecutive odd ids
      requestId = Integer.toString("error".equals(type) ? id : id - 2);
    }
    Pair p = pairs.computeIfAbsent(requestId, Pair::new);
    if ("error".equals(type)) {
      p.errorStream = id;
    } else {
      p.dataStream = id;
    }
    p.port = port;
    byStream.put(id, p);
    if (syn.isLast() && "data".equals(type)) {
      p.toPod.offer(END);
    }
    if (p.complete() && !p.started) {
      p.started = true;
      Thread t = new Thread(() -> forward(p), "capstan-portforward-" + port);
      t.setDaemon(true);
      t.start();
    }
  }

  /** Connects the pair's port and relays until both sides are done. */
  private void forward(Pair p) {
    SocketChannel socket;
    try {
      socket = PodNetns.connect(target.netns(), target.podName(), p.port);
    } catch (IOException e) {
      String msg = "error forwarding port " + p.port + " to pod " + target.podName() + ", uid " + target.uid() + ": "
          + e.getMessage();
      log.info("port-forward: {}", msg);
      byte[] text = msg.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      write(new DefaultSpdyDataFrame(p.errorStream, Unpooled.wrappedBuffer(text)));
      finish(p);
      return;
    }
    p.socket = socket;
    if (closed) {
      closeSocket(p);
      return;
    }
    Thread writer = new Thread(() -> toPod(p, socket), "capstan-portforward-in-" + p.port);
    writer.setDaemon(true);
    writer.start();
    ByteBuffer buf = ByteBuffer.allocate(CHUNK);
    try {
      while (socket.read(buf) >= 0) {
        buf.flip();
        if (buf.hasRemaining()) {
          byte[] b = new byte[buf.remaining()];
          buf.get(b);
          Future<Void> sent = write(new DefaultSpdyDataFrame(p.dataStream, Unpooled.wrappedBuffer(b)));
          sent.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        buf.clear();
      }
    } catch (Exception e) {
      // the pod's side or the client's went away
    }
    finish(p);
    try {
      writer.join(60_000);
    } catch (InterruptedException ignored) {
      Thread.currentThread().interrupt();
    }
    closeSocket(p);
  }

  private void toPod(Pair p, SocketChannel socket) {
    try {
      while (true) {
        byte[] b = p.toPod.take();
        if (b == END) {
          socket.shutdownOutput();
          return;
        }
        ByteBuffer bb = ByteBuffer.wrap(b);
        while (bb.hasRemaining()) {
          socket.write(bb);
        }
      }
    } catch (IOException | InterruptedException e) {
      closeSocket(p);
    }
  }

  /** The end of both streams from this side, as kubelet closes them once a forward ends. */
  private void finish(Pair p) {
    DefaultSpdyDataFrame dataEnd = new DefaultSpdyDataFrame(p.dataStream);
    dataEnd.setLast(true);
    DefaultSpdyDataFrame errorEnd = new DefaultSpdyDataFrame(p.errorStream);
    errorEnd.setLast(true);
    write(dataEnd);
    write(errorEnd);
    synchronized (this) {
      pairs.remove(p.requestId);
      byStream.remove(p.errorStream);
      byStream.remove(p.dataStream);
    }
    p.toPod.offer(END); // what the client sent so far still goes; anything later has nowhere to go
  }

  private Future<Void> write(Object frame) {
    return codec.write(frame);
  }

  private static void closeSocket(Pair p) {
    SocketChannel s = p.socket;
    if (s != null) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closed already
      }
    }
  }

  /** The client's connection ended (or broke the protocol): every forwarded connection ends. */
  synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Pair p : pairs.values()) {
      p.toPod.offer(END);
      closeSocket(p);
    }
    pairs.clear();
    codec.close();
    closeTransport.run();
  }
}
