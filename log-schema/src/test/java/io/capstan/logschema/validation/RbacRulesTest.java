package io.capstan.logschema.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.RoleBinding;
import io.capstan.logschema.defaults.ObjectDefaults;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;

/** RBAC validation as kube-apiserver's rbac/validation, plus the known-verb rule of issue 16. */
class RbacRulesTest {

  private static IndexedRecord object(Kind kind, String yaml) {
    IndexedRecord o = KubeJson.fromJson(kind, KubeJson.parse(yaml)).object();
    ObjectDefaults.apply(o);
    return o;
  }

  private static List<String> errors(Kind kind, String yaml) {
    return ObjectValidator.validate(kind, object(kind, yaml)).stream().map(FieldError::toString).toList();
  }

  private static void assertHas(List<String> errors, String expected) {
    assertTrue(errors.contains(expected), "expected <" + expected + "> in " + errors);
  }

  @Test
  void aRoleNeedsVerbsGroupsAndResourcesAndKnownVerbs() {
    assertEquals(List.of(), errors(Kinds.ROLE, """
        metadata: {name: "system:pod-reader", namespace: default}
        rules: [{verbs: [get, list, watch], apiGroups: [""], resources: [pods, pods/log], resourceNames: [web]}]
        """));
    List<String> bad = errors(Kinds.ROLE, """
        metadata: {name: reader, namespace: default}
        rules:
          - {verbs: [], apiGroups: [""], resources: [pods]}
          - {verbs: [get, lsit], resources: [pods]}
          - {verbs: [get], nonResourceURLs: [/healthz]}
        """);
    assertHas(bad, "rules[0].verbs: Required value: verbs must contain at least one value");
    assertTrue(bad.stream().anyMatch(e -> e.startsWith("rules[1].verbs[1]: Unsupported value: \"lsit\": supported values:")),
        bad::toString);
    assertHas(bad, "rules[1].apiGroups: Required value: resource rules must supply at least one api group");
    assertHas(bad, "rules[2].nonResourceURLs: Invalid value: \"[/healthz]\": namespaced rules cannot apply to"
        + " non-resource URLs");
    assertEquals(4, bad.size(), bad::toString);
  }

  @Test
  void aClusterRoleMayHoldNonResourceUrlsButNotMixedWithResources() {
    assertEquals(List.of(), errors(Kinds.CLUSTER_ROLE, """
        metadata: {name: "system:discovery"}
        rules: [{verbs: [get], nonResourceURLs: [/api, /api/*, /healthz]}]
        """));
    assertEquals(List.of("rules[0].nonResourceURLs: Invalid value: \"[/api]\": rules cannot apply to both regular"
        + " resources and non-resource URLs"), errors(Kinds.CLUSTER_ROLE, """
        metadata: {name: mixed}
        rules: [{verbs: [get], resources: [pods], nonResourceURLs: [/api]}]
        """));
    assertEquals(List.of("aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector"
        + " required if aggregationRule is non-nil"), errors(Kinds.CLUSTER_ROLE, """
        metadata: {name: agg}
        aggregationRule: {clusterRoleSelectors: []}
        """));
  }

  @Test
  void bindingsReferToRolesOfTheRbacGroupAndKnownSubjectKinds() {
    String good = """
        metadata: {name: read-pods, namespace: default}
        subjects: [{kind: User, name: alice}, {kind: ServiceAccount, name: builder, namespace: ci}, {kind: Group, name: devs}]
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
        """;
    assertEquals(List.of(), errors(Kinds.ROLE_BINDING, good));
    RoleBinding defaulted = (RoleBinding) object(Kinds.ROLE_BINDING, good);
    assertEquals("rbac.authorization.k8s.io", defaulted.getSubjects().get(0).getApiGroup());
    assertEquals(null, defaulted.getSubjects().get(1).getApiGroup());
    List<String> bad = errors(Kinds.CLUSTER_ROLE_BINDING, """
        metadata: {name: "a:b"}
        subjects: [{kind: Robot, name: r2}, {kind: ServiceAccount, name: x}]
        roleRef: {apiGroup: example.com, kind: Role, name: "a/b"}
        """);
    assertHas(bad, "roleRef.apiGroup: Unsupported value: \"example.com\": supported values: \"rbac.authorization.k8s.io\"");
    assertHas(bad, "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"");
    assertHas(bad, "roleRef.name: Invalid value: \"a/b\": may not contain '/'");
    assertHas(bad, "subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"");
    assertHas(bad, "subjects[1].namespace: Required value");
    List<String> noRef = errors(Kinds.ROLE_BINDING, "metadata: {name: x, namespace: default}\n");
    assertTrue(noRef.contains("roleRef.name: Required value"), noRef::toString);
  }

  @Test
  void roleRefCannotChangeOnUpdate() {
    String yaml = """
        metadata: {name: b, namespace: default}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: NAME}
        """;
    IndexedRecord before = object(Kinds.ROLE_BINDING, yaml.replace("NAME", "one"));
    assertEquals(List.of(), RbacRules.checkUpdate(before, object(Kinds.ROLE_BINDING, yaml.replace("NAME", "one"))));
    assertEquals(List.of("roleRef: Invalid value: \"{APIGroup:rbac.authorization.k8s.io, Kind:Role, Name:two}\":"
        + " cannot change roleRef"), RbacRules.checkUpdate(before, object(Kinds.ROLE_BINDING, yaml.replace("NAME", "two")))
        .stream().map(FieldError::toString).toList());
  }
}
