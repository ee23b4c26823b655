package io.capstan.nodeagent.streaming;

import io.capstan.nodeagent.logs.CriLogReader;
import io.capstan.nodeagent.runtime.ContainerInfo;
import io.capstan.nodeagent.runtime.RuntimeService;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One {@code kubectl attach} (or {@code kubectl run -i}): the client's stdin goes
 * to the container's own stdin (a container started with {@code stdin: true}; closed for good when
 * the client ends it if the pod says {@code stdinOnce}); what the container writes from now on
 * comes back on stdout and stderr, read from its log as it grows (the runtime supervisor owns the
 * container's output and writes it there); when the container ends, a Success Status and the
 * close.
 */
final class AttachSession {
  private static final long POLL_MS = 50;

  private final RemoteStreams socket;
  private final StreamOptions options;
  private final RuntimeService runtime;
  private final ContainerInfo container;
  private final boolean stdinOnce;

  AttachSession(RemoteStreams streams, StreamOptions options, RuntimeService runtime, ContainerInfo container,
      boolean stdinOnce) {
    this.socket = streams;
    this.options = options;
    this.runtime = runtime;
    this.container = container;
    this.stdinOnce = stdinOnce;
  }

  void run() {
    long from = size(container.logPath());
    if (options.stdin()) {
      socket.pumpStdin(() -> runtime.attachStdin(container.id(), stdinOnce));
    }
    ChannelSocket.daemon(() -> follow(socket, from), "capstan-attach");
  }

  /** The log's records from {@code offset} on, to the client, until the container ended (and all it wrote is sent). */
  private void follow(RemoteStreams socket, long offset) {
    Path log = container.logPath();
    StringBuilder partial = new StringBuilder();
    try {
      while (!socket.clientGone()) {
        boolean exited = runtime.awaitExit(container.id(), Duration.ofMillis(POLL_MS));
        offset = readNew(socket, log, offset, partial);
        if (exited) {
          readNew(socket, log, offset, partial);
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      socket.finish(ChannelProtocol.failure("reading the output of container " + container.name() + ": "
          + e.getMessage()));
      return;
    }
    socket.endStdin();
    socket.finish(ChannelProtocol.exitStatus(java.util.List.of(), 0));
  }

  private long readNew(RemoteStreams socket, Path log, long offset, StringBuilder partial) throws IOException {
    long size = size(log);
    if (size <= offset) {
      return size < offset ? 0 : offset; // a smaller file: rotated, start over on the new one
    }
    byte[] bytes;
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
      f.seek(offset);
      bytes = new byte[(int) Math.min(size - offset, 1 << 20)];
      f.readFully(bytes);
    }
    partial.append(new String(bytes, StandardCharsets.UTF_8));
    int nl;
    while ((nl = partial.indexOf("\n")) >= 0) {
      CriLogReader.Entry e = CriLogReader.parse(partial.substring(0, nl));
      partial.delete(0, nl + 1);
      if (e == null) {
        continue;
      }
      int channel = "stderr".equals(e.stream()) && !options.tty() ? ChannelProtocol.STDERR : ChannelProtocol.STDOUT;
      boolean wanted = channel == ChannelProtocol.STDERR ? options.stderr() : options.stdout();
      if (wanted) {
        byte[] text = (e.content() + (e.partial() ? "" : "\n")).getBytes(StandardCharsets.UTF_8);
        socket.send(channel, text, text.length);
      }
    }
    return offset + bytes.length;
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return 0;
    }
  }
}
