package io.capstan.logschema.client;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.kafka.EmbeddedKafkaBroker;
import io.capstan.stateviews.kafka.TopicAdmin;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Commands sent while the broker is down complete once it is back: the clients reconnect and
 * the pending requests are retried. Uses a broker of its own so the shared one stays up.
 */
class CommandClientBrokerRestartTest {

  @Test
  void pendingCommandsCompleteAfterABrokerRestart() throws Exception {
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(
        EmbeddedKafkaBroker.Config.of(KafkaFixture.tempDir("client-restart"), 0))) {
      Map<String, Object> kafka = Map.of("bootstrap.servers", broker.bootstrap());
      TopicLayout layout = new TopicLayout("restart.");
      TopicAdmin.ensureTopics(kafka, layout, 2, (short) 1);
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      CommandClientConfig cfg = CommandClientConfig.defaults(kafka, layout, "restart").withTimeout(Duration.ofSeconds(3), 20);
      try (FakeReplier replier = new FakeReplier(kafka, layout); CommandClient client = new CommandClient(cfg, registry)) {
        assertInstanceOf(CommandResult.Accepted.class,
            client.create(CommandClientKafkaTest.configMap("before", "1")).get(30, TimeUnit.SECONDS));

        broker.close();
        List<CompletableFuture<CommandResult>> during = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < 20; i++) {
          during.add(client.create(CommandClientKafkaTest.configMap("during-" + i, "1")));
        }
        // KafkaProducer.send would wait up to max.block.ms (60 s) per call for the absent broker.
        long sendSeconds = (System.nanoTime() - t0) / 1_000_000_000L;
        assertTrue(sendSeconds < 10, "create() must not block while the broker is down; took " + sendSeconds + " s");
        broker.restart(); // same ports, same data

        for (CompletableFuture<CommandResult> f : during) {
          assertInstanceOf(CommandResult.Accepted.class, f.get(60, TimeUnit.SECONDS));
        }
        assertInstanceOf(CommandResult.Accepted.class,
            client.create(CommandClientKafkaTest.configMap("after", "1")).get(30, TimeUnit.SECONDS));
        assertTrue(client.inFlight() == 0);
      }
    }
  }
}
