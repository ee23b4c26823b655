package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.gateway.security.CertificateAuthority;
import io.capstan.gateway.testing.KubectlCli;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who a request is from: client certificates of the cluster CA (CN = user, O = groups), the
 * admin kubeconfig's certificate, certificates of another CA, bearer tokens, ServiceAccount
 * tokens, impersonation and {@code kubectl auth whoami}, against the gateway on the real backbone
 * with the real kubectl.
 */
class AuthenticationTest {
  @TempDir
  static Path dataDir;
  static GatewayTestServer server;
  static KubectlCli cli;

  @BeforeAll
  static void start() throws Exception {
    KubectlCli.require();
    server = GatewayTestServer.start(dataDir);
    cli = new KubectlCli(server.kubeconfig(), dataDir.resolve("kube-cache"));
    allowReadsToEveryAuthenticatedUser();
  }

  /**
   * These tests are about who a request is from: every authenticated user may read what they read
   * (RBAC, tested elsewhere, would refuse users without a binding), but not impersonate.
   */
  static void allowReadsToEveryAuthenticatedUser() throws Exception {
    Path rbac = dataDir.resolve("authenticated-readers.yaml");
    Files.writeString(rbac, """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: authentication-test-reader}
        rules:
        - apiGroups: [""]
          resources: [namespaces, configmaps, pods, serviceaccounts]
          verbs: [get, list, watch]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: authentication-test-reader}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: authentication-test-reader}
        subjects:
        - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:authenticated}
        """);
    ok("apply", "-f", rbac.toString());
    // The binding applies once the gateway's watch cache has it.
    HttpClient jane = client(issue("jane"));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (get(jane, "/api/v1/namespaces", null).statusCode() != 200) {
      assertTrue(System.nanoTime() < deadline, "the reader binding did not apply within 30 s");
      Thread.sleep(100);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  static KubectlCli.Result ok(String... args) throws IOException, InterruptedException {
    KubectlCli.Result r = cli.run(args);
    assertEquals(0, r.exit(), r.both());
    return r;
  }

  /** An HTTP client trusting the cluster CA and presenting {@code client} (none when null). */
  static HttpClient client(CertificateAuthority.IssuedClient client) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", CertificateAuthority.readCertificate(server.caCert()));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (client != null) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("client", client.key(), new char[0], new Certificate[] {client.certificate()});
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, new char[0]);
    }
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build();
  }

  static HttpResponse<String> get(HttpClient http, String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(30));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static CertificateAuthority.IssuedClient issue(String user, String... groups) throws Exception {
    return CertificateAuthority.issueClient(server.caCert().getParent(), user, List.of(groups), Duration.ofHours(1));
  }

  @Test
  void aClientCertificateOfTheClusterCaAuthenticates() throws Exception {
    HttpResponse<String> r = get(client(issue("jane", "dev")), "/api/v1/namespaces", null);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(401, get(client(null), "/api/v1/namespaces", null).statusCode(), "no certificate, no token");
    assertEquals(401, get(client(null), "/api/v1/namespaces", "not-a-token").statusCode(), "unknown token");
    assertEquals(200, get(client(null), "/api/v1/namespaces", server.adminToken()).statusCode(), "admin token");
  }

  @Test
  void aCertificateOfAnotherCaFailsTheHandshake() throws Exception {
    Path otherPki = dataDir.resolve("other-pki");
    CertificateAuthority.ensure(otherPki, List.of());
    CertificateAuthority.IssuedClient foreign = CertificateAuthority.issueClient(otherPki, "mallory",
        List.of("system:masters"), Duration.ofHours(1));
    // Under TLS 1.3 the client's side of the handshake ends before the server checks its certificate:
    // the server then aborts the connection, and the client gets no HTTP response at all.
    assertThrows(IOException.class, () -> get(client(foreign), "/api/v1/namespaces", null));
    assertEquals(200, get(client(issue("jane")), "/api/v1/namespaces", null).statusCode(), "the same request, our CA");
  }

  @Test
  void theAdminKubeconfigUsesAClientCertificateAndKeepsTheTokenContext() throws Exception {
    String kubeconfig = Files.readString(server.kubeconfig());
    assertTrue(kubeconfig.contains("client-certificate-data: "), kubeconfig);
    assertTrue(kubeconfig.contains("client-key-data: "), kubeconfig);
    assertTrue(kubeconfig.contains("token: " + server.adminToken()), "the token context stays for token-only tools");
    ok("get", "namespaces");
    ok("--context", "capstan-token", "get", "namespaces");
    var admin = CertificateAuthority.readCertificate(dataDir.resolve("pki/admin.crt"));
    assertEquals(new io.capstan.gateway.security.UserInfo("capstan-admin", "", List.of("system:masters")),
        io.capstan.gateway.security.ClientCertificateAuthenticator.userOf(admin));
  }

  @Test
  void serviceAccountsAreACoreKindWithShortNameSa() throws Exception {
    ok("create", "serviceaccount", "robot"); // kubectl's generator sends protobuf
    String table = ok("get", "sa", "robot").out();
    assertTrue(table.matches("(?s)NAME\\s+SECRETS\\s+AGE\\s+robot\\s+0\\s+.*"), table);
    String uid = ok("get", "serviceaccount", "robot", "-o", "jsonpath={.metadata.uid}").out();
    assertTrue(uid.length() > 10, uid);
    assertTrue(ok("api-resources", "--api-group=").out().lines()
        .anyMatch(l -> l.matches("serviceaccounts\\s+sa\\s+v1\\s+true\\s+ServiceAccount")), "discovery");
  }

  /** kubectl as whoever {@code token} is, with no client certificate. */
  static KubectlCli.Result asToken(String token, String... args) throws IOException, InterruptedException {
    List<String> all = new java.util.ArrayList<>(List.of("--context", "capstan-token", "--token", token));
    all.addAll(List.of(args));
    return cli.run(all.toArray(String[]::new));
  }

  static String whoami(KubectlCli.Result r) {
    assertEquals(0, r.exit(), r.both());
    return r.out();
  }

  @Test
  void kubectlCreateTokenGivesAServiceAccountTokenThatWorksUntilTheServiceAccountIsGone() throws Exception {
    ok("create", "namespace", "tokens");
    ok("create", "serviceaccount", "builder", "-n", "tokens");
    String token = ok("create", "token", "builder", "-n", "tokens", "--duration", "15m").out().strip();
    assertEquals(3, token.split("\\.").length, token);
    var claims = com.nimbusds.jwt.SignedJWT.parse(token).getJWTClaimsSet();
    assertEquals("system:serviceaccount:tokens:builder", claims.getSubject());
    long lifetime = claims.getExpirationTime().toInstant().getEpochSecond() - claims.getIssueTime().toInstant()
        .getEpochSecond();
    assertEquals(900, lifetime, "--duration 15m");

    String me = whoami(asToken(token, "auth", "whoami"));
    assertTrue(me.matches("(?s).*Username\\s+system:serviceaccount:tokens:builder.*"), me);
    assertTrue(me.matches("(?s).*Groups\\s+\\[system:serviceaccounts system:serviceaccounts:tokens "
        + "system:authenticated\\].*"), me);
    assertTrue(me.contains("authentication.kubernetes.io/credential-id"), me);

    // fabric8 with the token: authorization is not on yet (every authenticated user may read), so 200
    try (var client = io.capstan.gateway.testing.Fabric8Clients.of(server.url(), server.caCert(), token)) {
      assertTrue(client.configMaps().inNamespace("tokens").list().getItems().isEmpty());
      assertEquals("builder", client.serviceAccounts().inNamespace("tokens").withName("builder").get()
          .getMetadata().getName());
    }

    ok("delete", "serviceaccount", "builder", "-n", "tokens");
    awaitStatus(token, 401);
    ok("create", "serviceaccount", "builder", "-n", "tokens");
    awaitServiceAccount("tokens", "builder");
    assertEquals(401, get(client(null), "/api/v1/namespaces/tokens/configmaps", token).statusCode(),
        "a ServiceAccount of the same name made again is another one (uid)");
    KubectlCli.Result short_ = cli.run("create", "token", "builder", "-n", "tokens", "--duration", "5m");
    assertTrue(short_.exit() != 0 && short_.err().contains("may not specify a duration less than 10 minutes"),
        short_.both());
    KubectlCli.Result missing = cli.run("create", "token", "nobody", "-n", "tokens");
    assertTrue(missing.exit() != 0 && missing.err().contains("serviceaccounts \"nobody\" not found"), missing.both());
  }

  @Test
  void aTokenBoundToAPodStopsWorkingWhenThePodIsDeleted() throws Exception {
    ok("create", "namespace", "bound");
    ok("create", "serviceaccount", "web", "-n", "bound");
    Path pod = dataDir.resolve("bound-pod.yaml");
    Files.writeString(pod, """
        apiVersion: v1
        kind: Pod
        metadata:
          name: web-0
          namespace: bound
        spec:
          serviceAccountName: web
          containers:
          - name: c
            image: busybox
        """);
    ok("create", "-f", pod.toString());
    String token = ok("create", "token", "web", "-n", "bound", "--bound-object-kind", "Pod",
        "--bound-object-name", "web-0").out().strip();
    String podUid = ok("get", "pod", "web-0", "-n", "bound", "-o", "jsonpath={.metadata.uid}").out();
    String me = whoami(asToken(token, "auth", "whoami", "-o", "json"));
    var review = io.capstan.logschema.json.KubeJson.parse(me);
    assertEquals("SelfSubjectReview", review.path("kind").asText(), me);
    assertEquals("web-0", review.at("/status/userInfo/extra/authentication.kubernetes.io~1pod-name/0").asText(), me);
    assertEquals(podUid, review.at("/status/userInfo/extra/authentication.kubernetes.io~1pod-uid/0").asText(), me);
    assertEquals(200, get(client(null), "/api/v1/namespaces/bound/pods", token).statusCode());

    KubectlCli.Result otherSa = cli.run("create", "token", "default", "-n", "bound", "--bound-object-kind", "Pod",
        "--bound-object-name", "web-0");
    assertTrue(otherSa.exit() != 0, otherSa.both()); // no ServiceAccount "default" here, or not the pod's

    ok("delete", "pod", "web-0", "-n", "bound", "--wait=false");
    ok("delete", "pod", "web-0", "-n", "bound", "--grace-period=0", "--force", "--ignore-not-found");
    awaitStatus(token, 401);
  }

  /**
   * A node (system:node:NAME in system:nodes, with the default system:node role) gets tokens for
   * the pods bound to it, as kubelet does, and no other (NodeRestriction).
   */
  @Test
  void aNodeGetsTokensOnlyForPodsBoundToIt() throws Exception {
    ok("create", "namespace", "noderestriction");
    ok("create", "serviceaccount", "app", "-n", "noderestriction");
    awaitServiceAccount("noderestriction", "app");
    Path pod = dataDir.resolve("node-pod.yaml");
    Files.writeString(pod, """
        apiVersion: v1
        kind: Pod
        metadata:
          name: on-n1
          namespace: noderestriction
        spec:
          serviceAccountName: app
          nodeName: n1
          containers:
          - name: c
            image: busybox
        """);
    ok("create", "-f", pod.toString());
    String uid = ok("get", "pod", "on-n1", "-n", "noderestriction", "-o", "jsonpath={.metadata.uid}").out();
    String path = "/api/v1/namespaces/noderestriction/serviceaccounts/app/token";
    String bound = "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{"
        + "\"expirationSeconds\":3607,\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\","
        + "\"name\":\"on-n1\",\"uid\":\"" + uid + "\"}}}";
    HttpClient n1 = client(issue("system:node:n1", "system:nodes"));
    HttpResponse<String> issued = post(n1, path, bound);
    assertEquals(201, issued.statusCode(), issued.body());
    String token = io.capstan.logschema.json.KubeJson.parse(issued.body()).at("/status/token").asText();
    String me = whoami(asToken(token, "auth", "whoami", "-o", "json"));
    assertEquals("on-n1", io.capstan.logschema.json.KubeJson.parse(me)
        .at("/status/userInfo/extra/authentication.kubernetes.io~1pod-name/0").asText(), me);

    HttpResponse<String> other = post(client(issue("system:node:n2", "system:nodes")), path, bound);
    assertEquals(403, other.statusCode(), other.body());
    assertTrue(other.body().contains("serviceaccounts \\\"app\\\" is forbidden: node requested token bound to a pod"
        + " scheduled on a different node"), other.body());
    HttpResponse<String> unbound = post(n1, path,
        "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{}}");
    assertEquals(403, unbound.statusCode(), unbound.body());
    assertTrue(unbound.body().contains("node requested token not bound to a pod"), unbound.body());
    HttpResponse<String> noUid = post(n1, path, bound.replace(",\"uid\":\"" + uid + "\"", ""));
    assertEquals(403, noUid.statusCode(), noUid.body());
    assertTrue(noUid.body().contains("node requested token with a pod binding without a uid"), noUid.body());
    HttpResponse<String> notNode = post(client(issue("jane")), path, bound);
    assertEquals(403, notNode.statusCode(), "an ordinary user has no right to create tokens: " + notNode.body());
  }

  /**
   * What a node writes through the gateway is held to NodeRestriction by the command processor,
   * the single writer, as its commands sent straight to Kafka are: RBAC's system:node role lets it
   * patch pod status, but only of the pods bound to it.
   */
  @Test
  void aNodeUpdatesTheStatusOnlyOfPodsBoundToIt() throws Exception {
    ok("create", "namespace", "nodewrites");
    ok("create", "serviceaccount", "app", "-n", "nodewrites");
    awaitServiceAccount("nodewrites", "app");
    for (String node : List.of("n1", "n2")) {
      Path pod = dataDir.resolve("pod-on-" + node + ".yaml");
      Files.writeString(pod, """
          apiVersion: v1
          kind: Pod
          metadata: {name: on-NODE, namespace: nodewrites}
          spec:
            serviceAccountName: app
            nodeName: NODE
            containers: [{name: c, image: busybox}]
          """.replace("NODE", node));
      ok("create", "-f", pod.toString());
    }
    HttpClient n1 = client(issue("system:node:n1", "system:nodes"));
    String running = "{\"status\":{\"phase\":\"Running\"}}";
    HttpResponse<String> own = patch(n1, "/api/v1/namespaces/nodewrites/pods/on-n1/status", running);
    assertEquals(200, own.statusCode(), own.body());
    HttpResponse<String> other = patch(n1, "/api/v1/namespaces/nodewrites/pods/on-n2/status", running);
    assertEquals(403, other.statusCode(), other.body());
    assertTrue(other.body().contains("pods \\\"on-n2\\\" is forbidden: node \\\"n1\\\" can only update pod status for"
        + " pods with spec.nodeName set to itself"), other.body());
    assertEquals("Pending", ok("get", "pod", "on-n2", "-n", "nodewrites", "-o", "jsonpath={.status.phase}").out());
  }

  static HttpResponse<String> patch(HttpClient http, String path, String mergePatch) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(server.url() + path))
        .header("Content-Type", "application/merge-patch+json")
        .method("PATCH", HttpRequest.BodyPublishers.ofString(mergePatch)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void tokenReviewSaysWhoATokenIsAndWhyNot() throws Exception {
    ok("create", "serviceaccount", "reviewed");
    String token = ok("create", "token", "reviewed", "--audience", "vault").out().strip();
    HttpClient http = client(issue("capstan-admin", "system:masters"));
    HttpResponse<String> ok = post(http, "/apis/authentication.k8s.io/v1/tokenreviews",
        "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"spec\":{\"token\":\"" + token
            + "\",\"audiences\":[\"vault\"]}}");
    assertEquals(201, ok.statusCode(), ok.body());
    var status = io.capstan.logschema.json.KubeJson.parse(ok.body()).path("status");
    assertTrue(status.path("authenticated").asBoolean(), ok.body());
    assertEquals("system:serviceaccount:default:reviewed", status.at("/user/username").asText());
    assertEquals("vault", status.at("/audiences/0").asText());

    HttpResponse<String> wrongAudience = post(http, "/apis/authentication.k8s.io/v1/tokenreviews",
        "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"spec\":{\"token\":\"" + token
            + "\"}}");
    var refused = io.capstan.logschema.json.KubeJson.parse(wrongAudience.body()).path("status");
    assertEquals(201, wrongAudience.statusCode(), wrongAudience.body());
    assertTrue(!refused.path("authenticated").asBoolean() && refused.path("error").asText().contains("audience"),
        wrongAudience.body());
    assertEquals(401, get(client(null), "/api/v1/namespaces", token).statusCode(), "a vault token is not for the API");
    String apiToken = ok("create", "token", "reviewed").out().strip();
    assertEquals(200, get(client(null), "/api/v1/namespaces", apiToken).statusCode());
    char last = apiToken.charAt(apiToken.length() - 2);
    String tampered = apiToken.substring(0, apiToken.length() - 2) + (last == 'A' ? 'B' : 'A')
        + apiToken.charAt(apiToken.length() - 1);
    assertEquals(401, get(client(null), "/api/v1/namespaces", tampered).statusCode(), "a tampered signature");

    HttpResponse<String> admin = post(http, "/apis/authentication.k8s.io/v1/tokenreviews",
        "{\"kind\":\"TokenReview\",\"apiVersion\":\"authentication.k8s.io/v1\",\"spec\":{\"token\":\""
            + server.adminToken() + "\"}}");
    assertEquals("capstan-admin", io.capstan.logschema.json.KubeJson.parse(admin.body()).at("/status/user/username")
        .asText(), admin.body());
    HttpResponse<String> empty = post(http, "/apis/authentication.k8s.io/v1/tokenreviews",
        "{\"kind\":\"TokenReview\",\"apiVersion\":\"authentication.k8s.io/v1\",\"spec\":{}}");
    assertEquals(400, empty.statusCode(), empty.body());
    assertTrue(empty.body().contains("token is required"), empty.body());
  }

  @Test
  void whoamiAndImpersonation() throws Exception {
    String me = whoami(cli.run("auth", "whoami"));
    assertTrue(me.matches("(?s).*Username\\s+capstan-admin.*Groups\\s+\\[system:masters system:authenticated\\].*"),
        me);
    String jane = whoami(cli.run("auth", "whoami", "--as", "jane", "--as-group", "dev", "--as-group", "ops"));
    assertTrue(jane.matches("(?s).*Username\\s+jane.*Groups\\s+\\[dev ops system:authenticated\\].*"), jane);
    String sa = whoami(cli.run("auth", "whoami", "--as", "system:serviceaccount:kube-system:ctl", "-o", "json"));
    assertTrue(sa.contains("\"system:serviceaccounts:kube-system\""), sa);

    // a user outside system:masters may not impersonate (RBAC will decide this later)
    HttpClient jd = client(issue("jd", "dev"));
    HttpResponse<String> forbidden = jd.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/namespaces"))
        .header("Impersonate-User", "capstan-admin").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(403, forbidden.statusCode(), forbidden.body());
    assertTrue(forbidden.body().contains("users \\\"capstan-admin\\\" is forbidden: User \\\"jd\\\" cannot "
        + "impersonate resource \\\"users\\\" in API group \\\"\\\" at the cluster scope"), forbidden.body());
    HttpResponse<String> groupOnly = client(issue("capstan-admin", "system:masters")).send(HttpRequest.newBuilder(
        URI.create(server.url() + "/api/v1/namespaces")).header("Impersonate-Group", "dev").build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, groupOnly.statusCode(), groupOnly.body());
    // a certificate user in system:masters impersonates; the request is then the impersonated user's
    HttpResponse<String> whoJane = client(issue("root", "system:masters")).send(HttpRequest.newBuilder(
        URI.create(server.url() + "/apis/authentication.k8s.io/v1/selfsubjectreviews"))
        .header("Impersonate-User", "jane").header("Impersonate-Extra-Scopes", "view")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":"
            + "\"SelfSubjectReview\"}")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, whoJane.statusCode(), whoJane.body());
    var info = io.capstan.logschema.json.KubeJson.parse(whoJane.body()).at("/status/userInfo");
    assertEquals("jane", info.path("username").asText(), whoJane.body());
    assertEquals("view", info.at("/extra/scopes/0").asText(), whoJane.body());
  }

  static HttpResponse<String> post(HttpClient http, String path, String json) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Until a request with {@code token} gets {@code code} (the gateway's cache applies the delete soon after it). */
  static void awaitStatus(String token, int code) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    int last;
    do {
      last = get(client(null), "/api/v1/namespaces", token).statusCode();
      if (last == code) {
        return;
      }
      Thread.sleep(50);
    } while (System.nanoTime() < deadline);
    assertEquals(code, last, "status with the token");
  }

  static void awaitServiceAccount(String namespace, String name) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (server.store().current(io.capstan.logschema.kinds.Kinds.SERVICE_ACCOUNT, namespace, name).isEmpty()) {
      assertTrue(System.nanoTime() < deadline, "ServiceAccount " + name + " in the cache");
      Thread.sleep(20);
    }
  }
}
