package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.configMap;
import static io.capstan.stateviews.processor.ProcessorHarness.object;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.ManagedFieldsEntry;
import io.capstan.api.Pod;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.CommandPatch;
import io.capstan.log.EventOp;
import io.capstan.log.Reply;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.processor.rules.FieldOwnership;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Server-side apply and Update ownership, decided by the single writer against the stored object. */
class ServerSideApplyCommandTest {
  private final ProcessorHarness h = new ProcessorHarness();

  @BeforeEach
  void setUp() {
    h.withNamespace("apps");
  }

  @AfterEach
  void close() {
    h.close();
  }

  private Command apply(Kind kind, String name, String manager, String config, boolean status, boolean force) {
    Command c = h.command(status ? CommandOp.UPDATE_STATUS : CommandOp.UPDATE, kind, "apps", name)
        .setPatch(new CommandPatch(FieldOwnership.APPLY_PATCH, config.replace('\'', '"')))
        .setFieldManager(manager).setForce(force).build();
    return c;
  }

  private Command applyData(String manager, String data, boolean force) {
    return apply(Kinds.CONFIG_MAP, "cfg", manager, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'cfg'},"
        + "'data':" + data + "}", false, force);
  }

  @Test
  void applyCreatesTheObjectAndRecordsTheApplierAsOwner() {
    Reply r = h.send(applyData("alice", "{'a':'1'}", false));
    assertTrue(r.getAccepted(), () -> String.valueOf(r.getStatus()));
    ConfigMap cm = object(r);
    assertEquals(Map.of("a", "1"), cm.getData());
    assertNotNull(cm.getMetadata().getUid());
    ManagedFieldsEntry e = cm.getMetadata().getManagedFields().get(0);
    assertEquals("alice", e.getManager());
    assertEquals("Apply", e.getOperation());
    assertEquals("v1", e.getApiVersion());
    assertEquals("FieldsV1", e.getFieldsType());
    assertEquals("{\"f:data\":{\"f:a\":{}}}", e.getFieldsV1());
    assertEquals(EventOp.CREATED, h.events().get(0).getOp());
  }

  @Test
  void anotherManagersValueIsAConflictUntilForced() {
    h.accept(applyData("alice", "{'a':'1','b':'2'}", false));
    h.drain();
    Reply refused = h.send(applyData("bob", "{'a':'9'}", false));
    assertFalse(refused.getAccepted());
    assertEquals(409, refused.getStatus().getCode());
    assertEquals("Conflict", refused.getStatus().getReason());
    assertEquals("Apply failed with 1 conflict: conflict with \"alice\": .data.a", refused.getStatus().getMessage());
    assertEquals(".data.a", refused.getStatus().getCauses().get(0).getField());
    assertEquals("FieldManagerConflict", refused.getStatus().getCauses().get(0).getReason());
    assertTrue(h.events().isEmpty(), "nothing written");

    ConfigMap forced = h.accept(applyData("bob", "{'a':'9'}", true));
    assertEquals(Map.of("a", "9", "b", "2"), forced.getData());
    List<ManagedFieldsEntry> m = forced.getMetadata().getManagedFields();
    assertEquals("{\"f:data\":{\"f:b\":{}}}", m.get(0).getFieldsV1(), "alice keeps b only");
    assertEquals("{\"f:data\":{\"f:a\":{}}}", m.get(1).getFieldsV1());

    ConfigMap dropped = h.accept(applyData("alice", "{}", false));
    assertEquals(Map.of("a", "9"), dropped.getData(), "alice's b goes; bob's a stays");
  }

  @Test
  void aDryRunApplyAnswersWhatWouldBeStoredAndStoresNothing() {
    Command c = applyData("alice", "{'a':'1'}", false);
    c.setDryRun(true);
    Reply r = h.send(c);
    assertTrue(r.getAccepted(), () -> String.valueOf(r.getStatus()));
    assertEquals(Map.of("a", "1"), ((ConfigMap) object(r)).getData());
    assertTrue(h.events().isEmpty());
    assertNull(h.objectStore().get("ConfigMap/apps/cfg"));
  }

  @Test
  void updatesWithAFieldManagerOwnWhatTheyChangeAndApplyConflictsWithThem() {
    ConfigMap created = h.accept(applyData("alice", "{'a':'1'}", false));
    h.clock.advance(Duration.ofSeconds(3));
    ConfigMap edited = configMap("apps", "cfg", Map.of("a", "2"));
    edited.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());
    Command update = h.update(edited);
    update.setFieldManager("kubectl-edit");
    ConfigMap stored = h.accept(update);
    List<ManagedFieldsEntry> m = stored.getMetadata().getManagedFields();
    assertEquals(1, m.size(), "alice's only field moved: her entry goes " + m);
    assertEquals("kubectl-edit", m.get(0).getManager());
    assertEquals("Update", m.get(0).getOperation());
    assertEquals("2026-11-27T10:00:03Z", m.get(0).getTime());

    Reply refused = h.send(applyData("alice", "{'a':'1'}", false));
    assertEquals(409, refused.getStatus().getCode());
    assertEquals("Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1 at 2026-11-27T10:00:03Z: "
        + ".data.a", refused.getStatus().getMessage());
  }

  @Test
  void writesWithoutAFieldManagerKeepOwnershipAsStored() {
    ConfigMap created = h.accept(applyData("alice", "{'a':'1'}", false));
    ConfigMap next = configMap("apps", "cfg", Map.of("a", "1", "c", "3"));
    next.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());
    ConfigMap stored = h.accept(h.update(next));
    assertEquals(created.getMetadata().getManagedFields(), stored.getMetadata().getManagedFields());
  }

  @Test
  void aComponentsOwnWriteRecordsItUnderKubesNameForIt() {
    ConfigMap created = h.accept(applyData("alice", "{'a':'1'}", false));
    ConfigMap next = configMap("apps", "cfg", Map.of("a", "1", "c", "3"));
    next.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());
    Command update = h.update(next);
    update.setActor("system:kube-controller-manager");
    ConfigMap stored = h.accept(update);
    List<ManagedFieldsEntry> m = stored.getMetadata().getManagedFields();
    assertEquals(List.of("alice", "kube-controller-manager"), m.stream().map(ManagedFieldsEntry::getManager).toList());
    assertEquals("Update", m.get(1).getOperation());
    assertEquals("{\"f:data\":{\"f:c\":{}}}", m.get(1).getFieldsV1());

    ConfigMap again = configMap("apps", "cfg", Map.of("a", "1", "c", "3", "d", "4"));
    again.getMetadata().setResourceVersion(stored.getMetadata().getResourceVersion());
    Command byUser = h.update(again); // a write with neither a manager nor a component's identity records nothing
    ConfigMap kept = h.accept(byUser);
    assertEquals(m, kept.getMetadata().getManagedFields());
  }

  @Test
  void malformedManagedFieldsSentInAnUpdateAre422() {
    ConfigMap created = h.accept(applyData("alice", "{'a':'1'}", false));
    ConfigMap next = configMap("apps", "cfg", Map.of("a", "1"));
    next.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());
    next.getMetadata().setManagedFields(List.of(ManagedFieldsEntry.newBuilder().setManager("x")
        .setOperation("Replace").setFieldsV1("{\"f:data\":{}}").build()));
    Command c = h.update(next);
    c.setFieldManager("kubectl-edit");
    Reply r = h.send(c);
    assertEquals(422, r.getStatus().getCode());
    assertTrue(r.getStatus().getMessage().contains("metadata.managedFields[0].operation: Unsupported value: "
        + "\"Replace\""), r.getStatus().getMessage());
  }

  @Test
  void aFieldTheSchemaDoesNotDeclareIs400AndNothingIsStored() {
    Reply r = h.send(apply(Kinds.CONFIG_MAP, "cfg", "alice", "{'apiVersion':'v1','kind':'ConfigMap',"
        + "'metadata':{'name':'cfg'},'data':{'a':'1'},'spec':{'x':1}}", false, false));
    assertEquals(400, r.getStatus().getCode());
    assertEquals("failed to create typed patch object (apps/cfg; v1, Kind=ConfigMap): .spec: field not declared"
        + " in schema", r.getStatus().getMessage());
    assertNull(h.objectStore().get("ConfigMap/apps/cfg"));
  }

  @Test
  void applyWithoutAFieldManagerIs400() {
    Reply r = h.send(applyData("", "{'a':'1'}", false));
    assertEquals(400, r.getStatus().getCode());
    assertTrue(r.getStatus().getMessage().contains("fieldManager"), r.getStatus().getMessage());
  }

  @Test
  void applyToStatusTakesOnlyStatusAndRecordsTheSubresource() {
    Pod pod = h.accept(h.create(ProcessorHarness.pod("apps", "web")));
    Reply r = h.send(apply(Kinds.POD, "web", "agent", "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'web'},"
        + "'spec':{'nodeName':'elsewhere'},'status':{'message':'hello'}}", true, false));
    assertTrue(r.getAccepted(), () -> String.valueOf(r.getStatus()));
    Pod after = object(r);
    assertEquals("hello", after.getStatus().getMessage());
    assertEquals(pod.getSpec().getNodeName(), after.getSpec().getNodeName(), "spec is not the status's");
    ManagedFieldsEntry e = after.getMetadata().getManagedFields().stream()
        .filter(m -> m.getManager().equals("agent")).findFirst().orElseThrow();
    assertEquals("status", e.getSubresource());
    assertEquals("{\"f:status\":{\"f:message\":{}}}", e.getFieldsV1());
  }

  @Test
  void oneEmptyEntryClearsOwnershipAndAnEmptyListKeepsIt() {
    ConfigMap created = h.accept(applyData("alice", "{'a':'1'}", false));
    ConfigMap next = configMap("apps", "cfg", Map.of("a", "1"));
    next.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());
    next.getMetadata().setManagedFields(List.of());
    Command keep = h.update(next);
    keep.setFieldManager("kubectl-edit");
    ConfigMap kept = h.accept(keep);
    assertEquals(created.getMetadata().getManagedFields(), kept.getMetadata().getManagedFields(),
        "an empty list is no request to clear");

    ConfigMap reset = configMap("apps", "cfg", Map.of("a", "1"));
    reset.getMetadata().setResourceVersion(kept.getMetadata().getResourceVersion());
    reset.getMetadata().setManagedFields(List.of(ManagedFieldsEntry.newBuilder().build()));
    Command clear = h.update(reset);
    clear.setFieldManager("kubectl-patch");
    ConfigMap cleared = h.accept(clear);
    assertNull(cleared.getMetadata().getManagedFields(), "[{}] clears; the write changed nothing to own");

    // alice's apply is no longer hers: the same value again is no conflict, and she owns it anew
    ConfigMap again = h.accept(applyData("alice", "{'a':'1'}", false));
    assertEquals(1, again.getMetadata().getManagedFields().size(), String.valueOf(again.getMetadata()));

    // a clearing write that changes a field owns just that field afterwards
    ConfigMap changing = configMap("apps", "cfg", Map.of("a", "1", "c", "3"));
    changing.getMetadata().setResourceVersion(again.getMetadata().getResourceVersion());
    changing.getMetadata().setManagedFields(List.of(ManagedFieldsEntry.newBuilder().build()));
    Command c = h.update(changing);
    c.setFieldManager("kubectl-edit");
    ConfigMap owned = h.accept(c);
    List<ManagedFieldsEntry> m = owned.getMetadata().getManagedFields();
    assertEquals(1, m.size(), String.valueOf(m));
    assertEquals("kubectl-edit", m.get(0).getManager());
    assertEquals("Update", m.get(0).getOperation());
    assertEquals("{\"f:data\":{\"f:c\":{}}}", m.get(0).getFieldsV1());
  }
}
