package io.capstan.logschema.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.api.Deployment;
import io.capstan.logschema.Manifests;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ObjectDiffTest {

  private static Deployment nginx() {
    return KubeJson.<Deployment>fromJson(Kinds.DEPLOYMENT, Manifests.json("deployment-nginx.yaml")).object();
  }

  @Test
  void reportsLeafPathsAndAMergePatch() {
    Deployment before = nginx();
    Deployment after = Deployment.newBuilder(before).build();
    after.getSpec().setReplicas(5);
    after.getMetadata().getLabels().put("app", "web");
    after.getMetadata().getLabels().remove("tier");
    after.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("nginx:1.28.0");
    after.setStatus(null);

    ObjectDiff.Diff diff = ObjectDiff.diff(before, after);
    assertEquals(List.of("metadata.labels.app", "metadata.labels.tier", "spec.replicas",
        "spec.template.spec.containers[0].image", "status"), diff.changedPaths());
    assertEquals("{\"metadata\":{\"labels\":{\"app\":\"web\",\"tier\":null}},\"spec\":{\"replicas\":5,"
        + "\"template\":{\"spec\":{\"containers\":[" + KubeJson.valueToJson(
            io.capstan.api.Container.getClassSchema(), after.getSpec().getTemplate().getSpec().getContainers().get(0))
        + "]}}},\"status\":null}", diff.mergePatch());
  }

  @Test
  void theMergePatchTurnsBeforeIntoAfter() throws Exception {
    Deployment before = nginx();
    Deployment after = Deployment.newBuilder(before).build();
    after.getSpec().setPaused(true);
    after.getMetadata().setAnnotations(Map.of("note", "x"));
    ObjectDiff.Diff diff = ObjectDiff.diff(before, after);
    JsonNode patch = KubeJson.jsonMapper().readTree(diff.mergePatch());
    assertEquals(KubeJson.toJson(after), applyMergePatch(KubeJson.toJson(before), patch));
    assertEquals(List.of("metadata.annotations.note", "metadata.annotations[deployment.kubernetes.io/revision]",
        "spec.paused"), diff.changedPaths());
  }

  @Test
  void identicalObjectsHaveAnEmptyDiffAndCreatesHaveNoPatch() {
    ObjectDiff.Diff same = ObjectDiff.diff(nginx(), nginx());
    assertEquals(List.of(), same.changedPaths());
    assertEquals("{}", same.mergePatch());
    assertNull(ObjectDiff.diff(null, nginx()).mergePatch());
  }

  @Test
  void isDeterministicWhateverTheMapOrder() {
    Deployment a = nginx();
    Deployment b = Deployment.newBuilder(a).build();
    b.getMetadata().setLabels(new java.util.TreeMap<>(Map.of("z", "1", "a", "2", "m", "3")));
    Deployment c = Deployment.newBuilder(a).build();
    java.util.LinkedHashMap<String, String> reversed = new java.util.LinkedHashMap<>();
    reversed.put("m", "3");
    reversed.put("z", "1");
    reversed.put("a", "2");
    c.getMetadata().setLabels(reversed);
    assertEquals(ObjectDiff.diff(a, b), ObjectDiff.diff(a, c));
  }

  @Test
  void listsOfAnotherLengthAreReplacedWhole() {
    Deployment before = nginx();
    Deployment after = Deployment.newBuilder(before).build();
    var containers = new java.util.ArrayList<>(after.getSpec().getTemplate().getSpec().getContainers());
    containers.add(io.capstan.api.Container.newBuilder().setName("sidecar").setImage("envoy").build());
    after.getSpec().getTemplate().getSpec().setContainers(containers);
    assertEquals(List.of("spec.template.spec.containers"), ObjectDiff.diff(before, after).changedPaths());
  }

  /** RFC 7386 apply, written here independently of the diff. */
  private static JsonNode applyMergePatch(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch;
    }
    ObjectNode result = target != null && target.isObject() ? ((ObjectNode) target).deepCopy()
        : KubeJson.jsonMapper().createObjectNode();
    patch.fields().forEachRemaining(e -> {
      if (e.getValue().isNull()) {
        result.remove(e.getKey());
      } else {
        result.set(e.getKey(), applyMergePatch(result.get(e.getKey()), e.getValue()));
      }
    });
    return result;
  }
}
