package io.capstan.nodeagent.runtime.hollow;

import io.capstan.nodeagent.runtime.ContainerConfig;
import io.capstan.nodeagent.runtime.ContainerInfo;
import io.capstan.nodeagent.runtime.ContainerInfo.State;
import io.capstan.nodeagent.runtime.ExecResult;
import io.capstan.nodeagent.runtime.ImageInfo;
import io.capstan.nodeagent.runtime.ImagePullFailure;
import io.capstan.nodeagent.runtime.ImageService;
import io.capstan.nodeagent.runtime.RuntimeFailure;
import io.capstan.nodeagent.runtime.RuntimeService;
import io.capstan.nodeagent.runtime.SandboxConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Simulated containers: a container "runs" from start until its simulated exit (see {@link
 * Behaviour}) or until stopped; nothing is executed. Exec probes answer from the behaviour.
 * Every image is present (pulls succeed) except names containing {@code does-not-exist}, so
 * image-pull failures can be simulated too. Timers run on a shared scheduler, so thousands of
 * hollow nodes cost a few threads.
 */
public final class HollowRuntime implements RuntimeService, ImageService {
  /**
   * How simulated containers behave.
   *
   * @param startDelay how long a start takes
   * @param runFor     how long a container runs before exiting by itself; null = until stopped
   * @param exitCode   the exit code of such an exit
   * @param execExitCode what exec probes and hooks return
   */
  public record Behaviour(Duration startDelay, Duration runFor, int exitCode, int execExitCode) {
    public static Behaviour runsUntilStopped() {
      return new Behaviour(Duration.ZERO, null, 0, 0);
    }
  }

  private final Behaviour behaviour;
  private final ScheduledExecutorService timers;
  private final Clock clock;
  private final Map<String, Hollow> containers = new ConcurrentHashMap<>();
  /** Process-wide, so the containers of a fleet's many hollow nodes have distinct IDs. */
  private static final AtomicLong ids = new AtomicLong();

  private static final class Hollow {
    final String id;
    final String sandboxId;
    final ContainerConfig config;
    final Instant createdAt;
    final CountDownLatch exited = new CountDownLatch(1);
    volatile State state = State.CREATED;
    /** Started, but its simulated start delay has not passed yet (it shows as created until then). */
    volatile boolean starting;
    volatile Instant startedAt;
    volatile Instant finishedAt;
    volatile int exitCode;
    volatile String reason;

    Hollow(String id, String sandboxId, ContainerConfig config, Instant createdAt) {
      this.id = id;
      this.sandboxId = sandboxId;
      this.config = config;
      this.createdAt = createdAt;
    }

    synchronized void exit(int code, Instant at) {
      if (state == State.EXITED) {
        return;
      }
      exitCode = code;
      finishedAt = at;
      if (startedAt == null) {
        startedAt = at;
      }
      reason = code == 0 ? "Completed" : "Error";
      state = State.EXITED;
      exited.countDown();
    }
  }

  public HollowRuntime(Behaviour behaviour, ScheduledExecutorService timers, Clock clock) {
    this.behaviour = behaviour;
    this.timers = timers;
    this.clock = clock;
  }

  @Override
  public String version() {
    return "hollow://0.1";
  }

  @Override
  public String runPodSandbox(SandboxConfig config) {
    return "s" + config.podUid();
  }

  @Override
  public void stopPodSandbox(String sandboxId) {
    containers.values().stream().filter(c -> c.sandboxId.equals(sandboxId)).forEach(c -> c.exit(137, clock.instant()));
  }

  @Override
  public void removePodSandbox(String sandboxId) {
    stopPodSandbox(sandboxId);
    containers.values().removeIf(c -> c.sandboxId.equals(sandboxId));
  }

  @Override
  public String createContainer(String sandboxId, ContainerConfig config) {
    String id = "hollow-" + ids.incrementAndGet();
    containers.put(id, new Hollow(id, sandboxId, config, clock.instant()));
    return id;
  }

  /**
   * Starts the container, at once or after the behaviour's start delay. The delay runs on the
   * shared timers, not on the caller's thread: a fleet's few pod workers are not held up, the
   * container shows as created (ContainerCreating) until then, and the agent's relist sees it run.
   */
  @Override
  public void startContainer(String containerId) {
    Hollow c = require(containerId);
    synchronized (c) {
      if (c.state != State.CREATED || c.starting) {
        throw new RuntimeFailure("RunContainerError", "container " + containerId + " is "
            + (c.starting ? "starting" : c.state));
      }
      if (behaviour.startDelay().isZero()) {
        run(c);
        return;
      }
      c.starting = true;
    }
    timers.schedule(() -> {
      synchronized (c) {
        if (c.state == State.CREATED) { // not stopped meanwhile
          run(c);
        }
        c.starting = false;
      }
    }, behaviour.startDelay().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Called holding the container's lock. */
  private void run(Hollow c) {
    c.state = State.RUNNING;
    c.startedAt = clock.instant();
    if (behaviour.runFor() != null) {
      timers.schedule(() -> c.exit(behaviour.exitCode(), clock.instant()), behaviour.runFor().toMillis(),
          TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public void stopContainer(String containerId, Duration gracePeriod) {
    Hollow c = containers.get(containerId);
    if (c != null) {
      // A simulated process honours SIGTERM at once: exit code 143 (128 + SIGTERM).
      c.exit(c.state == State.RUNNING ? 143 : 137, clock.instant());
    }
  }

  @Override
  public void removeContainer(String containerId) {
    containers.remove(containerId);
  }

  @Override
  public Optional<ContainerInfo> containerStatus(String containerId) {
    return Optional.ofNullable(containers.get(containerId)).map(this::info);
  }

  @Override
  public List<ContainerInfo> listContainers() {
    return containers.values().stream().map(this::info).toList();
  }

  /** Simulated containers use nothing: every running one reads zero CPU and zero memory. */
  @Override
  public List<io.capstan.nodeagent.runtime.ContainerStats> listContainerStats() {
    return containers.values().stream().filter(c -> c.state == State.RUNNING)
        .map(c -> new io.capstan.nodeagent.runtime.ContainerStats(info(c),
            io.capstan.nodeagent.runtime.ResourceUsage.zero(clock.instant())))
        .toList();
  }

  /** Zeros, as its containers'. */
  @Override
  public Optional<io.capstan.nodeagent.runtime.ResourceUsage> podSandboxStats(String sandboxId) {
    return Optional.of(io.capstan.nodeagent.runtime.ResourceUsage.zero(clock.instant()));
  }

  @Override
  public ExecResult execSync(String containerId, List<String> command, Duration timeout) {
    Hollow c = require(containerId);
    if (c.state != State.RUNNING && !c.starting) { // a postStart hook may run while the start is simulated
      return new ExecResult(-1, "container is not running", false);
    }
    return new ExecResult(behaviour.execExitCode(), "", false);
  }

  @Override
  public boolean awaitExit(String containerId, Duration timeout) throws InterruptedException {
    Hollow c = containers.get(containerId);
    return c == null || c.exited.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    containers.clear();
  }

  private ContainerInfo info(Hollow c) {
    return new ContainerInfo(c.id, c.sandboxId, c.config.name(), c.config.attempt(), c.config.image().id(), c.state,
        c.createdAt, c.startedAt, c.finishedAt, c.exitCode, c.reason, null, c.config.logPath());
  }

  private Hollow require(String id) {
    Hollow c = containers.get(id);
    if (c == null) {
      throw new RuntimeFailure("ContainerNotFound", "no container " + id);
    }
    return c;
  }

  // ---- images: every name is present, except the ones meant to fail ----

  @Override
  public ImageInfo pullImage(String reference) {
    return imageStatus(reference).orElseThrow(() -> new ImagePullFailure("Failed to pull image \"" + reference
        + "\": hollow nodes simulate a missing image for names containing \"does-not-exist\""));
  }

  @Override
  public Optional<ImageInfo> imageStatus(String reference) {
    if (reference == null || reference.contains("does-not-exist")) {
      return Optional.empty();
    }
    String digest = "sha256:" + String.format("%064x", Math.abs((long) reference.hashCode()));
    return Optional.of(new ImageInfo(List.of(reference), digest, Path.of("/nonexistent"), List.of(), List.of("hollow"),
        List.of(), "", 0));
  }

  @Override
  public List<ImageInfo> listImages() {
    return List.of();
  }
}
