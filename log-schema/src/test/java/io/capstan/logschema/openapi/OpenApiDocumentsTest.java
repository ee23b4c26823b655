package io.capstan.logschema.openapi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpenApiDocumentsTest {
  private static final OpenApiDocuments DOCS = OpenApiDocuments.generate();

  private static ObjectNode doc(String path) {
    return DOCS.document(path).orElseThrow(() -> new AssertionError("no document " + path)).json();
  }

  private static JsonNode schema(String path, String name) {
    JsonNode s = doc(path).path("components").path("schemas").get(name);
    assertNotNull(s, name + " in " + path);
    return s;
  }

  @Test
  void indexListsEveryGroupVersionWithAHashUrl() {
    JsonNode paths = DOCS.index().get("paths");
    for (String p : List.of("api/v1", "apis/apps/v1", "apis/batch/v1", "apis/coordination.k8s.io/v1",
        "apis/apiextensions.k8s.io/v1", "apis/discovery.k8s.io/v1", "apis/rbac.authorization.k8s.io/v1",
        "apis/policy/v1", "apis/scheduling.k8s.io/v1", "apis/storage.k8s.io/v1", "apis/autoscaling/v2",
        "apis/autoscaling/v1")) {
      String url = paths.path(p).path("serverRelativeURL").asText();
      assertEquals("/openapi/v3/" + p + "?hash=" + DOCS.document(p).orElseThrow().hash(), url);
      assertTrue(url.matches(".*\\?hash=[0-9A-F]{128}"), url);
    }
    assertEquals(12, paths.size());
  }

  /**
   * autoscaling/v1, a version the HorizontalPodAutoscaler is converted to, has a document of its
   * own with v1's schema (one CPU target, no metrics) and v1's paths, as kube-apiserver publishes it.
   */
  @Test
  void aConvertedVersionHasItsOwnSchemaAndPaths() {
    JsonNode v1 = schema("apis/autoscaling/v1", "io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler");
    assertEquals("v1", v1.at("/x-kubernetes-group-version-kind/0/version").asText());
    assertEquals("integer", v1.at("/properties/spec/properties/targetCPUUtilizationPercentage/type").asText());
    assertTrue(v1.at("/properties/spec/properties/metrics").isMissingNode(), v1.toString());
    assertEquals("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        v1.at("/properties/metadata/allOf/0/$ref").asText());
    assertTrue(doc("apis/autoscaling/v1").path("paths")
        .has("/apis/autoscaling/v1/namespaces/{namespace}/horizontalpodautoscalers/{name}/status"));
    JsonNode v2spec = schema("apis/autoscaling/v2", "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec");
    assertEquals("array", v2spec.at("/properties/metrics/type").asText(), "v2 keeps its own schema");
  }

  @Test
  void generationIsDeterministic() {
    OpenApiDocuments again = OpenApiDocuments.generate();
    assertArrayEquals(DOCS.indexBytes(), again.indexBytes());
    assertArrayEquals(DOCS.document("api/v1").orElseThrow().bytes(), again.document("api/v1").orElseThrow().bytes());
  }

  @Test
  void kindsAreNamedAndTaggedLikeKubernetes() {
    JsonNode pod = schema("api/v1", "io.k8s.api.core.v1.Pod");
    assertEquals("", pod.at("/x-kubernetes-group-version-kind/0/group").asText("x"));
    assertEquals("v1", pod.at("/x-kubernetes-group-version-kind/0/version").asText());
    assertEquals("Pod", pod.at("/x-kubernetes-group-version-kind/0/kind").asText());
    assertEquals("string", pod.at("/properties/apiVersion/type").asText());
    assertEquals("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        pod.at("/properties/metadata/allOf/0/$ref").asText());
    assertEquals("#/components/schemas/io.k8s.api.core.v1.PodSpec", pod.at("/properties/spec/allOf/0/$ref").asText());

    JsonNode deployment = schema("apis/apps/v1", "io.k8s.api.apps.v1.Deployment");
    assertEquals("apps", deployment.at("/x-kubernetes-group-version-kind/0/group").asText());
    // PodTemplateSpec is core/v1 even inside the apps document, as in k8s.io/api.
    assertEquals("#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec",
        schema("apis/apps/v1", "io.k8s.api.apps.v1.DeploymentSpec").at("/properties/template/allOf/0/$ref").asText());
    assertEquals("PodList", schema("api/v1", "io.k8s.api.core.v1.PodList")
        .at("/x-kubernetes-group-version-kind/0/kind").asText());
    assertEquals("Lease", schema("apis/coordination.k8s.io/v1", "io.k8s.api.coordination.v1.Lease")
        .at("/x-kubernetes-group-version-kind/0/kind").asText());
  }

  @Test
  void patchStrategiesFormatsAndRequired() {
    JsonNode spec = schema("api/v1", "io.k8s.api.core.v1.PodSpec");
    JsonNode containers = spec.at("/properties/containers");
    assertEquals("array", containers.get("type").asText());
    assertEquals("merge", containers.get("x-kubernetes-patch-strategy").asText());
    assertEquals("name", containers.get("x-kubernetes-patch-merge-key").asText());
    assertEquals("#/components/schemas/io.k8s.api.core.v1.Container", containers.at("/items/allOf/0/$ref").asText());
    assertEquals("merge,retainKeys", spec.at("/properties/volumes/x-kubernetes-patch-strategy").asText());
    assertTrue(spec.at("/properties/tolerations/x-kubernetes-patch-strategy").isMissingNode());
    assertTrue(contains(spec.get("required"), "containers"), spec.get("required").toString());

    JsonNode container = schema("api/v1", "io.k8s.api.core.v1.Container");
    assertTrue(contains(container.get("required"), "name"));
    assertEquals("containerPort", container.at("/properties/ports/x-kubernetes-patch-merge-key").asText());

    JsonNode quantity = schema("api/v1", "io.k8s.apimachinery.pkg.api.resource.Quantity");
    assertEquals("quantity", quantity.get("format").asText());
    assertEquals("#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity",
        schema("api/v1", "io.k8s.api.core.v1.ResourceRequirements").at("/properties/limits/additionalProperties/allOf/0/$ref")
            .asText());
    assertEquals("date-time", schema("api/v1", "io.k8s.apimachinery.pkg.apis.meta.v1.Time").get("format").asText());
    assertEquals("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time",
        schema("api/v1", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
            .at("/properties/creationTimestamp/allOf/0/$ref").asText());
    JsonNode intOrString = schema("apis/apps/v1", "io.k8s.apimachinery.pkg.util.intstr.IntOrString");
    assertTrue(intOrString.get("x-kubernetes-int-or-string").asBoolean());
    assertEquals("byte", schema("api/v1", "io.k8s.api.core.v1.Secret").at("/properties/data/additionalProperties/format")
        .asText());
  }

  @Test
  void descriptionsComeFromSchemaDocs() {
    JsonNode selector = schema("api/v1", "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector");
    assertTrue(selector.get("description").asText().contains("ANDed"), selector.toString());
  }

  @Test
  void everyRefResolvesWithinItsDocument() {
    for (String path : DOCS.paths()) {
      ObjectNode doc = doc(path);
      List<String> refs = new ArrayList<>();
      collectRefs(doc, refs);
      assertFalse(refs.isEmpty());
      for (String ref : refs) {
        assertTrue(ref.startsWith("#/components/schemas/"), ref);
        assertNotNull(doc.at("/components/schemas").get(ref.substring("#/components/schemas/".length())),
            path + ": dangling " + ref);
      }
    }
  }

  @Test
  void everyKindHasItsOperationsWithGvkAndFieldValidation() {
    for (Kind kind : Kinds.all()) {
      ObjectNode doc = doc(OpenApiDocuments.pathOf(kind.group(), kind.version()));
      String prefix = "/" + OpenApiDocuments.pathOf(kind.group(), kind.version())
          + (kind.namespaced() ? "/namespaces/{namespace}/" : "/") + kind.plural();
      JsonNode item = doc.path("paths").get(prefix + "/{name}");
      assertNotNull(item, kind.kind() + " item path " + prefix);
      JsonNode patch = item.get("patch");
      assertEquals(kind.kind(), patch.at("/x-kubernetes-group-version-kind/kind").asText());
      assertEquals(kind.group(), patch.at("/x-kubernetes-group-version-kind/group").asText());
      assertEquals("patch", patch.get("x-kubernetes-action").asText());
      boolean fieldValidation = false;
      for (JsonNode p : patch.get("parameters")) {
        fieldValidation |= p.get("name").asText().equals("fieldValidation") && p.get("in").asText().equals("query");
      }
      assertTrue(fieldValidation, kind.kind() + " PATCH lacks fieldValidation");
      assertEquals("list", doc.path("paths").get(prefix).at("/get/x-kubernetes-action").asText());
      assertEquals(kind.hasStatus(), doc.path("paths").has(prefix + "/{name}/status"), kind.kind());
    }
  }

  /**
   * Every get and list (read, read status, list, list in every namespace) lists asOf and
   * asOfResourceVersion, a read of one object history too; no write or delete lists any of them.
   */
  @Test
  void getsAndListsListTheHistoricalReadParameters() {
    int reads = 0;
    for (String path : DOCS.paths()) {
      for (var item : (Iterable<java.util.Map.Entry<String, JsonNode>>) doc(path).get("paths")::fields) {
        for (var op : (Iterable<java.util.Map.Entry<String, JsonNode>>) item.getValue()::fields) {
          if (!op.getValue().has("x-kubernetes-action")) {
            continue;
          }
          String where = path + " " + op.getKey() + " " + item.getKey();
          List<String> names = op.getValue().path("parameters").findValuesAsText("name");
          boolean read = op.getKey().equals("get");
          assertEquals(read, names.contains("asOf"), where + " " + names);
          assertEquals(read, names.contains("asOfResourceVersion"), where + " " + names);
          boolean object = read && item.getKey().endsWith("{name}");
          assertEquals(object, names.contains("history"), where + " " + names);
          reads += read ? 1 : 0;
        }
      }
    }
    assertTrue(reads >= 2 * Kinds.all().size(), "reads: " + reads);
    JsonNode asOf = doc("api/v1").at("/paths/~1api~1v1~1namespaces~1{namespace}~1pods/get/parameters")
        .findParents("name").stream().filter(p -> p.get("name").asText().equals("asOf")).findFirst().orElseThrow();
    assertEquals("query", asOf.get("in").asText());
    assertEquals("string", asOf.at("/schema/type").asText());
    for (String says : List.of("RFC 3339", "410 Gone", "future is the live state")) {
      assertTrue(asOf.get("description").asText().contains(says), says + " in " + asOf);
    }
  }

  /** A group-version of operations without kinds gets its document in the index; one with kinds keeps the kinds'. */
  @Test
  void endpointDocumentsJoinTheIndex() {
    ObjectNode endpoints = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    endpoints.put("openapi", "3.0.0").putObject("paths").putObject("/apis/example.capstan.io/v1/things");
    ObjectNode clash = endpoints.deepCopy();
    OpenApiDocuments docs = OpenApiDocuments.generate(Kinds.all(),
        java.util.Map.of("apis/example.capstan.io/v1", endpoints, "apis/apps/v1", clash));
    assertEquals(DOCS.paths().size() + 1, docs.paths().size());
    OpenApiDocuments.Document doc = docs.document("apis/example.capstan.io/v1").orElseThrow();
    assertEquals(endpoints, doc.json());
    assertEquals(doc.serverRelativeUrl(),
        docs.index().at("/paths/apis~1example.capstan.io~1v1/serverRelativeURL").asText());
    assertArrayEquals(DOCS.document("apis/apps/v1").orElseThrow().bytes(), docs.document("apis/apps/v1").orElseThrow()
        .bytes());
  }

  private static boolean contains(JsonNode array, String value) {
    if (array == null) {
      return false;
    }
    for (JsonNode n : array) {
      if (n.asText().equals(value)) {
        return true;
      }
    }
    return false;
  }

  private static void collectRefs(JsonNode node, List<String> out) {
    if (node.isObject()) {
      node.fields().forEachRemaining(e -> {
        if (e.getKey().equals("$ref")) {
          out.add(e.getValue().asText());
        } else {
          collectRefs(e.getValue(), out);
        }
      });
    } else if (node.isArray()) {
      node.forEach(n -> collectRefs(n, out));
    }
  }
}
