package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.pod;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Pod;
import io.capstan.api.PodStatus;
import io.capstan.log.CommandOp;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.StateRecord;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pods-by-node view comes out of the pod write itself: every record of a bound pod is copied
 * under its node's key with the state record's bytes and resourceVersion, and a delete leaves a
 * tombstone under the node the pod had (the processor knows it from the stored pod).
 */
class PodsByNodeOutputTest {
  private final ProcessorHarness h = new ProcessorHarness();

  @BeforeEach
  void setUp() {
    h.withNamespace("apps");
  }

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void aBoundPodIsCopiedUnderItsNodeUntilItIsDeleted() {
    h.accept(h.create(pod("apps", "web")));
    assertTrue(h.podsByNode.isEmpty(), "a pod on no node is not in the view");
    h.drain();

    h.accept(h.command(CommandOp.BIND, Kinds.POD, "apps", "web").setNodeName("node-a").build());
    TestRecord<String, byte[]> state = only(h.stateRecords(Kinds.POD));
    TestRecord<String, byte[]> view = only(h.podsByNode.readRecordsToList());
    assertEquals("node-a/Pod/apps/web", view.key());
    assertArrayEquals(state.value(), view.value(), "the view holds the pod exactly as the state topic");
    assertEquals(ProcessorHarness.header(state, StateRecord.RV_HEADER), ProcessorHarness.header(view, StateRecord.RV_HEADER));

    Pod stored = ProcessorHarness.CODEC.decode(state.value());
    stored.setStatus(PodStatus.newBuilder(stored.getStatus()).setPhase("Running").build());
    h.accept(h.updateStatus(stored));
    view = only(h.podsByNode.readRecordsToList());
    assertEquals("node-a/Pod/apps/web", view.key());
    Pod running = ProcessorHarness.CODEC.decode(view.value());
    assertEquals("Running", running.getStatus().getPhase());

    Pod marked = h.accept(h.delete(Kinds.POD, "apps", "web"));
    view = only(h.podsByNode.readRecordsToList());
    assertEquals("node-a/Pod/apps/web", view.key(), "a graceful delete marks the pod: its node sees the mark");
    assertEquals(marked.getMetadata().getDeletionTimestamp(),
        ((Pod) ProcessorHarness.CODEC.decode(view.value())).getMetadata().getDeletionTimestamp());

    h.accept(h.command(CommandOp.DELETE, Kinds.POD, "apps", "web")
        .setDeleteOptions(io.capstan.log.DeleteOptions.newBuilder().setGracePeriodSeconds(0L).build()).build());
    view = only(h.podsByNode.readRecordsToList());
    assertEquals("node-a/Pod/apps/web", view.key(), "a deleted pod leaves the node it was on");
    assertNull(view.value());
  }

  @Test
  void aPodCreatedOnANodeIsInTheViewAtOnceAndOtherKindsNever() {
    Pod onNode = pod("apps", "static");
    onNode.getSpec().setNodeName("node-b");
    h.accept(h.create(onNode));
    assertEquals("node-b/Pod/apps/static", only(h.podsByNode.readRecordsToList()).key());

    h.accept(h.create(ProcessorHarness.configMap("apps", "conf", Map.of("a", "b"))));
    h.accept(h.delete(Kinds.CONFIG_MAP, "apps", "conf"));
    assertTrue(h.podsByNode.isEmpty(), "only pods are in the view");
  }

  private static TestRecord<String, byte[]> only(List<TestRecord<String, byte[]>> records) {
    assertEquals(1, records.size(), "one record: " + records);
    return records.get(0);
  }
}
