package io.capstan.gateway.security;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Request attributes read from HTTP as kube-apiserver's RequestInfoFactory reads them. */
class HttpRequestAttributesTest {
  private static final UserInfo ALICE = new UserInfo("alice", "1", List.of("system:authenticated"));

  private static RequestAttributes of(String method, String path, Map<String, String> query) {
    return HttpRequestAttributes.of(ALICE, method, path, query::get);
  }

  private static RequestAttributes of(String method, String path) {
    return of(method, path, Map.of());
  }

  private static void assertResource(RequestAttributes a, String verb, String group, String resource,
      String subresource, String namespace, String name) {
    assertEquals(RequestAttributes.resource(ALICE, verb, group, resource, subresource, namespace, name), a);
  }

  @Test
  void aWebSocketIntoAPodIsAuthorizedAsTheCreateItStandsFor() {
    for (String sub : List.of("exec", "attach", "portforward")) {
      assertResource(of("GET", "/api/v1/namespaces/default/pods/web/" + sub), "create", "", "pods", sub, "default",
          "web");
      assertResource(of("POST", "/api/v1/namespaces/default/pods/web/" + sub), "create", "", "pods", sub, "default",
          "web");
    }
    assertResource(of("GET", "/api/v1/namespaces/default/pods/web/log"), "get", "", "pods", "log", "default", "web");
  }

  @Test
  void verbsFollowMethodAndWhetherANameIsGiven() {
    assertResource(of("GET", "/api/v1/namespaces/default/pods/web"), "get", "", "pods", "", "default", "web");
    assertResource(of("HEAD", "/api/v1/namespaces/default/pods/web"), "get", "", "pods", "", "default", "web");
    assertResource(of("GET", "/api/v1/namespaces/default/pods"), "list", "", "pods", "", "default", "");
    assertResource(of("GET", "/api/v1/pods"), "list", "", "pods", "", "", "");
    assertResource(of("GET", "/api/v1/pods", Map.of("watch", "true")), "watch", "", "pods", "", "", "");
    assertResource(of("GET", "/api/v1/namespaces/default/pods", Map.of("watch", "1",
        "fieldSelector", "metadata.name=web")), "watch", "", "pods", "", "default", "web");
    assertResource(of("GET", "/api/v1/watch/namespaces/default/pods"), "watch", "", "pods", "", "default", "");
    assertResource(of("POST", "/apis/apps/v1/namespaces/ns1/deployments"), "create", "apps", "deployments", "",
        "ns1", "");
    assertResource(of("PUT", "/apis/apps/v1/namespaces/ns1/deployments/d"), "update", "apps", "deployments", "",
        "ns1", "d");
    assertResource(of("PATCH", "/apis/apps/v1/namespaces/ns1/deployments/d"), "patch", "apps", "deployments", "",
        "ns1", "d");
    assertResource(of("DELETE", "/apis/apps/v1/namespaces/ns1/deployments/d"), "delete", "apps", "deployments", "",
        "ns1", "d");
    assertResource(of("DELETE", "/apis/apps/v1/namespaces/ns1/deployments"), "deletecollection", "apps",
        "deployments", "", "ns1", "");
  }

  @Test
  void subresourcesAndNamespacesThemselves() {
    assertResource(of("GET", "/api/v1/namespaces/default/pods/web/log"), "get", "", "pods", "log", "default", "web");
    assertResource(of("PUT", "/apis/apps/v1/namespaces/a/deployments/d/scale"), "update", "apps", "deployments",
        "scale", "a", "d");
    assertResource(of("POST", "/api/v1/namespaces/default/pods/web/binding"), "create", "", "pods", "binding",
        "default", "web");
    // A namespace is addressed in its own namespace, as Kubernetes does.
    assertResource(of("GET", "/api/v1/namespaces/team"), "get", "", "namespaces", "", "team", "team");
    assertResource(of("PUT", "/api/v1/namespaces/team/finalize"), "update", "", "namespaces", "finalize", "team",
        "team");
    assertResource(of("GET", "/api/v1/namespaces"), "list", "", "namespaces", "", "", "");
    assertResource(of("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/system:basic-user"), "get",
        "rbac.authorization.k8s.io", "clusterroles", "", "", "system:basic-user");
  }

  @Test
  void discoveryAndOtherPathsAreNonResourceRequests() {
    for (String p : List.of("/api", "/api/v1", "/apis", "/apis/apps", "/apis/apps/v1", "/healthz", "/metrics",
        "/openapi/v3/api/v1", "/version")) {
      assertEquals(RequestAttributes.nonResource(ALICE, "get", p), of("GET", p), p);
    }
    assertEquals(RequestAttributes.nonResource(ALICE, "post", "/logs"), of("POST", "/logs"));
  }

  @Test
  void denialsAreWordedAsKubernetesWordsThem() {
    assertEquals("User \"alice\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"",
        HttpRequestAttributes.denial(of("GET", "/api/v1/namespaces/default/pods")));
    assertEquals("User \"alice\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"default\"",
        HttpRequestAttributes.denial(of("GET", "/api/v1/namespaces/default/pods/web/log")));
    assertEquals("User \"alice\" cannot create resource \"clusterroles\" in API group \"rbac.authorization.k8s.io\""
        + " at the cluster scope",
        HttpRequestAttributes.denial(of("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles")));
    assertEquals("User \"alice\" cannot get path \"/metrics\"", HttpRequestAttributes.denial(of("GET", "/metrics")));
  }
}
