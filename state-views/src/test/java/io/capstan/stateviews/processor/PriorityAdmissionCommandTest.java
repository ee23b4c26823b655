package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Pod;
import io.capstan.api.PriorityClass;
import io.capstan.log.Reply;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.processor.rules.PriorityAdmission;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Priority admission plugin in the command processor: pods get their class's priority and
 * preemption policy, or the global default's, a missing class or a disagreeing priority is 403,
 * one default at most, a class's value never changes, the system classes stay.
 */
class PriorityAdmissionCommandTest {
  private final ProcessorHarness h = new ProcessorHarness().withNamespace("apps");
  private final TestInputTopic<String, byte[]> classTable = h.driver.createInputTopic(
      h.layout.state(Kinds.PRIORITY_CLASS), new StringSerializer(), new ByteArraySerializer());

  @AfterEach
  void close() {
    h.close();
  }

  private static PriorityClass priorityClass(String yaml) {
    return (PriorityClass) KubeJson.fromJson(Kinds.PRIORITY_CLASS, KubeJson.parse(yaml)).object();
  }

  /** Creates the class; the global table every partition reads has it once its state record is read. */
  private PriorityClass create(String yaml) {
    PriorityClass stored = h.accept(h.create(priorityClass(yaml)));
    classTable.pipeInput("PriorityClass//" + stored.getMetadata().getName(), LogCodec.get().encode(stored));
    h.drain();
    return stored;
  }

  private Pod podOfClass(String name, String className) {
    Pod p = pod("apps", name);
    p.getSpec().setPriorityClassName(className);
    return p;
  }

  @Test
  void aPodGetsThePriorityOfItsClassOrZero() {
    create("metadata: {name: batch}\nvalue: 1000\npreemptionPolicy: Never");
    Pod batch = h.accept(h.create(podOfClass("batch-1", "batch")));
    assertEquals(1000, batch.getSpec().getPriority());
    assertEquals("Never", batch.getSpec().getPreemptionPolicy());

    Pod plain = h.accept(h.create(pod("apps", "plain")));
    assertEquals(0, plain.getSpec().getPriority());
    assertEquals("PreemptLowerPriority", plain.getSpec().getPreemptionPolicy());
    assertEquals(null, plain.getSpec().getPriorityClassName());

    // The system classes resolve even before the bootstrap has stored them.
    Pod critical = h.accept(h.create(podOfClass("dns", "system-cluster-critical")));
    assertEquals(2_000_000_000, critical.getSpec().getPriority());

    // A client's update without the resolved fields keeps them.
    Pod resent = pod("apps", "batch-1");
    resent.getSpec().setPriorityClassName("batch");
    Pod updated = h.accept(h.update(resent));
    assertEquals(1000, updated.getSpec().getPriority());
    assertEquals("Never", updated.getSpec().getPreemptionPolicy());
  }

  @Test
  void aMissingClassOrADisagreeingPriorityIsForbidden() {
    Reply missing = h.send(h.create(podOfClass("web", "gold")));
    assertFalse(missing.getAccepted());
    assertEquals(403, missing.getStatus().getCode());
    assertEquals("Forbidden", missing.getStatus().getReason());
    assertEquals("pods \"web\" is forbidden: no PriorityClass with name gold was found", missing.getStatus().getMessage());

    Pod sneaky = pod("apps", "sneaky");
    sneaky.getSpec().setPriority(2_000_000_000);
    Reply refused = h.send(h.create(sneaky));
    assertEquals(403, refused.getStatus().getCode());
    assertEquals("pods \"sneaky\" is forbidden: the integer value of priority (2000000000) must not be provided in pod"
        + " spec; priority admission controller computed 0 from the given PriorityClass name",
        refused.getStatus().getMessage());

    Pod agreeing = pod("apps", "agreeing");
    agreeing.getSpec().setPriority(0);
    assertTrue(h.send(h.create(agreeing)).getAccepted(), "a priority equal to the computed one is fine");
  }

  @Test
  void theGlobalDefaultClassIsGivenToPodsThatNameNone() {
    create("metadata: {name: standard}\nvalue: 100\nglobalDefault: true");
    Pod p = h.accept(h.create(pod("apps", "p")));
    assertEquals(100, p.getSpec().getPriority());
    assertEquals("standard", p.getSpec().getPriorityClassName());

    Reply second = h.send(h.create(priorityClass("metadata: {name: other}\nvalue: 5\nglobalDefault: true")));
    assertEquals(403, second.getStatus().getCode());
    assertEquals("priorityclasses.scheduling.k8s.io \"other\" is forbidden: PriorityClass standard is already marked"
        + " as default. Only one default can exist", second.getStatus().getMessage());
  }

  @Test
  void valueIsImmutableAndSystemClassesCannotBeDeleted() {
    create("metadata: {name: batch}\nvalue: 1000");
    Reply changed = h.send(h.update(priorityClass("metadata: {name: batch}\nvalue: 2000")));
    assertEquals(422, changed.getStatus().getCode());
    assertTrue(changed.getStatus().getMessage().contains("value: Forbidden: may not be changed in an update."),
        changed.getStatus().getMessage());
    assertTrue(h.send(h.update(priorityClass("metadata: {name: batch}\nvalue: 1000\ndescription: nightly")))
        .getAccepted());

    h.accept(h.create(PriorityAdmission.systemClass("system-node-critical")));
    Reply delete = h.send(h.delete(Kinds.PRIORITY_CLASS, "", "system-node-critical"));
    assertEquals(403, delete.getStatus().getCode());
    assertEquals("priorityclasses.scheduling.k8s.io \"system-node-critical\" is forbidden: this is a system priority"
        + " class and cannot be deleted", delete.getStatus().getMessage());
    assertTrue(h.send(h.delete(Kinds.PRIORITY_CLASS, "", "batch")).getAccepted());
  }
}
