package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

/**
 * Ctrl-C on {@code capstan up} with real runc containers: the pods' containers are stopped and
 * removed (no runc container, no overlay mount left), {@code up} says so, and the next {@code up}
 * on the same data dir brings the running pod back to Running in a new container while a pod that
 * had completed stays Succeeded.
 */
class UpStopsPodContainersTest {
  /** The test's own clients opened sessions with the child's certificates (ComponentCertificates.install). */
  @org.junit.jupiter.api.AfterEach
  void clearSessions() {
    io.capstan.logschema.session.ComponentSessions.clear();
  }

  /** Generous: two full `up` starts on a shared 2-core machine. */
  private static final Duration READY = ChildCapstan.UP_READY;
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String READY_LINE = "capstan ready: api=(\\S+) kubeconfig=(\\S+) kafka=(\\S+) metrics=(\\S+)$";

  @Test
  void ctrlCStopsThePodsContainersAndTheNextUpRunsThemAgain() throws Exception {
    RuncUp.requireRunc();
    Path work = KafkaFixture.tempDir("up-stop");
    Path dataDir = work.resolve("data");
    TopicLayout layout = TopicLayout.defaults();
    try {
      stopStartAndStopAgain(work, dataDir, layout);
    } finally {
      removeWhatIsLeft(dataDir);
    }
  }

  private void stopStartAndStopAgain(Path work, Path dataDir, TopicLayout layout) throws Exception {
    String firstContainer;
    String onceContainer;
    try (ChildCapstan up = RuncUp.start(work, dataDir)) {
      String kafka = up.awaitLine(READY_LINE, READY).group(3);
      io.capstan.gateway.security.ComponentCertificates.install(dataDir.resolve("pki")); // the processor takes only authenticated commands
      createPods(kafka, layout);
      try (Informer<Pod> pods = RuncUp.podInformer(kafka, layout, "up-stop-test")) {
        Pod web = RuncUp.await(pods, "web", WAIT, RuncUp::running, "web Running in a container");
        firstContainer = RuncUp.containerId(web);
        onceContainer = RuncUp.containerId(RuncUp.await(pods, "once", WAIT,
            p -> p.getStatus() != null && "Succeeded".equals(p.getStatus().getPhase()), "once Succeeded"));
      }
      assertTrue(RuncUp.runcContainers(dataDir).stream().anyMatch(l -> l.contains("running")),
          "runc runs web's container: " + RuncUp.runcContainers(dataDir));
      assertTrue(!RuncUp.mountsUnder(dataDir).isEmpty(), "web's overlay root is mounted under the data dir");

      assertEquals(0, up.terminate(Duration.ofMinutes(1)), "exit status after SIGTERM; stderr:\n" + up.stderr());
      List<String> out = up.stdout();
      assertTrue(out.stream().anyMatch(l -> l.matches("node agent \\S+: stopped 1 container\\(s\\) of 1 pod\\(s\\);"
          + " the pods start again on the next `capstan up` with this data dir")), "the stop line: " + out);
      assertEquals("capstan stopped", out.get(out.size() - 1), out.toString());
    }
    assertEquals(List.of(), RuncUp.runcContainers(dataDir), "no runc container left after the stop");
    assertEquals(List.of(), RuncUp.mountsUnder(dataDir), "no overlay mount left under the data dir");

    try (ChildCapstan again = RuncUp.start(work, dataDir)) {
      String kafka = again.awaitLine(READY_LINE, READY).group(3);
      try (Informer<Pod> pods = RuncUp.podInformer(kafka, layout, "up-stop-test")) {
        Pod web = RuncUp.await(pods, "web", WAIT, p -> RuncUp.running(p) && !firstContainer.equals(RuncUp.containerId(p)),
            "web Running again, in a new container");
        assertNotEquals(firstContainer, RuncUp.containerId(web));
        Pod once = pods.get("default", "once").orElseThrow();
        assertEquals("Succeeded", once.getStatus().getPhase(), "a completed pod is not run again: " + once.getStatus());
        assertNotNull(once.getStatus().getContainerStatuses().get(0).getState().getTerminated(), once.getStatus().toString());
        assertEquals(onceContainer, RuncUp.containerId(once), "once keeps the status of its only run: " + once.getStatus());
      }
      assertEquals(1, RuncUp.runcContainers(dataDir).stream().filter(l -> l.contains("running")).count(),
          "one container runs again (web's; once's is not rerun): " + RuncUp.runcContainers(dataDir));
      assertEquals(0, again.terminate(Duration.ofMinutes(1)), "exit status after SIGTERM; stderr:\n" + again.stderr());
    }
    assertEquals(List.of(), RuncUp.runcContainers(dataDir), "no runc container left after the second stop");
    assertEquals(List.of(), RuncUp.mountsUnder(dataDir), "no overlay mount left after the second stop");
  }

  /**
   * When an assertion failed with a child killed mid-way: its containers and mounts must not
   * outlive the test (the temp dir is deleted when the JVM exits, runc's state with it).
   */
  private static void removeWhatIsLeft(Path dataDir) throws Exception {
    String runc = RuncRuntime.findRunc().orElse("runc");
    String root = dataDir.resolve("node-agent/runtime/runc-state").toString();
    Process list = new ProcessBuilder(runc, "--root", root, "list", "-q").redirectErrorStream(true).start();
    List<String> ids = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
        .filter(l -> l.matches("[0-9a-f]+")).toList();
    list.waitFor(30, TimeUnit.SECONDS);
    for (String id : ids) {
      new ProcessBuilder(runc, "--root", root, "delete", "--force", id).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
    }
    for (String m : RuncUp.mountsUnder(dataDir)) {
      new ProcessBuilder("umount", "-l", m.split(" ")[4]).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
    }
  }



  /** web runs until stopped (and exits at once on SIGTERM); once prints a line and completes. */
  private static void createPods(String bootstrap, TopicLayout layout) throws Exception {
    Map<String, Object> kafka = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "up-stop-test"),
        new SimpleMeterRegistry())) {
      assertInstanceOf(CommandResult.Accepted.class, client.create(pod("web", "Always",
          "trap 'exit 0' TERM; while true; do sleep 1; done")).get(30, TimeUnit.SECONDS));
      assertInstanceOf(CommandResult.Accepted.class, client.create(pod("once", "Never", "echo done"))
          .get(30, TimeUnit.SECONDS));
    }
  }

  private static Pod pod(String name, String restartPolicy, String script) {
    return Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(name).setNamespace("default").build())
        .setSpec(PodSpec.newBuilder().setRestartPolicy(restartPolicy).setTerminationGracePeriodSeconds(5L)
            .setContainers(List.of(Container.newBuilder().setName("main").setImage(BusyboxImage.NAME)
                .setCommand(List.of("sh", "-c", script)).build())).build())
        .build();
  }






}
