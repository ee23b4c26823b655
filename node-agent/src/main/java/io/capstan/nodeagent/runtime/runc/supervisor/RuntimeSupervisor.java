package io.capstan.nodeagent.runtime.runc.supervisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.jna.LastErrorException;
import io.capstan.nodeagent.runtime.RuntimeFailure;
import io.capstan.nodeagent.runtime.runc.CriLogWriter;
import io.capstan.nodeagent.runtime.runc.RotatingLogFile;
import io.capstan.nodeagent.runtime.runc.LibC;
import io.capstan.nodeagent.runtime.runc.RuncCli;
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's runtime supervisor (see the package doc): the containers' parent, their log pump and
 * the keeper of their exit codes, in a process of its own so that they outlive the agent.
 *
 * <p>It exits by itself once it supervises nothing and no agent watches it (after a clean node
 * stop, where the agent removed every container), and never while a container is known: a
 * container that ended while no agent ran keeps its record until an agent deletes it.
 */
public final class RuntimeSupervisor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RuntimeSupervisor.class);
  static final Duration CLI_TIMEOUT = Duration.ofSeconds(30);
  /** How long to wait for the first agent before an idle supervisor gives up. */
  static final Duration FIRST_WATCH_GRACE = Duration.ofSeconds(30);
  /** How long it stays with nothing to supervise and no agent watching before it exits. */
  static final Duration IDLE_EXIT = Duration.ofSeconds(1);
  static final Duration POLL = Duration.ofMillis(500);

  private final SupervisorFiles files;
  private final RuncCli runc;
  private final Clock clock;
  private final Map<String, Supervised> table = new ConcurrentHashMap<>();
  private final Set<Watcher> watchers = ConcurrentHashMap.newKeySet();
  private final ExecutorService connections = Executors.newCachedThreadPool(daemon("capstan-supervisor-conn"));
  private final Instant startedAt;
  private final CountDownLatch done = new CountDownLatch(1);
  private ServerSocketChannel server;
  private volatile boolean everWatched;
  private volatile boolean closed;

  /** One container under supervision; the record is replaced whole under the instance's lock. */
  private static final class Supervised {
    volatile ContainerRecord record;
    final CountDownLatch exited = new CountDownLatch(1);
    final List<Thread> copiers = new ArrayList<>();
    /** The supervisor's own end of the container's stdin FIFO, which keeps it from reading an end; null when none. */
    volatile java.io.RandomAccessFile stdinHold;

    Supervised(ContainerRecord record) {
      this.record = record;
    }
  }

  /** An agent's WATCH connection. */
  private record Watcher(SocketChannel channel) {}

  public RuntimeSupervisor(SupervisorFiles files, String runcBinary, Clock clock) {
    this.files = files;
    this.runc = new RuncCli(runcBinary, files.runcRoot());
    this.clock = clock;
    this.startedAt = clock.instant();
  }

  /**
   * Becomes the subreaper, takes over what an earlier supervisor of this state dir left, binds
   * the socket and serves. Returns once serving; {@link #awaitExit} waits for the end.
   *
   * @throws IllegalStateException when another supervisor already serves this state dir
   */
  public void start() throws IOException {
    try {
      LibC.INSTANCE.prctl(LibC.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    } catch (LastErrorException e) {
      throw new IllegalStateException("cannot become the containers' subreaper (prctl PR_SET_CHILD_SUBREAPER): "
          + e.getMessage(), e);
    }
    Files.createDirectories(files.containers());
    Files.createDirectories(files.runcRoot());
    Path socket = files.socket();
    Files.createDirectories(socket.getParent());
    if (SupervisorClient.ping(files).isPresent()) {
      throw new IllegalStateException("a runtime supervisor already serves " + files.stateDir() + " on " + socket);
    }
    Files.deleteIfExists(socket); // a stale socket of a supervisor that died
    recover();
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    // Whoever can connect can run and kill containers as root: the owner only.
    Files.setPosixFilePermissions(socket, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    Files.writeString(files.pidFile(), Long.toString(ProcessHandle.current().pid()));
    daemon("capstan-supervisor-accept").newThread(this::accept).start();
    daemon("capstan-supervisor-idle").newThread(this::exitWhenIdle).start();
    daemon("capstan-supervisor-orphans").newThread(this::reapOrphans).start();
    log.info("runtime supervisor {} serving {} on {}: {} container(s) taken over", ProcessHandle.current().pid(),
        files.stateDir(), socket, table.size());
  }

  public void awaitExit() throws InterruptedException {
    done.await();
  }

  // ---- recovery: what an earlier supervisor of this state dir left ----

  /**
   * Containers of an earlier supervisor: one that ended has its exit recorded; one still running
   * is watched by its pid (it is not this process's child, so its exit code cannot be known: it is
   * reported as kubelet reports a container nobody saw end); one not running without a recorded
   * exit ended unseen.
   */
  private void recover() {
    try (Stream<Path> dirs = Files.list(files.containers())) {
      for (Path dir : dirs.toList()) {
        try {
          recover(dir);
        } catch (IOException | RuntimeException e) {
          log.warn("cannot take over container {}: {}", dir.getFileName(), e.toString());
        }
      }
    } catch (IOException e) {
      log.warn("cannot list {}: {}", files.containers(), e.toString());
    }
  }

  private void recover(Path dir) throws IOException {
    Path exit = dir.resolve(ContainerRecord.EXIT_FILE);
    Path state = dir.resolve(ContainerRecord.STATE_FILE);
    if (Files.exists(exit)) {
      Supervised s = new Supervised(SupervisorJson.MAPPER.readValue(exit.toFile(), ContainerRecord.class));
      s.exited.countDown();
      table.put(s.record.id(), s);
      return;
    }
    if (!Files.exists(state)) {
      return; // never created through a supervisor: the agent removes it
    }
    ContainerRecord r = SupervisorJson.MAPPER.readValue(state.toFile(), ContainerRecord.class);
    Supervised s = new Supervised(r);
    table.put(r.id(), s);
    RuncCli.Result st = runc.run(List.of("state", r.id()), CLI_TIMEOUT);
    String status = "";
    int pid = 0;
    if (st.exitCode() == 0) {
      JsonNode n = SupervisorJson.MAPPER.readTree(st.output());
      status = n.path("status").asText();
      pid = n.path("pid").asInt();
    }
    if (status.equals("running") && pid > 0 && alive(pid)) {
      int p = pid;
      s.record = r.withPid(p);
      log.info("container {} still runs (pid {}) without its supervisor: watching it", r.id(), p);
      startCopiers(s, Path.of(r.bundle()), new CriLogWriter(RotatingLogFile.kubeletDefaults(Path.of(r.logPath()), clock), clock));
      Thread t = daemon("capstan-supervisor-poll-" + r.id()).newThread(() -> pollUntilGone(s, p));
      t.start();
      return;
    }
    runc.run(List.of("delete", "--force", r.id()), CLI_TIMEOUT);
    exited(s, ContainerRecord.UNKNOWN_EXIT_CODE, ContainerRecord.STATUS_UNKNOWN,
        "The container could not be located when its supervisor restarted (runc status \"" + status + "\")");
  }

  private void pollUntilGone(Supervised s, int pid) {
    while (!closed && alive(pid)) {
      sleep(POLL);
    }
    if (!closed) {
      joinCopiers(s);
      exited(s, ContainerRecord.UNKNOWN_EXIT_CODE, ContainerRecord.STATUS_UNKNOWN,
          "The container ended while its supervisor was not its parent: its exit code is unknown");
    }
  }

  /** Alive and not a zombie (/proc/PID/stat's third field). */
  static boolean alive(int pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
      int close = stat.lastIndexOf(')');
      return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) != 'Z';
    } catch (IOException e) {
      return false;
    }
  }

  // ---- the control API ----

  private void accept() {
    while (!closed) {
      try {
        SocketChannel ch = server.accept();
        connections.execute(() -> serve(ch));
      } catch (IOException e) {
        if (!closed) {
          log.warn("accept on {}: {}", files.socket(), e.toString());
          sleep(POLL);
        }
      }
    }
  }

  private void serve(SocketChannel ch) {
    boolean keep = false;
    try {
      BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
      OutputStream out = Channels.newOutputStream(ch);
      String line = in.readLine();
      if (line == null) {
        return;
      }
      SupervisorRequest req;
      try {
        req = SupervisorJson.parse(line, SupervisorRequest.class);
      } catch (IOException e) {
        reply(out, SupervisorReply.failed("bad request " + line + ": " + e.getMessage()));
        return;
      }
      if (req.op() == null) {
        reply(out, SupervisorReply.failed("request without op: " + line));
        return;
      }
      if (req.op() == SupervisorRequest.Op.WATCH) {
        keep = true;
        watch(ch);
        return;
      }
      if (req.op() == SupervisorRequest.Op.LIST) {
        reply(out, SupervisorReply.list(table.values().stream().map(x -> x.record).toList()));
        return;
      }
      SupervisorReply r;
      try {
        r = SupervisorReply.ok(switch (req.op()) {
          case PING -> null;
          case CREATE -> create(req);
          case START -> start(require(req.id()));
          case KILL -> kill(require(req.id()), req.signal());
          case DELETE -> delete(req.id());
          case CLOSE_STDIN -> closeStdin(require(req.id()));
          case WATCH, LIST -> throw new IllegalStateException("unreachable");
        });
      } catch (RuntimeException e) {
        r = SupervisorReply.failed(e.getMessage() == null ? e.toString() : e.getMessage());
      }
      reply(out, r);
    } catch (IOException e) {
      log.debug("connection: {}", e.toString());
    } finally {
      if (!keep) {
        closeQuietly(ch);
      }
    }
  }

  private static void reply(OutputStream out, SupervisorReply r) throws IOException {
    out.write(SupervisorJson.line(r).getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private Supervised require(String id) {
    Supervised s = id == null ? null : table.get(id);
    if (s == null) {
      throw new IllegalArgumentException("no container " + id + " under supervision");
    }
    return s;
  }

  /**
   * The list, then every change, until the agent hangs up. The channel is read and written
   * directly, not through {@link Channels} streams: those share one lock between reading and
   * writing, and the read that waits for the hang-up would block every event.
   */
  private void watch(SocketChannel ch) throws IOException {
    Watcher w = new Watcher(ch);
    synchronized (watchers) {
      for (Supervised s : table.values()) {
        writeLine(ch, SupervisorJson.line(new SupervisorEvent(SupervisorEvent.CONTAINER, s.record)));
      }
      writeLine(ch, SupervisorJson.line(new SupervisorEvent(SupervisorEvent.SYNCED, null)));
      watchers.add(w);
      everWatched = true;
    }
    log.info("an agent watches ({} container(s) listed)", table.size());
    try {
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(256);
      while (ch.read(buf) >= 0) {
        buf.clear(); // the agent sends nothing more; the end of its stream is the end of the watch
      }
    } catch (IOException ignored) {
      // hung up
    } finally {
      watchers.remove(w);
      closeQuietly(ch);
      log.info("the agent's watch ended");
    }
  }

  private static void writeLine(SocketChannel ch, String line) throws IOException {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private void publish(String type, ContainerRecord r) {
    String line = SupervisorJson.line(new SupervisorEvent(type, r));
    synchronized (watchers) {
      for (Watcher w : List.copyOf(watchers)) {
        try {
          writeLine(w.channel(), line);
        } catch (IOException e) {
          watchers.remove(w);
          closeQuietly(w.channel());
        }
      }
    }
  }

  // ---- operations ----

  private ContainerRecord create(SupervisorRequest req) {
    if (req.id() == null || !req.id().matches("[0-9a-zA-Z_.-]+") || req.bundle() == null || req.logPath() == null) {
      throw new IllegalArgumentException("create needs an id (letters, digits, '_', '.', '-'), a bundle and a log path: "
          + req);
    }
    Path dir = Path.of(req.bundle());
    ContainerRecord record = new ContainerRecord(req.id(), req.bundle(), req.logPath(), req.oomControl(), 0,
        ContainerRecord.CREATED, clock.instant(), null, null, 0, null, null);
    Supervised s = new Supervised(record);
    if (table.putIfAbsent(req.id(), s) != null) {
      throw new IllegalArgumentException("container " + req.id() + " exists already");
    }
    Path stdout = dir.resolve("stdout");
    Path stderr = dir.resolve("stderr");
    Path stdin = req.stdin() ? dir.resolve("stdin") : null;
    try {
      Files.deleteIfExists(stdout);
      Files.deleteIfExists(stderr);
      LibC.INSTANCE.mkfifo(stdout.toString(), 0600);
      LibC.INSTANCE.mkfifo(stderr.toString(), 0600);
      if (stdin != null) {
        Files.deleteIfExists(stdin);
        LibC.INSTANCE.mkfifo(stdin.toString(), 0600);
        // Read-write, so opening does not wait for a reader, and the container reads no end while it is held.
        s.stdinHold = new java.io.RandomAccessFile(stdin.toFile(), "rw");
      }
      Files.createDirectories(Path.of(req.logPath()).getParent());
      startCopiers(s, dir, new CriLogWriter(RotatingLogFile.kubeletDefaults(Path.of(req.logPath()), clock), clock));
      persist(s.record);
    } catch (IOException | LastErrorException e) {
      table.remove(req.id());
      closeStdin(s);
      unblock(stdout, stderr);
      throw new RuntimeFailure("CreateContainerError", "cannot prepare " + req.id() + ": " + e.getMessage(), e);
    }
    RuncCli.Result r;
    try {
      r = runc.run(List.of("--log", dir.resolve("runc.log").toString(), "--log-format", "json", "create",
          "--bundle", dir.toString(), "--pid-file", dir.resolve("pid").toString(), req.id()), CLI_TIMEOUT,
          stdin == null ? null : stdin.toFile(), stdout.toFile(), stderr.toFile());
    } catch (RuntimeException e) {
      forget(s, stdout, stderr);
      throw e;
    }
    if (r.exitCode() != 0) {
      String why = RuncCli.error(dir, r);
      forget(s, stdout, stderr);
      throw new IllegalStateException(why);
    }
    int pid;
    try {
      pid = Integer.parseInt(Files.readString(dir.resolve("pid")).trim());
    } catch (IOException | NumberFormatException e) {
      forget(s, stdout, stderr);
      throw new IllegalStateException("runc create left no pid file: " + e.getMessage(), e);
    }
    synchronized (s) {
      s.record = s.record.withPid(pid);
    }
    persistQuietly(s.record);
    daemon("capstan-supervisor-reap-" + req.id()).newThread(() -> reap(s)).start();
    log.info("created container {} (pid {})", req.id(), pid);
    publish(SupervisorEvent.CONTAINER, s.record);
    return s.record;
  }

  private void forget(Supervised s, Path stdout, Path stderr) {
    closeStdin(s);
    unblock(stdout, stderr);
    runc.run(List.of("delete", "--force", s.record.id()), CLI_TIMEOUT);
    table.remove(s.record.id());
    deleteStateFiles(Path.of(s.record.bundle()));
  }

  private ContainerRecord start(Supervised s) {
    Path dir = Path.of(s.record.bundle());
    RuncCli.Result r = runc.run(List.of("--log", dir.resolve("runc.log").toString(), "--log-format", "json", "start",
        s.record.id()), CLI_TIMEOUT);
    if (r.exitCode() != 0) {
      throw new IllegalStateException(RuncCli.error(dir, r));
    }
    boolean changed = false;
    synchronized (s) {
      if (ContainerRecord.CREATED.equals(s.record.state())) {
        s.record = s.record.running(clock.instant());
        changed = true;
      }
    }
    if (changed) {
      persistQuietly(s.record);
      publish(SupervisorEvent.CONTAINER, s.record);
    }
    return s.record;
  }

  private ContainerRecord closeStdin(Supervised s) {
    java.io.RandomAccessFile hold = s.stdinHold;
    s.stdinHold = null;
    if (hold != null) {
      try {
        hold.close();
      } catch (IOException ignored) {
        // closed already
      }
    }
    return s.record;
  }

  private ContainerRecord kill(Supervised s, int signal) {
    if (s.exited.getCount() > 0 && s.record.pid() > 0) {
      try {
        LibC.INSTANCE.kill(s.record.pid(), signal);
      } catch (LastErrorException e) {
        if (e.getErrorCode() != LibC.ESRCH) {
          throw new IllegalStateException("kill " + s.record.pid() + " (" + s.record.id() + "): " + e.getMessage(), e);
        }
      }
    }
    return s.record;
  }

  private ContainerRecord delete(String id) {
    Supervised s = table.get(id);
    if (s == null) {
      return null; // idempotent
    }
    if (s.exited.getCount() > 0) {
      kill(s, LibC.SIGKILL);
      try {
        if (!s.exited.await(CLI_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          throw new IllegalStateException("container " + id + " did not exit after SIGKILL");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while deleting " + id, e);
      }
    }
    runc.run(List.of("delete", "--force", id), CLI_TIMEOUT);
    table.remove(id);
    deleteStateFiles(Path.of(s.record.bundle()));
    log.info("deleted container {}", id);
    publish(SupervisorEvent.REMOVED, s.record);
    return s.record;
  }

  // ---- exits ----

  private void reap(Supervised s) {
    int pid = s.record.pid();
    int[] status = new int[1];
    while (true) {
      try {
        LibC.INSTANCE.waitpid(pid, status, 0);
        break;
      } catch (LastErrorException e) {
        if (e.getErrorCode() == LibC.EINTR) {
          continue;
        }
        // ECHILD: not our child after all (should not happen once runc create has exited)
        log.warn("waitpid {} of container {}: {}", pid, s.record.id(), e.getMessage());
        pollUntilGone(s, pid);
        return;
      }
    }
    int st = status[0];
    int code;
    Integer signal = null;
    if ((st & 0x7f) == 0) {
      code = (st >> 8) & 0xff;
    } else {
      signal = st & 0x7f;
      code = 128 + signal;
    }
    // The log copiers see EOF soon: the pid namespace is gone with its init.
    joinCopiers(s);
    boolean oom = oomKilled(s.record.oomControl());
    exited(s, code, oom ? "OOMKilled" : code == 0 ? "Completed" : "Error",
        signal != null ? "killed by signal " + signal : null);
  }

  private void exited(Supervised s, int code, String reason, String message) {
    synchronized (s) {
      if (s.exited.getCount() == 0) {
        return;
      }
      s.record = s.record.exited(clock.instant(), code, reason, message);
    }
    try {
      // The exit first (durable, atomic), so an agent that starts now learns the code even if this process dies.
      SupervisorJson.writeAtomically(Path.of(s.record.bundle()).resolve(ContainerRecord.EXIT_FILE), s.record);
    } catch (IOException e) {
      log.warn("cannot record the exit of {}: {}", s.record.id(), e.toString());
    }
    persistQuietly(s.record);
    closeStdin(s);
    s.exited.countDown();
    log.info("container {} exited with {} ({})", s.record.id(), code, reason);
    publish(SupervisorEvent.CONTAINER, s.record);
  }

  private static void joinCopiers(Supervised s) {
    for (Thread t : s.copiers) {
      try {
        t.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** cgroup v1: the memory controller counts OOM kills in memory.oom_control (Linux 4.13+). */
  private static boolean oomKilled(String oomControl) {
    if (oomControl == null) {
      return false;
    }
    try {
      for (String line : Files.readAllLines(Path.of(oomControl))) {
        if (line.startsWith("oom_kill ") && Long.parseLong(line.substring(9).trim()) > 0) {
          return true;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // no memory cgroup (v2 host or already removed): not known to be an OOM kill
    }
    return false;
  }

  /**
   * As the subreaper, this process inherits every orphan below it, not only containers: e.g. the
   * {@code runc init} of a {@code runc exec} whose runc was killed. An unreaped one that joined a
   * container's pid namespace keeps that namespace (and its init) from ever finishing its exit,
   * so zombies that are neither containers nor runc CLI calls are reaped here.
   */
  private void reapOrphans() {
    int[] info = new int[32];
    int[] status = new int[1];
    while (!closed) {
      try {
        sleep(POLL);
        while (true) {
          Arrays.fill(info, 0);
          try {
            LibC.INSTANCE.waitid(LibC.P_ALL, 0, info, LibC.WEXITED | LibC.WNOHANG | LibC.WNOWAIT);
          } catch (LastErrorException e) {
            break; // ECHILD: no children at all
          }
          int pid = info[4];
          if (pid == 0 || runc.isOurs(pid) || table.values().stream().anyMatch(c -> c.record.pid() == pid)) {
            break; // nothing waitable, or someone else's to reap
          }
          try {
            LibC.INSTANCE.waitpid(pid, status, LibC.WNOHANG);
            log.debug("reaped orphan process {}", pid);
          } catch (LastErrorException e) {
            break;
          }
        }
      } catch (RuntimeException e) {
        log.warn("orphan reaper: {}", e.toString());
      }
    }
  }

  // ---- the end ----

  private void exitWhenIdle() {
    Instant idleSince = null;
    while (!closed) {
      sleep(POLL);
      boolean idle = table.isEmpty() && watchers.isEmpty()
          && (everWatched || clock.instant().isAfter(startedAt.plus(FIRST_WATCH_GRACE)));
      if (!idle) {
        idleSince = null;
      } else if (idleSince == null) {
        idleSince = clock.instant();
      } else if (!clock.instant().isBefore(idleSince.plus(IDLE_EXIT))) {
        log.info("nothing left to supervise and no agent watching: the runtime supervisor exits");
        close();
      }
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (server != null) {
        server.close();
      }
      Files.deleteIfExists(files.socket());
      Files.deleteIfExists(files.pidFile());
    } catch (IOException e) {
      log.warn("closing: {}", e.toString());
    }
    connections.shutdownNow();
    done.countDown();
  }

  // ---- files ----

  private void startCopiers(Supervised s, Path dir, CriLogWriter writer) {
    CountDownLatch copiersDone = new CountDownLatch(2);
    for (String stream : List.of("stdout", "stderr")) {
      Path fifo = dir.resolve(stream);
      Thread t = daemon("capstan-log-" + stream + "-" + s.record.id()).newThread(() -> {
        try (InputStream in = new FileInputStream(fifo.toFile())) {
          writer.copy(stream, in);
        } catch (IOException e) {
          log.warn("container {}: copying {} to its log failed: {}", s.record.id(), stream, e.getMessage());
        } finally {
          copiersDone.countDown();
        }
      });
      s.copiers.add(t);
      t.start();
    }
    daemon("capstan-log-close-" + s.record.id()).newThread(() -> {
      try {
        copiersDone.await();
        writer.close();
      } catch (InterruptedException | IOException ignored) {
        // the log file is closed best effort
      }
    }).start();
  }

  private void persist(ContainerRecord r) throws IOException {
    SupervisorJson.writeAtomically(Path.of(r.bundle()).resolve(ContainerRecord.STATE_FILE), r);
  }

  private void persistQuietly(ContainerRecord r) {
    try {
      persist(r);
    } catch (IOException e) {
      log.warn("cannot record the state of {}: {}", r.id(), e.toString());
    }
  }

  private static void deleteStateFiles(Path dir) {
    for (String f : List.of(ContainerRecord.STATE_FILE, ContainerRecord.EXIT_FILE)) {
      try {
        Files.deleteIfExists(dir.resolve(f));
      } catch (IOException ignored) {
        // the agent removes the directory anyway
      }
    }
  }

  /** Opens and closes the FIFOs' write ends, so readers waiting for a writer that never came get EOF. */
  private static void unblock(Path... fifos) {
    for (Path f : fifos) {
      // O_RDWR never blocks on a FIFO (O_WRONLY would wait for a reader that may be gone).
      try (java.io.RandomAccessFile ignored = new java.io.RandomAccessFile(f.toFile(), "rw")) {
        // opening and closing a write end is all it takes
      } catch (IOException ignored) {
        // best effort
      }
    }
  }

  private static void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
