package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Container;
import io.capstan.api.Node;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.nodeagent.fleet.HollowFleetConfig;
import io.capstan.stateviews.bootstrap.SystemNamespaces;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

/**
 * Hollow nodes from the launcher: {@code node-agent --runtime hollow --count N} in a child JVM,
 * {@code up --hollow-nodes N}, and the flags' errors.
 */
class HollowNodesCommandTest {
  /** The test's own clients opened sessions with the child's certificates (ComponentCertificates.install). */
  @org.junit.jupiter.api.AfterEach
  void clearSessions() {
    io.capstan.logschema.session.ComponentSessions.clear();
  }

  private static final Duration READY = ChildCapstan.UP_READY;

  @Test
  void badFlagsAreNamedWithExitStatusTwo() {
    assertError("--count is for hollow nodes (--runtime hollow)", "--count", "2");
    assertError("--count is for hollow nodes (--runtime hollow)", "--runtime", "runc", "--count", "2");
    assertError("--hollow contradicts --runtime runc", "--hollow", "--runtime", "runc");
    assertError("--count must be 1..100000, got 0", "--hollow", "--count", "0");
    assertError("--name-prefix \"Big_Nodes\" must be a DNS label", "--hollow", "--count", "2", "--name-prefix",
        "Big_Nodes");
    assertError("--node-name names one node", "--hollow", "--count", "2", "--node-name", "n1");
    assertError("--hollow-run-for: \"10parsecs\" is not a duration", "--hollow", "--count", "2", "--hollow-run-for",
        "10parsecs");
    assertError("--hollow-exit-code must be an exit code 0..255, got 300", "--hollow", "--count", "2",
        "--hollow-exit-code", "300");
    assertError("--hollow-* flags is for hollow nodes", "--hollow-start-delay", "1s");
    CapstanCommandLineTest.Run up = CapstanCommandLineTest.run("up", "--hollow-nodes", "-1");
    assertEquals(2, up.status(), up.err());
    assertTrue(up.err().contains("--hollow-nodes must be 0..100000, got -1"), up.err());
    CapstanCommandLineTest.Run help = CapstanCommandLineTest.run("node-agent", "--help");
    for (String flag : List.of("--hollow", "--count", "--name-prefix", "--hollow-start-delay", "--hollow-run-for",
        "--hollow-exit-code", "--hollow-exec-exit-code")) {
      assertTrue(help.out().contains(flag), flag + " in\n" + help.out());
    }
  }

  private static void assertError(String message, String... flags) {
    List<String> args = new java.util.ArrayList<>(List.of("node-agent", "--kafka", "127.0.0.1:9"));
    args.addAll(List.of(flags));
    CapstanCommandLineTest.Run r = CapstanCommandLineTest.run(args.toArray(String[]::new));
    assertEquals(2, r.status(), args + ": " + r.out() + r.err());
    assertTrue(r.err().contains(message), args + ": expected \"" + message + "\" in:\n" + r.err());
  }

  @Test
  void fiftyHollowNodesRegisterFromOneProcessAndStopOnSigterm() throws Exception {
    Path work = KafkaFixture.tempDir("hollow-cmd");
    TopicLayout layout = KafkaFixture.freshLayout(2);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (CommandProcessor processor = new CommandProcessor(ProcessorConfig.defaults(kafka, layout, work.resolve("state"))
        .withInMemoryStores(true), registry)) {
      processor.start();
      processor.awaitRunning(READY);
      try (CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "hollow-cmd-test"),
          registry);
          SharedInformers informers = new SharedInformers(InformerConfig.defaults(kafka, layout, "hollow-cmd-test"),
              registry)) {
        SystemNamespaces.ensure(client, READY);
        Informer<Node> nodes = informers.informerFor(Kinds.NODE, Node.class);
        informers.start();
        try (ChildCapstan agent = ChildCapstan.start(work, "node-agent", "--kafka", KafkaFixture.bootstrap(),
            "--topic-prefix", layout.prefix(), "--runtime", "hollow", "--count", "50", "--name-prefix", "sim",
            "--port", "0", "--metrics-port", "0", "--data-dir", work.resolve("data").toString())) {
          agent.awaitLine("node-agent ready: nodes=50 \\(sim-0000 … sim-0049\\) logs=https://127\\.0\\.0\\.1:\\d+ "
              + "metrics=\\S+$", READY);
          assertTrue(agent.stdout().stream().anyMatch(l -> l.matches(
              "hollow fleet of 50 node\\(s\\) sim-0000 … sim-0049 ready: 50 registered in \\d+ ms")), agent.stdout()
              .toString());
          await(Duration.ofSeconds(60), "50 Ready sim Nodes", () -> nodes.list().stream()
              .filter(n -> n.getMetadata().getName().startsWith("sim-"))
              .filter(n -> "true".equals(n.getMetadata().getLabels().get(HollowFleetConfig.HOLLOW_LABEL)))
              .count() == 50);
          assertEquals(0, agent.terminate(Duration.ofMinutes(1)), agent.stderr());
          assertEquals("node-agent stopped", agent.stdout().get(agent.stdout().size() - 1));
        }
      }
    }
  }

  /** {@code up --hollow-nodes 3}: the fleet next to the local node, a pod on it Running, its log a clear Status. */
  @Test
  void upRunsHollowNodesNextToTheLocalNode() throws Exception {
    Path work = KafkaFixture.tempDir("up-hollow");
    try (ChildCapstan up = ChildCapstan.start(work, "up", "--data-dir", work.resolve("data").toString(),
        "--kafka-port", "0", "--metrics-port", "0", "--api-port", "0", "--partitions", "2", "--hollow-nodes", "3")) {
      Matcher ready = up.awaitLine("capstan ready: api=(\\S+) kubeconfig=(\\S+) kafka=(\\S+) metrics=\\S+$", READY);
      assertTrue(up.stdout().stream().anyMatch(l -> l.startsWith(
          "hollow fleet of 3 node(s) hollow-0000 … hollow-0002 ready: 3 registered")), up.stdout().toString());
      Map<String, Object> kafka = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, ready.group(3));
      TopicLayout layout = TopicLayout.defaults();
      io.capstan.gateway.security.ComponentCertificates.install(work.resolve("data/pki")); // the processor takes only authenticated commands
      try (CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "up-hollow-test"),
              new SimpleMeterRegistry());
          SharedInformers informers = new SharedInformers(InformerConfig.defaults(kafka, layout, "up-hollow-test"),
              new SimpleMeterRegistry())) {
        Informer<Pod> pods = informers.informerFor(Kinds.POD, Pod.class);
        informers.start();
        assertTrue(informers.awaitSynced(Duration.ofSeconds(60)));
        Pod pod = Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("sim").build())
            .setSpec(PodSpec.newBuilder().setNodeName("hollow-0001").setContainers(List.of(Container.newBuilder()
                .setName("main").setImage("registry.example/app:1").build())).build()).build();
        assertInstanceOf(CommandResult.Accepted.class, client.create(pod).get(30, TimeUnit.SECONDS));
        await(Duration.ofSeconds(60), "pod sim Running on hollow-0001", () -> pods.get("default", "sim")
            .map(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase())).orElse(false));
        HttpResponse<String> log = GatewayCommandTest.get(ready.group(1), Path.of(ready.group(2)),
            "/api/v1/namespaces/default/pods/sim/log");
        assertEquals(400, log.statusCode(), log.body());
        assertTrue(log.body().contains("hollow node hollow-0001: simulated containers write no logs"), log.body());
        assertTrue(log.body().contains("\"kind\":\"Status\""), log.body());
      }
      assertEquals(0, up.terminate(Duration.ofMinutes(1)), up.stderr());
    }
  }

  private static void await(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + ": not reached in " + timeout);
      }
      Thread.sleep(100);
    }
  }
}
