package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Container;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.nodeagent.image.BusyboxImage;
import io.capstan.nodeagent.runtime.runc.RuncRuntime;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

/**
 * {@code kill -9} of {@code capstan up} with real runc containers (issue 6: "Agent killed with -9
 * and restarted: running containers keep running, no duplicates, statuses correct"): the pod's
 * container keeps running under the node's runtime supervisor, and the next {@code up} on the
 * same data dir adopts it (same containerID, restartCount 0) instead of starting another; a
 * clean stop afterwards still removes everything and the supervisor exits.
 */
class UpKilledKeepsContainersTest {
  /** The test's own clients opened sessions with the child's certificates (ComponentCertificates.install). */
  @org.junit.jupiter.api.AfterEach
  void clearSessions() {
    io.capstan.logschema.session.ComponentSessions.clear();
  }

  private static final Duration READY = ChildCapstan.UP_READY;
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String READY_LINE = "capstan ready: api=(\\S+) kubeconfig=(\\S+) kafka=(\\S+) metrics=(\\S+)$";

  @Test
  void sigkillOfUpLeavesThePodsContainerRunningAndTheNextUpAdoptsIt() throws Exception {
    RuncUp.requireRunc();
    Path work = KafkaFixture.tempDir("up-kill");
    Path dataDir = work.resolve("data");
    TopicLayout layout = TopicLayout.defaults();
    Path supervisorPid = dataDir.resolve("node-agent/runtime/supervisor.pid");
    try {
      String container;
      long supervisor;
      try (ChildCapstan up = RuncUp.start(work, dataDir)) {
        String kafka = up.awaitLine(READY_LINE, READY).group(3);
        io.capstan.gateway.security.ComponentCertificates.install(dataDir.resolve("pki")); // the processor takes only authenticated commands
        createPod(kafka, layout);
        try (Informer<Pod> pods = RuncUp.podInformer(kafka, layout, "up-kill-test")) {
          container = RuncUp.containerId(RuncUp.await(pods, "web", WAIT, RuncUp::running, "web Running"));
        }
        supervisor = Long.parseLong(Files.readString(supervisorPid).trim());
      } // close(): SIGKILL, no chance to stop anything

      List<String> left = RuncUp.runcContainers(dataDir);
      assertEquals(1, left.stream().filter(l -> l.contains(" running ")).count(),
          "web's container runs on after up was killed: " + left);
      assertTrue(ProcessHandle.of(supervisor).map(ProcessHandle::isAlive).orElse(false), "the supervisor runs on");

      try (ChildCapstan again = RuncUp.start(work, dataDir)) {
        String kafka = again.awaitLine(READY_LINE, READY).group(3);
        try (Informer<Pod> pods = RuncUp.podInformer(kafka, layout, "up-kill-test")) {
          Pod web = RuncUp.await(pods, "web", WAIT, p -> RuncUp.running(p) && container.equals(RuncUp.containerId(p)), "web Running in the same container");
          Thread.sleep(2000); // the new agent's syncs and relists have run
          web = pods.get("default", "web").orElseThrow();
          assertEquals(container, RuncUp.containerId(web), "adopted, not started again: " + web.getStatus());
          assertEquals(0, web.getStatus().getContainerStatuses().get(0).getRestartCount());
        }
        List<String> now = RuncUp.runcContainers(dataDir);
        assertEquals(1, now.size(), "exactly one container, the adopted one: " + now);
        assertEquals(0, again.terminate(Duration.ofMinutes(1)), "exit status after SIGTERM; stderr:\n" + again.stderr());
      }
      assertEquals(List.of(), RuncUp.runcContainers(dataDir), "no runc container left after the clean stop");
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (ProcessHandle.of(supervisor).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertFalse(ProcessHandle.of(supervisor).map(ProcessHandle::isAlive).orElse(false),
          "the supervisor exits once a clean stop left it nothing to supervise");
    } finally {
      removeWhatIsLeft(dataDir, supervisorPid);
    }
  }

  private static void removeWhatIsLeft(Path dataDir, Path supervisorPid) throws Exception {
    String runc = RuncRuntime.findRunc().orElse("runc");
    String root = dataDir.resolve("node-agent/runtime/runc-state").toString();
    for (String line : RuncUp.runcContainers(dataDir)) {
      new ProcessBuilder(runc, "--root", root, "delete", "--force", line.split(" ")[0]).inheritIO().start()
          .waitFor(30, TimeUnit.SECONDS);
    }
    if (Files.exists(supervisorPid)) {
      ProcessHandle.of(Long.parseLong(Files.readString(supervisorPid).trim())).ifPresent(ProcessHandle::destroy);
    }
    String under = dataDir.toAbsolutePath() + "/";
    for (String m : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      if (m.split(" ")[4].startsWith(under)) {
        new ProcessBuilder("umount", "-l", m.split(" ")[4]).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
      }
    }
  }



  private static void createPod(String bootstrap, TopicLayout layout) throws Exception {
    Map<String, Object> kafka = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "up-kill-test"),
        new SimpleMeterRegistry())) {
      Pod web = Pod.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setName("web").setNamespace("default").build())
          .setSpec(PodSpec.newBuilder().setRestartPolicy("Always").setTerminationGracePeriodSeconds(5L)
              .setContainers(List.of(Container.newBuilder().setName("main").setImage(BusyboxImage.NAME)
                  .setCommand(List.of("sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done")).build())).build())
          .build();
      assertInstanceOf(CommandResult.Accepted.class, client.create(web).get(30, TimeUnit.SECONDS));
    }
  }





}
