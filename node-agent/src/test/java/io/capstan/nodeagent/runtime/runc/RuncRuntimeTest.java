package io.capstan.nodeagent.runtime.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.nodeagent.image.BusyboxImage;
import io.capstan.nodeagent.image.ImageStore;
import io.capstan.nodeagent.runtime.ContainerConfig;
import io.capstan.nodeagent.runtime.ContainerInfo;
import io.capstan.nodeagent.runtime.ExecResult;
import io.capstan.nodeagent.runtime.ImageInfo;
import io.capstan.nodeagent.runtime.RuntimeFailure;
import io.capstan.nodeagent.runtime.SandboxConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real containers through runc on the busybox image seeded from the host's busybox-static. */
class RuncRuntimeTest {
  @TempDir static Path dir;
  static RuncRuntime runtime;
  static ImageInfo busybox;

  @BeforeAll
  static void setUp() {
    RuncHost.require();
    busybox = BusyboxImage.seed(new ImageStore(dir.resolve("images")));
    runtime = new RuncRuntime(dir.resolve("runtime"), new SimpleMeterRegistry(), Clock.systemUTC());
  }

  @AfterAll
  static void tearDown() {
    if (runtime != null) {
      for (ContainerInfo c : runtime.listContainers()) {
        runtime.removeContainer(c.id());
      }
      runtime.close();
    }
  }

  private static ContainerConfig container(String name, Path log, List<String> args, List<ContainerConfig.Mount> mounts) {
    return new ContainerConfig(name, 0, busybox, args, List.of("PATH=/bin:/usr/bin", "GREETING=hi there"), "",
        mounts, ContainerConfig.Resources.none(), ContainerConfig.Security.defaults(), log);
  }

  private static String sandbox() {
    String uid = UUID.randomUUID().toString();
    return runtime.runPodSandbox(new SandboxConfig(uid, "default", "p-" + uid.substring(0, 5), "p", true));
  }

  @Test
  void aContainerRunsItsOutputReachesTheLogAndItsExitCodeIsKept() throws Exception {
    String sb = sandbox();
    Path log = dir.resolve("logs/echo/0.log");
    Path vol = Files.createDirectories(dir.resolve("vol-echo"));
    Files.writeString(vol.resolve("file"), "from a volume");
    String id = runtime.createContainer(sb, container("echo", log,
        List.of("sh", "-c", "echo hello; echo \"$GREETING\"; cat /data/file; echo; echo oops >&2; exit 3"),
        List.of(new ContainerConfig.Mount(vol, "/data", true))));
    assertEquals(ContainerInfo.State.CREATED, runtime.containerStatus(id).orElseThrow().state());
    runtime.startContainer(id);
    assertTrue(runtime.awaitExit(id, Duration.ofSeconds(20)), "the container did not exit");
    ContainerInfo info = runtime.containerStatus(id).orElseThrow();
    assertEquals(ContainerInfo.State.EXITED, info.state());
    assertEquals(3, info.exitCode());
    assertEquals("Error", info.reason());
    List<String> lines = Files.readAllLines(log);
    assertTrue(lines.stream().anyMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z stdout F hello")), "log: " + lines);
    assertTrue(lines.stream().anyMatch(l -> l.endsWith(" stdout F hi there")), "env reaches the process: " + lines);
    assertTrue(lines.stream().anyMatch(l -> l.endsWith(" stdout F from a volume")), "the volume is mounted: " + lines);
    assertTrue(lines.stream().anyMatch(l -> l.endsWith(" stderr F oops")), "stderr is logged: " + lines);
    runtime.removeContainer(id);
    assertTrue(runtime.containerStatus(id).isEmpty());
    runtime.removePodSandbox(sb);
  }

  @Test
  void aContainerThatIgnoresSigtermIsKilledAfterTheGracePeriod() throws Exception {
    String sb = sandbox();
    // sleep as PID 1 has no SIGTERM handler, so the kernel drops SIGTERM: only SIGKILL ends it.
    String id = runtime.createContainer(sb, container("sleeper", dir.resolve("logs/sleeper/0.log"),
        List.of("sleep", "1000"), List.of()));
    runtime.startContainer(id);
    ExecResult exec = runtime.execSync(id, List.of("sh", "-c", "echo alive; exit 4"), Duration.ofSeconds(10));
    assertEquals(4, exec.exitCode());
    assertTrue(exec.output().contains("alive"), exec.output());
    long t0 = System.nanoTime();
    runtime.stopContainer(id, Duration.ofMillis(1500));
    long tookMs = (System.nanoTime() - t0) / 1_000_000;
    ContainerInfo info = runtime.containerStatus(id).orElseThrow();
    assertEquals(137, info.exitCode(), "SIGKILL");
    assertTrue(tookMs >= 1400, "killed only after the grace period, took " + tookMs + " ms");
    runtime.removePodSandbox(sb);
  }

  @Test
  void aContainerProbedWithExecStillStops() throws Exception {
    String sb = sandbox();
    String id = runtime.createContainer(sb, container("probed", dir.resolve("logs/probed/0.log"),
        List.of("sleep", "1000"), List.of()));
    runtime.startContainer(id);
    for (int i = 0; i < 3; i++) {
      assertEquals(1, runtime.execSync(id, List.of("test", "-e", "/nope"), Duration.ofSeconds(5)).exitCode());
    }
    runtime.stopContainer(id, Duration.ofMillis(200));
    assertEquals(137, runtime.containerStatus(id).orElseThrow().exitCode());
    runtime.removePodSandbox(sb);
  }

  @Test
  void aContainerThatHandlesSigtermStopsBeforeTheGracePeriodEnds() throws Exception {
    String sb = sandbox();
    String id = runtime.createContainer(sb, container("trapper", dir.resolve("logs/trapper/0.log"),
        List.of("sh", "-c", "trap 'echo bye; exit 0' TERM; echo ready; while true; do sleep 0.1; done"), List.of()));
    runtime.startContainer(id);
    Path log = dir.resolve("logs/trapper/0.log");
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!(Files.exists(log) && Files.readString(log).contains("ready")) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    long t0 = System.nanoTime();
    runtime.stopContainer(id, Duration.ofSeconds(20));
    assertTrue((System.nanoTime() - t0) < Duration.ofSeconds(5).toNanos(), "stopped on SIGTERM");
    assertEquals(0, runtime.containerStatus(id).orElseThrow().exitCode());
    assertTrue(Files.readString(log).contains("stdout F bye"));
    runtime.removePodSandbox(sb);
  }

  @Test
  void aCommandMissingFromTheImageIsACreateOrStartError() {
    String sb = sandbox();
    RuntimeFailure f = assertThrows(RuntimeFailure.class, () -> {
      String id = runtime.createContainer(sb, container("missing", dir.resolve("logs/missing/0.log"),
          List.of("/no/such/binary"), List.of()));
      runtime.startContainer(id);
    });
    assertTrue(f.getMessage().contains("no/such/binary") || f.getMessage().contains("no such file"), f.getMessage());
    runtime.removePodSandbox(sb);
  }

  @Test
  void aMemoryLimitKillIsReportedAsOomKilled() throws Exception {
    String sb = sandbox();
    ContainerConfig c = new ContainerConfig("hog", 0, busybox,
        List.of("sh", "-c", "x=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; while true; do x=$x$x; done"),
        List.of("PATH=/bin"), "", List.of(),
        new ContainerConfig.Resources(2, 0, ContainerConfig.Resources.CFS_PERIOD_MICROS, 16L << 20, 0),
        ContainerConfig.Security.defaults(), dir.resolve("logs/hog/0.log"));
    String id = runtime.createContainer(sb, c);
    runtime.startContainer(id);
    assertTrue(runtime.awaitExit(id, Duration.ofSeconds(30)), "the hog was not killed");
    ContainerInfo info = runtime.containerStatus(id).orElseThrow();
    assertEquals(137, info.exitCode());
    assertEquals("OOMKilled", info.reason());
    runtime.removePodSandbox(sb);
  }
}
