package io.capstan.nodeagent.streaming;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Connections to a port of a pod, as kubelet's port-forward makes them: to localhost inside the
 * pod's network namespace. A socket belongs to the namespace of the thread that created it, so a
 * fresh thread enters the namespace ({@code setns}, through JNA), connects and ends: no thread of
 * the agent ever goes back to serving in the wrong namespace. A pod on the host's network is
 * reached on the host's loopback.
 */
final class PodNetns {
  private static final int O_RDONLY = 0;
  private static final int O_CLOEXEC = 0x80000;
  private static final int CLONE_NEWNET = 0x40000000;

  interface Calls extends Library {
    Calls INSTANCE = Native.load("c", Calls.class);

    int open(String path, int flags) throws LastErrorException;

    int setns(int fd, int nstype) throws LastErrorException;

    int close(int fd) throws LastErrorException;
  }

  private PodNetns() {}

  /**
   * A connected socket to {@code localhost:port} in the namespace: IPv4 first, then IPv6, as
   * containerd's port-forward tries them.
   *
   * @param sandbox the pod's sandbox id, which the error names as containerd does
   * @throws IOException with containerd's words ("failed to connect to localhost:8080 inside
   *     namespace "…", IPv4: dial tcp4 127.0.0.1:8080: connect: connection refused IPv6 …")
   */
  static SocketChannel connect(Optional<Path> netns, String sandbox, int port) throws IOException {
    if (netns.isEmpty()) {
      return open(sandbox, port);
    }
    CompletableFuture<SocketChannel> result = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        int fd = Calls.INSTANCE.open(netns.get().toString(), O_RDONLY | O_CLOEXEC);
        try {
          Calls.INSTANCE.setns(fd, CLONE_NEWNET);
        } finally {
          Calls.INSTANCE.close(fd);
        }
        result.complete(open(sandbox, port));
      } catch (LastErrorException e) {
        result.completeExceptionally(new IOException("cannot enter the network namespace \"" + netns.get()
            + "\" of sandbox \"" + sandbox + "\": " + e.getMessage(), e));
      } catch (IOException | RuntimeException e) {
        result.completeExceptionally(e);
      }
    }, "capstan-portforward-connect");
    t.setDaemon(true);
    t.start();
    try {
      return result.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while connecting to port " + port + " of sandbox " + sandbox, e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().getMessage(), e.getCause());
    }
  }

  private static SocketChannel open(String sandbox, int port) throws IOException {
    try {
      return SocketChannel.open(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
    } catch (IOException v4) {
      try {
        return SocketChannel.open(new InetSocketAddress(InetAddress.getByName("::1"), port));
      } catch (IOException v6) {
        throw new IOException("failed to connect to localhost:" + port + " inside namespace \"" + sandbox
            + "\", IPv4: dial tcp4 127.0.0.1:" + port + ": connect: " + why(v4) + " IPv6 dial tcp6 [::1]:" + port
            + ": connect: " + why(v6) + " ", v4);
      }
    }
  }

  /** The system's reason as Go words it ("connection refused"). */
  private static String why(IOException e) {
    return e.getMessage() == null ? e.toString() : e.getMessage().toLowerCase(java.util.Locale.ROOT);
  }
}
