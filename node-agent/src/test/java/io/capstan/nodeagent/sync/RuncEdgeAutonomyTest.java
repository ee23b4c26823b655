package io.capstan.nodeagent.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Container;
import io.capstan.api.ContainerStatus;
import io.capstan.api.EmptyDirVolumeSource;
import io.capstan.api.ExecAction;
import io.capstan.api.Pod;
import io.capstan.api.Probe;
import io.capstan.api.Volume;
import io.capstan.api.VolumeMount;
import io.capstan.nodeagent.AgentCluster;
import io.capstan.nodeagent.NodeAgent;
import io.capstan.nodeagent.image.BusyboxImage;
import io.capstan.nodeagent.runtime.ContainerInfo;
import io.capstan.nodeagent.runtime.runc.RuncHost;
import io.capstan.stateviews.kafka.EmbeddedKafkaBroker;
import io.capstan.stateviews.testing.KafkaFixture;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 20's edge autonomy: the node agent keeps its pods while Kafka is away. The test's own
 * broker (not the JVM's shared one) is stopped for more than {@link #MIN_OUTAGE} while a pod runs
 * a container that exits every second and a container with a liveness probe. Without the broker
 * the agent keeps restarting the one (with CrashLoopBackOff's back-off) and keeps probing the
 * other, killing and restarting it when the probe fails, all seen through the runtime since the
 * API is away; it logs one warning about the outage, not one per write. When the broker is
 * back the agent publishes the statuses it kept by itself, and the API shows the restart counts
 * it kept, each start having happened exactly once per exit.
 *
 * <p>The issue speaks of minutes; the agent's code path is the same after 30 s as after ten
 * minutes (nothing is sent while the link is down but one probe write at a time, statuses are
 * kept one per pod), so the test stops the broker for the half minute it takes to see that.
 */
class RuncEdgeAutonomyTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final Duration MIN_OUTAGE = Duration.ofSeconds(30);
  static Path brokerDir;
  static EmbeddedKafkaBroker broker;
  static int brokerPort;
  static AgentCluster cluster;
  static NodeAgent agent;
  static String node;
  static Path dataDir;
  /** Warnings of Capstan's own loggers (Kafka's clients say each second that they cannot connect: counted apart). */
  static final List<String> warnings = Collections.synchronizedList(new ArrayList<>());
  static final java.util.concurrent.atomic.AtomicInteger kafkaClientWarnings = new java.util.concurrent.atomic.AtomicInteger();
  static AbstractAppender capture;
  static io.capstan.stateviews.informer.Informer<io.capstan.api.Lease> leases;

  @BeforeAll
  static void start() throws Exception {
    RuncHost.require();
    brokerDir = KafkaFixture.tempDir("edge-kafka");
    broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.of(brokerDir, 0));
    brokerPort = broker.port();
    cluster = new AgentCluster("edge", Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap()));
    node = "edge-" + Long.toHexString(System.nanoTime() & 0xffffff);
    dataDir = KafkaFixture.tempDir("edge-data");
    agent = cluster.startRuncAgent(node, dataDir, null);
    leases = cluster.informers.informerFor(io.capstan.logschema.kinds.Kinds.LEASE, io.capstan.api.Lease.class);
    cluster.informers.start();
    cluster.informers.awaitSynced(WAIT);
    capture = new AbstractAppender("edge-warnings", null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent e) {
        if (!e.getLevel().isMoreSpecificThan(Level.WARN)) {
          return;
        }
        if (!e.getLoggerName().startsWith("io.capstan.")) {
          kafkaClientWarnings.incrementAndGet();
        } else {
          warnings.add(e.getLoggerName() + " [" + e.getThreadName() + "] " + e.getMessage().getFormattedMessage());
        }
      }
    };
    capture.start();
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    ctx.getConfiguration().getRootLogger().addAppender(capture, Level.WARN, null);
    ctx.updateLoggers();
  }

  @AfterAll
  static void stop() throws Exception {
    if (capture != null) {
      LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
      ctx.getConfiguration().getRootLogger().removeAppender(capture.getName());
      ctx.updateLoggers();
    }
    if (broker == null && brokerPort != 0) {
      broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.of(brokerDir, brokerPort));
    }
    if (agent != null && cluster != null) {
      cluster.stopAgent(agent);
    }
    if (cluster != null) {
      cluster.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void withTheBrokerStoppedThePodKeepsRunningRestartingAndProbingAndItsStatusArrivesAfterwards() throws Exception {
    Pod created = cluster.run(edgePod(), node);
    Path data = dataDir.resolve("pods").resolve(created.getMetadata().getUid()).resolve("volumes/data");
    cluster.await("edge", WAIT, "both containers started", p -> status(p, "watched") != null
        && status(p, "watched").getState().getRunning() != null && status(p, "crasher") != null);
    awaitTrue(() -> lines(data.resolve("probes")) > 0, "the liveness probe runs");

    // ---- the broker goes away ----
    int crasherAtStop = attempt("crasher");
    long probesAtStop = lines(data.resolve("probes"));
    warnings.clear();
    kafkaClientWarnings.set(0);
    long cpuAtStop = ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class)
        .getProcessCpuTime();
    Map<Long, Long> threadCpuAtStop = threadCpu();
    long stoppedAt = System.nanoTime();
    broker.close();
    broker = null;
    // The broker's shutdown answers the produce requests in flight with errors, a line per
    // partition (hundreds, once, when a transaction was being written): not a client repeating
    // itself while the broker is away, which is what the bound below is about.
    kafkaClientWarnings.set(0);

    // The crashing container is restarted (twice: the first back-off is 10 s, the second 20 s).
    awaitTrue(() -> attempt("crasher") >= crasherAtStop + 2, "crasher restarted twice without Kafka (attempt "
        + crasherAtStop + " at the stop)");
    // The liveness probe keeps running, and acts: a failing probe kills the container, which restarts.
    Files.writeString(data.resolve("unhealthy"), "now");
    awaitTrue(() -> attempt("watched") >= 1, "watched restarted by its failing liveness probe without Kafka");
    long probesSince = lines(data.resolve("probes")) - probesAtStop;
    assertTrue(probesSince >= 5, "probes ran while Kafka was away: " + probesSince);
    long left = MIN_OUTAGE.toNanos() - (System.nanoTime() - stoppedAt);
    if (left > 0) {
      Thread.sleep(left / 1_000_000); // the outage lasts at least MIN_OUTAGE, whatever the runtime's pace
    }
    // The agent says the log is away at its first unanswered write: one whose attempts all timed out
    // (3 x 10 s), so up to about 30 s after the stop, plus the write's own wait to be sent.
    awaitTrue(() -> gauge("capstan_node_agent_log_reachable") == 0.0, "the agent says the log is away");
    int crasherKept = attempt("crasher");
    int watchedKept = attempt("watched");
    assertEquals(1.0, gauge("capstan_node_agent_pod_statuses_waiting"), "one status kept, the pod's latest");
    long outageMs = (System.nanoTime() - stoppedAt) / 1_000_000;
    long cpuMs = (ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class)
        .getProcessCpuTime() - cpuAtStop) / 1_000_000;
    List<String> outageWarnings = List.copyOf(warnings);
    int outageKafkaWarnings = kafkaClientWarnings.get();
    Map<String, Long> cpuByThread = cpuByThreadGroup(threadCpuAtStop);
    System.out.println("edge outage: " + outageMs + " ms, process CPU " + cpuMs + " ms, crasher attempts "
        + crasherAtStop + " -> " + crasherKept + ", probes " + probesSince + ", Kafka client warnings "
        + outageKafkaWarnings + ", Capstan warnings " + outageWarnings.size() + ": " + outageWarnings
        + "; CPU ms by thread: " + cpuByThread);
    // No thread of the agent spins while the log is away: its pod workers and timer do the pod's
    // work (a restart now and then, an exec probe a second), far from a core's worth.
    long agentCpuMs = cpuByThread.entrySet().stream().filter(e -> e.getKey().startsWith("capstan-pod-worker-")
        || e.getKey().startsWith("capstan-node-agent-timer-") || e.getKey().startsWith("capstan-command-"))
        .mapToLong(Map.Entry::getValue).sum();
    assertTrue(agentCpuMs < outageMs / 4, "the agent's threads used " + agentCpuMs + " ms of CPU in " + outageMs
        + " ms without Kafka: " + cpuByThread);

    // ---- the broker is back ----
    broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.of(brokerDir, brokerPort));
    java.time.Instant backAt = java.time.Instant.now();
    Pod after = cluster.await("edge", WAIT, "the restart counts the agent kept",
        p -> status(p, "crasher") != null && status(p, "crasher").getRestartCount() >= crasherKept
            && status(p, "watched") != null && status(p, "watched").getRestartCount() >= watchedKept);
    ContainerStatus watched = status(after, "watched");
    assertNotNull(watched.getLastState().getTerminated(), watched.toString());
    assertEquals(137, watched.getLastState().getTerminated().getExitCode(), "killed by the liveness probe: " + watched);

    for (String c : List.of("crasher", "watched")) {
      awaitTrue(() -> cluster.pods.get("default", "edge").map(p -> status(p, c)).map(ContainerStatus::getRestartCount)
          .orElse(-1) == attempt(c), c + ": the API's restartCount is the runtime's attempt");
    }
    awaitTrue(() -> gauge("capstan_node_agent_log_reachable") == 1.0, "the agent says the log is back");
    awaitTrue(() -> leases.get("kube-node-lease", node).map(l -> l.getSpec().getRenewTime())
        .map(t -> java.time.Instant.parse(t).isAfter(backAt)).orElse(false), "the node's Lease renewed again");
    awaitTrue(() -> gauge("capstan_node_agent_pod_statuses_waiting") == 0.0, "no status waits any more");
    assertEquals(1.0, cluster.registry.get("capstan_node_agent_log_outages_total").tag("node", node).counter().count(),
        "one outage");

    // Exactly one start per attempt, none twice for one exit: the containers append a line each
    // time they start (waited for while the attempt stands still: a start's line may lag its attempt).
    for (String c : List.of("crasher", "watched")) {
      Path starts = data.resolve(c + "-starts");
      awaitTrue(() -> {
        int a = attempt(c);
        return lines(starts) == a + 1 && attempt(c) == a;
      }, c + ": one start per attempt (" + lines(starts) + " starts, attempt " + attempt(c) + ")");
    }
    assertTrue(outageWarnings.size() <= 3, "no flood of warnings while Kafka was away: " + outageWarnings);
    // Kafka's clients' "could not connect" lines are held back by the logging configuration's burst filter.
    // Every Kafka client alive in this JVM counts (the module's earlier tests leave some): 7 when
    // run alone, 69 once in the whole module's run on CI; a flood would be thousands. Counted from
    // when the broker has stopped: a CI run failed at 257, nearly all its processor producer's
    // errors for the produce requests in flight when the broker shut down, logged at once.
    assertTrue(outageKafkaWarnings <= 150, "Kafka client warnings while Kafka was away: " + outageKafkaWarnings);
  }

  /** A container that exits 1 a second after each start, and one that runs with a liveness probe. */
  private static Pod edgePod() {
    VolumeMount mount = VolumeMount.newBuilder().setName("data").setMountPath("/data").build();
    Container crasher = AgentCluster.container("crasher", BusyboxImage.NAME, "sh", "-c",
        "echo start >> /data/crasher-starts; sleep 1; exit 1");
    crasher.setVolumeMounts(List.of(mount));
    Container watched = AgentCluster.container("watched", BusyboxImage.NAME, "sh", "-c",
        "rm -f /data/unhealthy; echo start >> /data/watched-starts; exec sleep 3600");
    watched.setVolumeMounts(List.of(mount));
    watched.setLivenessProbe(Probe.newBuilder().setExec(ExecAction.newBuilder().setCommand(List.of("sh", "-c",
            "echo probe >> /data/probes; test ! -e /data/unhealthy")).build())
        .setPeriodSeconds(1).setFailureThreshold(2).setTimeoutSeconds(10).setInitialDelaySeconds(2)
        .setTerminationGracePeriodSeconds(1L)
        .build());
    Pod pod = AgentCluster.pod("edge", "Always", crasher, watched);
    pod.getSpec().setVolumes(List.of(Volume.newBuilder().setName("data")
        .setEmptyDir(EmptyDirVolumeSource.newBuilder().build()).build()));
    return pod;
  }

  /** The attempt (restart count) of the pod's container as the runtime has it: the API is not asked. */
  private static int attempt(String container) {
    return agent.runtime().listContainers().stream().filter(c -> c.name().equals(container))
        .mapToInt(ContainerInfo::attempt).max().orElse(-1);
  }

  private static Map<Long, Long> threadCpu() {
    java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<Long, Long> out = new java.util.HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      long t = threads.getThreadCpuTime(id);
      if (t >= 0) {
        out.put(id, t);
      }
    }
    return out;
  }

  /** CPU ms used since {@code before} by the live threads, summed by name with the digits at the end dropped, most first. */
  private static Map<String, Long> cpuByThreadGroup(Map<Long, Long> before) {
    java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<String, Long> byName = new java.util.HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      long t = threads.getThreadCpuTime(id);
      java.lang.management.ThreadInfo info = threads.getThreadInfo(id);
      if (t >= 0 && info != null) {
        String name = info.getThreadName().replaceAll("[-0-9]+$", "-");
        byName.merge(name, (t - before.getOrDefault(id, 0L)) / 1_000_000, Long::sum);
      }
    }
    Map<String, Long> sorted = new java.util.LinkedHashMap<>();
    byName.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(12)
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    return sorted;
  }

  private static double gauge(String name) {
    return cluster.registry.get(name).tag("node", node).gauge().value();
  }

  private static long lines(Path file) throws Exception {
    return Files.exists(file) ? Files.readAllLines(file).size() : 0;
  }

  private static ContainerStatus status(Pod p, String name) {
    List<ContainerStatus> cs = p.getStatus() == null ? null : p.getStatus().getContainerStatuses();
    return cs == null ? null : cs.stream().filter(c -> c.getName().equals(name)).findFirst().orElse(null);
  }

  private static void awaitTrue(Await.Check check, String what) throws Exception {
    Await.until(WAIT, Duration.ofMillis(100), check, what);
  }
}
