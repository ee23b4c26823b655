package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.gateway.testing.KubectlCli;
import io.capstan.gateway.testing.KubectlCli.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * RBAC through the real kubectl, run on the shared cluster of {@link KubectlOnKafkaTest}: users
 * from the token file ({@link #TOKENS}) bound to a Role and a ClusterRole, the {@code auth can-i}
 * matrix, {@code --list}, the 403 wording, escalation refused, roleRef immutable.
 */
final class RbacKubectlChecks {
  static final String ALICE_TOKEN = "alice-token-0123456789";
  static final String BOB_TOKEN = "bob-token-0123456789";
  /** Token file lines: alice (no groups of her own) and bob (group devs). */
  static final String TOKENS = ALICE_TOKEN + ",alice,alice-uid\n" + BOB_TOKEN + ",bob,bob-uid,\"devs\"\n";

  private final KubectlCli cli;
  private final Path dir;

  RbacKubectlChecks(KubectlCli cli, Path dir) {
    this.cli = cli;
    this.dir = dir;
  }

  /** Adds the test users to the token file a gateway about to start in {@code dataDir} reads. */
  static void writeTokens(Path dataDir) throws IOException {
    Files.createDirectories(dataDir);
    Files.writeString(dataDir.resolve("tokens.csv"), TOKENS, StandardCharsets.UTF_8);
  }

  Result admin(String... args) throws IOException, InterruptedException {
    return cli.run(args);
  }

  Result as(String token, String... args) throws IOException, InterruptedException {
    // The token context: in the default one the admin's client certificate would authenticate first.
    List<String> all = new ArrayList<>(List.of("--context", io.capstan.gateway.security.KubeconfigWriter.TOKEN_CONTEXT,
        "--token", token));
    all.addAll(List.of(args));
    return cli.run(all.toArray(String[]::new));
  }

  Result apply(String yaml) throws IOException, InterruptedException {
    Path f = Files.createTempFile(dir, "rbac", ".yaml");
    Files.writeString(f, yaml);
    return admin("apply", "-f", f.toString());
  }

  /** {@code kubectl auth can-i}: exit 0 and "yes", or exit 1 and "no". */
  boolean canI(String token, String... args) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(List.of("auth", "can-i"));
    all.addAll(List.of(args));
    Result r = as(token, all.toArray(String[]::new));
    if (r.exit() == 0 && r.out().strip().equals("yes")) {
      return true;
    }
    if (r.exit() == 1 && r.out().strip().startsWith("no")) {
      return false;
    }
    fail("unexpected answer of auth can-i: " + r.both());
    return false;
  }

  /** Waits (up to 20 s) until the gateway's policy shows a change just written. */
  void awaitCanI(String token, String... args) throws Exception {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!canI(token, args)) {
      if (System.nanoTime() > deadline) {
        fail("still not allowed: auth can-i " + String.join(" ", args));
      }
      Thread.sleep(100);
    }
  }

  void canIMatrixAndForbiddenWording() throws Exception {
    Result denied = as(ALICE_TOKEN, "get", "pods", "-n", "default");
    assertTrue(denied.exit() != 0, denied.both());
    assertTrue(denied.err().contains("Error from server (Forbidden): pods is forbidden: User \"alice\" cannot list"
        + " resource \"pods\" in API group \"\" in the namespace \"default\""), denied.both());
    assertTrue(!canI(ALICE_TOKEN, "list", "pods", "-n", "default"));

    Result made = apply("""
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: pod-reader, namespace: default}
        rules:
          - {apiGroups: [""], resources: [pods], verbs: [get, list, watch]}
          - {apiGroups: [""], resources: [configmaps], resourceNames: [settings], verbs: [get]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: alice-reads-pods, namespace: default}
        subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: devs-view}
        subjects: [{kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}]
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
        """);
    assertEquals(0, made.exit(), made.both());
    awaitCanI(ALICE_TOKEN, "list", "pods", "-n", "default");
    awaitCanI(BOB_TOKEN, "list", "pods", "--all-namespaces");

    // alice: a Role in default
    assertTrue(canI(ALICE_TOKEN, "get", "pods", "-n", "default"));
    assertTrue(canI(ALICE_TOKEN, "watch", "pods", "-n", "default"));
    assertTrue(!canI(ALICE_TOKEN, "list", "pods", "-n", "kube-system"));
    assertTrue(!canI(ALICE_TOKEN, "list", "pods", "--all-namespaces"));
    assertTrue(!canI(ALICE_TOKEN, "create", "pods", "-n", "default"));
    assertTrue(!canI(ALICE_TOKEN, "get", "pods", "--subresource=log", "-n", "default"));
    assertTrue(!canI(ALICE_TOKEN, "list", "deployments.apps", "-n", "default"));
    assertTrue(canI(ALICE_TOKEN, "get", "configmaps/settings", "-n", "default"));
    assertTrue(!canI(ALICE_TOKEN, "get", "configmaps/other", "-n", "default"));
    Result listed = as(ALICE_TOKEN, "get", "pods", "-n", "default");
    assertEquals(0, listed.exit(), listed.both());
    // bob: the view ClusterRole everywhere, through his group
    assertTrue(canI(BOB_TOKEN, "list", "deployments.apps", "-n", "kube-system"));
    assertTrue(canI(BOB_TOKEN, "get", "pods", "--subresource=log", "-n", "default"));
    assertTrue(!canI(BOB_TOKEN, "get", "secrets", "-n", "default"));
    assertTrue(!canI(BOB_TOKEN, "create", "deployments.apps", "-n", "default"));
    assertTrue(!canI(BOB_TOKEN, "list", "roles.rbac.authorization.k8s.io", "-n", "default"));
    // the admin token is in system:masters
    Result masters = admin("auth", "can-i", "delete", "clusterroles.rbac.authorization.k8s.io");
    assertEquals("yes", masters.out().strip(), masters.both());
    Result list = as(ALICE_TOKEN, "auth", "can-i", "--list", "-n", "default");
    assertEquals(0, list.exit(), list.both());
    assertTrue(list.out().matches("(?s).*\\npods\\s+\\[\\]\\s+\\[\\]\\s+\\[get list watch\\].*"), list.both());
    assertTrue(list.out().matches("(?s).*\\nconfigmaps\\s+\\[\\]\\s+\\[settings\\]\\s+\\[get\\].*"), list.both());
    assertTrue(list.out().contains("selfsubjectaccessreviews.authorization.k8s.io"), list.both());
    assertTrue(list.out().matches("(?s).*\\s+\\[/api/\\*\\]\\s+\\[\\]\\s+\\[get\\].*"), list.both());
  }

  void escalationIsRefusedAndRoleRefIsImmutable() throws Exception {
    Result made = apply("""
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: role-maker, namespace: default}
        rules:
          - {apiGroups: [rbac.authorization.k8s.io], resources: [roles, rolebindings], verbs: [create, get, update]}
          - {apiGroups: [""], resources: [configmaps], verbs: [get, list]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: alice-makes-roles, namespace: default}
        subjects: [{kind: User, name: alice}]
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: role-maker}
        """);
    assertEquals(0, made.exit(), made.both());
    awaitCanI(ALICE_TOKEN, "create", "roles.rbac.authorization.k8s.io", "-n", "default");

    Result escalate = as(ALICE_TOKEN, "create", "role", "pod-killer", "-n", "default", "--verb=get,delete",
        "--resource=pods");
    assertTrue(escalate.exit() != 0, escalate.both());
    assertTrue(escalate.err().contains("Error from server (Forbidden): roles.rbac.authorization.k8s.io \"pod-killer\""
        + " is forbidden: user \"alice\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions"
        + " not currently held:\n{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}"), escalate.both());
    Result held = as(ALICE_TOKEN, "create", "role", "cm-reader", "-n", "default", "--verb=get,list",
        "--resource=configmaps");
    assertEquals(0, held.exit(), held.both());
    Result bindAdmin = as(ALICE_TOKEN, "create", "rolebinding", "alice-admin", "-n", "default", "--clusterrole=admin",
        "--user=alice");
    assertTrue(bindAdmin.exit() != 0, bindAdmin.both());
    assertTrue(bindAdmin.err().contains("rolebindings.rbac.authorization.k8s.io \"alice-admin\" is forbidden: user"
        + " \"alice\""), bindAdmin.both());
    assertTrue(bindAdmin.err().contains("{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"create\""),
        bindAdmin.both());
    Result bindHeld = as(ALICE_TOKEN, "create", "rolebinding", "bob-reads-cm", "-n", "default",
        "--role=cm-reader", "--user=bob");
    assertEquals(0, bindHeld.exit(), bindHeld.both());

    Result changeRef = admin("patch", "rolebinding", "bob-reads-cm", "-n", "default", "--type=merge", "-p",
        "{\"roleRef\":{\"name\":\"pod-reader\"}}");
    assertTrue(changeRef.exit() != 0, changeRef.both());
    // kubectl patch words a 422 itself: The RoleBinding "bob-reads-cm" is invalid: roleRef: Invalid value: ...
    assertTrue(changeRef.both().contains("\"bob-reads-cm\" is invalid: roleRef: Invalid value:")
        && changeRef.both().contains("cannot change roleRef"), changeRef.both());
    Result badVerb = apply("""
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: typo, namespace: default}
        rules: [{apiGroups: [""], resources: [pods], verbs: [get, lsit]}]
        """);
    assertTrue(badVerb.exit() != 0, badVerb.both());
    // kubectl apply words a 422 itself: The Role "typo" is invalid: rules[0].verbs[1]: Unsupported value: ...
    assertTrue(badVerb.both().contains("\"typo\" is invalid: rules[0].verbs[1]: Unsupported value: \"lsit\""),
        badVerb.both());
  }
}
