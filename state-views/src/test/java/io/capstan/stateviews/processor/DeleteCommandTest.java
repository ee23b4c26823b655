package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.configMap;
import static io.capstan.stateviews.processor.ProcessorHarness.header;
import static io.capstan.stateviews.processor.ProcessorHarness.object;
import static io.capstan.stateviews.processor.ProcessorHarness.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.Namespace;
import io.capstan.api.NamespaceSpec;
import io.capstan.api.Pod;
import io.capstan.api.PodStatus;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.DeleteOptions;
import io.capstan.log.Event;
import io.capstan.log.EventOp;
import io.capstan.log.Reply;
import io.capstan.logschema.kinds.Kinds;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DeleteCommandTest {
  private final ProcessorHarness h = new ProcessorHarness();

  @BeforeEach
  void setUp() {
    h.withNamespace("apps");
  }

  @AfterEach
  void close() {
    h.close();
  }

  private Command delete(String kindName, String name, DeleteOptions options) {
    var kind = Kinds.require(kindName);
    return h.command(CommandOp.DELETE, kind, kind.namespaced() ? "apps" : "", name).setDeleteOptions(options).build();
  }

  private static DeleteOptions.Builder opts() {
    return DeleteOptions.newBuilder();
  }

  @Test
  void deletingAnObjectWithoutFinalizersRemovesItWithATombstone() {
    ConfigMap cm = h.accept(h.create(configMap("apps", "gone", Map.of("a", "b"))));
    h.drain();
    h.clock.advance(Duration.ofSeconds(1));

    Reply r = h.send(h.delete(Kinds.CONFIG_MAP, "apps", "gone"));

    assertTrue(r.getAccepted());
    assertTrue(r.getDeleted());
    ConfigMap answered = ProcessorHarness.object(r);
    assertEquals(Map.of("a", "b"), answered.getData(), "the reply carries the object as it was removed");
    assertEquals(Long.toString(r.getResourceVersion()), answered.getMetadata().getResourceVersion());
    assertTrue(r.getResourceVersion() > Long.parseLong(cm.getMetadata().getResourceVersion()));
    List<Event> events = h.events();
    assertEquals(1, events.size());
    Event e = events.get(0);
    assertEquals(EventOp.DELETED, e.getOp());
    assertEquals(r.getResourceVersion(), e.getResourceVersion());
    ConfigMap last = object(e);
    assertEquals(Map.of("a", "b"), last.getData(), "the DELETED event carries the last state");
    assertEquals(Long.toString(r.getResourceVersion()), last.getMetadata().getResourceVersion());
    List<TestRecord<String, byte[]>> state = h.stateRecords(Kinds.CONFIG_MAP);
    assertEquals(1, state.size());
    assertEquals("ConfigMap/apps/gone", state.get(0).key());
    assertNull(state.get(0).value(), "a tombstone");
    assertEquals(Long.toString(r.getResourceVersion()), header(state.get(0), CommandApplier.RV_HEADER),
        "the tombstone carries the delete's resourceVersion");
    assertNull(h.objectStore().get("ConfigMap/apps/gone"));
  }

  @Test
  void deletingAMissingObjectIsNotFound() {
    Reply r = h.send(h.delete(Kinds.CONFIG_MAP, "apps", "never"));
    assertEquals(404, r.getStatus().getCode());
    assertEquals("configmaps \"never\" not found", r.getStatus().getMessage());
    assertTrue(h.events().isEmpty());
  }

  @Test
  void finalizersHoldTheObjectUntilAnUpdateRemovesTheLastOne() {
    ConfigMap held = configMap("apps", "held", Map.of());
    held.getMetadata().setFinalizers(List.of("example.com/cleanup"));
    h.accept(h.create(held));
    h.drain();

    Reply marked = h.send(h.delete(Kinds.CONFIG_MAP, "apps", "held"));
    assertTrue(marked.getAccepted());
    assertFalse(marked.getDeleted());
    ConfigMap m = object(marked);
    assertEquals("2026-11-27T10:00:00Z", m.getMetadata().getDeletionTimestamp());
    assertEquals(0L, m.getMetadata().getDeletionGracePeriodSeconds());
    assertEquals(2L, m.getMetadata().getGeneration(), "marking for deletion moves generation, as Kubernetes does");
    List<Event> events = h.events();
    assertEquals(EventOp.DELETION_STARTED, events.get(0).getOp());
    assertEquals(1, h.stateRecords(Kinds.CONFIG_MAP).size());

    // Deleting again changes nothing while the finalizer is there.
    Reply again = h.send(h.delete(Kinds.CONFIG_MAP, "apps", "held"));
    assertTrue(again.getAccepted());
    assertEquals(marked.getResourceVersion(), again.getResourceVersion());
    assertTrue(h.events().isEmpty());

    // A finalizer cannot be added now.
    ConfigMap more = configMap("apps", "held", Map.of());
    more.getMetadata().setFinalizers(List.of("example.com/cleanup", "late/one"));
    Reply refused = h.send(h.update(more));
    assertEquals(422, refused.getStatus().getCode());
    assertEquals("metadata.finalizers", refused.getStatus().getCauses().get(0).getField());

    // The controller is done: the update clearing the finalizer completes the deletion.
    ConfigMap done = configMap("apps", "held", Map.of());
    Command clearing = h.update(done);
    Reply removed = h.send(clearing);
    assertTrue(removed.getAccepted());
    assertTrue(removed.getDeleted());
    // As kube-apiserver: the update that completes the deletion answers with the object as removed.
    ConfigMap last = object(removed);
    assertNotNull(last, "the reply carries the last state");
    assertEquals(m.getMetadata().getUid(), last.getMetadata().getUid());
    assertEquals(m.getMetadata().getDeletionTimestamp(), last.getMetadata().getDeletionTimestamp());
    assertNull(last.getMetadata().getFinalizers());
    assertEquals(Long.toString(removed.getResourceVersion()), last.getMetadata().getResourceVersion());
    List<Event> after = h.events();
    assertEquals(1, after.size());
    assertEquals(EventOp.DELETED, after.get(0).getOp());
    assertNotNull(((ConfigMap) object(after.get(0))).getMetadata().getDeletionTimestamp());
    List<TestRecord<String, byte[]>> state = h.stateRecords(Kinds.CONFIG_MAP);
    assertNull(state.get(state.size() - 1).value());
    assertNull(h.objectStore().get("ConfigMap/apps/held"));

    // A retry of that update (same request id) gets the same answer, object included; a new one is NotFound.
    assertEquals(removed, h.send(clearing));
    Reply another = h.send(h.update(done));
    assertFalse(another.getAccepted());
    assertEquals(404, another.getStatus().getCode());
  }

  @Test
  void anUpdateOrStatusWriteOfARemovedObjectIsNotFoundAndWritesNothing() {
    ConfigMap cm = h.accept(h.create(configMap("apps", "late", Map.of("a", "b"))));
    Pod pod = h.accept(h.create(pod("apps", "late-pod")));
    assertTrue(h.send(h.delete(Kinds.CONFIG_MAP, "apps", "late")).getDeleted());
    assertTrue(h.send(h.delete(Kinds.POD, "apps", "late-pod")).getDeleted(), "never scheduled: removed at once");
    h.drain();

    // Late writers (a controller with a stale cache, a retried command, a patch) never bring it back.
    ConfigMap unversioned = ConfigMap.newBuilder(cm).build();
    unversioned.getMetadata().setResourceVersion(null);
    unversioned.getMetadata().setUid(null);
    Pod status = Pod.newBuilder(pod).build();
    status.setStatus(PodStatus.newBuilder().setPhase("Running").build());
    List<Reply> late = List.of(h.send(h.update(cm)), h.send(h.update(unversioned)),
        h.send(h.patched(h.update(cm), "application/merge-patch+json", "{\"data\":{\"a\":\"c\"}}")),
        h.send(h.updateStatus(status)), h.send(h.command(CommandOp.BIND, Kinds.POD, "apps", "late-pod")
            .setNodeName("node-1").build()));
    for (Reply r : late) {
      assertFalse(r.getAccepted());
      assertEquals(404, r.getStatus().getCode(), r.getStatus().toString());
      assertEquals("NotFound", r.getStatus().getReason());
    }
    assertTrue(h.events().isEmpty(), "no event");
    assertTrue(h.stateRecords(Kinds.CONFIG_MAP).isEmpty() && h.stateRecords(Kinds.POD).isEmpty(), "no state record");
    assertNull(h.objectStore().get("ConfigMap/apps/late"));
    assertNull(h.objectStore().get("Pod/apps/late-pod"));

    // Made again, it is a new object with a new uid.
    ConfigMap again = h.accept(h.create(configMap("apps", "late", Map.of())));
    assertNotEquals(cm.getMetadata().getUid(), again.getMetadata().getUid());
  }

  @Test
  void preconditionsOnUidAndResourceVersionAreConflicts() {
    ConfigMap cm = h.accept(h.create(configMap("apps", "x", Map.of())));
    Reply wrongUid = h.send(delete("ConfigMap", "x", opts().setPreconditionUid("other").build()));
    assertEquals(409, wrongUid.getStatus().getCode());
    assertTrue(wrongUid.getStatus().getMessage().contains("the UID in the precondition (other) does not match the UID in"
        + " record (" + cm.getMetadata().getUid() + ")"), wrongUid.getStatus().getMessage());
    Reply wrongRv = h.send(delete("ConfigMap", "x", opts().setPreconditionResourceVersion("1").build()));
    assertEquals(409, wrongRv.getStatus().getCode());
    assertTrue(wrongRv.getStatus().getMessage().contains("the ResourceVersion in the precondition (1)"));
    h.drain();

    Reply ok = h.send(delete("ConfigMap", "x", opts().setPreconditionUid(cm.getMetadata().getUid())
        .setPreconditionResourceVersion(cm.getMetadata().getResourceVersion()).build()));
    assertTrue(ok.getDeleted());
  }

  @Test
  void propagationPoliciesSetTheGarbageCollectorFinalizers() {
    h.accept(h.create(configMap("apps", "orphan", Map.of())));
    h.accept(h.create(configMap("apps", "fg", Map.of())));
    ConfigMap bg = configMap("apps", "bg", Map.of());
    bg.getMetadata().setFinalizers(List.of("orphan"));
    h.accept(h.create(bg));
    h.drain();

    ConfigMap orphaned = object(h.send(delete("ConfigMap", "orphan", opts().setPropagationPolicy("Orphan").build())));
    assertEquals(List.of("orphan"), orphaned.getMetadata().getFinalizers());
    assertNotNull(orphaned.getMetadata().getDeletionTimestamp());

    ConfigMap foreground = object(h.send(delete("ConfigMap", "fg", opts().setPropagationPolicy("Foreground").build())));
    assertEquals(List.of("foregroundDeletion"), foreground.getMetadata().getFinalizers());
    assertNotNull(foreground.getMetadata().getDeletionTimestamp());

    Reply background = h.send(delete("ConfigMap", "bg", opts().setPropagationPolicy("Background").build()));
    assertTrue(background.getDeleted(), "Background drops the orphan finalizer and deletes at once");

    Reply bogus = h.send(delete("ConfigMap", "orphan", opts().setPropagationPolicy("Sideways").build()));
    assertEquals(422, bogus.getStatus().getCode());
    assertEquals("propagationPolicy", bogus.getStatus().getCauses().get(0).getField());
  }

  @Test
  void aRunningPodIsDeletedGracefullyAndRemovedByTheNodesZeroGraceDelete() {
    h.accept(h.create(pod("apps", "web")));
    bind("web", "node-1");
    h.drain();

    Reply first = h.send(h.delete(Kinds.POD, "apps", "web"));
    Pod marked = object(first);
    assertFalse(first.getDeleted());
    assertEquals("2026-11-27T10:00:30Z", marked.getMetadata().getDeletionTimestamp(), "now + the default 30 s");
    assertEquals(30L, marked.getMetadata().getDeletionGracePeriodSeconds());
    assertEquals(EventOp.DELETION_STARTED, h.events().get(0).getOp());

    // A longer grace period changes nothing; a shorter one shortens the deadline.
    Reply longer = h.send(delete("Pod", "web", opts().setGracePeriodSeconds(60L).build()));
    assertEquals(first.getResourceVersion(), longer.getResourceVersion());
    Pod shortened = object(h.send(delete("Pod", "web", opts().setGracePeriodSeconds(10L).build())));
    assertEquals("2026-11-27T10:00:10Z", shortened.getMetadata().getDeletionTimestamp());
    assertEquals(10L, shortened.getMetadata().getDeletionGracePeriodSeconds());

    // Bind is refused while deleting.
    Reply bindLate = h.send(h.command(CommandOp.BIND, Kinds.POD, "apps", "web").setNodeName("node-2").build());
    assertEquals(409, bindLate.getStatus().getCode());
    h.drain();

    // The node agent saw the containers stop: grace 0 removes the pod.
    Reply gone = h.send(delete("Pod", "web", opts().setGracePeriodSeconds(0L).build()));
    assertTrue(gone.getDeleted());
    assertEquals(EventOp.DELETED, h.events().get(0).getOp());
    assertNull(h.stateRecords(Kinds.POD).get(0).value());
  }

  @Test
  void aPodsOwnTerminationGracePeriodIsTheDefault() {
    Pod p = pod("apps", "quick");
    p.getSpec().setTerminationGracePeriodSeconds(5L);
    h.accept(h.create(p));
    bind("quick", "node-1");
    Pod marked = object(h.send(h.delete(Kinds.POD, "apps", "quick")));
    assertEquals(5L, marked.getMetadata().getDeletionGracePeriodSeconds());
  }

  @Test
  void anUnscheduledOrFinishedPodIsRemovedAtOnce() {
    h.accept(h.create(pod("apps", "pending")));
    assertTrue(h.send(h.delete(Kinds.POD, "apps", "pending")).getDeleted(), "never reached a node");

    h.accept(h.create(pod("apps", "done")));
    bind("done", "node-1");
    Pod finished = pod("apps", "done");
    finished.setStatus(PodStatus.newBuilder().setPhase("Succeeded").build());
    h.accept(h.updateStatus(finished));
    assertTrue(h.send(h.delete(Kinds.POD, "apps", "done")).getDeleted(), "nothing left to stop");
  }

  @Test
  void deletingANamespaceMarksItTerminatingUntilItsFinalizerIsCleared() {
    h.withNamespace("team");
    Reply r = h.send(h.delete(Kinds.NAMESPACE, "", "team"));
    assertTrue(r.getAccepted());
    assertFalse(r.getDeleted());
    Namespace ns = object(r);
    assertEquals("Terminating", ns.getStatus().getPhase());
    assertNotNull(ns.getMetadata().getDeletionTimestamp());
    assertEquals(List.of("kubernetes"), ns.getSpec().getFinalizers());
    assertEquals(EventOp.DELETION_STARTED, h.events().get(0).getOp());
    assertEquals(1, h.stateRecords(Kinds.NAMESPACE).size());

    // The namespace controller (a later piece) empties it and clears spec.finalizers.
    Namespace cleared = Namespace.newBuilder(ns).setSpec(NamespaceSpec.newBuilder().setFinalizers(List.of()).build()).build();
    cleared.getMetadata().setResourceVersion(null);
    Reply removed = h.send(h.update(cleared));
    assertTrue(removed.getDeleted(), () -> String.valueOf(removed.getStatus()));
    assertEquals(EventOp.DELETED, h.events().get(0).getOp());
  }

  @Test
  void aDryRunDeleteRemovesNothing() {
    h.accept(h.create(configMap("apps", "keep", Map.of())));
    h.drain();
    Reply r = h.send(h.command(CommandOp.DELETE, Kinds.CONFIG_MAP, "apps", "keep").setDryRun(true).build());
    assertTrue(r.getAccepted());
    assertTrue(r.getDeleted());
    assertEquals(0, r.getResourceVersion());
    assertTrue(h.events().isEmpty());
    assertTrue(h.stateRecords(Kinds.CONFIG_MAP).isEmpty());
    assertNotNull(h.objectStore().get("ConfigMap/apps/keep"));
  }

  private void bind(String pod, String node) {
    h.accept(h.command(CommandOp.BIND, Kinds.POD, "apps", pod).setNodeName(node).build());
  }
}
