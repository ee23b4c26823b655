package io.capstan.logschema.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.logschema.topics.TopicLayout;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommandClientConfigTest {
  private static final Map<String, Object> KAFKA = Map.of("bootstrap.servers", "127.0.0.1:9", "fetch.max.wait.ms", 50,
      "linger.ms", 7, "security.protocol", "SSL", "group.id", "not-for-us");

  @Test
  void defaultsGiveEachClientItsOwnId() {
    CommandClientConfig a = CommandClientConfig.defaults(KAFKA, TopicLayout.defaults(), "scheduler");
    CommandClientConfig b = CommandClientConfig.defaults(KAFKA, TopicLayout.defaults(), "scheduler");
    assertTrue(a.clientId().startsWith("scheduler-"), a.clientId());
    assertNotEquals(a.clientId(), b.clientId());
    assertEquals("system:capstan:scheduler", a.actor());
    assertEquals(CommandClientConfig.DEFAULT_TIMEOUT, a.timeout());
  }

  @Test
  void theComponentOfAClientIsItsServiceNameOrElseItsClientId() {
    CommandClientConfig a = CommandClientConfig.defaults(KAFKA, TopicLayout.defaults(), "scheduler");
    assertEquals("scheduler", a.component());
    assertEquals(a.clientId(), a.withActor("alice").component(), "a user's client is named by its id");
  }

  @Test
  void aComponentActingAsItsIdentityKeepsItsComponentName() {
    CommandClientConfig node = CommandClientConfig.identified(KAFKA, TopicLayout.defaults(), "node-n1", "system:node:n1");
    assertEquals("system:node:n1", node.actor());
    assertTrue(node.clientId().startsWith("node-n1-"), node.clientId());
    assertEquals("node-n1", node.component(), "metric tags stay the component's, not a random client id");
    assertEquals("scheduler", CommandClientConfig.identified(KAFKA, TopicLayout.defaults(), "scheduler",
        "system:kube-scheduler").component());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> CommandClientConfig.identified(KAFKA,
        TopicLayout.defaults(), "x", "alice")).getMessage().contains("\"alice\" is not a component identity"));
  }

  @Test
  void badSettingsAreNamed() {
    TopicLayout l = TopicLayout.defaults();
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> CommandClientConfig.defaults(Map.of(), l, "x")).getMessage().contains("bootstrap.servers"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> new CommandClientConfig(KAFKA, l, "c", "", Duration.ZERO, 1)).getMessage().contains("timeout"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> new CommandClientConfig(KAFKA, l, "c", "", Duration.ofSeconds(1), 0)).getMessage().contains("attempts"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> new CommandClientConfig(KAFKA, l, " ", "", Duration.ofSeconds(1), 1)).getMessage().contains("clientId"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> new CommandClientConfig(KAFKA, l, "~watermark/1", "", Duration.ofSeconds(1), 1)).getMessage()
        .contains("~watermark/"));
  }

  @Test
  void userSettingsPassThroughButSafetySettingsAreForced() {
    CommandClientConfig cfg = new CommandClientConfig(
        Map.of("bootstrap.servers", "h:1", "linger.ms", 7, "acks", "0", "enable.idempotence", false,
            "fetch.max.wait.ms", 50, "isolation.level", "read_uncommitted", "group.id", "g", "security.protocol", "SSL"),
        TopicLayout.defaults(), "c-1", "", Duration.ofSeconds(1), 1);
    Map<String, Object> p = CommandChannel.producerConfig(cfg);
    assertEquals(7, p.get("linger.ms"));
    assertEquals("all", p.get("acks"));
    assertEquals(true, p.get("enable.idempotence"));
    assertEquals("SSL", p.get("security.protocol"));
    assertFalse(p.containsKey("fetch.max.wait.ms"), "consumer settings stay out of the producer");
    assertTrue((int) p.get("delivery.timeout.ms") >= 7 + (int) p.get("request.timeout.ms"),
        "Kafka's rule: delivery >= linger + request timeout");

    Map<String, Object> tenSeconds = CommandChannel.producerConfig(cfg.withTimeout(Duration.ofSeconds(10), 3));
    assertEquals(10_000, tenSeconds.get("delivery.timeout.ms"), "a stuck batch expires after one attempt");

    Map<String, Object> c = CommandChannel.consumerConfig(cfg);
    assertEquals(50, c.get("fetch.max.wait.ms"));
    assertEquals("read_committed", c.get("isolation.level"));
    assertFalse(c.containsKey("group.id"), "replies are read by assignment, without a group");
    assertEquals("SSL", c.get("security.protocol"));
    assertFalse(c.containsKey("linger.ms"));
  }
}
