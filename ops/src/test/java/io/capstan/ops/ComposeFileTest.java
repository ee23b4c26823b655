package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * ops/compose/compose.yaml cannot run here (no Docker engine), so it is checked for what would
 * break it: the services the scaled-out layout needs, a consistent KRaft quorum, and every
 * Capstan service's command line accepted by the real launcher's parser.
 */
class ComposeFileTest {
  private static final Path COMPOSE = Path.of("compose", "compose.yaml");
  private static final String BROKERS = "kafka-1:9092,kafka-2:9092,kafka-3:9092";

  /** The services as compose reads them: SnakeYAML resolves the anchors and merge keys ({@code <<: *x}). */
  private static JsonNode services() throws Exception {
    Object root = new org.yaml.snakeyaml.Yaml().load(Files.readString(COMPOSE));
    return new ObjectMapper().valueToTree(root).get("services");
  }

  @Test
  void theScaledOutLayoutHasEveryService() throws Exception {
    Set<String> names = new TreeSet<>();
    services().fieldNames().forEachRemaining(names::add);
    for (String s : List.of("kafka-1", "kafka-2", "kafka-3", "state-views-1", "state-views-2", "gateway-1",
        "gateway-2", "controllers-1", "controllers-2", "scheduler-1", "scheduler-2", "prometheus")) {
      assertTrue(names.contains(s), "compose.yaml has service " + s + ": " + names);
    }
  }

  @Test
  void theBrokersFormOneKraftQuorum() throws Exception {
    JsonNode services = services();
    Set<String> ids = new HashSet<>();
    for (int i = 1; i <= 3; i++) {
      JsonNode env = services.get("kafka-" + i).get("environment");
      ids.add(env.get("KAFKA_NODE_ID").asText());
      assertEquals("1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093", env.get("KAFKA_CONTROLLER_QUORUM_VOTERS").asText());
      assertEquals("PLAINTEXT://kafka-" + i + ":9092", env.get("KAFKA_ADVERTISED_LISTENERS").asText());
      assertEquals("broker,controller", env.get("KAFKA_PROCESS_ROLES").asText());
    }
    assertEquals(Set.of("1", "2", "3"), ids, "distinct node ids");
  }

  @Test
  void everyCapstanServiceRunsACommandTheLauncherAccepts() throws Exception {
    JsonNode services = services();
    int checked = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = services.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> s = it.next();
      if (!"capstan:dev".equals(s.getValue().path("image").asText())) {
        continue;
      }
      List<String> args = new ArrayList<>();
      s.getValue().get("command").forEach(a -> args.add(a.asText()));
      try {
        Capstan.commandLine().parseArgs(args.toArray(String[]::new));
      } catch (CommandLine.ParameterException e) {
        fail("service " + s.getKey() + ": the launcher refuses " + args + ": " + e.getMessage());
      }
      int k = args.indexOf("--kafka");
      assertTrue(k >= 0 && BROKERS.equals(args.get(k + 1)), s.getKey() + " reaches all three brokers: " + args);
      checked++;
    }
    assertTrue(checked >= 8, "two of each Capstan component, found " + checked);
  }
}
