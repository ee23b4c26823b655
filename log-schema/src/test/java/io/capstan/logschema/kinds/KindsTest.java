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
        "ResourceQuota", "LimitRange", "Deployment", "ReplicaSet", "Job", "Lease", "CustomResourceDefinition",
        "EndpointSlice", "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding",
        "PodDisruptionBudget", "CronJob", "PriorityClass", "DaemonSet", "ControllerRevision",
        "StatefulSet", "PersistentVolume", "PersistentVolumeClaim", "StorageClass",
        "HorizontalPodAutoscaler"),
        Kinds.all().stream().map(Kind::kind).toList());
    assertEquals("apps/v1", Kinds.DEPLOYMENT.apiVersion());
    assertEquals("coordination.k8s.io/v1", Kinds.LEASE.apiVersion());
    assertEquals(List.of("limits"), Kinds.LIMIT_RANGE.shortNames());
    assertEquals(List.of(), Kinds.LEASE.shortNames());
    assertFalse(Kinds.NODE.namespaced());
    assertTrue(Kinds.JOB.categories().contains("all"));
    assertFalse(Kinds.CONFIG_MAP.categories().contains("all"));
    assertEquals(Set.of("Namespace", "Node", "Pod", "Service", "ResourceQuota", "Deployment", "ReplicaSet", "Job",
        "CustomResourceDefinition", "PodDisruptionBudget", "CronJob", "DaemonSet",
        "StatefulSet", "PersistentVolume", "PersistentVolumeClaim", "HorizontalPodAutoscaler"),
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

  private static Kind custom(String kind, String group, String plural, List<String> shortNames) {
    Schema schema = org.apache.avro.SchemaBuilder.record(kind).namespace("io.capstan.custom.test").fields()
        .name("metadata").type(io.capstan.api.ObjectMeta.getClassSchema()).noDefault().endRecord();
    return new Kind(kind, group, "v1", plural, true, shortNames, List.of(), schema, Kind.Subresources.STATUS, null,
        List.of("v1beta1", "v1"), null, Kind.Origin.CUSTOM);
  }

  @Test
  void customKindsAreRegisteredLookedUpAndRemovedAtRunTime() throws Exception {
    List<Kinds.Change> heard = new java.util.ArrayList<>();
    Kind gizmo = custom("Gizmo", "test.capstan.io", "gizmos", List.of("gz"));
    try (AutoCloseable subscription = Kinds.subscribe(heard::add)) {
      assertEquals(Kinds.all().size(), heard.size()); // every kind there is, first
      heard.clear();
      Kinds.register(gizmo);
      assertEquals(List.of(new Kinds.Change.Registered(gizmo)), heard);
      assertEquals(gizmo, Kinds.byName("Gizmo").orElseThrow());
      assertEquals(gizmo, Kinds.byPlural("test.capstan.io", "gizmos").orElseThrow());
      assertEquals(gizmo, Kinds.lookup("gz").orElseThrow());
      assertEquals(gizmo, Kinds.lookup("gizmos.test.capstan.io").orElseThrow());
      assertEquals(gizmo, Kinds.bySchema(gizmo.schema()).orElseThrow());
      assertEquals(gizmo, Kinds.byApiVersionAndKind("test.capstan.io/v1beta1", "Gizmo").orElseThrow());
      assertTrue(Kinds.byApiVersionAndKind("test.capstan.io/v2", "Gizmo").isEmpty());
      assertEquals(Kinds.builtIn().size() + 1, Kinds.all().size());

      // Names another kind has are refused, naming the conflict; the same kind may replace its entry.
      assertTrue(Kinds.conflict(custom("Gizmo", "other.capstan.io", "gizmos", List.of())).orElseThrow()
          .contains("already served by group \"test.capstan.io\""));
      assertTrue(Kinds.conflict(custom("Widget", "test.capstan.io", "gizmos", List.of())).orElseThrow()
          .contains("plural gizmos"));
      assertTrue(Kinds.conflict(custom("Thing", "else.capstan.io", "things", List.of("po"))).orElseThrow()
          .contains("\"po\" is already used by Pod"));
      assertTrue(Kinds.conflict(custom("Pod", "", "pods", List.of())).orElseThrow().contains("built in"));
      assertTrue(Kinds.conflict(gizmo).isEmpty());
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> Kinds.register(custom("Gizmo", "other.capstan.io", "gizmos", List.of())));

      assertTrue(Kinds.unregister("Gizmo"));
      assertEquals(new Kinds.Change.Unregistered(gizmo), heard.get(heard.size() - 1));
      assertTrue(Kinds.byName("Gizmo").isEmpty());
      assertFalse(Kinds.unregister("Gizmo"));
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Kinds.unregister("Pod"));
    } finally {
      Kinds.unregister("Gizmo");
    }
  }
}
