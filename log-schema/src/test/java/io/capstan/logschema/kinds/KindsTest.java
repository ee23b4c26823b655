package io.capstan.logschema.kinds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class KindsTest {

  @Test
  void registersEveryKindWithItsDiscoveryFacts() {
    assertEquals(List.of("Namespace", "Node", "Pod", "Service", "Endpoints", "ConfigMap", "Secret", "Event",
        "ResourceQuota", "LimitRange", "Deployment", "ReplicaSet", "Job", "Lease"),
        Kinds.all().stream().map(Kind::kind).toList());
    assertEquals("apps/v1", Kinds.DEPLOYMENT.apiVersion());
    assertEquals("coordination.k8s.io/v1", Kinds.LEASE.apiVersion());
    assertEquals(List.of("limits"), Kinds.LIMIT_RANGE.shortNames());
    assertEquals(List.of(), Kinds.LEASE.shortNames());
    assertFalse(Kinds.NODE.namespaced());
    assertTrue(Kinds.JOB.categories().contains("all"));
    assertFalse(Kinds.CONFIG_MAP.categories().contains("all"));
    assertEquals(Set.of("Namespace", "Node", "Pod", "Service", "ResourceQuota", "Deployment", "ReplicaSet", "Job"),
        new HashSet<>(Kinds.all().stream().filter(Kind::hasStatus).map(Kind::kind).toList()));
    assertEquals(Kinds.REPLICA_SET, Kinds.byPlural("apps", "replicasets").orElseThrow());
    assertEquals(Kinds.EVENT, Kinds.byApiVersionAndKind("v1", "Event").orElseThrow());
  }

  @Test
  void schemaPropertiesSitOnTheFields() {
    Schema container = io.capstan.api.Container.getClassSchema();
    KubeField env = KubeField.of(container.getField("env"));
    assertEquals("name", env.mergeKey().orElseThrow());
    assertEquals("merge", env.patchStrategy().orElseThrow());
    assertEquals("mountPath", KubeField.of(container.getField("volumeMounts")).mergeKey().orElseThrow());
    assertTrue(KubeField.of(container.getField("name")).required());
    Schema podSpec = io.capstan.api.PodSpec.getClassSchema();
    assertEquals("merge,retainKeys", KubeField.of(podSpec.getField("volumes")).patchStrategy().orElseThrow());
    assertTrue(KubeField.of(podSpec.getField("tolerations")).mergeKey().isEmpty());
    assertTrue(KubeField.of(io.capstan.api.ResourceRequirements.getClassSchema().getField("limits"))
        .hasFormat(KubeField.FORMAT_QUANTITY));
    KubeField targetPort = KubeField.of(io.capstan.api.ServicePort.getClassSchema().getField("targetPort"));
    assertTrue(targetPort.hasFormat(KubeField.FORMAT_INT_OR_STRING));
    assertEquals(Schema.Type.UNION, targetPort.valueSchema().getType());
    assertEquals("date-time", KubeField.of(io.capstan.api.ObjectMeta.getClassSchema().getField("creationTimestamp"))
        .format().orElseThrow());
  }
}
