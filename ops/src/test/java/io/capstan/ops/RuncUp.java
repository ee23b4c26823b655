package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ContainerStatus;
import io.capstan.api.Pod;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.nodeagent.runtime.runc.RuncRuntime;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import org.junit.jupiter.api.Assertions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * What the tests of {@code capstan up} with real runc containers share: the machine check, the
 * child {@code up} on free ports, a pod informer on its Kafka, waiting for a pod, and what runc
 * and the mount table say is left under the data dir.
 */
final class RuncUp {
  private RuncUp() {}

  /** Fails the test, naming the package, when the machine can't run runc containers. */
  static void requireRunc() {
    RuncRuntime.machineProblem().ifPresent(Assertions::fail);
  }

  /**
   * What a scenario runs against: its work dir, up's data dir, the API's address, a kubeconfig for
   * up, and the namespace that kubeconfig's context works in.
   */
  record Cluster(Path work, Path data, String api, Path kubeconfig, String namespace) {}

  /** A kubectl scenario against a running {@code capstan up}. */
  interface Scenario {
    void run(Cluster cluster) throws Exception;
  }

  /**
   * Runs {@code scenario} against a fresh {@code capstan up} with a real runc node: fails naming
   * what to install when runc or kubectl is missing, starts {@code up} in {@code <temp>/<name>},
   * waits until it is ready, runs the scenario, then stops {@code up} with SIGTERM and checks that
   * it exits 0 and leaves no container. When the scenario fails, {@code onFailure} (if any) runs
   * before {@code up} is stopped.
   */
  static void scenario(String name, Scenario scenario, Scenario onFailure) throws Exception {
    requireRunc();
    if (!Files.isExecutable(Path.of("/usr/bin/kubectl"))) {
      Assertions.fail("kubectl is needed: apt-get install kubernetes-client");
    }
    Path work = io.capstan.stateviews.testing.KafkaFixture.tempDir(name);
    Path data = work.resolve("data");
    try (ChildCapstan up = start(work, data)) {
      java.util.regex.Matcher ready = up.awaitLine("capstan ready: api=(\\S+) kubeconfig=(\\S+) ", ChildCapstan.UP_READY);
      Cluster cluster = new Cluster(work, data, ready.group(1), Path.of(ready.group(2)), "default");
      try {
        scenario.run(cluster);
      } catch (Throwable t) {
        if (onFailure != null) {
          try {
            onFailure.run(cluster);
          } catch (Exception e) {
            t.addSuppressed(e);
          }
        }
        up.terminate(Duration.ofMinutes(2));
        throw t;
      }
      assertEquals(0, up.terminate(Duration.ofMinutes(2)), "exit status after SIGTERM; stderr:\n" + up.stderr());
      assertEquals(List.of(), runcContainers(data), "no container left after a clean stop");
    }
  }

  static void scenario(String name, Scenario scenario) throws Exception {
    scenario(name, scenario, null);
  }

  /** {@code capstan up} on free ports with two partitions. */
  static ChildCapstan start(Path work, Path dataDir) {
    return ChildCapstan.start(work, "up", "--data-dir", dataDir.toString(), "--kafka-port", "0", "--metrics-port", "0",
        "--api-port", "0", "--partitions", "2");
  }

  static Informer<Pod> podInformer(String bootstrap, TopicLayout layout, String clientName) throws InterruptedException {
    Informer<Pod> inf = new Informer<>(InformerConfig.defaults(
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), layout, clientName), Kinds.POD, Pod.class,
        new SimpleMeterRegistry());
    inf.start();
    assertTrue(inf.awaitSynced(Duration.ofSeconds(60)), "pod informer synced");
    return inf;
  }

  static boolean running(Pod p) {
    return p.getStatus() != null && "Running".equals(p.getStatus().getPhase()) && containerId(p) != null
        && p.getStatus().getContainerStatuses().get(0).getState().getRunning() != null;
  }

  static String containerId(Pod p) {
    List<ContainerStatus> cs = p.getStatus() == null ? null : p.getStatus().getContainerStatuses();
    return cs == null || cs.isEmpty() ? null : cs.get(0).getContainerID();
  }

  /** The pod {@code default/name} once it satisfies the condition; fails with the last state seen. */
  static Pod await(Informer<Pod> pods, String name, Duration wait, Predicate<Pod> condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    Optional<Pod> p = Optional.empty();
    while (System.nanoTime() < deadline) {
      p = pods.get("default", name);
      if (p.isPresent() && condition.test(p.get())) {
        return p.get();
      }
      Thread.sleep(100);
    }
    throw new AssertionError(what + " not within " + wait + "; pod: " + p.map(Pod::toString).orElse("(none)"));
  }

  /** {@code runc list} of the node agent's runc root under the data dir, without its header, spaces squeezed. */
  static List<String> runcContainers(Path dataDir) throws Exception {
    Path root = dataDir.resolve("node-agent/runtime/runc-state");
    Process p = new ProcessBuilder(RuncRuntime.findRunc().orElseThrow(), "--root", root.toString(), "list")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), "runc list: " + out);
    return out.lines().skip(1).filter(l -> !l.isBlank()).map(l -> l.replaceAll("\\s+", " ")).toList();
  }

  /** Mounts of this machine whose mount point is under the data dir (the containers' overlay roots). */
  static List<String> mountsUnder(Path dataDir) throws Exception {
    String under = dataDir.toAbsolutePath().toString() + "/";
    return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
        .filter(l -> l.split(" ")[4].startsWith(under)).toList();
  }
}
