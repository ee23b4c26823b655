package io.capstan.nodeagent.runtime.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.nodeagent.image.BusyboxImage;
import io.capstan.nodeagent.image.ImageStore;
import io.capstan.nodeagent.runtime.ContainerConfig;
import io.capstan.nodeagent.runtime.ContainerInfo;
import io.capstan.nodeagent.runtime.ImageInfo;
import io.capstan.nodeagent.runtime.SandboxConfig;
import io.capstan.nodeagent.runtime.runc.supervisor.ContainerRecord;
import io.capstan.nodeagent.runtime.runc.supervisor.SupervisorClient;
import io.capstan.nodeagent.runtime.runc.supervisor.SupervisorFiles;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.PosixFilePermissions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime supervisor on its own terms, with real runc: a runtime closed without stopping its
 * containers leaves them to the supervisor, and a new runtime on the same root adopts them with
 * the exit codes recorded meanwhile; and when the supervisor itself is killed, a new one takes
 * over the containers that still run (their exit codes are then unknown, reported as kubelet
 * reports a container nobody saw end).
 */
class RuntimeSupervisorTest {
  @TempDir Path dir;

  private ContainerConfig container(ImageInfo image, String name, String script) {
    return new ContainerConfig(name, 0, image, List.of("sh", "-c", script), List.of("PATH=/bin"), "", List.of(),
        ContainerConfig.Resources.none(), ContainerConfig.Security.defaults(), dir.resolve("logs/" + name + "/0.log"));
  }

  private static String sandbox(RuncRuntime runtime) {
    String uid = UUID.randomUUID().toString();
    return runtime.runPodSandbox(new SandboxConfig(uid, "default", "p-" + uid.substring(0, 5), "p", true));
  }

  @Test
  void aNewRuntimeOnTheSameRootAdoptsRunningContainersAndLearnsExitCodesRecordedMeanwhile() throws Exception {
    RuncHost.require();
    ImageInfo busybox = BusyboxImage.seed(new ImageStore(dir.resolve("images")));
    Path root = dir.resolve("runtime");
    RuncRuntime first = new RuncRuntime(root, new SimpleMeterRegistry(), Clock.systemUTC());
    RuncRuntime second = null;
    try {
      String sb = sandbox(first);
      String runs = first.createContainer(sb, container(busybox, "runs", "while true; do echo up; sleep 0.2; done"));
      first.startContainer(runs);
      String ends = first.createContainer(sb, container(busybox, "ends", "while [ ! -f /tmp/x ]; do sleep 0.1; done"));
      first.startContainer(ends);
      long supervisor = first.supervisorPid();
      first.close(); // as an agent killed with -9: nothing is stopped

      // While no runtime is connected, one container ends (killed: exit 137 recorded by the supervisor).
      ProcessHandle.of(pid(root, ends)).orElseThrow().destroyForcibly();
      Path exit = root.resolve("containers").resolve(ends).resolve(ContainerRecord.EXIT_FILE);
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (!Files.exists(exit) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertTrue(Files.exists(exit), "the supervisor recorded the exit in " + exit);

      second = new RuncRuntime(root, new SimpleMeterRegistry(), Clock.systemUTC());
      assertEquals(supervisor, second.supervisorPid(), "the running supervisor is found again");
      ContainerInfo r = second.containerStatus(runs).orElseThrow(() -> new AssertionError("runs not adopted"));
      assertEquals(ContainerInfo.State.RUNNING, r.state());
      assertEquals("runs", r.name());
      assertEquals(sb, r.sandboxId());
      ContainerInfo e = second.containerStatus(ends).orElseThrow(() -> new AssertionError("ends not adopted"));
      assertEquals(ContainerInfo.State.EXITED, e.state());
      assertEquals(137, e.exitCode());
      assertEquals("killed by signal 9", e.message());
      assertEquals(2, second.listContainers().size());
      List<ContainerRecord> listed = SupervisorClient.connectOrStart(new SupervisorFiles(root),
          RuncRuntime.findRunc().orElseThrow()).list();
      assertEquals(java.util.Set.of(runs, ends), listed.stream().map(ContainerRecord::id)
          .collect(java.util.stream.Collectors.toSet()), "LIST: " + listed);
      ContainerRecord endsRecord = listed.stream().filter(x -> x.id().equals(ends)).findFirst().orElseThrow();
      assertEquals(137, endsRecord.exitCode());
      assertTrue(endsRecord.exited() && endsRecord.finishedAt() != null && endsRecord.pid() > 0, endsRecord.toString());

      // Stopping through the new runtime still works: the supervisor is still the container's parent.
      second.stopContainer(runs, Duration.ZERO);
      assertEquals(137, second.containerStatus(runs).orElseThrow().exitCode());
      assertEquals("Error", second.containerStatus(runs).orElseThrow().reason());
      second.removePodSandbox(sb);
      assertEquals(List.of(), second.listContainers());
    } finally {
      if (second != null) {
        cleanUp(second);
      }
    }
  }

  @Test
  void whenTheSupervisorItselfIsKilledANewOneTakesOverTheContainersThatStillRun() throws Exception {
    RuncHost.require();
    ImageInfo busybox = BusyboxImage.seed(new ImageStore(dir.resolve("images")));
    Path root = dir.resolve("runtime");
    RuncRuntime runtime = new RuncRuntime(root, new SimpleMeterRegistry(), Clock.systemUTC());
    try {
      String sb = sandbox(runtime);
      // Quiet on purpose: with its log reader gone, a container writing to its stdout gets SIGPIPE.
      String quiet = runtime.createContainer(sb, container(busybox, "quiet", "sleep 1000"));
      runtime.startContainer(quiet);
      long killed = runtime.supervisorPid();
      ProcessHandle.of(killed).orElseThrow().destroyForcibly(); // SIGKILL, as an OOM killer would

      // The runtime notices and starts (or finds) a new supervisor, which finds the container running.
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (runtime.supervisorPid() == killed && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertNotEquals(killed, runtime.supervisorPid(), "a new supervisor took over");
      Thread.sleep(500);
      assertEquals(ContainerInfo.State.RUNNING, runtime.containerStatus(quiet).orElseThrow().state(),
          "the container still runs and is still known");

      runtime.stopContainer(quiet, Duration.ZERO);
      ContainerInfo gone = runtime.containerStatus(quiet).orElseThrow();
      assertEquals(ContainerInfo.State.EXITED, gone.state());
      assertEquals(ContainerRecord.UNKNOWN_EXIT_CODE, gone.exitCode());
      assertEquals(ContainerRecord.STATUS_UNKNOWN, gone.reason());
      runtime.removePodSandbox(sb);
    } finally {
      cleanUp(runtime);
    }
  }

  @Test
  void badRequestsGetAnErrorNamingWhatIsWrongAndChangeNothing() throws Exception {
    RuncHost.require();
    Path root = dir.resolve("runtime");
    RuncRuntime runtime = new RuncRuntime(root, new SimpleMeterRegistry(), Clock.systemUTC());
    try {
      SupervisorFiles files = new SupervisorFiles(root);
      SupervisorClient client = SupervisorClient.connectOrStart(files, RuncRuntime.findRunc().orElseThrow());
      assertEquals(runtime.supervisorPid(), client.pid(), "one supervisor per state dir");
      assertFalse(client.startedNow());
      SupervisorClient.SupervisorException e = assertThrows(SupervisorClient.SupervisorException.class,
          () -> client.start("nope"));
      assertEquals("no container nope under supervision", e.getMessage());
      e = assertThrows(SupervisorClient.SupervisorException.class,
          () -> client.create("../escape", root, root.resolve("x.log"), null));
      assertTrue(e.getMessage().startsWith("create needs an id (letters, digits"), e.getMessage());
      e = assertThrows(SupervisorClient.SupervisorException.class,
          () -> client.create("c1", root.resolve("containers/c1"), root.resolve("logs/c1.log"), null));
      assertTrue(e.getMessage().startsWith("cannot prepare c1: ") && e.getMessage().toLowerCase().contains("no such file"),
          e.getMessage());
      try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        ch.connect(UnixDomainSocketAddress.of(files.socket()));
        ch.write(ByteBuffer.wrap("{not json\n".getBytes(StandardCharsets.UTF_8)));
        String reply = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8))
            .readLine();
        assertTrue(reply.contains("\"error\":\"bad request {not json"), reply);
      }
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(files.socket())));
      assertEquals(List.of(), runtime.listContainers(), "nothing was created");
    } finally {
      cleanUp(runtime);
    }
  }

  private static int pid(Path root, String id) throws Exception {
    return Integer.parseInt(Files.readString(root.resolve("containers").resolve(id).resolve("pid")).trim());
  }

  private static void cleanUp(RuncRuntime runtime) throws InterruptedException {
    long pid = runtime.supervisorPid();
    for (ContainerInfo c : runtime.listContainers()) {
      runtime.removeContainer(c.id());
    }
    runtime.close();
    // With nothing left and no runtime watching, the supervisor exits by itself.
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertTrue(ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), "the supervisor " + pid + " exited");
  }
}
