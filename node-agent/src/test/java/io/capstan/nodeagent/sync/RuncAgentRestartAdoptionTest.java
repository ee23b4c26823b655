package io.capstan.nodeagent.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Container;
import io.capstan.api.ContainerStatus;
import io.capstan.api.Pod;
import io.capstan.api.Volume;
import io.capstan.api.VolumeMount;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.nodeagent.AgentCluster;
import io.capstan.nodeagent.AgentMain;
import io.capstan.nodeagent.NodeAgent;
import io.capstan.nodeagent.NodeAgentConfig;
import io.capstan.nodeagent.image.BusyboxImage;
import io.capstan.nodeagent.runtime.runc.RuncHost;
import io.capstan.nodeagent.runtime.runc.RuncRuntime;
import io.capstan.stateviews.testing.KafkaFixture;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 6's "agent killed with -9 and restarted": a node agent runs in a JVM of its own and is
 * killed with SIGKILL; its containers keep running under the runtime supervisor (their logs keep
 * growing), containers that end meanwhile have their exit codes recorded, and a new agent on the
 * same data dir adopts them all: no duplicate starts, the same containerIDs, restart counts and
 * exit codes as they really are, and restart policies applied to what ended.
 */
class RuncAgentRestartAdoptionTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static AgentCluster cluster;
  static String node;
  static Path dataDir;
  static Process child;
  static NodeAgent agent;

  @BeforeAll
  static void start() throws Exception {
    RuncHost.require();
    cluster = new AgentCluster("agent-adopt");
    node = "adopt-" + Long.toHexString(System.nanoTime() & 0xffffff);
    dataDir = KafkaFixture.tempDir("agent-adopt-data");
  }

  @AfterAll
  static void stop() throws Exception {
    if (child != null && child.isAlive()) {
      child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    if (agent != null) {
      agent.closeStoppingContainers(Duration.ofSeconds(2));
    }
    // Whatever an assertion left behind: no container, mount or supervisor outlives the test.
    Path runcRoot = dataDir.resolve("runtime/runc-state");
    for (String id : runcList(runcRoot)) {
      String[] f = id.split("\\s+");
      run(RuncRuntime.findRunc().orElse("runc"), "--root", runcRoot.toString(), "delete", "--force", f[0]);
    }
    Path pidFile = dataDir.resolve("runtime/supervisor.pid");
    if (Files.exists(pidFile)) {
      ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).ifPresent(ProcessHandle::destroy);
    }
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String mountPoint = line.split(" ")[4];
      if (mountPoint.startsWith(dataDir.toString() + "/")) {
        run("umount", "-l", mountPoint);
      }
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void anAgentKilledWithSigkillLeavesItsContainersRunningAndTheNextOneAdoptsThem() throws Exception {
    child = startChildAgent();

    // A ticker that prints every 100 ms, and two containers that exit 3 once the test says so.
    Pod ticker = cluster.run(AgentCluster.pod("ticker", "Always", AgentCluster.container("main", BusyboxImage.NAME,
        "sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done")), node);
    Pod never = cluster.run(exitOnSignal("never", "Never"), node);
    Pod onFailure = cluster.run(exitOnSignal("onfailure", "OnFailure"), node);
    cluster.run(AgentCluster.pod("gone", "Always", AgentCluster.container("main", BusyboxImage.NAME, "sleep", "1000")),
        node);
    Pod tickerRunning = cluster.await("ticker", WAIT, "Running", RuncAgentRestartAdoptionTest::running);
    Pod neverRunning = cluster.await("never", WAIT, "Running", RuncAgentRestartAdoptionTest::running);
    Pod onFailureRunning = cluster.await("onfailure", WAIT, "Running", RuncAgentRestartAdoptionTest::running);
    String goneId = status(cluster.await("gone", WAIT, "Running", RuncAgentRestartAdoptionTest::running))
        .getContainerID().replace("runc://", "");
    String tickerId = status(tickerRunning).getContainerID();
    long supervisorPid = Long.parseLong(Files.readString(dataDir.resolve("runtime/supervisor.pid")).trim());

    child.destroyForcibly(); // SIGKILL: the agent gets no chance to stop or hand over anything
    assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the agent JVM died");
    assertEquals(137, child.exitValue(), "killed by SIGKILL");

    // The containers run on without an agent: the ticker's log keeps growing.
    Path tickerLog = containerLog(ticker);
    long before = Files.size(tickerLog);
    long after = before;
    // Several lines (about 45 bytes each, ten a second on a quiet machine; a loaded CI machine
    // has been seen to manage four in the first second).
    for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); after <= before + 200
        && System.nanoTime() < deadline; after = Files.size(tickerLog)) {
      Thread.sleep(100);
    }
    assertTrue(after > before + 200, "the ticker keeps logging without an agent: " + before + " -> " + after
        + " bytes in 10 s");
    assertEquals(4, runcList(dataDir.resolve("runtime/runc-state")).stream().filter(l -> l.contains(" running ")).count(),
        "all four containers still run: " + runcList(dataDir.resolve("runtime/runc-state")));

    // One pod is force-deleted while no agent runs: its container is an orphan for the next agent.
    assertInstanceOf(CommandResult.Accepted.class, cluster.client.delete(Kinds.POD, "default", "gone",
        DeleteOptions.newBuilder().setGracePeriodSeconds(0L).build()).get(30, TimeUnit.SECONDS));
    cluster.awaitGone("gone", WAIT);

    // Two containers end while no agent runs; the supervisor records their exits.
    String neverId = status(neverRunning).getContainerID().replace("runc://", "");
    String onFailureId = status(onFailureRunning).getContainerID().replace("runc://", "");
    Files.writeString(volume(never).resolve("exit"), "now");
    Files.writeString(volume(onFailure).resolve("exit"), "now");
    for (String id : List.of(neverId, onFailureId)) {
      Path exit = dataDir.resolve("runtime/containers").resolve(id).resolve("exit");
      awaitTrue(() -> Files.exists(exit), "the exit of " + id + " recorded at " + exit);
      assertTrue(Files.readString(exit).contains("\"exitCode\":3"), Files.readString(exit));
    }

    // A new agent on the same data dir adopts them.
    agent = new NodeAgent(NodeAgentConfig.defaults(cluster.kafka, cluster.layout, node, dataDir,
        NodeAgentConfig.RuntimeKind.RUNC).withRelistPeriod(Duration.ofMillis(200)).withPort(0), cluster.registry);
    agent.start(WAIT);
    assertEquals(supervisorPid, ((RuncRuntime) agent.runtime()).supervisorPid(), "the same supervisor is found again");
    assertEquals(4.0, cluster.registry.get("capstan_node_adopted_containers_total").counters().stream()
        .mapToDouble(c -> c.count()).sum(), "four containers adopted by the runtime");

    // Never: terminated with the real exit code, not restarted, the pod Failed.
    Pod neverAfter = cluster.await("never", WAIT, "Failed with exit code 3", p -> "Failed".equals(p.getStatus().getPhase()));
    ContainerStatus ns = status(neverAfter);
    assertNotNull(ns.getState().getTerminated(), ns.toString());
    assertEquals(3, ns.getState().getTerminated().getExitCode());
    assertEquals("Error", ns.getState().getTerminated().getReason());
    assertEquals(0, ns.getRestartCount());
    assertEquals("runc://" + neverId, ns.getContainerID(), "the same container");

    // OnFailure: restarted once, its last state the exit seen by the supervisor.
    Pod onFailureAfter = cluster.await("onfailure", WAIT, "restarted once",
        p -> running(p) && status(p).getRestartCount() == 1);
    ContainerStatus os = status(onFailureAfter);
    assertEquals(3, os.getLastState().getTerminated().getExitCode(), os.toString());
    assertEquals("runc://" + onFailureId, os.getLastState().getTerminated().getContainerID());
    assertFalse(os.getContainerID().endsWith(onFailureId), "a new container for the new attempt");

    // The ticker: still Running in the same container, restartCount 0, its start time kept.
    Thread.sleep(2000); // the new agent's syncs and relists have run; nothing must have restarted
    Pod tickerAfter = cluster.pods.get("default", "ticker").orElseThrow();
    ContainerStatus ts = status(tickerAfter);
    assertEquals("Running", tickerAfter.getStatus().getPhase());
    assertNotNull(ts.getState().getRunning(), ts.toString());
    assertEquals(tickerId, ts.getContainerID(), "the same container, not a new one");
    assertEquals(0, ts.getRestartCount());
    assertEquals(Boolean.TRUE, ts.getReady());
    assertEquals(status(tickerRunning).getState().getRunning().getStartedAt(), ts.getState().getRunning().getStartedAt());
    assertEquals(tickerRunning.getStatus().getStartTime(), tickerAfter.getStatus().getStartTime());
    List<String> containers = runcList(dataDir.resolve("runtime/runc-state"));
    assertEquals(1, containers.stream().filter(l -> l.startsWith(tickerId.replace("runc://", "") + " ")).count(),
        "exactly one runc container for the ticker: " + containers);
    assertEquals(2, containers.stream().filter(l -> l.contains(" running ")).count(),
        "the ticker and onfailure's second attempt run, nothing else: " + containers);
    assertTrue(containers.stream().noneMatch(l -> l.startsWith(goneId + " ")),
        "the container of the pod deleted meanwhile is removed: " + containers);
    long adopted = Files.size(tickerLog);
    Thread.sleep(500);
    assertTrue(Files.size(tickerLog) > adopted, "the adopted ticker still logs");

    // A clean stop removes every container, and the supervisor, with nothing left, exits.
    agent.closeStoppingContainers(Duration.ofSeconds(2));
    agent = null;
    assertEquals(List.of(), runcList(dataDir.resolve("runtime/runc-state")), "no container after a clean stop");
    awaitTrue(() -> ProcessHandle.of(supervisorPid).map(p -> !p.isAlive()).orElse(true),
        "the runtime supervisor exits once it supervises nothing");
  }

  /** A container that runs until a file appears in its emptyDir, then exits 3 (a second attempt waits again). */
  private static Pod exitOnSignal(String name, String restartPolicy) {
    Container c = AgentCluster.container("main", BusyboxImage.NAME, "sh", "-c",
        "while [ ! -f /data/exit ]; do sleep 0.1; done; rm -f /data/exit; exit 3");
    c.setVolumeMounts(List.of(VolumeMount.newBuilder().setName("data").setMountPath("/data").build()));
    Pod pod = AgentCluster.pod(name, restartPolicy, c);
    pod.getSpec().setVolumes(List.of(Volume.newBuilder().setName("data")
        .setEmptyDir(io.capstan.api.EmptyDirVolumeSource.newBuilder().build()).build()));
    return pod;
  }

  private static Path volume(Pod p) {
    return dataDir.resolve("pods").resolve(p.getMetadata().getUid()).resolve("volumes/data");
  }

  private static Path containerLog(Pod p) throws Exception {
    try (Stream<Path> s = Files.walk(dataDir.resolve("logs"))) {
      return s.filter(f -> f.toString().contains(p.getMetadata().getUid()) && f.toString().endsWith(".log")).findFirst()
          .orElseThrow(() -> new AssertionError("no log of " + p.getMetadata().getName() + " under " + dataDir));
    }
  }

  private static boolean running(Pod p) {
    return p.getStatus() != null && "Running".equals(p.getStatus().getPhase()) && status(p) != null
        && status(p).getState().getRunning() != null;
  }

  private static ContainerStatus status(Pod p) {
    List<ContainerStatus> cs = p.getStatus() == null ? null : p.getStatus().getContainerStatuses();
    return cs == null || cs.isEmpty() ? null : cs.get(0);
  }

  private static Process startChildAgent() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx384m", "-cp", System.getProperty("java.class.path"), AgentMain.class.getName(),
        KafkaFixture.bootstrap(), cluster.layout.prefix(), node, dataDir.toString()));
    File log = dataDir.resolveSibling(dataDir.getFileName() + "-child-agent.log").toFile();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    child = p; // stopped by stop() even when it never gets ready
    Thread pump = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
           var out = new java.io.PrintWriter(new java.io.FileWriter(log, StandardCharsets.UTF_8), true)) {
        String line;
        while ((line = in.readLine()) != null) {
          out.println(line);
          if (line.equals(AgentMain.READY)) {
            synchronized (RuncAgentRestartAdoptionTest.class) {
              RuncAgentRestartAdoptionTest.class.notifyAll();
            }
          }
        }
      } catch (java.io.IOException ignored) {
        // the child is gone
      }
    }, "child-agent-output");
    pump.setDaemon(true);
    pump.start();
    awaitTrue(() -> Files.exists(log.toPath()) && Files.readString(log.toPath()).contains(AgentMain.READY)
        || !p.isAlive(), "the child agent ready");
    assertTrue(p.isAlive(), "the child agent runs; its output: " + Files.readString(log.toPath()));
    return p;
  }

  private static void awaitTrue(Await.Check check, String what) throws Exception {
    Await.until(WAIT, Duration.ofMillis(50), check, what);
  }

  /** {@code runc list} lines without the header: {@code ID PID STATUS BUNDLE CREATED OWNER}. */
  private static List<String> runcList(Path root) throws Exception {
    Process p = new ProcessBuilder(RuncRuntime.findRunc().orElseThrow(), "--root", root.toString(), "list")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    return out.lines().skip(1).filter(l -> !l.isBlank()).map(l -> l.replaceAll("\\s+", " ")).toList();
  }

  private static void run(String... cmd) throws Exception {
    new ProcessBuilder(cmd).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
  }
}
