package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.bootstrap.SystemNamespaces;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/**
 * The README's "Time travel" example, run as written by bash with the real kubectl against
 * {@code capstan gateway} (a child JVM) on the test broker, where a command processor in this JVM
 * serves the cluster.
 */
class TimeTravelReadmeTest {
  private static final String SECTION = "## Time travel";
  private static final Duration READY = ChildCapstan.UP_READY;
  private static final String READY_LINE =
      "gateway ready: api=(https://127\\.0\\.0\\.1:\\d+) kubeconfig=(\\S+) kafka=(\\S+) metrics=(\\S+)$";

  @Test
  void theExampleWorksAsWritten() throws Exception {
    if (!Files.isExecutable(Path.of("/usr/bin/kubectl"))) {
      throw new AssertionError("/usr/bin/kubectl is missing: apt-get install -y kubernetes-client");
    }
    List<String> blocks = ReadmeScript.blocks(SECTION);
    assertEquals(1, blocks.size(), "the section has its example");
    Path work = KafkaFixture.tempDir("time-travel");
    TopicLayout layout = KafkaFixture.freshLayout(2);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    try (CommandProcessor processor = new CommandProcessor(ProcessorConfig.defaults(kafka, layout, work.resolve("state"))
        .withInMemoryStores(true), new SimpleMeterRegistry())) {
      processor.start();
      processor.awaitRunning(READY);
      try (CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "time-travel-test"),
          new SimpleMeterRegistry())) {
        SystemNamespaces.ensure(client, READY);
      }
      try (ChildCapstan gateway = ChildCapstan.start(work, "gateway", "--kafka", KafkaFixture.bootstrap(), "--port", "0",
          "--metrics-port", "0", "--data-dir", work.resolve("gw").toString(), "--topic-prefix", layout.prefix())) {
        Matcher ready = gateway.awaitLine(READY_LINE, READY);
        ReadmeScript.Result result = ReadmeScript.run(work, blocks, Map.of("KUBECONFIG", ready.group(2)),
            Duration.ofMinutes(3));
        String out = result.output();
        assertTrue(result.done(), "the example did not finish:\n" + out);
        assertEquals(0, result.exit(), "the example failed:\n" + out + "\ngateway stderr:\n" + gateway.stderr());
        assertTrue(out.contains("\"data\":{\"mode\":\"slow\"}"), "the ConfigMap as it was before the patch:\n" + out);
        assertTrue(out.contains("\"kind\":\"ObjectHistory\"") && out.contains("\"operation\":\"UPDATED\"")
            && out.contains("{\"path\":\"data.mode\",\"op\":\"replace\",\"from\":\"slow\",\"to\":\"fast\"}"),
            "its history names the change:\n" + out);
        assertTrue(out.contains("configmaps \"x\" not found"), "before it was made, it was not there:\n" + out);
        assertEquals(0, gateway.terminate(Duration.ofMinutes(1)), gateway.stderr());
      }
    }
  }
}
