package io.capstan.stateviews.view;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.logschema.topics.TopicLayout;
import org.junit.jupiter.api.Test;

class PodsByNodeTopicTest {
  @Test
  void allRecordsOfANodeShareOnePartition() {
    int p = PodsByNodeTopic.partitionOf("node-a", 8);
    assertEquals(p, PodsByNodeTopic.partitionOf("node-a", 8));
    assertEquals("node-a", PodsByNodeTopic.nodeOf("node-a/Pod/ns/x"));
    assertEquals("Pod/ns/x", PodsByNodeTopic.podKeyOf("node-a/Pod/ns/x"));
    assertEquals("capstan.view.pods-by-node", PodsByNodeTopic.name(TopicLayout.defaults()));
  }
}
