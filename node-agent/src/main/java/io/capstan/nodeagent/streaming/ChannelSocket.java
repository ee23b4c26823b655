package io.capstan.nodeagent.streaming;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A WebSocket speaking {@link ChannelProtocol}, as an exec or attach session uses it: the client's
 * stdin queued for a writer thread (the WebSocket stops being read while the queue is long), its
 * terminal sizes, its end of stdin (v5's close signal) and its going away; messages to the client
 * sent one at a time, each waiting until the connection took it (so a slow client slows the
 * command down instead of filling memory); the end: the error channel's Status, then a normal
 * close. Blocking work never runs on the event loop.
 */
final class ChannelSocket implements RemoteStreams {
  private static final Logger log = LoggerFactory.getLogger(ChannelSocket.class);
  private static final byte[] END = new byte[0];
  private static final int CHUNK = 32 * 1024;
  /** Messages of stdin queued before the WebSocket stops being read. */
  private static final int STDIN_QUEUE = 64;

  private final ServerWebSocket ws;
  private final boolean v5;
  private final LinkedBlockingQueue<byte[]> stdin = new LinkedBlockingQueue<>();
  private final CompletableFuture<int[]> firstSize = new CompletableFuture<>();
  private volatile Consumer<int[]> resize = size -> { };
  private volatile boolean clientGone;
  private volatile boolean paused;
  private volatile Runnable onGone = () -> { };

  /**
   * @param acceptStdin whether the client's stdin is wanted (else dropped)
   */
  ChannelSocket(ServerWebSocket ws, boolean acceptStdin) {
    this.ws = ws;
    this.v5 = ChannelProtocol.V5.equals(ws.subProtocol());
    ws.binaryMessageHandler(m -> fromClient(m, acceptStdin));
    ws.closeHandler(v -> {
      clientGone = true;
      stdin.offer(END);
      onGone.run();
    });
    ws.exceptionHandler(e -> log.debug("streaming WebSocket: {}", e.toString()));
  }

  @Override
  public void onGone(Runnable r) {
    this.onGone = r;
    if (clientGone) {
      r.run();
    }
  }

  @Override
  public boolean clientGone() {
    return clientGone;
  }

  /** The client's first terminal size, or null when none came within {@code waitMs}. */
  @Override
  public int[] firstSize(long waitMs) {
    try {
      return firstSize.get(waitMs, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      return null;
    }
  }

  /** Where later terminal sizes go. */
  @Override
  public void onResize(Consumer<int[]> resize) {
    this.resize = resize;
  }

  private void fromClient(Buffer message, boolean acceptStdin) {
    if (message.length() == 0) {
      return;
    }
    int channel = message.getByte(0) & 0xff;
    byte[] data = message.getBytes(1, message.length());
    switch (channel) {
      case ChannelProtocol.STDIN -> {
        if (acceptStdin && data.length > 0) {
          stdin.offer(data);
          if (stdin.size() >= STDIN_QUEUE && !paused) {
            paused = true;
            ws.pause();
          }
        }
      }
      case ChannelProtocol.RESIZE -> {
        int[] size = ChannelProtocol.terminalSize(data);
        if (size != null && !firstSize.complete(size)) {
          resize.accept(size);
        }
      }
      case ChannelProtocol.CLOSE -> {
        if (v5 && data.length > 0 && data[0] == ChannelProtocol.STDIN) {
          stdin.offer(END);
        }
      }
      default -> log.debug("a message on channel {} ignored", channel);
    }
  }

  /**
   * On a thread of its own, writes the client's stdin to what {@code target} opens (opened at the
   * first data, or at the end) until the client ends it or goes away; then closes it.
   */
  @Override
  public Thread pumpStdin(Supplier<OutputStream> target) {
    return daemon(() -> {
      OutputStream to = null;
      try {
        while (true) {
          byte[] b = stdin.take();
          if (paused && stdin.size() < STDIN_QUEUE / 2) {
            paused = false;
            ws.resume();
          }
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
    }, "capstan-stream-stdin");
  }

  /** Ends the stdin pump (the command ended). */
  @Override
  public void endStdin() {
    stdin.offer(END);
  }

  /** On a thread of its own, copies a stream to a channel (-1: read and dropped) until its end. */
  @Override
  public Thread pump(InputStream from, int channel) {
    return daemon(() -> {
      byte[] buf = new byte[CHUNK];
      try {
        int n;
        while ((n = from.read(buf)) >= 0) {
          if (channel >= 0 && n > 0 && !clientGone) {
            send(channel, buf, n);
          }
        }
      } catch (IOException e) {
        // the command's end
      }
    }, "capstan-stream-out-" + channel);
  }

  /** Sends data on a channel and waits until the connection took it. */
  @Override
  public void send(int channel, byte[] data, int len) {
    if (clientGone) {
      return;
    }
    try {
      ws.writeBinaryMessage(ChannelProtocol.frame(channel, data, len)).toCompletionStage().toCompletableFuture()
          .get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      clientGone = true;
    }
  }

  /** The end: the Status on the error channel, then a normal close (the client reads every channel to its end). */
  @Override
  public void finish(byte[] status) {
    if (clientGone) {
      return;
    }
    send(ChannelProtocol.ERROR, status, status.length);
    ws.close((short) 1000);
  }

  static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
    return t;
  }
}
