package io.capstan.nodeagent.streaming;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyPingFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyGoAwayFrame;
import io.netty.handler.codec.spdy.SpdyPingFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A remote command's streams over SPDY/3.1, as kubelet serves exec and attach to clients that do
 * not speak WebSocket ({@code Upgrade: SPDY/3.1}, {@code X-Stream-Protocol-Version:
 * v4.channel.k8s.io}): the client opens one SPDY stream per standard stream, named by its {@code
 * streamType} header (error, stdin, stdout, stderr, resize); once all it asked for are there, the
 * command runs; stdout and stderr end with a FIN, stdin's FIN is its end, the resize stream carries
 * terminal sizes as JSON objects, and the error stream gets the v4 Status before the connection
 * closes.
 */
final class SpdyStreams implements RemoteStreams {
  private static final Logger log = LoggerFactory.getLogger(SpdyStreams.class);
  static final String PROTOCOL = "v4.channel.k8s.io";
  private static final byte[] END = new byte[0];
  private static final int CHUNK = 32 * 1024;

  private final SpdyCodec codec;
  private final Runnable closeTransport;
  private final List<String> expected;
  private final Map<String, Integer> streams = new ConcurrentHashMap<>();
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  private final LinkedBlockingQueue<byte[]> stdin = new LinkedBlockingQueue<>();
  private final CompletableFuture<int[]> firstSize = new CompletableFuture<>();
  private final StringBuilder sizes = new StringBuilder();
  private volatile Consumer<int[]> resize = s -> { };
  private volatile Runnable onGone = () -> { };
  private volatile boolean gone;

  SpdyStreams(StreamOptions options, Function<Buffer, Future<Void>> transport, Runnable closeTransport) {
    this.codec = new SpdyCodec(transport);
    this.closeTransport = closeTransport;
    List<String> types = new java.util.ArrayList<>(List.of("error"));
    if (options.stdin()) {
      types.add("stdin");
    }
    if (options.stdout()) {
      types.add("stdout");
    }
    if (options.stderr()) {
      types.add("stderr");
    }
    if (options.tty()) {
      types.add("resize");
    }
    this.expected = List.copyOf(types);
  }

  /** Waits until the client opened every stream it asked for; false when it did not in time. */
  boolean awaitReady(long ms) {
    try {
      ready.get(ms, TimeUnit.MILLISECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** Bytes from the client. */
  synchronized void received(Buffer bytes) {
    List<Object> frames;
    try {
      frames = codec.decode(bytes);
    } catch (RuntimeException e) {
      log.debug("remote command: bad SPDY from the client: {}", e.toString());
      gone();
      return;
    }
    for (Object f : frames) {
      try {
        handle(f);
      } finally {
        ReferenceCountUtil.release(f);
      }
    }
  }

  private void handle(Object frame) {
    if (frame instanceof SpdySynStreamFrame syn) {
      String type = syn.headers().getAsString("streamtype");
      codec.reply(syn.streamId());
      if (type != null) {
        streams.put(type, syn.streamId());
      }
      if (syn.isLast() && "stdin".equals(type)) {
        stdin.offer(END);
      }
      if (streams.keySet().containsAll(expected)) {
        ready.complete(null);
      }
    } else if (frame instanceof SpdyDataFrame data) {
      int id = data.streamId();
      byte[] b = new byte[data.content().readableBytes()];
      data.content().readBytes(b);
      if (Integer.valueOf(id).equals(streams.get("stdin"))) {
        if (b.length > 0) {
          stdin.offer(b);
        }
        if (data.isLast()) {
          stdin.offer(END);
        }
      } else if (Integer.valueOf(id).equals(streams.get("resize"))) {
        sizes.append(new String(b, StandardCharsets.UTF_8));
        int end;
        while ((end = sizes.indexOf("}")) >= 0) {
          int[] size = ChannelProtocol.terminalSize(sizes.substring(0, end + 1).getBytes(StandardCharsets.UTF_8));
          sizes.delete(0, end + 1);
          if (size != null && !firstSize.complete(size)) {
            resize.accept(size);
          }
        }
      }
    } else if (frame instanceof SpdyPingFrame ping) {
      codec.write(new DefaultSpdyPingFrame(ping.id()));
    } else if (frame instanceof SpdyRstStreamFrame || frame instanceof SpdyGoAwayFrame) {
      gone();
    }
  }

  /** The connection ended. */
  void gone() {
    if (!gone) {
      gone = true;
      stdin.offer(END);
      codec.close();
      onGone.run();
    }
  }

  @Override
  public boolean clientGone() {
    return gone;
  }

  @Override
  public void onGone(Runnable r) {
    this.onGone = r;
    if (gone) {
      r.run();
    }
  }

  @Override
  public int[] firstSize(long waitMs) {
    try {
      return firstSize.get(waitMs, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      return null;
    }
  }

  @Override
  public void onResize(Consumer<int[]> resize) {
    this.resize = resize;
  }

  @Override
  public Thread pumpStdin(Supplier<OutputStream> target) {
    return ChannelSocket.daemon(() -> {
      OutputStream to = null;
      try {
        while (true) {
          byte[] b = stdin.take();
          if (to == null) {
            to = target.get();
          }
          if (b == END) {
            break;
          }
          to.write(b);
          to.flush();
        }
      } catch (IOException | InterruptedException | RuntimeException e) {
        log.debug("stdin ended: {}", e.toString());
      } finally {
        if (to != null) {
          try {
            to.close();
          } catch (IOException ignored) {
            // gone already
          }
        }
      }
    }, "capstan-spdy-stdin");
  }

  @Override
  public void endStdin() {
    stdin.offer(END);
  }

  @Override
  public Thread pump(InputStream from, int channel) {
    return ChannelSocket.daemon(() -> {
      byte[] buf = new byte[CHUNK];
      try {
        int n;
        while ((n = from.read(buf)) >= 0) {
          if (channel >= 0 && n > 0) {
            send(channel, buf, n);
          }
        }
      } catch (IOException e) {
        // the command's end
      }
      if (channel >= 0) {
        end(channel);
      }
    }, "capstan-spdy-out-" + channel);
  }

  private Integer streamOf(int channel) {
    return switch (channel) {
      case ChannelProtocol.STDOUT -> streams.get("stdout");
      case ChannelProtocol.STDERR -> streams.get("stderr");
      case ChannelProtocol.ERROR -> streams.get("error");
      default -> null;
    };
  }

  @Override
  public void send(int channel, byte[] data, int len) {
    Integer id = streamOf(channel);
    if (id == null || gone) {
      return;
    }
    try {
      codec.write(new DefaultSpdyDataFrame(id, Unpooled.copiedBuffer(data, 0, len))).toCompletionStage()
          .toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      gone();
    }
  }

  private void end(int channel) {
    Integer id = streamOf(channel);
    if (id != null && !gone) {
      DefaultSpdyDataFrame fin = new DefaultSpdyDataFrame(id);
      fin.setLast(true);
      codec.write(fin);
    }
  }

  @Override
  public void finish(byte[] status) {
    if (!gone) {
      send(ChannelProtocol.ERROR, status, status.length);
      end(ChannelProtocol.ERROR);
      closeTransport.run();
    }
    gone();
  }
}
