package io.capstan.controllers.hpa;

import io.capstan.api.ContainerResourceMetricStatus;
import io.capstan.api.MetricSpec;
import io.capstan.api.MetricStatus;
import io.capstan.api.MetricTarget;
import io.capstan.api.MetricValueStatus;
import io.capstan.api.Pod;
import io.capstan.api.ResourceMetricStatus;
import io.capstan.controllers.hpa.ReplicaCalculator.MetricsException;
import io.capstan.controllers.hpa.ReplicaCalculator.PodMetric;
import io.capstan.controllers.hpa.ReplicaCalculator.Recommendation;
import io.capstan.logschema.resource.Quantity;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One Resource (or ContainerResource) metric of an autoscaler as kube's controller evaluates it: the replica count it
 * proposes, the metric's current status for the autoscaler's status, and the name the
 * SuccessfulRescale event gives as its reason; or, when it cannot be computed, the ScalingActive
 * condition and Warning event kube's controller reports (FailedGetResourceMetric).
 */
public final class ResourceMetricEvaluator {
  /** A metric's proposal: replicas, its status entry, and its name for the rescale reason. */
  public record Proposal(int replicas, MetricStatus status, String metricName) {}

  /** Why a metric gave no proposal: the Warning event (reason, message) and the ScalingActive=False condition. */
  public static final class Failure extends Exception {
    private final String reason;

    Failure(String reason, String message) {
      super(message);
      this.reason = reason;
    }

    public String reason() {
      return reason;
    }

    /** The ScalingActive condition's message, as kube's getUnableComputeReplicaCountCondition words it. */
    public String conditionMessage() {
      return "the HPA was unable to compute the replica count: " + getMessage();
    }
  }

  private final ReplicaCalculator calculator;

  public ResourceMetricEvaluator(ReplicaCalculator calculator) {
    this.calculator = calculator;
  }

  /**
   * kube's computeStatusForResourceMetric (and, for a ContainerResource metric, its container
   * variant), on the target's pods and their samples of the metric's resource (of the one container).
   */
  public Proposal evaluate(MetricSpec spec, int currentReplicas, List<Pod> pods, Map<String, PodMetric> samples,
      Instant now) throws Failure {
    boolean ofContainer = "ContainerResource".equals(spec.getType()) && spec.getContainerResource() != null;
    String resource = ofContainer ? spec.getContainerResource().getName() : spec.getResource().getName();
    MetricTarget target = ofContainer ? spec.getContainerResource().getTarget() : spec.getResource().getTarget();
    String container = ofContainer ? spec.getContainerResource().getContainer() : "";
    try {
      if (target.getAverageValue() != null) {
        Recommendation r;
        try {
          r = calculator.rawResourceReplicas(currentReplicas, Quantity.parse(target.getAverageValue()).milliValue(),
              resource, pods, samples, now);
        } catch (MetricsException e) {
          throw new MetricsException("failed to get " + resource + " usage: " + e.getMessage());
        }
        return new Proposal(r.replicas(), status(resource, container, MetricValueStatus.newBuilder()
            .setAverageValue(Quantity.ofMillis(r.rawAverage()).canonical()).build()), resource + " resource");
      }
      if (target.getAverageUtilization() == null) {
        throw new MetricsException("invalid resource metric source: neither an average utilization target nor an"
            + " average value (usage) target was set");
      }
      Recommendation r;
      try {
        r = calculator.resourceReplicas(currentReplicas, target.getAverageUtilization(), resource, container, pods,
            samples, now);
      } catch (MetricsException e) {
        throw new MetricsException("failed to get " + resource + " utilization: " + e.getMessage());
      }
      return new Proposal(r.replicas(), status(resource, container, MetricValueStatus.newBuilder()
          .setAverageUtilization(r.utilization()).setAverageValue(Quantity.ofMillis(r.rawAverage()).canonical())
          .build()), resource + (ofContainer ? " container" : "") + " resource utilization (percentage of request)");
    } catch (MetricsException e) {
      throw new Failure(ofContainer ? "FailedGetContainerResourceMetric" : "FailedGetResourceMetric", e.getMessage());
    }
  }

  /** The SuccessfulRescale event's message, as kube's controller words it. */
  public static String rescaleMessage(int desired, int current, String metricName) {
    return "New size: " + desired + "; reason: " + (desired > current ? metricName + " above target"
        : "All metrics below target");
  }

  private static MetricStatus status(String resource, String container, MetricValueStatus current) {
    if (container != null && !container.isEmpty()) {
      return MetricStatus.newBuilder().setType("ContainerResource").setContainerResource(ContainerResourceMetricStatus
          .newBuilder().setName(resource).setContainer(container).setCurrent(current).build()).build();
    }
    return MetricStatus.newBuilder().setType("Resource")
        .setResource(ResourceMetricStatus.newBuilder().setName(resource).setCurrent(current).build()).build();
  }
}
