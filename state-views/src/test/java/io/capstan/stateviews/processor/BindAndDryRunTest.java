package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.configMap;
import static io.capstan.stateviews.processor.ProcessorHarness.object;
import static io.capstan.stateviews.processor.ProcessorHarness.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.Event;
import io.capstan.log.EventOp;
import io.capstan.log.Reply;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BindAndDryRunTest {
  private final ProcessorHarness h = new ProcessorHarness();

  @BeforeEach
  void setUp() {
    h.withNamespace("apps");
  }

  @AfterEach
  void close() {
    h.close();
  }

  private Command bind(String pod, String node) {
    return h.command(CommandOp.BIND, Kinds.POD, "apps", pod).setNodeName(node).build();
  }

  @Test
  void bindingAssignsTheNodeAndMarksThePodScheduled() {
    Pod created = h.accept(h.create(pod("apps", "web")));
    h.drain();

    Reply r = h.send(bind("web", "node-7"));

    assertTrue(r.getAccepted());
    Pod bound = object(r);
    assertEquals("node-7", bound.getSpec().getNodeName());
    PodCondition scheduled = bound.getStatus().getConditions().get(0);
    assertEquals("PodScheduled", scheduled.getType());
    assertEquals("True", scheduled.getStatus());
    assertEquals("2026-11-27T10:00:00Z", scheduled.getLastTransitionTime());
    assertEquals("Pending", bound.getStatus().getPhase());
    assertEquals(created.getMetadata().getGeneration(), bound.getMetadata().getGeneration(),
        "binding is a direct store update in Kubernetes: generation stays");
    List<Event> events = h.events();
    assertEquals(1, events.size());
    assertEquals(EventOp.BOUND, events.get(0).getOp());
    assertEquals(bound, object(events.get(0)));
    assertEquals(1, h.stateRecords(Kinds.POD).size());
  }

  @Test
  void aBoundPodCannotBeBoundAgain() {
    h.accept(h.create(pod("apps", "web")));
    h.accept(bind("web", "node-1"));
    h.drain();

    Reply r = h.send(bind("web", "node-2"));

    assertEquals(409, r.getStatus().getCode());
    assertEquals("Conflict", r.getStatus().getReason());
    assertEquals("Operation cannot be fulfilled on pods/binding \"web\": pod web is already assigned to node \"node-1\"",
        r.getStatus().getMessage());
    assertTrue(h.events().isEmpty());
  }

  @Test
  void bindingNeedsAnExistingPodANodeAndThePodKind() {
    assertEquals(404, h.send(bind("ghost", "node-1")).getStatus().getCode());
    h.accept(h.create(pod("apps", "web")));
    Reply noNode = h.send(h.command(CommandOp.BIND, Kinds.POD, "apps", "web").build());
    assertEquals(422, noNode.getStatus().getCode());
    assertEquals("target.name", noNode.getStatus().getCauses().get(0).getField());
    Reply notAPod = h.send(h.command(CommandOp.BIND, Kinds.CONFIG_MAP, "apps", "web").setNodeName("n").build());
    assertEquals(400, notAPod.getStatus().getCode());
  }

  @Test
  void aDryRunCreateAnswersWithTheObjectButStoresNothing() {
    Command dry = h.create(configMap("apps", "trial", Map.of("a", "1")));
    dry.setDryRun(true);

    Reply r = h.send(dry);

    assertTrue(r.getAccepted());
    ConfigMap preview = object(r);
    assertEquals(Map.of("a", "1"), preview.getData());
    assertEquals(1L, preview.getMetadata().getGeneration());
    assertEquals(36, preview.getMetadata().getUid().length());
    assertNull(preview.getMetadata().getResourceVersion(), "a dry run spends no resourceVersion");
    assertEquals(0, r.getResourceVersion());
    assertTrue(h.events().isEmpty());
    assertTrue(h.stateRecords(Kinds.CONFIG_MAP).isEmpty());
    assertNull(h.objectStore().get("ConfigMap/apps/trial"));

    // Not remembered either: the real create with the same request id is applied.
    Command real = Command.newBuilder(dry).setDryRun(false).build();
    assertTrue(h.send(real).getAccepted());
    assertEquals(1, h.events().size());
  }

  @Test
  void aDryRunIsValidatedLikeTheRealThing() {
    Command dry = h.create(configMap("apps", "Not_Valid", Map.of()));
    dry.setDryRun(true);
    assertEquals(422, h.send(dry).getStatus().getCode());
    Command dryExisting = h.create(configMap("apps", "x", Map.of()));
    h.accept(h.create(configMap("apps", "x", Map.of())));
    dryExisting.setDryRun(true);
    assertEquals(409, h.send(dryExisting).getStatus().getCode());
  }

  @Test
  void aDryRunUpdateKeepsTheStoredObject() {
    ConfigMap cm = h.accept(h.create(configMap("apps", "x", Map.of("v", "1"))));
    h.drain();
    Command dry = h.update(configMap("apps", "x", Map.of("v", "2")));
    dry.setDryRun(true);
    Reply r = h.send(dry);
    ConfigMap preview = object(r);
    assertEquals(Map.of("v", "2"), preview.getData());
    assertEquals(cm.getMetadata().getResourceVersion(), preview.getMetadata().getResourceVersion());
    assertTrue(h.events().isEmpty());
    ConfigMap stored = ProcessorHarness.CODEC.decode(h.objectStore().get("ConfigMap/apps/x"));
    assertEquals(Map.of("v", "1"), stored.getData());
  }
}
