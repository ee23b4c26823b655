package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.configMap;
import static io.capstan.stateviews.processor.ProcessorHarness.namespace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.log.Reply;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.stateviews.processor.rules.NamespaceRules;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * With two partitions the driver's one task owns partition 0; a namespace that lives on
 * partition 1 is only known through the global copy of the namespace table.
 */
class NamespaceLookupTest {

  private static String nameOn(String prefix, String kindAndNamespace, int partition) {
    return IntStream.range(0, 1000).mapToObj(i -> prefix + i)
        .filter(n -> ObjectPartitioner.partition(kindAndNamespace + n, 2) == partition)
        .findFirst().orElseThrow();
  }

  @Test
  void aNamespaceOnAnotherPartitionIsFoundThroughTheGlobalTable() {
    try (ProcessorHarness h = new ProcessorHarness(2)) {
      String remote = nameOn("remote-", "Namespace//", 1);
      String cm = nameOn("cm-", "ConfigMap/" + remote + "/", 0);
      String cm2 = nameOn("other-", "ConfigMap/" + remote + "/", 0);

      Reply before = h.send(h.create(configMap(remote, cm, Map.of())));
      assertEquals(404, before.getStatus().getCode(), "not there yet");

      // The namespace's own task (partition 1, elsewhere) wrote it to the namespace table.
      var ns = namespace(remote);
      ns.getMetadata().setUid("u");
      NamespaceRules.prepareForCreate(ns);
      var table = h.driver.createInputTopic(h.layout.state(Kinds.NAMESPACE), new StringSerializer(),
          new ByteArraySerializer());
      table.pipeInput("Namespace//" + remote, LogCodec.get().encode(ns));

      Reply after = h.send(h.create(configMap(remote, cm2, Map.of())));
      assertTrue(after.getAccepted(), () -> String.valueOf(after.getStatus()));

      // Then it starts terminating over there.
      ns.getMetadata().setDeletionTimestamp("2026-11-27T10:00:00Z");
      NamespaceRules.markTerminating(ns);
      table.pipeInput("Namespace//" + remote, LogCodec.get().encode(ns));
      Reply late = h.send(h.create(configMap(remote, cm, Map.of())));
      assertEquals(403, late.getStatus().getCode());
    }
  }

  @Test
  void aNamespaceOnTheSamePartitionIsReadFromTheLocalStore() {
    try (ProcessorHarness h = new ProcessorHarness(2)) {
      String local = nameOn("local-", "Namespace//", 0);
      h.withNamespace(local);
      String cm = nameOn("cm-", "ConfigMap/" + local + "/", 0);
      assertTrue(h.send(h.create(configMap(local, cm, Map.of()))).getAccepted());
    }
  }

  @Test
  void aCommandOnTheWrongPartitionIsRefused() {
    try (ProcessorHarness h = new ProcessorHarness(2)) {
      String elsewhere = nameOn("ns-", "Namespace//", 1);
      Reply r = h.send(h.create(namespace(elsewhere)));
      assertEquals(400, r.getStatus().getCode());
      assertTrue(r.getStatus().getMessage().contains("belongs to partition 1"), r.getStatus().getMessage());
      assertTrue(h.events.isEmpty());
    }
  }
}
