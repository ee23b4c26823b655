package io.capstan.nodeagent.runtime.runc.supervisor;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of the supervisor's control API: finds the supervisor of a state dir through
 * its socket, or starts one detached (its own session, stdio to {@code supervisor.log}); then
 * one connection per request, and one long-lived WATCH connection for container changes.
 */
public final class SupervisorClient {
  private static final Logger log = LoggerFactory.getLogger(SupervisorClient.class);
  /** JVM flags of the supervisor: small and quick to start, it only pumps logs and waits. */
  static final List<String> JVM_FLAGS = List.of("-Xmx64m", "-Xss512k", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
      "-Xshare:auto");
  static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final SupervisorFiles files;
  private final long pid;
  private final boolean startedNow;

  /** A failed request: the supervisor's words for why (e.g. runc's error), or that it cannot be reached. */
  public static final class SupervisorException extends RuntimeException {
    SupervisorException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private SupervisorClient(SupervisorFiles files, long pid, boolean startedNow) {
    this.files = files;
    this.pid = pid;
    this.startedNow = startedNow;
  }

  /**
   * The supervisor of {@code files}' state dir: the running one, else a new one started now.
   *
   * @throws IllegalStateException when a new one does not answer within {@link #START_TIMEOUT}
   */
  public static SupervisorClient connectOrStart(SupervisorFiles files, String runc) {
    Optional<Long> running = ping(files);
    if (running.isPresent()) {
      return new SupervisorClient(files, running.get(), false);
    }
    List<String> cmd = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      cmd.add("/usr/bin/setsid"); // detached from the first instant (the supervisor also calls setsid itself)
    }
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(JVM_FLAGS);
    String logConfig = System.getProperty("log4j2.configurationFile");
    if (logConfig != null) {
      cmd.add("-Dlog4j2.configurationFile=" + logConfig); // the agent's logging setup, to supervisor.log
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(SupervisorMain.class.getName());
    cmd.addAll(List.of("--state-dir", files.stateDir().toString(), "--runc", runc));
    try {
      Files.createDirectories(files.stateDir());
      Process p = new ProcessBuilder(cmd)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.appendTo(files.log().toFile()))
          .redirectErrorStream(true)
          .start();
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      while (System.nanoTime() < deadline) {
        Optional<Long> up = ping(files);
        if (up.isPresent()) {
          return new SupervisorClient(files, up.get(), true);
        }
        if (!p.isAlive() && ping(files).isEmpty()) {
          throw new IllegalStateException("the runtime supervisor for " + files.stateDir() + " exited with "
              + p.exitValue() + " at start; see " + files.log() + ": " + tail(files.log()));
        }
        Thread.sleep(50);
      }
      p.destroyForcibly();
      throw new IllegalStateException("the runtime supervisor for " + files.stateDir() + " did not answer on "
          + files.socket() + " within " + START_TIMEOUT + "; see " + files.log());
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the runtime supervisor " + cmd + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the runtime supervisor", e);
    }
  }

  /** The pid of the supervisor serving the state dir, if one answers. */
  static Optional<Long> ping(SupervisorFiles files) {
    if (!Files.exists(files.socket())) {
      return Optional.empty();
    }
    try {
      return Optional.of(exchange(files, SupervisorRequest.of(SupervisorRequest.Op.PING, null)).pid());
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  public long pid() {
    return pid;
  }

  /** Whether this client started the supervisor (none was running). */
  public boolean startedNow() {
    return startedNow;
  }

  public ContainerRecord create(String id, Path bundle, Path logPath, Path oomControl) {
    return create(id, bundle, logPath, oomControl, false);
  }

  /** @param stdin the container's stdin is a FIFO to attach to, see {@link SupervisorRequest#stdin()} */
  public ContainerRecord create(String id, Path bundle, Path logPath, Path oomControl, boolean stdin) {
    return call(new SupervisorRequest(SupervisorRequest.Op.CREATE, id, bundle.toString(), logPath.toString(),
        oomControl == null ? null : oomControl.toString(), 0, stdin));
  }

  /** The supervisor lets go of the container's stdin (an attach with stdinOnce ended). */
  public void closeStdin(String id) {
    call(SupervisorRequest.of(SupervisorRequest.Op.CLOSE_STDIN, id));
  }

  public ContainerRecord start(String id) {
    return call(SupervisorRequest.of(SupervisorRequest.Op.START, id));
  }

  public void kill(String id, int signal) {
    call(new SupervisorRequest(SupervisorRequest.Op.KILL, id, null, null, null, signal, false));
  }

  /** Kills (if it runs) and deletes the container, and the supervisor forgets it; idempotent. */
  public void delete(String id) {
    call(SupervisorRequest.of(SupervisorRequest.Op.DELETE, id));
  }

  /** Every container the supervisor knows now. */
  public List<ContainerRecord> list() {
    try {
      SupervisorReply r = exchange(files, SupervisorRequest.of(SupervisorRequest.Op.LIST, null));
      if (r.error() != null) {
        throw new SupervisorException(r.error(), null);
      }
      return r.containers();
    } catch (IOException e) {
      throw new SupervisorException("the runtime supervisor on " + files.socket() + " did not answer LIST: "
          + e.getMessage(), e);
    }
  }

  private ContainerRecord call(SupervisorRequest req) {
    SupervisorReply r;
    try {
      r = exchange(files, req);
    } catch (IOException e) {
      throw new SupervisorException("the runtime supervisor on " + files.socket() + " did not answer "
          + req.op() + ": " + e.getMessage(), e);
    }
    if (r.error() != null) {
      throw new SupervisorException(r.error(), null);
    }
    return r.container();
  }

  private static SupervisorReply exchange(SupervisorFiles files, SupervisorRequest req) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(files.socket()));
      OutputStream out = Channels.newOutputStream(ch);
      out.write(SupervisorJson.line(req).getBytes(StandardCharsets.UTF_8));
      out.flush();
      String line = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8))
          .readLine();
      if (line == null) {
        throw new IOException("the supervisor hung up without answering");
      }
      return SupervisorJson.parse(line, SupervisorReply.class);
    }
  }

  /** A WATCH: the containers listed at its start, then changes delivered on a thread of its own. */
  public static final class Watch implements AutoCloseable {
    private final SocketChannel channel;
    private final List<ContainerRecord> initial;
    private volatile boolean closed;

    private Watch(SocketChannel channel, List<ContainerRecord> initial) {
      this.channel = channel;
      this.initial = initial;
    }

    /** Every container the supervisor knew when the watch began. */
    public List<ContainerRecord> initial() {
      return initial;
    }

    @Override
    public void close() {
      closed = true;
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  /**
   * Starts a watch: returns once the supervisor listed what it knows; {@code onEvent} then gets
   * each change, and {@code onEnd} is called once if the supervisor goes away (not after close).
   */
  public Watch watch(Consumer<SupervisorEvent> onEvent, Runnable onEnd) {
    SocketChannel ch = null;
    try {
      ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      ch.connect(UnixDomainSocketAddress.of(files.socket()));
      OutputStream out = Channels.newOutputStream(ch);
      out.write(SupervisorJson.line(SupervisorRequest.of(SupervisorRequest.Op.WATCH, null)).getBytes(StandardCharsets.UTF_8));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
      List<ContainerRecord> initial = new ArrayList<>();
      while (true) {
        String line = in.readLine();
        if (line == null) {
          throw new IOException("the supervisor hung up while listing its containers");
        }
        SupervisorEvent e = SupervisorJson.parse(line, SupervisorEvent.class);
        if (SupervisorEvent.SYNCED.equals(e.type())) {
          break;
        }
        initial.add(e.container());
      }
      Watch w = new Watch(ch, List.copyOf(initial));
      Thread t = new Thread(() -> {
        try {
          String line;
          while ((line = in.readLine()) != null) {
            onEvent.accept(SupervisorJson.parse(line, SupervisorEvent.class));
          }
        } catch (IOException e) {
          log.debug("watch of the runtime supervisor ended: {}", e.toString());
        } catch (RuntimeException e) {
          log.warn("handling a runtime supervisor event failed: {}", e.toString(), e);
        }
        if (!w.closed) {
          onEnd.run();
        }
      }, "capstan-supervisor-watch");
      t.setDaemon(true);
      t.start();
      return w;
    } catch (IOException e) {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // failing anyway
        }
      }
      throw new SupervisorException("cannot watch the runtime supervisor on " + files.socket() + ": " + e.getMessage(), e);
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
