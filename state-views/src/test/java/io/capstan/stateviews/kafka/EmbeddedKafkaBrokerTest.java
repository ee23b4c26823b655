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
      }
    }
  }
}
