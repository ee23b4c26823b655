package io.capstan.stateviews.processor.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.CustomResourceDefinition;
import io.capstan.api.Namespace;
import io.capstan.api.NamespaceStatus;
import io.capstan.api.ObjectMeta;
import io.capstan.log.EventOp;
import io.capstan.logschema.client.Commands;
import io.capstan.logschema.crd.CustomResourceDefinitions;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Deleting a CustomResourceDefinition: held by the cleanup finalizer, Terminating, and no new objects. */
class DefinitionRulesTest {
  private static final String CRD = """
      apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata: {name: gears.example.com, uid: u-1, resourceVersion: "10", creationTimestamp: "2026-01-01T00:00:00Z"}
      spec:
        group: example.com
        scope: Namespaced
        names: {plural: gears, singular: gear, kind: Gear}
        versions:
        - name: v1
          served: true
          storage: true
          schema:
            openAPIV3Schema:
              type: object
              properties:
                spec: {type: object, properties: {teeth: {type: integer}}}
      status:
        conditions:
        - {type: Established, status: "True", reason: InitialNamesAccepted, message: ok, lastTransitionTime: "2026-01-01T00:00:00Z"}
      """;
  private static final Instant NOW = Instant.parse("2026-02-01T00:00:00Z");
  private final WriteRules rules = new WriteRules(name -> Optional.of(Namespace.newBuilder()
      .setMetadata(ObjectMeta.newBuilder().setName(name).build())
      .setStatus(NamespaceStatus.newBuilder().setPhase("Active").build()).build()));

  @AfterEach
  void unregister() {
    CustomResourceDefinitions.unfollow("gears.example.com");
    Kinds.unregister("Gear");
  }

  private static CustomResourceDefinition crd() {
    return KubeJson.<CustomResourceDefinition>fromText(Kinds.CUSTOM_RESOURCE_DEFINITION, CRD).object();
  }

  @Test
  void theFirstDeleteAddsTheCleanupFinalizerAndTerminatingInsteadOfRemoving() {
    CustomResourceDefinition stored = crd();
    Outcome o = rules.decide(Commands.delete(Kinds.CUSTOM_RESOURCE_DEFINITION, "", "gears.example.com", null),
        Kinds.CUSTOM_RESOURCE_DEFINITION, null, stored, NOW);

    Outcome.Write w = assertInstanceOf(Outcome.Write.class, o);
    assertEquals(EventOp.DELETION_STARTED, w.op());
    CustomResourceDefinition after = (CustomResourceDefinition) w.after();
    assertEquals(List.of(CustomResourceDefinitions.CLEANUP_FINALIZER), after.getMetadata().getFinalizers());
    assertNotNull(after.getMetadata().getDeletionTimestamp());
    var terminating = CustomResourceDefinitions.condition(after, CustomResourceDefinitions.TERMINATING).orElseThrow();
    assertEquals("True", terminating.getStatus());
    assertEquals("InstanceDeletionPending", terminating.getReason());
    assertTrue(CustomResourceDefinitions.established(after), "still established: its objects are deleted through it");
  }

  @Test
  void aTerminatingDefinitionKeepsItsKindServedButRefusesNewObjects() {
    CustomResourceDefinition crd = crd();
    assertTrue(CustomResourceDefinitions.follow(crd).isEmpty());
    Kind gear = Kinds.byName("Gear").orElseThrow();
    IndexedRecord object = KubeJson.fromText(gear, """
        apiVersion: example.com/v1
        kind: Gear
        metadata: {name: g1, namespace: apps}
        spec: {teeth: 3}
        """).object();
    assertInstanceOf(Outcome.Write.class, rules.decide(Commands.create(object), gear, object, null, NOW));

    crd.getMetadata().setDeletionTimestamp("2026-02-01T00:00:00Z");
    assertTrue(CustomResourceDefinitions.follow(crd).isEmpty());
    assertTrue(Kinds.byName("Gear").isPresent(), "a terminating definition's kind is still served");
    assertTrue(CustomResourceDefinitions.terminating(gear));
    IndexedRecord again = KubeJson.fromText(gear, """
        apiVersion: example.com/v1
        kind: Gear
        metadata: {name: g2, namespace: apps}
        """).object();
    Outcome.Rejected r = assertInstanceOf(Outcome.Rejected.class,
        rules.decide(Commands.create(again), gear, again, null, NOW));
    assertEquals(405, r.status().getCode());
    assertEquals("MethodNotAllowed", r.status().getReason());
    assertEquals("create not allowed while custom resource definition is terminating", r.status().getMessage());

    CustomResourceDefinitions.unfollow("gears.example.com");
    assertFalse(CustomResourceDefinitions.terminating(gear));
    assertTrue(Kinds.byName("Gear").isEmpty());
  }
}
