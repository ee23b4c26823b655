package io.capstan.nodeagent;

import io.capstan.logschema.topics.TopicLayout;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * A node agent in a JVM of its own, for tests that kill it with -9: {@code AgentMain BOOTSTRAP
 * TOPIC_PREFIX NODE DATA_DIR}. Prints {@value #READY} once it runs, then runs until killed.
 */
public final class AgentMain {
  public static final String READY = "agent ready";

  private AgentMain() {}

  public static void main(String[] args) throws Exception {
    NodeAgentConfig config = NodeAgentConfig.defaults(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, args[0]),
        new TopicLayout(args[1]), args[2], Path.of(args[3]), NodeAgentConfig.RuntimeKind.RUNC)
        .withRelistPeriod(Duration.ofMillis(200)).withPort(0);
    NodeAgent agent = new NodeAgent(config, new SimpleMeterRegistry());
    agent.start(Duration.ofSeconds(120));
    System.out.println(READY);
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
