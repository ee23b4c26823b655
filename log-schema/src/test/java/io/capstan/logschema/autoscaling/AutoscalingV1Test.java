package io.capstan.logschema.autoscaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.json.KubeJson;
import org.junit.jupiter.api.Test;

/** autoscaling/v1 ⇄ v2 as kube-apiserver converts: the cpu target in v1's field, the rest in round-trip annotations. */
class AutoscalingV1Test {
  /** What kubectl 1.32's {@code kubectl autoscale deployment web --cpu-percent=50 --min=1 --max=3} posts. */
  private static final String KUBECTL_AUTOSCALE = """
      {"kind":"HorizontalPodAutoscaler","apiVersion":"autoscaling/v1",
       "metadata":{"name":"web","creationTimestamp":null},
       "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"},
               "minReplicas":1,"maxReplicas":3,"targetCPUUtilizationPercentage":50},
       "status":{"currentReplicas":0,"desiredReplicas":0}}
      """;

  private static final String V2 = """
      {"kind":"HorizontalPodAutoscaler","apiVersion":"autoscaling/v2",
       "metadata":{"name":"web","namespace":"default","annotations":{"team":"a"}},
       "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"},
               "minReplicas":1,"maxReplicas":5,
               "metrics":[{"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"100Mi"}}},
                          {"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":60}}},
                          {"type":"Pods","pods":{"metric":{"name":"qps"},"target":{"type":"AverageValue","averageValue":"10"}}}],
               "behavior":{"scaleDown":{"stabilizationWindowSeconds":15}}},
       "status":{"currentReplicas":2,"desiredReplicas":3,"lastScaleTime":"2026-12-06T08:00:00Z",
                 "currentMetrics":[{"type":"Resource","resource":{"name":"cpu","current":{"averageValue":"120m","averageUtilization":120}}}],
                 "conditions":[{"type":"AbleToScale","status":"True","reason":"SucceededRescale","message":"m"}]}}
      """;

  @Test
  void kubectlAutoscalesV1ObjectIsACpuUtilizationMetric() {
    ObjectNode v2 = AutoscalingV1.toV2(KubeJson.parse(KUBECTL_AUTOSCALE));
    assertEquals("autoscaling/v2", v2.path("apiVersion").asText());
    assertEquals(KubeJson.parse("""
        [{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}}]"""),
        v2.path("spec").path("metrics"));
    assertEquals(3, v2.path("spec").path("maxReplicas").asInt());
    assertFalse(v2.path("metadata").has("annotations"));
  }

  @Test
  void aV1ObjectWithoutTargetGetsKubesDefaultOf80Percent() {
    JsonNode v1 = KubeJson.parse("""
        {"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"x"},
         "spec":{"scaleTargetRef":{"kind":"Deployment","name":"x"},"maxReplicas":2}}""");
    assertEquals(80, AutoscalingV1.toV2(v1).path("spec").path("metrics").get(0).path("resource").path("target")
        .path("averageUtilization").asInt());
  }

  @Test
  void v2ReadAsV1KeepsTheRestInAnnotationsAndComesBackTheSame() {
    JsonNode v2 = KubeJson.parse(V2);
    ObjectNode v1 = AutoscalingV1.toV1(v2);
    assertEquals("autoscaling/v1", v1.path("apiVersion").asText());
    assertEquals(60, v1.path("spec").path("targetCPUUtilizationPercentage").asInt());
    assertFalse(v1.path("spec").has("metrics"));
    assertEquals(120, v1.path("status").path("currentCPUUtilizationPercentage").asInt());
    JsonNode annotations = v1.path("metadata").path("annotations");
    assertEquals("a", annotations.path("team").asText());
    assertEquals(KubeJson.parse("""
        [{"type":"Resource","resource":{"name":"memory","targetAverageValue":"100Mi"}},
         {"type":"Pods","pods":{"metricName":"qps","targetAverageValue":"10"}}]"""),
        KubeJson.parse(annotations.path(AutoscalingV1.METRIC_SPECS).asText()));
    assertEquals(KubeJson.parse("""
        [{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":120,"currentAverageValue":"120m"}}]"""),
        KubeJson.parse(annotations.path(AutoscalingV1.METRIC_STATUSES).asText()));
    assertTrue(annotations.path(AutoscalingV1.BEHAVIOR).asText().contains("\"stabilizationWindowSeconds\":15"));
    assertTrue(annotations.path(AutoscalingV1.CONDITIONS).asText().contains("SucceededRescale"));

    ObjectNode back = AutoscalingV1.toV2(v1);
    // The cpu target comes first from v1's own field, then the others in their order.
    ObjectNode expected = (ObjectNode) v2.deepCopy();
    expected.withObjectProperty("spec").set("metrics", KubeJson.parse("""
        [{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":60}}},
         {"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"100Mi"}}},
         {"type":"Pods","pods":{"metric":{"name":"qps"},"target":{"type":"AverageValue","averageValue":"10"}}}]"""));
    assertEquals(expected, back);
  }

  @Test
  void roundTripAnnotationsAClientSentAreNotKeptAndBadOnesAreNamed() {
    ObjectNode v1 = (ObjectNode) KubeJson.parse(KUBECTL_AUTOSCALE);
    v1.withObjectProperty("metadata").putObject("annotations").put(AutoscalingV1.CONDITIONS, "[]");
    assertFalse(AutoscalingV1.toV2(v1).path("metadata").has("annotations"));
    ObjectNode sentToV1 = AutoscalingV1.toV1(AutoscalingV1.toV2(v1));
    assertFalse(sentToV1.path("metadata").path("annotations").has(AutoscalingV1.CONDITIONS));

    v1.withObjectProperty("metadata").withObjectProperty("annotations").put(AutoscalingV1.METRIC_SPECS, "{not json");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AutoscalingV1.toV2(v1));
    assertTrue(e.getMessage().startsWith("metadata.annotations[autoscaling.alpha.kubernetes.io/metrics]: not valid JSON"),
        e.getMessage());
  }

  /**
   * As a served version (Conversions): KubeJson converts a v1 object to the stored v2 record,
   * names v1's unknown fields and wrongly typed ones by their v1 paths, and a v2 validation path
   * of the CPU target is v1's field.
   */
  @Test
  void aV1ObjectConvertsToTheStoredRecordWithV1Paths() {
    ObjectNode v1 = (ObjectNode) KubeJson.parse(KUBECTL_AUTOSCALE);
    v1.withObjectProperty("spec").put("targetCPU", 3);
    io.capstan.logschema.json.Converted<io.capstan.api.HorizontalPodAutoscaler> converted =
        KubeJson.fromJson(io.capstan.logschema.kinds.Kinds.HORIZONTAL_POD_AUTOSCALER, v1);
    assertEquals(50, converted.object().getSpec().getMetrics().get(0).getResource().getTarget().getAverageUtilization());
    assertEquals(java.util.List.of("spec.targetCPU"), converted.unknownFields());

    v1.withObjectProperty("spec").put("targetCPUUtilizationPercentage", "fifty");
    io.capstan.logschema.json.ConversionException e = assertThrows(io.capstan.logschema.json.ConversionException.class,
        () -> KubeJson.fromJson(io.capstan.logschema.kinds.Kinds.HORIZONTAL_POD_AUTOSCALER, v1));
    assertEquals("spec.targetCPUUtilizationPercentage: expected integer, got string \"fifty\"", e.getMessage());

    v1.put("kind", "Deployment");
    e = assertThrows(io.capstan.logschema.json.ConversionException.class,
        () -> KubeJson.fromJson(io.capstan.logschema.kinds.Kinds.HORIZONTAL_POD_AUTOSCALER, v1));
    assertTrue(e.getMessage().startsWith("kind: expected \"HorizontalPodAutoscaler\""), e.getMessage());

    assertEquals("spec.targetCPUUtilizationPercentage",
        AutoscalingV1.CONVERSION.servedPath("spec.metrics[0].resource.target.averageUtilization"));
    assertEquals("spec.maxReplicas", AutoscalingV1.CONVERSION.servedPath("spec.maxReplicas"));
  }
}
