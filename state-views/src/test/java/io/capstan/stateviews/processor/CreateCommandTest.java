package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.configMap;
import static io.capstan.stateviews.processor.ProcessorHarness.header;
import static io.capstan.stateviews.processor.ProcessorHarness.meta;
import static io.capstan.stateviews.processor.ProcessorHarness.namespace;
import static io.capstan.stateviews.processor.ProcessorHarness.object;
import static io.capstan.stateviews.processor.ProcessorHarness.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodStatus;
import io.capstan.api.Secret;
import io.capstan.log.CommandOp;
import io.capstan.log.Event;
import io.capstan.log.EventOp;
import io.capstan.log.Reply;
import io.capstan.log.StatusCause;
import io.capstan.logschema.kinds.Kinds;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CreateCommandTest {
  private final ProcessorHarness h = new ProcessorHarness();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void createStoresTheObjectWithServerFieldsAndEmitsOneEventStateRecordAndReply() {
    h.withNamespace("apps");
    ConfigMap sent = configMap("apps", "settings", Map.of("mode", "fast"));
    sent.getMetadata().setUid("client-chosen");
    sent.getMetadata().setGeneration(7L);
    sent.getMetadata().setDeletionTimestamp("2020-01-01T00:00:00Z");

    Reply reply = h.send(h.create(sent));

    assertTrue(reply.getAccepted());
    assertEquals(0, reply.getPartition());
    assertFalse(reply.getDeleted());
    ConfigMap stored = object(reply);
    ObjectMeta m = stored.getMetadata();
    assertEquals(Long.toString(reply.getResourceVersion()), m.getResourceVersion());
    assertTrue(reply.getResourceVersion() > 0);
    assertNotNull(m.getUid());
    assertFalse(m.getUid().equals("client-chosen"), "uid is the server's");
    assertEquals(36, m.getUid().length());
    assertEquals("2026-11-27T10:00:00Z", m.getCreationTimestamp());
    assertEquals(1L, m.getGeneration());
    assertNull(m.getDeletionTimestamp(), "a client cannot create an object already being deleted");
    assertEquals(Map.of("mode", "fast"), stored.getData());

    List<Event> events = h.events();
    assertEquals(1, events.size());
    Event e = events.get(0);
    assertEquals(EventOp.CREATED, e.getOp());
    assertEquals("ConfigMap", e.getKind());
    assertEquals("apps", e.getNamespace());
    assertEquals("settings", e.getName());
    assertEquals(m.getUid(), e.getUid());
    assertEquals("tester", e.getActor());
    assertEquals(reply.getRequestId(), e.getRequestId());
    assertEquals(reply.getResourceVersion(), e.getResourceVersion());
    assertEquals(stored, object(e));
    assertNull(e.getMergePatch(), "creates carry no patch");

    List<TestRecord<String, byte[]>> state = h.stateRecords(Kinds.CONFIG_MAP);
    assertEquals(1, state.size());
    assertEquals("ConfigMap/apps/settings", state.get(0).key());
    assertEquals(stored, ProcessorHarness.CODEC.decode(state.get(0).value()));
    assertEquals(Long.toString(reply.getResourceVersion()), header(state.get(0), CommandApplier.RV_HEADER));
  }

  @Test
  void aNamespaceGetsTheKubernetesFinalizerAndPhaseActive() {
    Namespace sent = namespace("team-a");
    sent.setStatus(io.capstan.api.NamespaceStatus.newBuilder().setPhase("Terminating").build());
    Namespace ns = h.accept(h.create(sent));
    assertEquals(List.of("kubernetes"), ns.getSpec().getFinalizers());
    assertEquals("Active", ns.getStatus().getPhase());
    assertNull(ns.getMetadata().getNamespace());
  }

  /** core/v1 SetDefaults_Secret: kubectl create secret generic sends no type. */
  @Test
  void aSecretWithoutATypeIsOpaque() {
    h.withNamespace("apps");
    io.capstan.api.Secret untyped = io.capstan.api.Secret.newBuilder().setMetadata(meta("apps", "creds").build()).build();
    assertEquals("Opaque", ((io.capstan.api.Secret) h.accept(h.create(untyped))).getType());
    io.capstan.api.Secret typed = io.capstan.api.Secret.newBuilder().setMetadata(meta("apps", "tls").build())
        .setType("kubernetes.io/tls").build();
    assertEquals("kubernetes.io/tls", ((io.capstan.api.Secret) h.accept(h.create(typed))).getType());
  }

  /** Secrets encrypted in the log: values in clear are refused, sealed ones stored as sealed. */
  @Test
  void aSecretWithValuesInClearIsRefusedAndASealedOneIsStoredSealed() {
    h.withNamespace("apps");
    io.capstan.api.Secret clear = io.capstan.api.Secret.newBuilder().setMetadata(meta("apps", "db").build())
        .setStringData(java.util.Map.of("password", "in-clear")).build();
    Reply r = h.send(h.create(clear));
    assertEquals(422, r.getStatus().getCode(), r.toString());
    assertTrue(r.getStatus().getMessage().contains("must be sealed"), r.getStatus().getMessage());
    io.capstan.api.Secret stored = h.accept(h.create(
        io.capstan.logschema.secrets.SecretSealing.seal(clear, io.capstan.logschema.secrets.EncryptionConfig.generate())));
    assertTrue(io.capstan.logschema.secrets.SecretSealing.isSealed(stored), stored.toString());
  }

  @Test
  void aPodStartsPendingWhateverStatusItWasSentWith() {
    h.withNamespace("apps");
    Pod sent = pod("apps", "web");
    sent.setStatus(PodStatus.newBuilder().setPhase("Running").setPodIP("10.0.0.1").build());
    Pod stored = h.accept(h.create(sent));
    assertEquals("Pending", stored.getStatus().getPhase());
    assertNull(stored.getStatus().getPodIP());
  }

  /** DefaultTolerationSeconds admission: five minutes on a lost node unless the pod says otherwise. */
  @Test
  void aNewPodToleratesNotReadyAndUnreachableNodesForFiveMinutes() {
    h.withNamespace("apps");
    Pod stored = h.accept(h.create(pod("apps", "web")));
    List<String> got = stored.getSpec().getTolerations().stream()
        .map(t -> t.getKey() + " " + t.getOperator() + " " + t.getEffect() + " " + t.getTolerationSeconds()).toList();
    assertEquals(List.of("node.kubernetes.io/not-ready Exists NoExecute 300",
        "node.kubernetes.io/unreachable Exists NoExecute 300"), got);

    Pod own = pod("apps", "patient");
    own.getSpec().setTolerations(List.of(io.capstan.api.Toleration.newBuilder().setOperator("Exists").build()));
    Pod kept = h.accept(h.create(own));
    assertEquals(1, kept.getSpec().getTolerations().size(), "a pod that tolerates everything keeps just that");
  }

  @Test
  void creatingAnExistingObjectIsAlreadyExists() {
    h.withNamespace("apps");
    Reply first = h.send(h.create(configMap("apps", "x", Map.of())));
    h.drain();

    Reply r = h.send(h.create(configMap("apps", "x", Map.of("a", "b"))));

    assertFalse(r.getAccepted());
    assertEquals(409, r.getStatus().getCode());
    assertEquals("AlreadyExists", r.getStatus().getReason());
    assertEquals("configmaps \"x\" already exists", r.getStatus().getMessage());
    assertEquals("configmaps", r.getStatus().getKind());
    assertEquals("x", r.getStatus().getName());
    assertEquals(first.getResourceVersion(), r.getResourceVersion(), "the refusal names the stored version");
    assertNull(r.getObject());
    assertTrue(h.events().isEmpty(), "a rejected command writes no event");
    assertTrue(h.stateRecords(Kinds.CONFIG_MAP).isEmpty(), "nor a state record");
  }

  @Test
  void creatingInAMissingNamespaceIsNotFound() {
    Reply r = h.send(h.create(configMap("nowhere", "x", Map.of())));
    assertEquals(404, r.getStatus().getCode());
    assertEquals("NotFound", r.getStatus().getReason());
    assertEquals("namespaces \"nowhere\" not found", r.getStatus().getMessage());
    assertTrue(h.events().isEmpty());
  }

  @Test
  void creatingInATerminatingNamespaceIsForbidden() {
    h.withNamespace("going");
    h.accept(h.delete(Kinds.NAMESPACE, "", "going"));
    h.drain();

    Reply r = h.send(h.create(configMap("going", "late", Map.of())));

    assertEquals(403, r.getStatus().getCode());
    assertEquals("Forbidden", r.getStatus().getReason());
    assertEquals("configmaps \"late\" is forbidden: unable to create new content in namespace going because it is being"
        + " terminated", r.getStatus().getMessage());
    assertEquals("NamespaceTerminating", r.getStatus().getCauses().get(0).getReason());
    assertTrue(h.events().isEmpty());
  }

  @Test
  void aBadNameIsInvalidWithACauseNamingTheField() {
    h.withNamespace("apps");
    Reply r = h.send(h.create(configMap("apps", "Bad_Name", Map.of())));
    assertEquals(422, r.getStatus().getCode());
    assertEquals("Invalid", r.getStatus().getReason());
    assertEquals("ConfigMap", r.getStatus().getKind());
    assertTrue(r.getStatus().getMessage().startsWith("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value:"
        + " \"Bad_Name\": a lowercase RFC 1123 subdomain"), r.getStatus().getMessage());
    StatusCause cause = r.getStatus().getCauses().get(0);
    assertEquals("metadata.name", cause.getField());
    assertEquals("FieldValueInvalid", cause.getReason());
    assertTrue(h.events().isEmpty());
  }

  @Test
  void aNamespaceNameMustBeALabel() {
    Reply r = h.send(h.create(namespace("has.dots")));
    assertEquals(422, r.getStatus().getCode());
    assertTrue(r.getStatus().getMessage().contains("RFC 1123 label"), r.getStatus().getMessage());
    assertEquals("metadata.name", r.getStatus().getCauses().get(0).getField());
  }

  @Test
  void anObjectThatDoesNotMatchItsCommandIsABadRequest() {
    h.withNamespace("apps");
    h.withNamespace("other");
    // name differs
    ConfigMap renamed = configMap("apps", "a", Map.of());
    var cmd = h.create(renamed);
    cmd.setName("b");
    Reply byName = h.send(cmd);
    assertEquals(400, byName.getStatus().getCode());
    assertEquals("BadRequest", byName.getStatus().getReason());
    assertTrue(byName.getStatus().getMessage().contains("the name of the object (a) does not match"), byName.getStatus().getMessage());
    // namespace differs
    var moved = h.create(configMap("other", "a", Map.of()));
    moved.setNamespace("apps");
    Reply byNamespace = h.send(moved);
    assertEquals(400, byNamespace.getStatus().getCode());
    assertTrue(byNamespace.getStatus().getMessage().contains("namespace of the provided object (other)"));
    // kind differs: a Secret sent as a ConfigMap
    Secret secret = Secret.newBuilder().setMetadata(ProcessorHarness.meta("apps", "s").build()).build();
    var wrongKind = h.command(CommandOp.CREATE, Kinds.CONFIG_MAP, "apps", "s")
        .setObject(ByteBuffer.wrap(ProcessorHarness.CODEC.encode(secret))).build();
    Reply byKind = h.send(wrongKind);
    assertEquals(400, byKind.getStatus().getCode());
    assertEquals("the object is a Secret but the command is for ConfigMap", byKind.getStatus().getMessage());
    assertTrue(h.events().isEmpty());
  }

  @Test
  void aMissingObjectAndAnUndecodableObjectAreBadRequests() {
    h.withNamespace("apps");
    Reply none = h.send(h.command(CommandOp.CREATE, Kinds.CONFIG_MAP, "apps", "x").build());
    assertEquals(400, none.getStatus().getCode());
    assertTrue(none.getStatus().getMessage().contains("carries no object"));

    Reply garbage = h.send(h.command(CommandOp.CREATE, Kinds.CONFIG_MAP, "apps", "y")
        .setObject(ByteBuffer.wrap(new byte[] {1, 2, 3})).build());
    assertEquals(400, garbage.getStatus().getCode());
    assertTrue(garbage.getStatus().getMessage().contains("could not be decoded"), garbage.getStatus().getMessage());
    assertTrue(h.events().isEmpty());
  }

  @Test
  void aResourceVersionOnCreateIsABadRequest() {
    h.withNamespace("apps");
    ConfigMap cm = configMap("apps", "x", Map.of());
    cm.getMetadata().setResourceVersion("42");
    Reply r = h.send(h.create(cm));
    assertEquals(400, r.getStatus().getCode());
    assertTrue(r.getStatus().getMessage().startsWith("resourceVersion should not be set on objects to be created"));
  }

  @Test
  void scopeMismatchesAreBadRequests() {
    Reply clusterScoped = h.send(h.command(CommandOp.CREATE, Kinds.NAMESPACE, "apps", "ns1").build());
    assertEquals(400, clusterScoped.getStatus().getCode());
    assertTrue(clusterScoped.getStatus().getMessage().contains("cluster-scoped"));
    Reply namespaced = h.send(h.command(CommandOp.CREATE, Kinds.CONFIG_MAP, "", "cm").build());
    assertEquals(400, namespaced.getStatus().getCode());
    assertTrue(namespaced.getStatus().getMessage().contains("needs a namespace"));
  }

  @Test
  void anEmptyNameOnCreateIsInvalid() {
    h.withNamespace("apps");
    Reply r = h.send(h.command(CommandOp.CREATE, Kinds.CONFIG_MAP, "apps", "").build());
    assertEquals(422, r.getStatus().getCode());
    assertEquals("metadata.name", r.getStatus().getCauses().get(0).getField());
  }
}
