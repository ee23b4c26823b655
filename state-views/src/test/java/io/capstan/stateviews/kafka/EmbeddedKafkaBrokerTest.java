package io.capstan.stateviews.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.testing.KafkaFixture;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaBrokerTest {

  @Test
  void topicsSurviveARestartOnTheSameDataDir() throws Exception {
    Path dir = KafkaFixture.tempDir("broker-restart");
    TopicLayout layout = new TopicLayout("restart.");
    try (EmbeddedKafkaBroker b = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.of(dir, 0))) {
      Map<String, Object> cfg = Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, b.bootstrap());
      assertEquals(3, TopicAdmin.ensureTopics(cfg, layout, 3, (short) 1));
      // idempotent: a second call keeps what is there
      assertEquals(3, TopicAdmin.ensureTopics(cfg, layout, 5, (short) 1));
    }
    try (EmbeddedKafkaBroker b = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.of(dir, 0))) {
      try (Admin admin = Admin.create(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, b.bootstrap()))) {
        Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        for (String t : TopicAdmin.topicsOf(layout)) {
          assertEquals(true, names.contains(t), "topic " + t + " kept across restart");
        }
        // sized for one node: two request handlers, one background thread, one group coordinator thread
        org.apache.kafka.common.config.ConfigResource broker =
            new org.apache.kafka.common.config.ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.BROKER, "1");
        org.apache.kafka.clients.admin.Config config = admin.describeConfigs(Set.of(broker)).all()
            .get(30, TimeUnit.SECONDS).get(broker);
        assertEquals("2", config.get("num.io.threads").value());
        assertEquals("1", config.get("background.threads").value());
        assertEquals("1", config.get("group.coordinator.threads").value());
      }
    }
  }
}
