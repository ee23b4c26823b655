package io.capstan.stateviews.processor.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.capstan.api.CustomResourceDefinition;
import io.capstan.api.Namespace;
import io.capstan.api.NamespaceStatus;
import io.capstan.api.ObjectMeta;
import io.capstan.logschema.client.Commands;
import io.capstan.logschema.crd.CustomResourceDefinitions;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.time.Instant;
import java.util.Optional;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A definition may enable the status subresource without declaring a {@code status} property (as
 * Kubernetes allows; such a status is pruned): its objects are created, updated and status-updated
 * like any other, with nothing to reset.
 */
class StatuslessCustomKindTest {
  private static final String CRD = """
      apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata: {name: cogs.example.com, uid: u-2, resourceVersion: "10", creationTimestamp: "2026-01-01T00:00:00Z"}
      spec:
        group: example.com
        scope: Namespaced
        names: {plural: cogs, singular: cog, kind: Cog}
        versions:
        - name: v1
          served: true
          storage: true
          subresources: {status: {}}
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
    CustomResourceDefinitions.unfollow("cogs.example.com");
    Kinds.unregister("Cog");
  }

  @Test
  void createUpdateAndStatusUpdateOfAKindWithoutAStatusProperty() {
    CustomResourceDefinition crd = KubeJson.<CustomResourceDefinition>fromText(Kinds.CUSTOM_RESOURCE_DEFINITION, CRD)
        .object();
    assertEquals(Optional.empty(), CustomResourceDefinitions.follow(crd));
    Kind cog = Kinds.require("Cog");
    IndexedRecord object = KubeJson.fromText(cog, """
        apiVersion: example.com/v1
        kind: Cog
        metadata: {name: c1, namespace: apps}
        spec: {teeth: 3}
        """).object();
    Outcome.Write created = assertInstanceOf(Outcome.Write.class,
        rules.decide(Commands.create(object), cog, object, null, NOW));
    IndexedRecord stored = created.after();
    IndexedRecord changed = ObjectFields.copy(stored);
    ObjectFields.put(changed, "spec", KubeJson.fromText(cog, """
        apiVersion: example.com/v1
        kind: Cog
        metadata: {name: c1, namespace: apps}
        spec: {teeth: 4}
        """).object().get(changed.getSchema().getField("spec").pos()));
    Outcome.Write updated = assertInstanceOf(Outcome.Write.class,
        rules.decide(Commands.update(changed), cog, changed, stored, NOW));
    assertEquals(2L, ObjectFields.meta(updated.after()).getGeneration());
    IndexedRecord status = ObjectFields.copy(updated.after());
    // no status to change: a no-op, not an error
    assertInstanceOf(Outcome.Unchanged.class,
        rules.decide(Commands.updateStatus(status), cog, status, updated.after(), NOW));
  }
}
