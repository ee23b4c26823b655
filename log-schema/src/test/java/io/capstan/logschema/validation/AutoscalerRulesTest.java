package io.capstan.logschema.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.HorizontalPodAutoscaler;
import io.capstan.logschema.defaults.ObjectDefaults;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import org.junit.jupiter.api.Test;

/** HorizontalPodAutoscaler defaults and validation as kube's autoscaling/v2. */
class AutoscalerRulesTest {

  private static HorizontalPodAutoscaler defaulted(String yaml) {
    HorizontalPodAutoscaler o = (HorizontalPodAutoscaler) KubeJson.fromJson(Kinds.HORIZONTAL_POD_AUTOSCALER,
        KubeJson.parse(yaml)).object();
    ObjectDefaults.apply(o);
    return o;
  }

  private static List<String> errors(String yaml) {
    return ObjectValidator.validate(Kinds.HORIZONTAL_POD_AUTOSCALER, defaulted(yaml)).stream()
        .map(FieldError::toString).toList();
  }

  private static void assertHas(List<String> errors, String expected) {
    assertTrue(errors.contains(expected), "expected <" + expected + "> in " + errors);
  }

  @Test
  void whatKubectlAutoscaleSendsIsValidAndDefaulted() {
    String yaml = """
        metadata: {name: web, namespace: default}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
          maxReplicas: 4
        """;
    assertEquals(List.of(), errors(yaml));
    HorizontalPodAutoscaler hpa = defaulted(yaml);
    assertEquals(1, hpa.getSpec().getMinReplicas());
    assertEquals("{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"target\":{\"type\":\"Utilization\","
        + "\"averageUtilization\":80}}}", KubeJson.toJson(hpa).path("spec").path("metrics").get(0).toString());
    assertEquals(List.of(), errors("""
        metadata: {name: web, namespace: default}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
          minReplicas: 2
          maxReplicas: 2
          metrics:
          - {type: Resource, resource: {name: memory, target: {type: AverageValue, averageValue: 100Mi}}}
          - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}
        """));
  }

  @Test
  void aPartialBehaviorGetsKubesDefaultRules() {
    HorizontalPodAutoscaler hpa = defaulted("""
        metadata: {name: web, namespace: default}
        spec:
          scaleTargetRef: {kind: Deployment, name: web}
          maxReplicas: 4
          behavior: {scaleDown: {stabilizationWindowSeconds: 10}}
        """);
    assertEquals("{\"scaleUp\":{\"stabilizationWindowSeconds\":0,\"selectPolicy\":\"Max\",\"policies\":["
        + "{\"type\":\"Pods\",\"value\":4,\"periodSeconds\":15},{\"type\":\"Percent\",\"value\":100,"
        + "\"periodSeconds\":15}]},\"scaleDown\":{\"stabilizationWindowSeconds\":10,\"selectPolicy\":\"Max\","
        + "\"policies\":[{\"type\":\"Percent\",\"value\":100,\"periodSeconds\":15}]}}",
        KubeJson.toJson(hpa).path("spec").path("behavior").toString());
  }

  @Test
  void replicaBoundsAndTargetReferenceNameTheirField() {
    List<String> bad = errors("""
        metadata: {name: web, namespace: default}
        spec:
          scaleTargetRef: {kind: "", name: "a/b"}
          minReplicas: 0
          maxReplicas: 0
        """);
    assertHas(bad, "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1");
    assertHas(bad, "spec.maxReplicas: Invalid value: 0: must be greater than 0");
    assertHas(bad, "spec.scaleTargetRef.kind: Required value");
    assertTrue(bad.stream().anyMatch(e -> e.startsWith("spec.scaleTargetRef.name: Invalid value: \"a/b\": ")), bad::toString);
    assertHas(errors("""
        metadata: {name: web, namespace: default}
        spec: {scaleTargetRef: {kind: Deployment, name: web}, minReplicas: 5, maxReplicas: 3}
        """), "spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`");
  }

  @Test
  void metricSpecsAreCheckedAsKubeChecksThem() {
    List<String> bad = errors("""
        metadata: {name: web, namespace: default}
        spec:
          scaleTargetRef: {kind: Deployment, name: web}
          maxReplicas: 3
          metrics:
          - {type: Resource}
          - {type: Resource, resource: {name: cpu, target: {type: Utilization}}}
          - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 0}}}
          - {type: Resource, resource: {name: cpu, target: {type: Average, averageUtilization: 50, averageValue: "-1"}}}
          - {type: Pods, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}
          - {type: Cpu}
        """);
    assertHas(bad, "spec.metrics[0].resource: Required value: must populate information for the given metric source");
    assertHas(bad, "spec.metrics[1].resource.target.averageUtilization: Required value: must set either a target raw"
        + " value or a target utilization");
    assertHas(bad, "spec.metrics[2].resource.target.averageUtilization: Invalid value: 0: must be greater than 0");
    assertHas(bad, "spec.metrics[3].resource.target.type: Invalid value: \"Average\": must be either Utilization,"
        + " Value, or AverageValue");
    assertHas(bad, "spec.metrics[3].resource.target.averageValue: Invalid value: \"-1\": must be positive");
    assertHas(bad, "spec.metrics[3].resource.target.averageValue: Forbidden: may not set both a target raw value and"
        + " a target utilization");
    assertHas(bad, "spec.metrics[4].pods: Required value: must populate information for the given metric source");
    assertHas(bad, "spec.metrics[4].resource: Forbidden: must populate the given metric source only");
    assertHas(bad, "spec.metrics[5].type: Unsupported value: \"Cpu\": supported values: \"ContainerResource\","
        + " \"External\", \"Object\", \"Pods\", \"Resource\"");
  }

  @Test
  void behaviorRulesStayWithinKubesBounds() {
    List<String> bad = errors("""
        metadata: {name: web, namespace: default}
        spec:
          scaleTargetRef: {kind: Deployment, name: web}
          maxReplicas: 3
          behavior:
            scaleUp: {stabilizationWindowSeconds: 3601, selectPolicy: Most, policies: [{type: Pods, value: 0, periodSeconds: 1801}]}
            scaleDown: {stabilizationWindowSeconds: -1, policies: [{type: Pod, value: 1, periodSeconds: 0}]}
        """);
    assertHas(bad, "spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 3601: must be less than or equal"
        + " to 3600");
    assertHas(bad, "spec.behavior.scaleUp.selectPolicy: Unsupported value: \"Most\": supported values: \"Disabled\","
        + " \"Max\", \"Min\"");
    assertHas(bad, "spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero");
    assertHas(bad, "spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 1801: must be less than or equal"
        + " to 1800");
    assertHas(bad, "spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: -1: must be greater than or"
        + " equal to zero");
    assertHas(bad, "spec.behavior.scaleDown.policies[0].type: Unsupported value: \"Pod\": supported values:"
        + " \"Percent\", \"Pods\"");
    assertHas(bad, "spec.behavior.scaleDown.policies[0].periodSeconds: Invalid value: 0: must be greater than zero");
  }
}
