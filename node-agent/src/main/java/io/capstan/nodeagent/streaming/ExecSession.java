package io.capstan.nodeagent.streaming;

import io.capstan.nodeagent.runtime.ExecProcess;
import java.io.IOException;
import java.util.function.BiFunction;

/**
 * One {@code kubectl exec}: the client's stdin (channel 0) goes to the command, its
 * stdout and stderr come back on channels 1 and 2, terminal sizes (channel 4) resize its terminal,
 * and once it ended its exit status is the error channel's Status (kubelet's NonZeroExitCode with
 * the code as cause, which kubectl exits with).
 */
final class ExecSession {
  /** How long a terminal waits for the client's first size before the command starts without it. */
  private static final long FIRST_SIZE_MS = 300;
  /** How long, after the command ended, its streams may take to be read to their end. */
  private static final long DRAIN_MS = 2_000;

  private final StreamOptions options;
  private final RemoteStreams socket;
  private volatile ExecProcess process;

  ExecSession(RemoteStreams streams, StreamOptions options) {
    this.options = options;
    this.socket = streams;
    streams.onGone(() -> {
      ExecProcess p = process;
      if (p != null) {
        p.close();
      }
    });
  }

  /** Starts the command (on a thread of its own: starting runc blocks) with the terminal's size, and streams until it ends. */
  void run(BiFunction<Integer, Integer, ExecProcess> start) {
    ChannelSocket.daemon(() -> session(start), "capstan-exec");
  }

  private void session(BiFunction<Integer, Integer, ExecProcess> start) {
    int[] size = options.tty() ? socket.firstSize(FIRST_SIZE_MS) : null;
    ExecProcess p;
    try {
      p = start.apply(size == null ? 0 : size[0], size == null ? 0 : size[1]);
    } catch (RuntimeException e) {
      socket.finish(ChannelProtocol.failure(e.getMessage()));
      return;
    }
    process = p;
    if (socket.clientGone()) {
      p.close();
      return;
    }
    socket.onResize(s -> p.resize(s[0], s[1]));
    if (options.stdin()) {
      socket.pumpStdin(p::stdin);
    } else {
      try {
        p.stdin().close(); // a command reading stdin sees its end at once, as with kubelet
      } catch (IOException ignored) {
        // it ended already
      }
    }
    Thread out = socket.pump(p.stdout(), options.stdout() ? ChannelProtocol.STDOUT : -1);
    Thread err = p.stderr() == null ? null : socket.pump(p.stderr(), options.stderr() ? ChannelProtocol.STDERR : -1);
    int exit;
    try {
      exit = p.waitFor();
      out.join(DRAIN_MS);
      if (err != null) {
        err.join(DRAIN_MS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.close();
      return;
    } finally {
      socket.endStdin();
    }
    p.close();
    socket.finish(ChannelProtocol.exitStatus(options.command(), exit));
  }
}
