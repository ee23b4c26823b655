package io.capstan.logschema.patch;

import static io.capstan.logschema.patch.Json.obj;
import static io.capstan.logschema.patch.Json.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import org.junit.jupiter.api.Test;

class StrategicMergePatchTest {
  private static final ObjectNode POD = obj("{'apiVersion':'v1','kind':'Pod',"
      + "'metadata':{'name':'web','labels':{'app':'web','tier':'front'},'annotations':{'a':'1'},"
      + "'finalizers':['x/one','x/two']},"
      + "'spec':{'containers':["
      + "{'name':'app','image':'nginx:1','env':[{'name':'A','value':'1'},{'name':'B','value':'2'}],"
      + "'ports':[{'containerPort':80,'name':'http'},{'containerPort':443,'name':'https'}],'args':['--a','--b']},"
      + "{'name':'sidecar','image':'envoy:1'}],"
      + "'tolerations':[{'key':'k1','operator':'Exists'},{'key':'k2','operator':'Exists'}],"
      + "'volumes':[{'name':'data','emptyDir':{}}]}}");

  private static ObjectNode pod(String patch) {
    return StrategicMergePatch.apply(Kinds.POD.schema(), POD, of(patch));
  }

  @Test
  void containersMergeByName() {
    ObjectNode out = pod("{'spec':{'containers':[{'name':'sidecar','image':'envoy:2'},{'name':'new','image':'busybox'}]}}");
    var containers = out.at("/spec/containers");
    assertEquals(3, containers.size());
    assertEquals("app", containers.get(0).get("name").asText());
    assertEquals("nginx:1", containers.get(0).get("image").asText(), "untouched container kept");
    assertEquals("envoy:2", containers.get(1).get("image").asText());
    assertEquals(of("{'name':'new','image':'busybox'}"), containers.get(2));
  }

  @Test
  void envMergesByNameInsideAContainer() {
    ObjectNode out = pod("{'spec':{'containers':[{'name':'app','env':[{'name':'B','value':'20'},{'name':'C','value':'3'}]}]}}");
    assertEquals(of("[{'name':'A','value':'1'},{'name':'B','value':'20'},{'name':'C','value':'3'}]"),
        out.at("/spec/containers/0/env"));
    assertEquals("nginx:1", out.at("/spec/containers/0/image").asText());
  }

  @Test
  void portsMergeByContainerPort() {
    ObjectNode out = pod("{'spec':{'containers':[{'name':'app','ports':[{'containerPort':443,'name':'tls'},"
        + "{'containerPort':8080}]}]}}");
    assertEquals(of("[{'containerPort':80,'name':'http'},{'containerPort':443,'name':'tls'},{'containerPort':8080}]"),
        out.at("/spec/containers/0/ports"));
  }

  @Test
  void tolerationsAndArgsAreReplacedWhole() {
    ObjectNode out = pod("{'spec':{'tolerations':[{'key':'k3','operator':'Exists'}],"
        + "'containers':[{'name':'app','args':['--c']}]}}");
    assertEquals(of("[{'key':'k3','operator':'Exists'}]"), out.at("/spec/tolerations"));
    assertEquals(of("['--c']"), out.at("/spec/containers/0/args"));
  }

  @Test
  void labelAndAnnotationMapsMergeAndNullDeletes() {
    ObjectNode out = pod("{'metadata':{'labels':{'tier':null,'env':'prod'},'annotations':{'b':'2'}}}");
    assertEquals(of("{'app':'web','env':'prod'}"), out.at("/metadata/labels"));
    assertEquals(of("{'a':'1','b':'2'}"), out.at("/metadata/annotations"));
  }

  @Test
  void nullDeletesAField() {
    ObjectNode out = pod("{'spec':{'tolerations':null,'containers':[{'name':'app','args':null}]}}");
    assertTrue(out.at("/spec/tolerations").isMissingNode());
    assertTrue(out.at("/spec/containers/0/args").isMissingNode());
    assertEquals("nginx:1", out.at("/spec/containers/0/image").asText());
  }

  @Test
  void patchDeleteRemovesAListElement() {
    ObjectNode out = pod("{'spec':{'containers':[{'name':'sidecar','$patch':'delete'},"
        + "{'name':'app','env':[{'name':'A','$patch':'delete'}]}]}}");
    assertEquals(1, out.at("/spec/containers").size());
    assertEquals(of("[{'name':'B','value':'2'}]"), out.at("/spec/containers/0/env"));
  }

  @Test
  void patchReplaceElementReplacesTheList() {
    ObjectNode out = pod("{'spec':{'containers':[{'name':'only','image':'x'},{'$patch':'replace'}]}}");
    assertEquals(of("[{'name':'only','image':'x'}]"), out.at("/spec/containers"));
  }

  @Test
  void patchReplaceOnAnObjectReplacesIt() {
    ObjectNode out = pod("{'metadata':{'labels':{'$patch':'replace','only':'this'}}}");
    assertEquals(of("{'only':'this'}"), out.at("/metadata/labels"));
  }

  @Test
  void patchDeleteOnAnObjectDeletesIt() {
    ObjectNode out = pod("{'metadata':{'annotations':{'$patch':'delete'}}}");
    assertTrue(out.at("/metadata/annotations").isMissingNode());
  }

  @Test
  void finalizersMergeAsASetAndDeleteFromPrimitiveList() {
    ObjectNode out = pod("{'metadata':{'finalizers':['x/two','x/three']}}");
    assertEquals(of("['x/one','x/two','x/three']"), out.at("/metadata/finalizers"));
    out = pod("{'metadata':{'$deleteFromPrimitiveList/finalizers':['x/one']}}");
    assertEquals(of("['x/two']"), out.at("/metadata/finalizers"));
  }

  @Test
  void setElementOrderOrdersTheMergedList() {
    ObjectNode out = pod("{'spec':{'$setElementOrder/containers':[{'name':'sidecar'},{'name':'app'}],"
        + "'containers':[{'name':'app','image':'nginx:2'}]}}");
    assertEquals("sidecar", out.at("/spec/containers/0/name").asText());
    assertEquals("nginx:2", out.at("/spec/containers/1/image").asText());
  }

  @Test
  void retainKeysClearsOtherMembers() {
    ObjectNode deployment = obj("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d'},"
        + "'spec':{'selector':{'matchLabels':{'a':'b'}},'template':{'spec':{'containers':[{'name':'c'}]}},"
        + "'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':1}}}}");
    ObjectNode out = StrategicMergePatch.apply(Kinds.DEPLOYMENT.schema(), deployment,
        of("{'spec':{'strategy':{'$retainKeys':['type'],'type':'Recreate'}}}"));
    assertEquals(of("{'type':'Recreate'}"), out.at("/spec/strategy"));
    PatchException e = assertThrows(PatchException.class, () -> StrategicMergePatch.apply(Kinds.DEPLOYMENT.schema(),
        deployment, of("{'spec':{'strategy':{'$retainKeys':['type'],'rollingUpdate':{}}}}")));
    assertTrue(e.getMessage().contains("not listed in $retainKeys"), e.getMessage());
  }

  @Test
  void resultStillConvertsToThePodRecord() {
    ObjectNode out = pod("{'spec':{'containers':[{'name':'app','image':'nginx:2'}]}}");
    var converted = KubeJson.fromJson(Kinds.POD, out);
    assertFalse(converted.hasUnknownFields());
  }

  @Test
  void malformedPatchesAreRejectedWithTheirPath() {
    PatchException e = assertThrows(PatchException.class,
        () -> pod("{'spec':{'containers':[{'image':'no-name'}]}}"));
    assertTrue(e.malformed());
    assertEquals("spec.containers[0]: does not contain declared merge key \"name\"", e.getMessage());
    e = assertThrows(PatchException.class, () -> pod("{'metadata':{'$patch':'frobnicate'}}"));
    assertTrue(e.getMessage().contains("metadata.$patch: unknown directive \"frobnicate\""), e.getMessage());
    e = assertThrows(PatchException.class, () -> pod("{'$bogus':1}"));
    assertTrue(e.getMessage().contains("$bogus: unknown directive"), e.getMessage());
    e = assertThrows(PatchException.class, () -> pod("[1]"));
    assertTrue(e.getMessage().contains("must be a JSON object"), e.getMessage());
  }

  @Test
  void originalIsNotModified() {
    ObjectNode before = POD.deepCopy();
    pod("{'metadata':{'labels':{'app':null}},'spec':{'containers':[{'name':'app','$patch':'delete'}]}}");
    assertEquals(before, POD);
  }

  @Test
  void patchTypeByMediaType() {
    assertEquals(PatchType.STRATEGIC_MERGE_PATCH,
        PatchType.byMediaType("application/strategic-merge-patch+json; charset=utf-8").orElseThrow());
    assertEquals(PatchType.JSON_PATCH, PatchType.byMediaType("application/json-patch+json").orElseThrow());
    assertTrue(PatchType.byMediaType("application/json").isEmpty());
    assertEquals(of("{'a':2}"), PatchType.MERGE_PATCH.apply(null, obj("{'a':1}"), of("{'a':2}")));
  }
}
