package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.object;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ClusterRole;
import io.capstan.api.RoleBinding;
import io.capstan.log.Reply;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.bootstrap.DefaultRoles;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The RBAC kinds through the command processor: path-segment names, validation, roleRef immutable. */
class RbacCommandTest {
  private final ProcessorHarness h = new ProcessorHarness();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void theDefaultRolesAreAcceptedWithTheirColonNames() {
    for (SpecificRecord o : DefaultRoles.objects()) {
      Reply r = h.send(h.create(o));
      assertTrue(r.getAccepted(), () -> o.getSchema().getName() + ": " + r.getStatus());
      if (o instanceof ClusterRole role && role.getMetadata().getName().equals("system:basic-user")) {
        assertEquals("system:basic-user", ((ClusterRole) object(r)).getMetadata().getName());
      }
    }
    Reply again = h.send(h.create(DefaultRoles.objects().get(0)));
    assertEquals("AlreadyExists", again.getStatus().getReason(), "what the bootstrap takes for done");
  }

  @Test
  void roleRefCannotChangeButSubjectsCan() {
    h.withNamespace("apps");
    String yaml = """
        metadata: {name: readers, namespace: apps}
        subjects: [{kind: User, name: alice}]
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ROLE}
        """;
    RoleBinding created = h.accept(h.create(KubeJson.fromJson(Kinds.ROLE_BINDING, KubeJson.parse(
        yaml.replace("ROLE", "view"))).object()));
    assertEquals("rbac.authorization.k8s.io", created.getSubjects().get(0).getApiGroup(), "defaulted");

    RoleBinding otherRole = (RoleBinding) KubeJson.fromJson(Kinds.ROLE_BINDING, KubeJson.parse(
        yaml.replace("ROLE", "edit"))).object();
    Reply refused = h.send(h.update(otherRole));
    assertFalse(refused.getAccepted());
    assertEquals(422, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getMessage().contains("roleRef: Invalid value: \"{APIGroup:rbac.authorization.k8s.io,"
        + " Kind:ClusterRole, Name:edit}\": cannot change roleRef"), refused.getStatus().getMessage());

    RoleBinding moreSubjects = (RoleBinding) KubeJson.fromJson(Kinds.ROLE_BINDING, KubeJson.parse(yaml.replace("ROLE",
        "view").replace("[{kind: User, name: alice}]", "[{kind: User, name: alice}, {kind: Group, name: devs}]")))
        .object();
    Reply changed = h.send(h.update(moreSubjects));
    assertTrue(changed.getAccepted(), () -> String.valueOf(changed.getStatus()));
  }

  @Test
  void aBindingToAnUnknownSubjectKindIsInvalid() {
    Reply r = h.send(h.create(KubeJson.fromJson(Kinds.CLUSTER_ROLE_BINDING, KubeJson.parse("""
        metadata: {name: "robots:all"}
        subjects: [{kind: Robot, name: r2}]
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
        """)).object()));
    assertEquals(422, r.getStatus().getCode());
    assertTrue(r.getStatus().getMessage().contains("subjects[0].kind: Unsupported value: \"Robot\""),
        r.getStatus().getMessage());
  }
}
