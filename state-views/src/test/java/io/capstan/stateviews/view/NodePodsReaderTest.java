package io.capstan.stateviews.view;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.testing.KafkaFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The pods-by-node reader on the real broker, for one node and for several through one consumer
 * (a hollow fleet's): each node's handler hears its own pods only, other nodes' pods on the same
 * partitions are skipped.
 */
class NodePodsReaderTest {
  private static final int PARTITIONS = 4;

  @Test
  void oneConsumerServesSeveralNodesAndEachHandlerHearsItsOwnPods() throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(PARTITIONS);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    String topic = PodsByNodeTopic.name(layout); // made with the other topics, as the processor's output
    List<String> nodes = List.of("n-0", "n-1", "n-2", "n-3", "n-4", "n-5");
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.copyOf(kafka), new StringSerializer(),
        new ByteArraySerializer())) {
      for (String node : nodes) {
        send(producer, topic, node, "before", pod("before-" + node, node));
      }
      send(producer, topic, "other", "before", pod("before-other", "other")); // not read: not one of ours
      producer.flush();

      Map<String, List<String>> heard = new java.util.concurrent.ConcurrentHashMap<>();
      try (NodePodsReader reader = new NodePodsReader(kafka, layout, nodes, "test-fleet", null)) {
        for (String node : nodes) {
          List<String> events = Collections.synchronizedList(new ArrayList<>());
          heard.put(node, events);
          reader.addHandler(node, recorder(events));
        }
        assertThrows(IllegalStateException.class, () -> reader.addHandler(recorder(new ArrayList<>())),
            "a reader of several nodes needs to be told which node a handler is for");
        assertThrows(IllegalArgumentException.class, () -> reader.pods("other"));
        reader.start();
        assertTrue(reader.awaitSynced(Duration.ofSeconds(30)));
        for (String node : nodes) {
          assertEquals(List.of("add before-" + node), heard.get(node), node);
          assertEquals(1, reader.pods(node).size());
        }

        send(producer, topic, "n-3", "later", pod("later", "n-3"));
        send(producer, topic, "n-3", "before", null); // the pod left n-3
        send(producer, topic, "other", "later", pod("later", "other"));
        producer.flush();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (heard.get("n-3").size() < 3 && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertEquals(List.of("add before-n-3", "add later", "delete before-n-3"), heard.get("n-3"));
        assertEquals(Map.of("Pod/default/later", "later"), names(reader.pods("n-3")));
        assertEquals(List.of("add before-n-0"), heard.get("n-0"), "n-0 hears nothing of n-3's or other's pods");
      }
    }
  }

  @Test
  void badNodeListsAreRefused() {
    TopicLayout layout = KafkaFixture.freshLayout(PARTITIONS);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    assertThrows(IllegalArgumentException.class, () -> new NodePodsReader(kafka, layout, List.of(), "none", null));
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> new NodePodsReader(kafka, layout, List.of("a", "a"), "twice", null));
    assertTrue(twice.getMessage().contains("\"a\" is given twice"), twice.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new NodePodsReader(kafka, layout, List.of("a/b"), "slash", null));
  }

  private static Map<String, String> names(Map<String, Pod> pods) {
    Map<String, String> out = new java.util.HashMap<>();
    pods.forEach((k, p) -> out.put(k, p.getMetadata().getName()));
    return out;
  }

  private static ResourceEventHandler<Pod> recorder(List<String> events) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod p) {
        events.add("add " + p.getMetadata().getName());
      }

      @Override
      public void onUpdate(Pod old, Pod p) {
        events.add("update " + p.getMetadata().getName());
      }

      @Override
      public void onDelete(Pod p) {
        events.add("delete " + p.getMetadata().getName());
      }
    };
  }

  private static void send(KafkaProducer<String, byte[]> producer, String topic, String node, String pod, byte[] value) {
    producer.send(new ProducerRecord<>(topic, PodsByNodeTopic.partitionOf(node, PARTITIONS),
        PodsByNodeTopic.key(node, "Pod/default/" + pod), value));
  }

  private static byte[] pod(String name, String node) {
    return LogCodec.get().encode(Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name).build())
        .setSpec(PodSpec.newBuilder().setNodeName(node).setContainers(List.of()).build())
        .build());
  }
}
