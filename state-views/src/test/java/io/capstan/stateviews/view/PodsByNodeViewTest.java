package io.capstan.stateviews.view;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.informer.StateRecord;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

class PodsByNodeViewTest {
  private static final TopicLayout LAYOUT = TopicLayout.defaults();

  private static byte[] pod(String name, String node) {
    return LogCodec.get().encode(Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name).build())
        .setSpec(PodSpec.newBuilder().setNodeName(node).setContainers(List.of()).build())
        .build());
  }

  private static TestRecord<String, byte[]> state(String key, byte[] value, long rv) {
    RecordHeaders h = new RecordHeaders();
    h.add(StateRecord.RV_HEADER, Long.toString(rv).getBytes(StandardCharsets.UTF_8));
    return new TestRecord<>(key, value, h);
  }

  @Test
  void podsAreKeyedByTheirNodeAndATombstoneFollowsWhenTheyLeaveIt() {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "view-test");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    try (TopologyTestDriver driver = new TopologyTestDriver(
        PodsByNodeView.topology(LAYOUT, 1, new SimpleMeterRegistry()), p)) {
      TestInputTopic<String, byte[]> in = driver.createInputTopic(LAYOUT.state(Kinds.POD), new StringSerializer(),
          new ByteArraySerializer());
      TestOutputTopic<String, byte[]> out = driver.createOutputTopic(PodsByNodeTopic.name(LAYOUT),
          new StringDeserializer(), new ByteArrayDeserializer());

      in.pipeInput(state("Pod/default/unbound", pod("unbound", null), 1));
      assertTrue(out.isEmpty(), "a pod on no node is not in the view");
      in.pipeInput(state("~watermark/0", new byte[] {1}, 2));
      assertTrue(out.isEmpty(), "watermarks are not copied");

      byte[] bound = pod("web", "node-a");
      in.pipeInput(state("Pod/default/web", bound, 3));
      TestRecord<String, byte[]> r = out.readRecord();
      assertEquals("node-a/Pod/default/web", r.key());
      assertArrayEquals(bound, r.value());
      assertEquals("3", new String(r.headers().lastHeader(StateRecord.RV_HEADER).value(), StandardCharsets.UTF_8));

      in.pipeInput(state("Pod/default/web", pod("web", "node-b"), 4));
      r = out.readRecord();
      assertEquals("node-a/Pod/default/web", r.key());
      assertNull(r.value(), "the old node loses the pod");
      assertEquals("node-b/Pod/default/web", out.readRecord().key());

      in.pipeInput(state("Pod/default/web", null, 5));
      r = out.readRecord();
      assertEquals("node-b/Pod/default/web", r.key(), "a deleted pod is removed from its node, found by the store");
      assertNull(r.value());
      assertTrue(out.isEmpty());
      in.pipeInput(state("Pod/default/web", null, 6));
      assertTrue(out.isEmpty(), "a second tombstone changes nothing");
    }
  }

  @Test
  void allRecordsOfANodeShareOnePartition() {
    int p = PodsByNodeTopic.partitionOf("node-a", 8);
    assertEquals(p, PodsByNodeTopic.partitionOf("node-a", 8));
    assertEquals("node-a", PodsByNodeTopic.nodeOf("node-a/Pod/ns/x"));
    assertEquals("Pod/ns/x", PodsByNodeTopic.podKeyOf("node-a/Pod/ns/x"));
  }
}
