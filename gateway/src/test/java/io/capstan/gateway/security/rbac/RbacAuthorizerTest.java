package io.capstan.gateway.security.rbac;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.PolicyRule;
import io.capstan.gateway.security.RequestAttributes;
import io.capstan.gateway.security.UserInfo;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.bootstrap.DefaultRoles;
import io.capstan.stateviews.rbac.RbacPolicy;
import java.util.List;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The RBAC authorizer over the default roles and a few of a test's own. */
class RbacAuthorizerTest {
  static final UserInfo ALICE = new UserInfo("alice", "", List.of("system:authenticated"));
  static final UserInfo BOB = new UserInfo("bob", "", List.of("devs", "system:authenticated"));
  static final UserInfo ADMIN = new UserInfo("root", "", List.of("system:masters", "system:authenticated"));
  static final UserInfo ROBOT = new UserInfo("system:serviceaccount:ci:builder", "",
      List.of("system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"));
  static final UserInfo ANONYMOUS = new UserInfo("system:anonymous", "", List.of("system:unauthenticated"));

  RbacPolicy policy;
  RbacAuthorizer authorizer;

  static IndexedRecord object(Kind kind, String yaml) {
    return KubeJson.fromJson(kind, KubeJson.parse(yaml)).object();
  }

  @BeforeEach
  void policy() {
    policy = new RbacPolicy();
    for (SpecificRecord o : DefaultRoles.objects()) {
      policy.put(o);
    }
    policy.put(object(Kinds.ROLE, """
        metadata: {name: pod-reader, namespace: default}
        rules:
          - {verbs: [get, list, watch], apiGroups: [""], resources: [pods]}
          - {verbs: [get], apiGroups: [""], resources: [configmaps], resourceNames: [settings]}
          - {verbs: [update], apiGroups: [apps], resources: ["*/scale"]}
        """));
    policy.put(object(Kinds.ROLE_BINDING, """
        metadata: {name: alice-reads, namespace: default}
        subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io},
                   {kind: ServiceAccount, name: builder, namespace: ci}]
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
        """));
    policy.put(object(Kinds.CLUSTER_ROLE_BINDING, """
        metadata: {name: devs-view}
        subjects: [{kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}]
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
        """));
    authorizer = new RbacAuthorizer(policy);
  }

  boolean may(UserInfo user, String verb, String group, String resource, String sub, String ns, String name) {
    return authorizer.authorize(RequestAttributes.resource(user, verb, group, resource, sub, ns, name)).allowed();
  }

  boolean mayPath(UserInfo user, String verb, String path) {
    return authorizer.authorize(RequestAttributes.nonResource(user, verb, path)).allowed();
  }

  @Test
  void aRoleBindingGrantsItsRoleInItsNamespaceOnly() {
    assertTrue(may(ALICE, "list", "", "pods", "", "default", ""));
    assertTrue(may(ALICE, "get", "", "pods", "", "default", "web"));
    assertFalse(may(ALICE, "list", "", "pods", "", "kube-system", ""));
    assertFalse(may(ALICE, "list", "", "pods", "", "", ""), "all namespaces needs a cluster-wide grant");
    assertFalse(may(ALICE, "delete", "", "pods", "", "default", "web"));
    assertFalse(may(ALICE, "get", "", "pods", "log", "default", "web"), "pods/log is not pods");
    assertTrue(may(ROBOT, "watch", "", "pods", "", "default", ""), "a ServiceAccount subject is its user");
  }

  @Test
  void resourceNamesAndSubresourceWildcards() {
    assertTrue(may(ALICE, "get", "", "configmaps", "", "default", "settings"));
    assertFalse(may(ALICE, "get", "", "configmaps", "", "default", "other"));
    assertFalse(may(ALICE, "list", "", "configmaps", "", "default", ""), "a list names no object");
    assertTrue(may(ALICE, "update", "apps", "deployments", "scale", "default", "web"));
    assertFalse(may(ALICE, "update", "apps", "deployments", "", "default", "web"));
  }

  @Test
  void aClusterRoleBindingGrantsEverywhereToAGroup() {
    assertTrue(may(BOB, "list", "", "pods", "", "", ""));
    assertTrue(may(BOB, "get", "apps", "deployments", "", "kube-system", "coredns"));
    assertFalse(may(BOB, "get", "", "secrets", "", "default", "token"), "view does not read secrets");
    assertFalse(may(BOB, "create", "apps", "deployments", "", "default", ""));
    assertTrue(may(BOB, "list", "autoscaling", "horizontalpodautoscalers", "", "default", ""), "view reads hpa");
    assertFalse(may(BOB, "create", "autoscaling", "horizontalpodautoscalers", "", "default", ""));
    assertTrue(may(BOB, "list", "metrics.k8s.io", "pods", "", "default", ""), "view reads pod metrics (kubectl top)");
    assertTrue(may(BOB, "get", "metrics.k8s.io", "nodes", "", "", "n1"), "view reads node metrics");
    assertFalse(may(BOB, "create", "metrics.k8s.io", "pods", "", "default", ""));
  }

  @Test
  void mastersMayDoAnythingAndDefaultsCoverDiscovery() {
    assertTrue(may(ADMIN, "delete", "rbac.authorization.k8s.io", "clusterroles", "", "", "view"));
    assertTrue(mayPath(ADMIN, "get", "/metrics"));
    assertTrue(mayPath(ALICE, "get", "/apis/apps/v1"));
    assertTrue(mayPath(ALICE, "get", "/openapi/v3/api/v1"));
    assertFalse(mayPath(ALICE, "get", "/metrics"));
    assertTrue(mayPath(new UserInfo("prometheus", "", List.of("system:monitoring")), "get", "/metrics"));
    assertTrue(may(ALICE, "create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "", ""));
    assertTrue(mayPath(ANONYMOUS, "get", "/healthz"));
    assertFalse(mayPath(ANONYMOUS, "get", "/api"));
  }

  /** alice-reads without its ServiceAccount subject. */
  static IndexedRecord aliceReadsAlone() {
    return object(Kinds.ROLE_BINDING, """
        metadata: {name: alice-reads, namespace: default}
        subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
        """);
  }

  @Test
  void bindingsFollowChanges() {
    IndexedRecord binding = aliceReadsAlone();
    policy.put(binding);
    assertFalse(may(ROBOT, "watch", "", "pods", "", "default", ""), "the subject left the binding");
    policy.remove(binding);
    assertFalse(may(ALICE, "list", "", "pods", "", "default", ""));
  }

  @Test
  void decisionsMadeBeforeAChangeAreNotKeptAfterIt() {
    IndexedRecord binding = aliceReadsAlone();
    for (int i = 0; i < 2; i++) { // the second time, from the decisions kept
      assertTrue(may(ALICE, "list", "", "pods", "", "default", ""));
      assertFalse(may(ALICE, "list", "", "secrets", "", "default", ""));
    }
    policy.remove(binding);
    assertFalse(may(ALICE, "list", "", "pods", "", "default", ""), "the binding is gone");
    policy.put(object(Kinds.ROLE, """
        metadata: {name: pod-reader, namespace: default}
        rules: [{verbs: [list], apiGroups: [""], resources: [pods, secrets]}]
        """));
    policy.put(binding);
    assertTrue(may(ALICE, "list", "", "secrets", "", "default", ""), "the role now allows it");
    // the same question from another user, or the same user in other groups, is decided afresh
    assertTrue(may(new UserInfo("carol", "", List.of("devs")), "list", "", "pods", "", "default", ""));
    assertFalse(may(new UserInfo("carol", "", List.of("system:authenticated")), "list", "", "pods", "", "default",
        ""), "the same name in other groups");
    assertFalse(may(new UserInfo("dave", "", List.of("devs")), "list", "", "secrets", "", "default", ""));
    for (int i = 0; i < RbacAuthorizer.KEPT_DECISIONS + 10; i++) { // more questions than are kept
      assertTrue(may(ALICE, "list", "", "secrets", "", "default", ""));
      assertFalse(may(ALICE, "get", "", "pods", "", "default", "p-" + i));
    }
  }

  @Test
  void escalationNamesWhatIsNotHeld() {
    List<PolicyRule> held = authorizer.rulesFor(ALICE, "default");
    List<PolicyRule> wanted = List.of(PolicyRule.newBuilder().setVerbs(List.of("get", "delete")).setApiGroups(
        List.of("")).setResources(List.of("pods", "secrets")).build());
    assertEquals(List.of("{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}",
        "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"delete\"]}"),
        EscalationCheck.missing(held, wanted));
    assertEquals(List.of(), EscalationCheck.missing(authorizer.rulesFor(ADMIN, ""), wanted));
    assertEquals(List.of(), EscalationCheck.missing(held, List.of(PolicyRule.newBuilder().setVerbs(List.of("get"))
        .setApiGroups(List.of("")).setResources(List.of("configmaps")).setResourceNames(List.of("settings")).build())));
  }
}
