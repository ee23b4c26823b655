package io.capstan.nodeagent.runtime.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.jna.LastErrorException;
import io.capstan.nodeagent.runtime.ContainerConfig;
import io.capstan.nodeagent.runtime.ContainerInfo;
import io.capstan.nodeagent.runtime.ContainerInfo.State;
import io.capstan.nodeagent.runtime.ExecResult;
import io.capstan.nodeagent.runtime.RuntimeFailure;
import io.capstan.nodeagent.runtime.RuntimeService;
import io.capstan.nodeagent.runtime.SandboxConfig;
import io.capstan.nodeagent.runtime.runc.supervisor.ContainerRecord;
import io.capstan.nodeagent.runtime.runc.supervisor.SupervisorClient;
import io.capstan.nodeagent.runtime.runc.supervisor.SupervisorEvent;
import io.capstan.nodeagent.runtime.runc.supervisor.SupervisorFiles;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * {@link RuntimeService} on the runc CLI and the node's runtime supervisor. Per container, under
 * {@code <root>/containers/<id>/}: the OCI bundle ({@code config.json}, {@code rootfs/} = an
 * overlay of the image's rootfs and {@code upper/}), {@code meta.json} (which pod container and
 * attempt it is), and what the supervisor keeps there: the stdout/stderr FIFOs, runc's log, the
 * container's state and, once it ended, its exit.
 *
 * <p>This runtime prepares bundles and runs {@code runc exec}; the supervisor, a process of its
 * own that outlives the agent (as containerd-shim does), runs {@code runc create}/{@code start}
 * as the containers' parent and pumps their logs. A runtime started on a root whose supervisor
 * still runs adopts its containers: those running stay running under the same ids, and those
 * that ended meanwhile report their recorded exit codes.
 */
public final class RuncRuntime implements RuntimeService {
  private static final Logger log = LoggerFactory.getLogger(RuncRuntime.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final String PACKAGE = "runc";
  static final String CGROUP_PARENT = "capstan";
  static final Duration CLI_TIMEOUT = Duration.ofSeconds(30);
  static final Duration RECONNECT = Duration.ofSeconds(1);

  private final Path root;
  private final SupervisorFiles files;
  private final RuncCli cli;
  private final Clock clock;
  private final io.capstan.nodeagent.stats.Cgroups cgroups = io.capstan.nodeagent.stats.Cgroups.host();
  private final MeterRegistry registry;
  private final String version;
  private final Map<String, Sandbox> sandboxes = new ConcurrentHashMap<>();
  private final Map<String, Container> containers = new ConcurrentHashMap<>();
  private final Counter adoptedRunning;
  private final Counter adoptedExited;
  private volatile SupervisorClient supervisor;
  private volatile SupervisorClient.Watch watch;
  private volatile boolean closed;

  /** @param ip the pod's address on the pod network; null on the host's network */
  private record Sandbox(String id, SandboxConfig config, String ip) {}

  /** Pod networking, when the CNI plugins are installed; without them every pod is on the host network. */
  private final Optional<PodNetwork> network;

  /**
   * Which pod container a runc container is, written next to its bundle so that a later agent can
   * adopt it.
   */
  record Meta(String sandbox, String name, int attempt, String imageRef, String logPath) {}

  /** What this runtime knows of one container; mutable fields follow the supervisor's record. */
  private static final class Container {
    final String id;
    final Meta meta;
    final Path dir;
    final CountDownLatch exited = new CountDownLatch(1);
    volatile Instant createdAt;
    volatile State state = State.CREATED;
    volatile Instant startedAt;
    volatile Instant finishedAt;
    volatile int exitCode;
    /** Its init's pid on the host, once runc created it (0 before). */
    volatile int pid;
    volatile String reason;
    volatile String message;

    Container(String id, Meta meta, Path dir, Instant createdAt) {
      this.id = id;
      this.meta = meta;
      this.dir = dir;
      this.createdAt = createdAt;
    }

    synchronized void apply(ContainerRecord r) {
      if (state == State.EXITED) {
        return; // an exit is final; a late record of the running state must not undo it
      }
      createdAt = r.createdAt() == null ? createdAt : r.createdAt();
      pid = r.pid() > 0 ? r.pid() : pid;
      startedAt = r.startedAt();
      switch (r.state()) {
        case ContainerRecord.RUNNING -> state = State.RUNNING;
        case ContainerRecord.EXITED -> {
          finishedAt = r.finishedAt();
          exitCode = r.exitCode();
          reason = r.reason();
          message = r.message();
          state = State.EXITED;
          exited.countDown();
        }
        default -> state = State.CREATED;
      }
    }

    /** The supervisor is gone and lost it: as kubelet reports a container nobody saw end. */
    synchronized void lost(Instant now, String why) {
      if (state == State.EXITED) {
        return;
      }
      finishedAt = now;
      startedAt = startedAt == null ? now : startedAt;
      exitCode = ContainerRecord.UNKNOWN_EXIT_CODE;
      reason = ContainerRecord.STATUS_UNKNOWN;
      message = why;
      state = State.EXITED;
      exited.countDown();
    }

    ContainerInfo info() {
      return new ContainerInfo(id, meta.sandbox(), meta.name(), meta.attempt(), meta.imageRef(), state, createdAt,
          startedAt, finishedAt, exitCode, reason, message, Path.of(meta.logPath()));
    }
  }

  /**
   * @param root where bundles, runc's state and the supervisor's files live (one runtime per root)
   * @throws IllegalStateException naming the Debian package when runc is missing, or when the
   *     runtime supervisor cannot be reached nor started
   */
  public RuncRuntime(Path root, MeterRegistry registry, Clock clock) {
    this.root = root.toAbsolutePath();
    this.files = new SupervisorFiles(this.root);
    this.clock = clock;
    this.registry = registry;
    String runc = findRunc().orElseThrow(() -> new IllegalStateException(
        "runc is not installed: install the Debian package " + PACKAGE + " (apt-get install -y " + PACKAGE + ")"));
    this.cli = new RuncCli(runc, files.runcRoot());
    try {
      Files.createDirectories(files.containers());
      Files.createDirectories(files.runcRoot());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the runtime directory " + this.root, e);
    }
    this.version = cli.run(List.of("--version"), CLI_TIMEOUT).output().lines().findFirst().orElse("runc")
        .replace("runc version ", "");
    this.adoptedRunning = Counter.builder("capstan_node_adopted_containers_total")
        .description("Containers an agent found under the runtime supervisor at start, instead of starting them again")
        .tag("runtime", "runc").tag("state", "running").register(registry);
    this.adoptedExited = Counter.builder("capstan_node_adopted_containers_total")
        .description("Containers an agent found under the runtime supervisor at start, instead of starting them again")
        .tag("runtime", "runc").tag("state", "exited").register(registry);
    this.network = PodNetwork.detect(this.root);
    connect(true);
    log.info("runc runtime ready: {} ({}), bundles under {}", runc, version, this.root);
  }

  /**
   * Connects to the supervisor (starting one when none runs) and takes in what it knows: at start
   * that is the adoption of the containers an earlier agent left; after a lost supervisor, its
   * successor's view (containers it no longer knows ended unseen).
   */
  private synchronized void connect(boolean atStart) {
    SupervisorClient client = SupervisorClient.connectOrStart(files, cli.binary());
    // Events wait for this lock (see onEvent), so none is applied before the list is taken in.
    SupervisorClient.Watch w = client.watch(this::onEvent, this::onSupervisorGone);
    supervisor = client;
    watch = w;
    int running = 0;
    int exited = 0;
    java.util.Set<String> listed = new java.util.HashSet<>();
    for (ContainerRecord r : w.initial()) {
      listed.add(r.id());
      Container c = containers.get(r.id());
      if (c == null) {
        Optional<Meta> meta = readMeta(files.containers().resolve(r.id()));
        if (meta.isEmpty()) {
          log.warn("container {} under the supervisor has no meta.json: removing it", r.id());
          deleteQuietly(r.id());
          cleanupDir(r.id(), files.containers().resolve(r.id()));
          continue;
        }
        c = new Container(r.id(), meta.get(), files.containers().resolve(r.id()), r.createdAt());
        containers.put(r.id(), c);
      }
      c.apply(r);
      if (c.state == State.EXITED) {
        exited++;
      } else {
        running++;
      }
    }
    for (Container c : containers.values()) {
      if (!listed.contains(c.id)) {
        c.lost(clock.instant(), "The container could not be located: its runtime supervisor restarted without it");
      }
    }
    if (atStart) {
      removeUnsupervised();
      // Networks of sandboxes with an adopted container stay (their pods keep their addresses);
      // the others' pods are gone or start afresh, so their addresses go back to the pool.
      java.util.Set<String> adoptedSandboxes = new java.util.HashSet<>();
      containers.values().forEach(k -> adoptedSandboxes.add(k.meta.sandbox()));
      network.ifPresent(n -> n.tearDownLeftovers(adoptedSandboxes));
      adoptedRunning.increment(running);
      adoptedExited.increment(exited);
      log.info("runtime supervisor pid {} {} for {}: adopted {} container(s), {} running and {} exited meanwhile",
          client.pid(), client.startedNow() ? "started" : "found running", root, running + exited, running, exited);
    } else {
      log.warn("runtime supervisor pid {} {} again for {}: it knows {} container(s)", client.pid(),
          client.startedNow() ? "started" : "found", root, listed.size());
    }
  }

  private synchronized void onEvent(SupervisorEvent e) {
    if (SupervisorEvent.CONTAINER.equals(e.type()) && e.container() != null) {
      Container c = containers.get(e.container().id());
      if (c != null) {
        c.apply(e.container());
      }
    }
  }

  /** The supervisor died (it should not): start or find another, which takes over from the state dir. */
  private void onSupervisorGone() {
    if (closed) {
      return;
    }
    log.error("the runtime supervisor for {} went away; reconnecting (see {})", root, files.log());
    Thread t = new Thread(() -> {
      while (!closed) {
        try {
          Thread.sleep(RECONNECT.toMillis());
          connect(false);
          return;
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          log.warn("reconnecting to the runtime supervisor: {}", e.toString());
        }
      }
    }, "capstan-supervisor-reconnect");
    t.setDaemon(true);
    t.start();
  }

  /** Bundles the supervisor does not know (a create cut short by a crash): nothing can run from them. */
  private void removeUnsupervised() {
    try (Stream<Path> s = Files.list(files.containers())) {
      for (Path d : s.toList()) {
        String id = d.getFileName().toString();
        if (!containers.containsKey(id)) {
          log.warn("removing container {}: no runtime supervisor knows it", id);
          cli.run(List.of("delete", "--force", id), CLI_TIMEOUT);
          cleanupDir(id, d);
        }
      }
    } catch (IOException e) {
      log.warn("cannot list {}: {}", files.containers(), e.getMessage());
    }
  }

  private static Optional<Meta> readMeta(Path dir) {
    try {
      return Optional.of(JSON.readValue(dir.resolve("meta.json").toFile(), Meta.class));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * What this machine lacks to run real containers, naming the package to install (runc, the
   * static busybox the seeded image comes from, root); empty when nothing is missing.
   */
  public static Optional<String> machineProblem() {
    if (findRunc().isEmpty()) {
      return Optional.of("runc is not installed: apt-get install -y " + PACKAGE + " (./capstan test installs it)");
    }
    if (io.capstan.nodeagent.image.BusyboxImage.hostBinary().isEmpty()) {
      return Optional.of("no static busybox: apt-get install -y " + io.capstan.nodeagent.image.BusyboxImage.PACKAGE
          + " (./capstan test installs it)");
    }
    if (!"root".equals(System.getProperty("user.name"))) {
      return Optional.of("containers with runc need root (run the tests as root)");
    }
    return Optional.empty();
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

  /** The pid of the runtime supervisor this runtime talks to. */
  public long supervisorPid() {
    return supervisor.pid();
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
      if (c.meta.sandbox().equals(sandboxId)) {
        stopContainer(c.id, Duration.ZERO);
      }
    }
  }

  @Override
  public void removePodSandbox(String sandboxId) {
    stopPodSandbox(sandboxId);
    for (Container c : List.copyOf(containers.values())) {
      if (c.meta.sandbox().equals(sandboxId)) {
        removeContainer(c.id);
      }
    }
    Sandbox gone = sandboxes.remove(sandboxId);
    network.ifPresent(n -> {
      // An adopted pod's sandbox may have a network this runtime never set up itself.
      if ((gone != null && gone.ip() != null) || n.hasState(sandboxId)) {
        n.tearDown(sandboxId);
      }
    });
    removeCgroupParents(sandboxId);
  }

  // ---- containers ----

  /**
   * The process namespace the container joins: its target's, while the target runs (as a CRI
   * runtime does for NamespaceMode TARGET); else null, a namespace of its own.
   */
  private Path pidNamespace(ContainerConfig config) {
    Container target = config.pidNamespaceOf() == null ? null : containers.get(config.pidNamespaceOf());
    if (target == null || target.state != State.RUNNING || target.pid <= 0) {
      return null;
    }
    Path ns = Path.of("/proc", Integer.toString(target.pid), "ns", "pid");
    return Files.exists(ns) ? ns : null;
  }

  @Override
  public String createContainer(String sandboxId, ContainerConfig config) {
    Sandbox sandbox = sandboxes.get(sandboxId);
    if (sandbox == null) {
      throw new RuntimeFailure("CreateContainerError", "no sandbox " + sandboxId);
    }
    return timed("create", () -> {
      String id = HexFormat.of().formatHex(randomBytes(16));
      Path dir = files.containers().resolve(id);
      Path rootfs = dir.resolve("rootfs");
      Meta meta = new Meta(sandboxId, config.name(), config.attempt(), config.image().id(),
          config.logPath().toAbsolutePath().toString());
      Container c = new Container(id, meta, dir, clock.instant());
      try {
        Files.createDirectories(rootfs);
        Files.createDirectories(dir.resolve("upper"));
        Files.createDirectories(dir.resolve("work"));
        Files.createDirectories(config.logPath().getParent());
        mountOverlay(config.image().overlayLowerDir(), dir, rootfs);
        String cgroupsPath = "/" + CGROUP_PARENT + "/" + sandboxId + "/" + id;
        Path netns = sandbox.ip() == null ? null : network.orElseThrow().netns(sandboxId);
        Map<String, Object> spec = OciSpec.build(sandbox.config(), config, rootfs.toString(), cgroupsPath, netns,
            pidNamespace(config));
        Files.write(dir.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(spec));
        Files.write(dir.resolve("meta.json"), JSON.writeValueAsBytes(meta));
      } catch (IOException | RuntimeFailure e) {
        cleanupDir(id, dir);
        throw e instanceof RuntimeFailure f ? f : new RuntimeFailure("CreateContainerError", "cannot create container "
            + config.name() + ": " + e.getMessage(), e);
      }
      containers.put(id, c);
      try {
        c.apply(supervisor.create(id, dir, config.logPath().toAbsolutePath(),
            Path.of("/sys/fs/cgroup/memory", CGROUP_PARENT, sandboxId, id, "memory.oom_control"), config.stdin()));
      } catch (RuntimeException e) {
        containers.remove(id);
        cleanupDir(id, dir);
        throw new RuntimeFailure("CreateContainerError", "runc create of " + config.name() + " failed: " + e.getMessage(), e);
      }
      log.debug("created container {} ({})", id, config.name());
      return id;
    });
  }

  @Override
  public void startContainer(String containerId) {
    Container c = require(containerId);
    timed("start", () -> {
      try {
        c.apply(supervisor.start(c.id));
      } catch (RuntimeException e) {
        throw new RuntimeFailure("RunContainerError", "runc start of " + c.meta.name() + " failed: " + e.getMessage(), e);
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
          throw new RuntimeFailure("KillContainerError", "container " + c.meta.name() + " (" + c.id
              + ") did not exit after SIGKILL");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RuntimeFailure("KillContainerError", "interrupted while stopping " + c.id, e);
      }
      return null;
    });
  }

  private void signal(Container c, int sig) {
    try {
      supervisor.kill(c.id, sig);
    } catch (RuntimeException e) {
      throw new RuntimeFailure("KillContainerError", "signal " + sig + " to " + c.id + ": " + e.getMessage(), e);
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
      deleteQuietly(c.id);
      cleanupDir(c.id, c.dir);
      containers.remove(containerId);
      return null;
    });
  }

  /** Deletes through the supervisor; runc directly when the supervisor cannot (the container must go either way). */
  private void deleteQuietly(String id) {
    try {
      supervisor.delete(id);
    } catch (RuntimeException e) {
      log.warn("the runtime supervisor could not delete container {} ({}); deleting it with runc", id, e.getMessage());
      cli.run(List.of("delete", "--force", id), CLI_TIMEOUT);
    }
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

  /** Each running container's cgroup ({@code capstan/<sandbox>/<id>}, as created), read now. */
  @Override
  public List<io.capstan.nodeagent.runtime.ContainerStats> listContainerStats() {
    List<io.capstan.nodeagent.runtime.ContainerStats> out = new ArrayList<>();
    for (Container c : containers.values()) {
      if (c.state == State.RUNNING) {
        cgroups.read(CGROUP_PARENT + "/" + c.meta.sandbox() + "/" + c.id, clock.instant())
            .ifPresent(u -> out.add(new io.capstan.nodeagent.runtime.ContainerStats(c.info(), u)));
      }
    }
    return out;
  }

  /** The pod's cgroup ({@code capstan/<sandbox>}), the parent of its containers'. */
  @Override
  public Optional<io.capstan.nodeagent.runtime.ResourceUsage> podSandboxStats(String sandboxId) {
    return cgroups.read(CGROUP_PARENT + "/" + sandboxId, clock.instant());
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
      return new ExecResult(-1, "container " + c.meta.name() + " is not running", false);
    }
    List<String> args = new ArrayList<>(List.of("exec", c.id));
    args.addAll(command);
    return timed("exec", () -> {
      RuncCli.Result r = cli.run(args, timeout);
      return new ExecResult(r.timedOut() ? -1 : r.exitCode(), r.output(), r.timedOut());
    });
  }

  @Override
  public io.capstan.nodeagent.runtime.ExecProcess exec(String containerId, List<String> command, boolean tty,
      int width, int height) {
    Container c = require(containerId);
    if (c.state != State.RUNNING) {
      throw new RuntimeFailure("ContainerNotRunning", "container " + c.meta.name() + " is not running");
    }
    return RuncExec.start(cli, c.id, command, tty, width, height);
  }

  @Override
  public java.io.OutputStream attachStdin(String containerId, boolean once) {
    Container c = require(containerId);
    Path fifo = c.dir.resolve("stdin");
    if (c.state != State.RUNNING) {
      throw new RuntimeFailure("ContainerNotRunning", "container " + c.meta.name() + " is not running");
    }
    if (!Files.exists(fifo)) {
      throw new RuntimeFailure("AttachNotSupported", "container " + c.meta.name() + " was not started with stdin"
          + " (stdin: true in the pod's spec)");
    }
    try {
      java.io.FileOutputStream out = new java.io.FileOutputStream(fifo.toFile());
      return new java.io.FilterOutputStream(out) {
        private boolean closed;

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
          if (closed) {
            return;
          }
          closed = true;
          super.close();
          if (once) {
            supervisor.closeStdin(c.id);
          }
        }
      };
    } catch (IOException e) {
      throw new RuntimeFailure("AttachError", "cannot open the stdin of container " + c.meta.name() + ": "
          + e.getMessage(), e);
    }
  }

  @Override
  public Optional<Path> podNetworkNamespace(String sandboxId) {
    if (network.isEmpty()) {
      return Optional.empty();
    }
    Sandbox s = sandboxes.get(sandboxId);
    if (s != null && s.ip() == null) {
      return Optional.empty(); // on the host's network
    }
    Path ns = network.get().netns(sandboxId);
    return Files.exists(ns) ? Optional.of(ns) : Optional.empty();
  }

  /**
   * Leaves the containers to the supervisor: a clean node stop has removed them all before (and
   * the supervisor, with nothing left and no agent watching, exits); otherwise the next runtime
   * on this root adopts them.
   */
  @Override
  public void close() {
    closed = true;
    SupervisorClient.Watch w = watch;
    if (w != null) {
      w.close();
    }
    log.info("runc runtime on {} closed with {} container(s) left to the runtime supervisor", root, containers.size());
  }

  // ---- internals ----

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

  private Container require(String id) {
    Container c = containers.get(id);
    if (c == null) {
      throw new RuntimeFailure("ContainerNotFound", "no container " + id);
    }
    return c;
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
}
