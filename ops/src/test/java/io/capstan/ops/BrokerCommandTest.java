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
}
