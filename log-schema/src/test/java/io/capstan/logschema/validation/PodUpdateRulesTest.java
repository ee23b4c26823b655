package io.capstan.logschema.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Pod;
import io.capstan.logschema.defaults.ObjectDefaults;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a pod update may change in its spec, as kube-apiserver's ValidatePodUpdate. */
class PodUpdateRulesTest {
  private static final String STORED = """
      metadata: {name: web, namespace: default}
      spec:
        activeDeadlineSeconds: 600
        containers: [{name: web, image: nginx:1.26}]
        tolerations: [{key: k, operator: Exists, effect: NoExecute, tolerationSeconds: 300}]
        schedulingGates: [{name: example.com/wait}]
        volumes:
        - name: kube-api-access-x2b9z
          projected: {sources: [{serviceAccountToken: {path: token, expirationSeconds: 3607}}]}
      """;

  private static Pod pod(String yaml) {
    Pod p = (Pod) KubeJson.fromJson(Kinds.POD, KubeJson.parse(yaml)).object();
    ObjectDefaults.apply(p);
    return p;
  }

  private static List<String> refusals(String updated) {
    return PodUpdateRules.checkUpdate(pod(STORED), pod(updated)).stream().map(FieldError::toString).toList();
  }

  @Test
  void theImagesTheDeadlineTolerationsAndGatesMayChangeAsKubernetesAllows() {
    assertEquals(List.of(), refusals(STORED.replace("nginx:1.26", "nginx:1.27")
        .replace("activeDeadlineSeconds: 600", "activeDeadlineSeconds: 60")
        .replace("tolerationSeconds: 300}]", "tolerationSeconds: 30}, {key: other, operator: Exists}]")
        .replace("schedulingGates: [{name: example.com/wait}]", "schedulingGates: []")));
    assertEquals(List.of(), refusals(STORED));
  }

  @Test
  void aReplaceWithoutTheVolumeAdmissionAddedIsRefusedNamingTheField() {
    String withoutVolume = STORED.substring(0, STORED.indexOf("  volumes:"));
    List<String> r = refusals(withoutVolume);
    assertEquals(1, r.size(), r.toString());
    assertTrue(r.get(0).startsWith("spec: Forbidden: pod updates may not change fields other than"
        + " `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations`"
        + " (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it"
        + " was previously negative)\n"), r.get(0));
    assertTrue(r.get(0).contains("-   volumes: [{") && r.get(0).contains("+   volumes: null"), r.get(0));
  }

  @Test
  void addingAContainerRaisingTheDeadlineModifyingATolerationOrAddingAGateAreRefused() {
    assertEquals(List.of("spec.containers: Forbidden: pod updates may not add or remove containers"),
        refusals(STORED.replace("containers: [{name: web, image: nginx:1.26}]",
            "containers: [{name: web, image: nginx:1.26}, {name: side, image: busybox}]")));
    assertEquals(List.of("spec.activeDeadlineSeconds: Invalid value: 900: must be less than or equal to previous value"),
        refusals(STORED.replace("activeDeadlineSeconds: 600", "activeDeadlineSeconds: 900")));
    assertEquals(List.of("spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value"),
        refusals(STORED.replace("  activeDeadlineSeconds: 600\n", "")));
    assertEquals(List.of("spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"),
        refusals(STORED.replace("effect: NoExecute", "effect: NoSchedule")));
    assertEquals(List.of("spec.schedulingGates: Forbidden: only deletion is allowed, but found new scheduling gate 'b'"),
        refusals(STORED.replace("schedulingGates: [{name: example.com/wait}]",
            "schedulingGates: [{name: example.com/wait}, {name: b}]")));
  }

  @Test
  void aGatedPodsNodeSelectorMayGrowButNotChange() {
    assertEquals(List.of(), refusals(STORED.replace("  activeDeadlineSeconds: 600\n",
        "  activeDeadlineSeconds: 600\n  nodeSelector: {zone: a}\n")));
    String ungated = STORED.replace("  schedulingGates: [{name: example.com/wait}]\n", "");
    assertEquals(1, PodUpdateRules.checkUpdate(pod(ungated), pod(ungated.replace("  activeDeadlineSeconds: 600\n",
        "  activeDeadlineSeconds: 600\n  nodeSelector: {zone: a}\n"))).size());
  }

  @Test
  void otherKindsAreNotItsConcern() {
    assertEquals(List.of(), PodUpdateRules.checkUpdate(null, pod(STORED)));
  }
}
