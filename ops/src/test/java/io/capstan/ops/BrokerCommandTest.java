package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.stateviews.testing.KafkaFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

/** {@code capstan broker} in a child JVM: the ready line, a reachable broker, one process per data dir. */
class BrokerCommandTest {

  @Test
  void printsKafkaReadyServesClientsAndGuardsItsDataDir() throws Exception {
    Path work = KafkaFixture.tempDir("broker");
    Path dataDir = work.resolve("data");
    try (ChildCapstan broker = ChildCapstan.start(work, "broker", "--data-dir", dataDir.toString(), "--port", "0")) {
      Matcher ready = broker.awaitLine("kafka ready: bootstrap=(127\\.0\\.0\\.1:\\d+)$", Duration.ofMinutes(2));
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, ready.group(1)))) {
        assertFalse(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).isEmpty(), "the broker answers");
      }

      try (ChildCapstan second = ChildCapstan.start(work, "broker", "--data-dir", dataDir.toString(), "--port", "0")) {
        assertEquals(1, second.awaitExit(Duration.ofMinutes(1)));
        assertTrue(second.stderr().contains("is in use by another capstan process"), second.stderr());
      }

      assertEquals(0, broker.terminate(Duration.ofMinutes(1)), broker.stderr());
      assertEquals("kafka stopped", broker.stdout().get(broker.stdout().size() - 1), broker.stderr());
    }
  }

  @Test
  void aQuorumMemberNeedsFixedPortsItsOwnVoterEntryAndTheSharedClusterId() {
    String voters = "1@127.0.0.1:19001,2@127.0.0.1:19002,3@127.0.0.1:19003";
    String id = "MkU3OEVBNTcwNTJENDM2Qg";
    BrokerConfig ok = CapstanCommandLineTest.parse(BrokerCommand.class, "broker", "--port", "19101", "--node-id", "2",
        "--controller-port", "19002", "--controller-quorum-voters", voters, "--cluster-id", id).config();
    assertEquals(2, ok.broker().nodeId());
    assertEquals(3, ok.broker().voters());
    assertEquals(id, ok.broker().clusterId());

    CapstanCommandLineTest.Run notAVoter = CapstanCommandLineTest.run("broker", "--port", "19101", "--node-id", "4",
        "--controller-port", "19004", "--controller-quorum-voters", voters, "--cluster-id", id);
    assertEquals(2, notAVoter.status(), notAVoter.err());
    assertTrue(notAVoter.err().contains("--node-id 4 is not among --controller-quorum-voters"), notAVoter.err());
    CapstanCommandLineTest.Run noId = CapstanCommandLineTest.run("broker", "--port", "19101", "--node-id", "1",
        "--controller-port", "19001", "--controller-quorum-voters", voters);
    assertEquals(2, noId.status(), noId.err());
    assertTrue(noId.err().contains("--cluster-id"), noId.err());
    CapstanCommandLineTest.Run freePort = CapstanCommandLineTest.run("broker", "--port", "0", "--node-id", "1",
        "--controller-port", "19001", "--controller-quorum-voters", voters, "--cluster-id", id);
    assertEquals(2, freePort.status(), freePort.err());
    assertTrue(freePort.err().contains("needs a fixed --port"), freePort.err());
    CapstanCommandLineTest.Run alone = CapstanCommandLineTest.run("broker", "--port", "0", "--cluster-id", id);
    assertEquals(2, alone.status(), alone.err());
    assertTrue(alone.err().contains("give --controller-quorum-voters too"), alone.err());
  }
}
