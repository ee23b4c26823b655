package io.capstan.nodeagent.runtime.runc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.jna.LastErrorException;
import io.capstan.nodeagent.runtime.ContainerConfig;
import io.capstan.nodeagent.runtime.ContainerInfo;
import io.capstan.nodeagent.runtime.ContainerInfo.State;
import io.capstan.nodeagent.runtime.ExecResult;
import io.capstan.nodeagent.runtime.RuntimeFailure;
import io.capstan.nodeagent.runtime.RuntimeService;
import io.capstan.nodeagent.runtime.SandboxConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RuntimeService} on the runc CLI. Per container, under {@code <root>/containers/<id>/}:
 * the OCI bundle ({@code config.json}, {@code rootfs/} = an overlay of the image's rootfs and
 * {@code upper/}), the stdout/stderr FIFOs and runc's own log. {@code runc create} forks the
 * container's init and exits; the init is then reparented to this JVM (a child subreaper, set
 * through {@code prctl}), so a thread per container learns its exit status with {@code waitpid}.
 *
 * <p>First slice limits, on purpose: pods use the host's network namespace (no CNI yet); each
 * container has its own pid/ipc/uts namespaces; and the containers do not survive an agent
 * restart (the FIFO readers live in this JVM): on start, containers left by an earlier run are
 * removed, so nothing runs twice.
 */
public final class RuncRuntime implements RuntimeService {
  private static final Logger log = LoggerFactory.getLogger(RuncRuntime.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final String PACKAGE = "runc";
  static final String CGROUP_PARENT = "capstan";
  static final Duration CLI_TIMEOUT = Duration.ofSeconds(30);
  static final int EXEC_OUTPUT_CAP = 10 * 1024;

  private final Path root;
  private final Path runcRoot;
  private final String runc;
  private final Clock clock;
  private final MeterRegistry registry;
  private final String version;
  private final Map<String, Sandbox> sandboxes = new ConcurrentHashMap<>();
  private final Map<String, Container> containers = new ConcurrentHashMap<>();
  /** Processes this runtime started itself (runc CLI calls): Java reaps those, the orphan reaper must not. */
  private final java.util.Set<Integer> cliPids = ConcurrentHashMap.newKeySet();
  private final Thread orphanReaper;
  private volatile boolean closed;

  /** @param ip the pod's address on the pod network; null on the host's network */
  private record Sandbox(String id, SandboxConfig config, String ip) {}

  /** Pod networking, when the CNI plugins are installed; without them every pod is on the host network. */
  private final Optional<PodNetwork> network;

  /** What this runtime knows of one container; mutable fields are guarded by the instance. */
  private static final class Container {
    final String id;
    final String sandboxId;
    final ContainerConfig config;
    final Path dir;
    final Instant createdAt;
    final CountDownLatch exited = new CountDownLatch(1);
    volatile int pid;
    volatile State state = State.CREATED;
    volatile Instant startedAt;
    volatile Instant finishedAt;
    volatile int exitCode;
    volatile String reason;
    volatile String message;
    final List<Thread> logCopiers = new ArrayList<>();

    Container(String id, String sandboxId, ContainerConfig config, Path dir, Instant createdAt) {
      this.id = id;
      this.sandboxId = sandboxId;
      this.config = config;
      this.dir = dir;
      this.createdAt = createdAt;
    }

    ContainerInfo info() {
      return new ContainerInfo(id, sandboxId, config.name(), config.attempt(), config.image().id(), state, createdAt,
          startedAt, finishedAt, exitCode, reason, message, config.logPath());
    }
  }

  /**
   * @param root where bundles and runc's state live (one runtime per root)
   * @throws IllegalStateException naming the Debian package when runc is missing, or when this
   *     process cannot become a child subreaper
   */
  public RuncRuntime(Path root, MeterRegistry registry, Clock clock) {
    this.root = root.toAbsolutePath();
    this.runcRoot = this.root.resolve("runc-state");
    this.clock = clock;
    this.registry = registry;
    this.runc = findRunc().orElseThrow(() -> new IllegalStateException(
        "runc is not installed: install the Debian package " + PACKAGE + " (apt-get install -y " + PACKAGE + ")"));
    try {
      LibC.INSTANCE.prctl(LibC.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    } catch (LastErrorException e) {
      throw new IllegalStateException("cannot become the containers' subreaper (prctl PR_SET_CHILD_SUBREAPER): "
          + e.getMessage(), e);
    }
    try {
      Files.createDirectories(this.root.resolve("containers"));
      Files.createDirectories(runcRoot);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the runtime directory " + this.root, e);
    }
    this.version = cli(List.of("--version"), CLI_TIMEOUT).output().lines().findFirst().orElse("runc")
        .replace("runc version ", "");
    removeLeftovers();
    this.network = PodNetwork.detect(this.root);
    // The containers of an earlier run are gone (removeLeftovers), so are their sandboxes' networks.
    network.ifPresent(PodNetwork::tearDownLeftovers);
    this.orphanReaper = new Thread(this::reapOrphans, "capstan-orphan-reaper");
    this.orphanReaper.setDaemon(true);
    this.orphanReaper.start();
    log.info("runc runtime ready: {} ({}), bundles under {}", runc, version, this.root);
  }

  /** Where runc is, if anywhere on the PATH or in the usual places. */
  public static Optional<String> findRunc() {
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
    dirs.addAll(List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"));
    for (String d : dirs) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, "runc"))) {
        return Optional.of(Path.of(d, "runc").toString());
      }
    }
    return Optional.empty();
  }

  @Override
  public String version() {
    return "runc://" + version;
  }

  // ---- sandboxes ----

  @Override
  public String runPodSandbox(SandboxConfig config) {
    String id = "s" + config.podUid();
    Sandbox existing = sandboxes.get(id);
    if (existing != null) {
      return id;
    }
    String ip = null;
    if (!config.hostNetwork() && network.isPresent()) {
      ip = network.get().setUp(id);
      log.info("pod {}/{}: sandbox {} on the pod network at {}", config.namespace(), config.name(), id, ip);
    }
    sandboxes.put(id, new Sandbox(id, config, ip));
    return id;
  }

  @Override
  public Optional<String> podSandboxIp(String sandboxId) {
    Sandbox s = sandboxes.get(sandboxId);
    return s == null ? Optional.empty() : Optional.ofNullable(s.ip());
  }

  @Override
  public Optional<String> podNetworkProblem() {
    return network.isPresent() ? Optional.empty() : Optional.of(PodNetwork.missingMessage());
  }

  @Override
  public void stopPodSandbox(String sandboxId) {
    for (Container c : containers.values()) {
      if (c.sandboxId.equals(sandboxId)) {
        stopContainer(c.id, Duration.ZERO);
      }
    }
  }

  @Override
  public void removePodSandbox(String sandboxId) {
    stopPodSandbox(sandboxId);
    for (Container c : List.copyOf(containers.values())) {
      if (c.sandboxId.equals(sandboxId)) {
        removeContainer(c.id);
      }
    }
    Sandbox gone = sandboxes.remove(sandboxId);
    if (gone != null && gone.ip() != null) {
      network.ifPresent(n -> n.tearDown(sandboxId));
    }
    removeCgroupParents(sandboxId);
  }

  // ---- containers ----

  @Override
  public String createContainer(String sandboxId, ContainerConfig config) {
    Sandbox sandbox = sandboxes.get(sandboxId);
    if (sandbox == null) {
      throw new RuntimeFailure("CreateContainerError", "no sandbox " + sandboxId);
    }
    return timed("create", () -> {
      String id = HexFormat.of().formatHex(randomBytes(16));
      Path dir = root.resolve("containers").resolve(id);
      Path rootfs = dir.resolve("rootfs");
      Container c = new Container(id, sandboxId, config, dir, clock.instant());
      try {
        Files.createDirectories(rootfs);
        Files.createDirectories(dir.resolve("upper"));
        Files.createDirectories(dir.resolve("work"));
        Files.createDirectories(config.logPath().getParent());
        mountOverlay(config.image().overlayLowerDir(), dir, rootfs);
        String cgroupsPath = "/" + CGROUP_PARENT + "/" + sandboxId + "/" + id;
        Path netns = sandbox.ip() == null ? null : network.orElseThrow().netns(sandboxId);
        Map<String, Object> spec = OciSpec.build(sandbox.config(), config, rootfs.toString(), cgroupsPath, netns);
        Files.write(dir.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(spec));
        Files.writeString(dir.resolve("meta.json"), JSON.writeValueAsString(Map.of("sandbox", sandboxId,
            "name", config.name(), "attempt", config.attempt())));
        Path stdout = dir.resolve("stdout");
        Path stderr = dir.resolve("stderr");
        LibC.INSTANCE.mkfifo(stdout.toString(), 0600);
        LibC.INSTANCE.mkfifo(stderr.toString(), 0600);
        FileOutputStream logFile = new FileOutputStream(config.logPath().toFile(), true);
        CriLogWriter writer = new CriLogWriter(logFile, clock);
        CountDownLatch copiersDone = new CountDownLatch(2);
        c.logCopiers.add(copier(id, "stdout", stdout, writer, copiersDone));
        c.logCopiers.add(copier(id, "stderr", stderr, writer, copiersDone));
        Thread closer = new Thread(() -> {
          try {
            copiersDone.await();
            writer.close();
          } catch (InterruptedException | IOException ignored) {
            // the log file is closed best effort
          }
        }, "capstan-log-close-" + id);
        closer.setDaemon(true);
        closer.start();
        containers.put(id, c);
        CliResult r;
        try {
          r = cli(List.of("--log", dir.resolve("runc.log").toString(), "--log-format", "json", "create",
              "--bundle", dir.toString(), "--pid-file", dir.resolve("pid").toString(), id), CLI_TIMEOUT,
              stdout.toFile(), stderr.toFile());
        } catch (RuntimeException e) {
          unblock(stdout, stderr);
          throw e;
        }
        if (r.exitCode() != 0) {
          unblock(stdout, stderr);
          throw new RuntimeFailure("CreateContainerError", "runc create of " + config.name() + " failed: "
              + runcError(dir, r));
        }
        c.pid = Integer.parseInt(Files.readString(dir.resolve("pid")).trim());
        Thread waiter = new Thread(() -> reap(c), "capstan-reap-" + id);
        waiter.setDaemon(true);
        waiter.start();
        log.debug("created container {} ({}) pid {}", id, config.name(), c.pid);
        return id;
      } catch (IOException | LastErrorException e) {
        containers.remove(id);
        cleanupDir(id, dir);
        throw new RuntimeFailure("CreateContainerError", "cannot create container " + config.name() + ": " + e.getMessage(), e);
      } catch (RuntimeFailure e) {
        containers.remove(id);
        cli(List.of("delete", "--force", id), CLI_TIMEOUT);
        cleanupDir(id, dir);
        throw e;
      }
    });
  }

  @Override
  public void startContainer(String containerId) {
    Container c = require(containerId);
    timed("start", () -> {
      CliResult r = cli(List.of("--log", c.dir.resolve("runc.log").toString(), "--log-format", "json", "start", c.id),
          CLI_TIMEOUT);
      if (r.exitCode() != 0) {
        throw new RuntimeFailure("RunContainerError", "runc start of " + c.config.name() + " failed: " + runcError(c.dir, r));
      }
      synchronized (c) {
        if (c.state == State.CREATED) {
          c.state = State.RUNNING;
          c.startedAt = clock.instant();
        }
      }
      return null;
    });
  }

  @Override
  public void stopContainer(String containerId, Duration gracePeriod) {
    Container c = containers.get(containerId);
    if (c == null || c.exited.getCount() == 0) {
      return;
    }
    timed("stop", () -> {
      try {
        if (!gracePeriod.isZero() && !gracePeriod.isNegative() && c.state == State.RUNNING) {
          signal(c, LibC.SIGTERM);
          if (c.exited.await(gracePeriod.toMillis(), TimeUnit.MILLISECONDS)) {
            return null;
          }
        }
        signal(c, LibC.SIGKILL);
        if (!c.exited.await(CLI_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          throw new RuntimeFailure("KillContainerError", "container " + c.config.name() + " (" + c.id
              + ") did not exit after SIGKILL");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RuntimeFailure("KillContainerError", "interrupted while stopping " + c.id, e);
      }
      return null;
    });
  }

  private static void signal(Container c, int sig) {
    try {
      LibC.INSTANCE.kill(c.pid, sig);
    } catch (LastErrorException e) {
      if (e.getErrorCode() != LibC.ESRCH) {
        throw new RuntimeFailure("KillContainerError", "kill " + c.pid + " (" + c.id + "): " + e.getMessage(), e);
      }
    }
  }

  @Override
  public void removeContainer(String containerId) {
    Container c = containers.get(containerId);
    if (c == null) {
      return;
    }
    if (c.exited.getCount() > 0) {
      stopContainer(containerId, Duration.ZERO);
    }
    timed("remove", () -> {
      cli(List.of("delete", "--force", c.id), CLI_TIMEOUT);
      cleanupDir(c.id, c.dir);
      containers.remove(containerId);
      return null;
    });
  }

  @Override
  public Optional<ContainerInfo> containerStatus(String containerId) {
    Container c = containers.get(containerId);
    return c == null ? Optional.empty() : Optional.of(c.info());
  }

  @Override
  public List<ContainerInfo> listContainers() {
    return containers.values().stream().map(Container::info).toList();
  }

  @Override
  public boolean awaitExit(String containerId, Duration timeout) throws InterruptedException {
    Container c = containers.get(containerId);
    return c == null || c.exited.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public ExecResult execSync(String containerId, List<String> command, Duration timeout) {
    Container c = require(containerId);
    if (c.state != State.RUNNING) {
      return new ExecResult(-1, "container " + c.config.name() + " is not running", false);
    }
    List<String> args = new ArrayList<>(List.of("exec", c.id));
    args.addAll(command);
    return timed("exec", () -> {
      CliResult r = cli(args, timeout);
      return new ExecResult(r.timedOut() ? -1 : r.exitCode(), r.output(), r.timedOut());
    });
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
        Thread.sleep(500);
        while (true) {
          java.util.Arrays.fill(info, 0);
          try {
            LibC.INSTANCE.waitid(LibC.P_ALL, 0, info, LibC.WEXITED | LibC.WNOHANG | LibC.WNOWAIT);
          } catch (LastErrorException e) {
            break; // ECHILD: no children at all
          }
          int pid = info[4];
          if (pid == 0 || cliPids.contains(pid) || containers.values().stream().anyMatch(c -> c.pid == pid)) {
            break; // nothing waitable, or someone else's to reap
          }
          try {
            LibC.INSTANCE.waitpid(pid, status, LibC.WNOHANG);
            log.debug("reaped orphan process {}", pid);
          } catch (LastErrorException e) {
            break;
          }
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.warn("orphan reaper: {}", e.toString());
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    orphanReaper.interrupt();
    // Containers are not stopped here: the pod sync loop stops what it owns; what is left is
    // removed by the next runtime on this root (see removeLeftovers).
    log.info("runc runtime on {} closed with {} container(s) known", root, containers.size());
  }

  // ---- internals ----

  private void reap(Container c) {
    int[] status = new int[1];
    while (true) {
      try {
        LibC.INSTANCE.waitpid(c.pid, status, 0);
        break;
      } catch (LastErrorException e) {
        if (e.getErrorCode() == LibC.EINTR) {
          continue;
        }
        // ECHILD: not our child (should not happen once runc create has exited); treat as gone.
        log.warn("waitpid {} of container {}: {}", c.pid, c.id, e.getMessage());
        status[0] = 0xff << 8;
        break;
      }
    }
    int s = status[0];
    int code;
    Integer signal = null;
    if ((s & 0x7f) == 0) {
      code = (s >> 8) & 0xff;
    } else {
      signal = s & 0x7f;
      code = 128 + signal;
    }
    // Wait (briefly) for the log copiers: the pid namespace is gone with its init, so EOF is near.
    for (Thread t : c.logCopiers) {
      try {
        t.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    boolean oom = oomKilled(c);
    synchronized (c) {
      c.exitCode = code;
      c.finishedAt = clock.instant();
      if (c.startedAt == null) {
        c.startedAt = c.finishedAt;
      }
      c.reason = oom ? "OOMKilled" : code == 0 ? "Completed" : "Error";
      c.message = signal != null ? "killed by signal " + signal : null;
      c.state = State.EXITED;
    }
    c.exited.countDown();
    log.debug("container {} ({}) exited with {}{}", c.id, c.config.name(), code, oom ? " (OOMKilled)" : "");
  }

  /** cgroup v1: the memory controller counts OOM kills in memory.oom_control (Linux 4.13+). */
  private boolean oomKilled(Container c) {
    Path oomControl = Path.of("/sys/fs/cgroup/memory", CGROUP_PARENT, c.sandboxId, c.id, "memory.oom_control");
    try {
      for (String line : Files.readAllLines(oomControl)) {
        if (line.startsWith("oom_kill ") && Long.parseLong(line.substring(9).trim()) > 0) {
          return true;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // no memory cgroup (v2 host or already removed): not known to be an OOM kill
    }
    return false;
  }

  private Thread copier(String id, String stream, Path fifo, CriLogWriter writer, CountDownLatch done) {
    Thread t = new Thread(() -> {
      try (InputStream in = new FileInputStream(fifo.toFile())) {
        writer.copy(stream, in);
      } catch (IOException e) {
        log.warn("container {}: copying {} to its log failed: {}", id, stream, e.getMessage());
      } finally {
        done.countDown();
      }
    }, "capstan-log-" + stream + "-" + id);
    t.setDaemon(true);
    t.start();
    return t;
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

  private static void mountOverlay(String lower, Path dir, Path target) {
    String opts = "lowerdir=" + lower + ",upperdir=" + dir.resolve("upper") + ",workdir=" + dir.resolve("work");
    try {
      LibC.INSTANCE.mount("overlay", target.toString(), "overlay", 0, opts);
    } catch (LastErrorException e) {
      throw new RuntimeFailure("CreateContainerError", "cannot mount the overlay root filesystem at " + target
          + " (" + opts + "): " + e.getMessage(), e);
    }
  }

  private void cleanupDir(String id, Path dir) {
    Path rootfs = dir.resolve("rootfs");
    try {
      LibC.INSTANCE.umount2(rootfs.toString(), LibC.MNT_DETACH);
    } catch (LastErrorException ignored) {
      // not mounted
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      log.warn("cannot remove the bundle of container {} at {}: {}", id, dir, e.getMessage());
    }
  }

  private void removeCgroupParents(String sandboxId) {
    Path cgroups = Path.of("/sys/fs/cgroup");
    try (Stream<Path> controllers = Files.list(cgroups)) {
      for (Path ctl : controllers.toList()) {
        Path dir = ctl.resolve(CGROUP_PARENT).resolve(sandboxId);
        if (Files.isDirectory(dir)) {
          try {
            Files.delete(dir); // rmdir of an empty cgroup
          } catch (IOException ignored) {
            // still in use or already gone
          }
        }
      }
    } catch (IOException ignored) {
      // no cgroup fs
    }
  }

  /** Containers of an earlier run of this runtime cannot be supervised again: remove them. */
  private void removeLeftovers() {
    Path dirs = root.resolve("containers");
    try (Stream<Path> s = Files.list(dirs)) {
      for (Path d : s.toList()) {
        String id = d.getFileName().toString();
        log.warn("removing container {} left by an earlier run (adoption is not supported yet)", id);
        cli(List.of("delete", "--force", id), CLI_TIMEOUT);
        cleanupDir(id, d);
      }
    } catch (IOException e) {
      log.warn("cannot list {}: {}", dirs, e.getMessage());
    }
  }

  private Container require(String id) {
    Container c = containers.get(id);
    if (c == null) {
      throw new RuntimeFailure("ContainerNotFound", "no container " + id);
    }
    return c;
  }

  private String runcError(Path dir, CliResult r) {
    // runc logs its error as JSON lines ({"level":"error","msg":…}); its stderr may carry it too.
    try {
      List<String> lines = Files.readAllLines(dir.resolve("runc.log"));
      for (int i = lines.size() - 1; i >= 0; i--) {
        JsonNode n = JSON.readTree(lines.get(i));
        if ("error".equals(n.path("level").asText())) {
          return n.path("msg").asText();
        }
      }
    } catch (IOException | RuntimeException ignored) {
      // fall back to what the CLI printed
    }
    return r.output().isBlank() ? "exit code " + r.exitCode() : r.output().trim();
  }

  private <T> T timed(String op, Supplier<T> body) {
    Timer.Sample s = Timer.start(registry);
    String outcome = "ok";
    try {
      return body.get();
    } catch (RuntimeException e) {
      outcome = "error";
      throw e;
    } finally {
      s.stop(Timer.builder("capstan_node_agent_runtime_operation_seconds")
          .description("Latency of container runtime operations")
          .tag("runtime", "runc").tag("operation", op).tag("outcome", outcome)
          .register(registry));
    }
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }

  record CliResult(int exitCode, String output, boolean timedOut) {}

  private CliResult cli(List<String> args, Duration timeout) {
    return cli(args, timeout, null, null);
  }

  /** Runs runc; with {@code stdout}/{@code stderr} files its output goes there instead of being captured. */
  private CliResult cli(List<String> args, Duration timeout, File stdout, File stderr) {
    List<String> cmd = new ArrayList<>();
    cmd.add(runc);
    cmd.add("--root");
    cmd.add(runcRoot.toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    if (stdout != null) {
      pb.redirectOutput(stdout).redirectError(stderr);
    } else {
      pb.redirectErrorStream(true);
    }
    try {
      Process p = pb.start();
      cliPids.add((int) p.pid());
      try {
        return await(p, stdout == null, timeout);
      } finally {
        cliPids.remove((int) p.pid());
      }
    } catch (IOException e) {
      throw new RuntimeFailure("RunContainerError", "cannot run " + runc + " " + args + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RuntimeFailure("RunContainerError", "interrupted while running runc " + args.get(0), e);
    }
  }

  private CliResult await(Process p, boolean capture, Duration timeout) throws InterruptedException {
    {
      StringBuilder out = new StringBuilder();
      Thread reader = null;
      if (capture) {
        reader = new Thread(() -> {
          try (InputStream in = p.getInputStream()) {
            byte[] all = in.readNBytes(EXEC_OUTPUT_CAP);
            synchronized (out) {
              out.append(new String(all, StandardCharsets.UTF_8));
            }
            in.transferTo(java.io.OutputStream.nullOutputStream());
          } catch (IOException ignored) {
            // the process went away
          }
        });
        reader.setDaemon(true);
        reader.start();
      }
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        // SIGTERM first: runc forwards it to the process it runs (e.g. an exec probe's command) and
        // then exits and reaps its own children; SIGKILL would orphan them.
        p.destroy();
        if (!p.waitFor(2, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(5, TimeUnit.SECONDS);
        }
        return new CliResult(-1, "timed out after " + timeout, true);
      }
      if (reader != null) {
        reader.join(1000);
      }
      synchronized (out) {
        return new CliResult(p.exitValue(), out.toString(), false);
      }
    }
  }
}
