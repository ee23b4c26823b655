package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.stateviews.testing.KafkaFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line in-process: help on every command, flags into typed configs, bad flags named. */
class CapstanCommandLineTest {

  /** One run of the parser: exit status, stdout, stderr. */
  record Run(int status, String out, String err) {}

  static Run run(String... args) {
    CommandLine cl = Capstan.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int status = cl.execute(args);
    return new Run(status, out.toString(), err.toString());
  }

  /** Parses the flags of one subcommand, returning the command object (whose config() is under test). */
  @SuppressWarnings("unchecked")
  static <T> T parse(Class<T> type, String... args) {
    CommandLine cl = Capstan.commandLine();
    CommandLine.ParseResult parsed = cl.parseArgs(args);
    return (T) parsed.subcommand().commandSpec().userObject();
  }

  @Test
  void topLevelHelpListsEveryCommandAndTheScriptsTest() {
    Run r = run("--help");
    assertEquals(0, r.status());
    for (String command : List.of("up", "broker", "state-views", "gateway", "controllers", "node-agent", "replay", "audit", "bench", "test")) {
      assertTrue(r.out().contains("\n  " + command + " "), "help lists " + command + ":\n" + r.out());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"up", "broker", "state-views", "gateway", "controllers", "node-agent", "replay", "audit", "bench"})
  void everyCommandHasHelp(String command) {
    Run r = run(command, "--help");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().startsWith("Usage: capstan " + command), r.out());
  }

  @Test
  void noCommandIsAUsageError() {
    Run r = run();
    assertEquals(2, r.status());
    assertTrue(r.err().contains("missing command"), r.err());
  }

  @Test
  void upDefaultsAreTheDocumentedOnes() {
    UpConfig c = parse(UpCommand.class, "up").config();
    assertEquals(Path.of(".capstan").toAbsolutePath().normalize(), c.dataDir());
    assertEquals(Optional.empty(), c.kafka());
    assertEquals(9092, c.kafkaPort());
    assertEquals(new TopicSettings("capstan.", 4, (short) 1), c.topics());
    assertEquals(9464, c.metrics().port());
    assertEquals("127.0.0.1", c.metrics().host());
    assertEquals(c.dataDir().resolve("state-views"), c.stateDir());
    assertEquals(c.dataDir().resolve("kafka"), c.broker().dataDir());
  }

  @Test
  void gatewayDefaultsAreTheDocumentedOnes() {
    GatewayRunConfig c = parse(GatewayCommand.class, "gateway", "--kafka", "k:9092").config();
    assertEquals(Path.of(".capstan").toAbsolutePath().normalize(), c.dataDir());
    assertEquals(6443, c.gateway().port());
    assertEquals("127.0.0.1", c.gateway().host());
    assertEquals(false, c.gateway().insecureHttp());
    assertEquals(c.dataDir().resolve("tokens.csv"), c.gateway().tokenFile());
    assertEquals(c.dataDir().resolve("kubeconfig"), c.gateway().kubeconfig());
    assertEquals("capstan.", c.layout().prefix());
    assertEquals(Map.of("bootstrap.servers", "k:9092"), c.kafka().clientConfig());
    GatewayRunConfig other = parse(GatewayCommand.class, "gateway", "--kafka", "k:9092", "--port", "0",
        "--insecure-http", "--token-file", "t.csv", "--topic-prefix", "c2.").config();
    assertEquals(0, other.gateway().port());
    assertEquals(true, other.gateway().insecureHttp());
    assertEquals(Path.of("t.csv").toAbsolutePath().normalize(), other.gateway().tokenFile());
    assertEquals("c2.", other.layout().prefix());
    assertEquals(6443, parse(UpCommand.class, "up").apiPort);
  }

  @Test
  void withAClusterTopicsTakeItsDefaultReplicationUnlessTold() {
    UpConfig cluster = parse(UpCommand.class, "up", "--kafka", "k1:9092,k2:9093").config();
    assertEquals(Optional.of("k1:9092,k2:9093"), cluster.kafka());
    assertEquals((short) -1, cluster.topics().replicationFactor());
    UpConfig three = parse(UpCommand.class, "up", "--kafka", "k1:9092", "--replication-factor", "3").config();
    assertEquals((short) 3, three.topics().replicationFactor());
  }

  @Test
  void kafkaClientSettingsComeFromTheFileThenTheFlags() throws Exception {
    Path file = Files.writeString(KafkaFixture.tempDir("cli").resolve("client.properties"),
        "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n");
    StateViewsConfig c = parse(StateViewsCommand.class, "state-views", "--kafka", "k:9093",
        "--kafka-config-file", file.toString(), "--kafka-config", "sasl.mechanism=SCRAM-SHA-512",
        "--kafka-config", "ssl.truststore.location=/etc/ts.p12").config();
    assertEquals(Map.of("bootstrap.servers", "k:9093", "security.protocol", "SASL_SSL",
        "sasl.mechanism", "SCRAM-SHA-512", "ssl.truststore.location", "/etc/ts.p12"), c.kafka().clientConfig());
    assertEquals(c.dataDir().resolve("state-views"), c.stateDir());
  }

  @Test
  void badFlagsAreUsageErrorsThatNameTheFlag() {
    assertBad(List.of("up", "--partitions", "0"), "--partitions must be at least 1, got 0");
    assertBad(List.of("up", "--kafka", "k1:9092,nope"), "--kafka: 'nope' is not host:port");
    assertBad(List.of("up", "--replication-factor", "3"), "the embedded broker is a single node");
    assertBad(List.of("up", "--kafka-config", "bootstrap.servers=x:1"), "bootstrap.servers in --kafka-config");
    assertBad(List.of("up", "--kafka-config-file", "/no/such/file"), "--kafka-config-file: /no/such/file is not a file");
    assertBad(List.of("up", "--topic-prefix", "a b"), "--topic-prefix: 'a b'");
    assertBad(List.of("up", "--kafka-port", "70000"), "--kafka-port must be 0..65535, got 70000");
    assertBad(List.of("broker", "--port", "-1"), "--port must be 0..65535, got -1");
    assertBad(List.of("state-views"), "Missing required option: '--kafka");
    assertBad(List.of("controllers"), "Missing required option: '--kafka");
    assertBad(List.of("controllers", "--kafka", "k:1", "--node-monitor-grace-period", "forty"),
        "--node-monitor-grace-period: \"forty\" is not a duration");
    assertBad(List.of("controllers", "--kafka", "k:1", "--terminated-pod-gc-threshold", "-1"),
        "--terminated-pod-gc-threshold must be 0 (terminated pods are kept) or more, got -1");
    assertBad(List.of("up", "--terminated-pod-gc-threshold", "-5"),
        "--terminated-pod-gc-threshold must be 0 (terminated pods are kept) or more, got -5");
    assertBad(List.of("up", "--horizontal-pod-autoscaler-sync-period", "forty"),
        "--horizontal-pod-autoscaler-sync-period: \"forty\" is not a duration");
    assertBad(List.of("controllers", "--kafka", "k:1", "--horizontal-pod-autoscaler-sync-period", "0s"),
        "--horizontal-pod-autoscaler-sync-period must be positive");
    assertBad(List.of("controllers", "--kafka", "k:1", "--kubelet-client-certificate", "/tmp/hpa.crt"),
        "the autoscaler's kubelet client needs both a certificate and its key");
    assertBad(List.of("state-views", "--kafka", "k:1", "--kafka-config", "bootstrap.servers=other:2"),
        "disagrees with the Kafka in use");
    assertBad(List.of("up", "--api-port", "65536"), "--api-port must be 0..65535, got 65536");
    assertBad(List.of("gateway"), "Missing required option: '--kafka");
    assertBad(List.of("gateway", "--kafka", "k:1", "--port", "-2"), "--port must be 0..65535, got -2");
    assertBad(List.of("gateway", "--kafka", "k:1", "--topic-prefix", "a b"), "--topic-prefix: 'a b'");
    assertBad(List.of("up", "--service-cidr", "10.96.0.1/12"), "--service-cidr / --service-node-port-range: service CIDR"
        + " \"10.96.0.1/12\" has host bits set: the network is 10.96.0.0/12");
    assertBad(List.of("up", "--service-cidr", "fd00::/108"), "is not an IPv4 network");
    assertBad(List.of("up", "--service-node-port-range", "30000"), "--service-node-port-range must be MIN-MAX");
    assertBad(List.of("up", "--api-address", "node-1"), "--api-address must be an IPv4 address, got 'node-1'");
    assertBad(List.of("state-views", "--kafka", "k:1", "--service-node-port-range", "32000-31000"),
        "node port range 32000-31000 must be within 1-65535, lowest first");
    assertBad(List.of("upp"), "Did you mean: capstan up?");
  }

  private static void assertBad(List<String> args, String message) {
    Run r = run(args.toArray(String[]::new));
    assertEquals(2, r.status(), args + " is a usage error; stderr: " + r.err());
    assertTrue(r.err().contains(message), args + " names the problem: expected '" + message + "' in:\n" + r.err());
  }

  @Test
  void aDataDirIsUsedByOneProcessAtATime() throws Exception {
    Path dir = KafkaFixture.tempDir("lock");
    try (DataDirLock first = DataDirLock.acquire(dir)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> DataDirLock.acquire(dir));
      assertTrue(e.getMessage().contains("is in use by another capstan process (pid " + ProcessHandle.current().pid()),
          e.getMessage());
    }
    DataDirLock.acquire(dir).close(); // free again once released
  }
}
