package io.capstan.controllers.hpa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.capstan.api.ContainerResourceMetricSource;
import io.capstan.api.MetricSpec;
import io.capstan.api.MetricTarget;
import io.capstan.api.Pod;
import io.capstan.api.ResourceMetricSource;
import io.capstan.controllers.hpa.ResourceMetricEvaluator.Failure;
import io.capstan.controllers.hpa.ResourceMetricEvaluator.Proposal;
import io.capstan.logschema.json.KubeJson;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A Resource metric's proposal, status and wording, and the failure kube reports for pods without requests. */
class ResourceMetricEvaluatorTest {
  final ResourceMetricEvaluator evaluator = new ResourceMetricEvaluator(ReplicaCalculator.standard());

  static MetricSpec metric(String resource, MetricTarget target) {
    return MetricSpec.newBuilder().setType("Resource").setResource(ResourceMetricSource.newBuilder()
        .setName(resource).setTarget(target).build()).build();
  }

  static MetricSpec cpuUtilization(int percent) {
    return metric("cpu", MetricTarget.newBuilder().setType("Utilization").setAverageUtilization(percent).build());
  }

  @Test
  void utilizationAboveTargetProposesMoreReplicasWithKubesStatusAndReason() throws Exception {
    Proposal p = evaluator.evaluate(cpuUtilization(50), 2, ReplicaCalculatorTest.pods(2, "200m"),
        ReplicaCalculatorTest.usage(300L, 290L), ReplicaCalculatorTest.NOW);
    // 590m of 400m requested is 147% of 50%: ceil(2.94 * 2) = 6
    assertEquals(6, p.replicas());
    assertEquals("{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"current\":{\"averageValue\":\"295m\","
        + "\"averageUtilization\":147}}}", KubeJson.toJson(p.status()).toString());
    assertEquals("cpu resource utilization (percentage of request)", p.metricName());
    assertEquals("New size: 6; reason: cpu resource utilization (percentage of request) above target",
        ResourceMetricEvaluator.rescaleMessage(6, 2, p.metricName()));
    assertEquals("New size: 1; reason: All metrics below target", ResourceMetricEvaluator.rescaleMessage(1, 2,
        p.metricName()));
  }

  @Test
  void aContainerResourceMetricIsTheContainersShareOfItsRequest() throws Exception {
    MetricSpec spec = MetricSpec.newBuilder().setType("ContainerResource").setContainerResource(
        ContainerResourceMetricSource.newBuilder().setName("cpu").setContainer("c0").setTarget(MetricTarget.newBuilder()
            .setType("Utilization").setAverageUtilization(50).build()).build()).build();
    Proposal p = evaluator.evaluate(spec, 2, ReplicaCalculatorTest.pods(2, "200m"),
        ReplicaCalculatorTest.usage(300L, 290L), ReplicaCalculatorTest.NOW);
    assertEquals(6, p.replicas());
    assertEquals("{\"type\":\"ContainerResource\",\"containerResource\":{\"name\":\"cpu\",\"current\":{"
        + "\"averageValue\":\"295m\",\"averageUtilization\":147},\"container\":\"c0\"}}",
        KubeJson.toJson(p.status()).toString());
    assertEquals("cpu container resource utilization (percentage of request)", p.metricName());
    Failure f = assertThrows(Failure.class, () -> evaluator.evaluate(spec, 1,
        List.of(ReplicaCalculatorTest.running("p0", null)), ReplicaCalculatorTest.usage(100L), ReplicaCalculatorTest.NOW));
    assertEquals("FailedGetContainerResourceMetric", f.reason());
  }

  @Test
  void averageValueTargetsReportTheAverage() throws Exception {
    Proposal p = evaluator.evaluate(metric("cpu", MetricTarget.newBuilder().setType("AverageValue")
        .setAverageValue("100m").build()), 2, ReplicaCalculatorTest.pods(2, "1"),
        ReplicaCalculatorTest.usage(300L, 100L), ReplicaCalculatorTest.NOW);
    assertEquals(4, p.replicas());
    assertEquals("{\"averageValue\":\"200m\"}", KubeJson.toJson(p.status().getResource().getCurrent()).toString());
    assertEquals("cpu resource", p.metricName());
  }

  @Test
  void podsWithoutRequestsMakeScalingInactiveInKubesWords() {
    List<Pod> pods = List.of(ReplicaCalculatorTest.running("p0", null));
    Failure f = assertThrows(Failure.class, () -> evaluator.evaluate(cpuUtilization(50), 1, pods,
        ReplicaCalculatorTest.usage(100L), ReplicaCalculatorTest.NOW));
    assertEquals("FailedGetResourceMetric", f.reason());
    assertEquals("failed to get cpu utilization: missing request for cpu in container c0 of Pod p0", f.getMessage());
    assertEquals("the HPA was unable to compute the replica count: failed to get cpu utilization: missing request"
        + " for cpu in container c0 of Pod p0", f.conditionMessage());
  }
}
