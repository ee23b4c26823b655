package io.capstan.logschema.defaults;

import io.capstan.api.HPAScalingPolicy;
import io.capstan.api.HPAScalingRules;
import io.capstan.api.HorizontalPodAutoscaler;
import io.capstan.api.HorizontalPodAutoscalerSpec;
import io.capstan.api.MetricSpec;
import io.capstan.api.MetricTarget;
import io.capstan.api.ResourceMetricSource;
import java.util.ArrayList;
import java.util.List;

/**
 * autoscaling/v2 defaults, as kube's SetDefaults_HorizontalPodAutoscaler: minReplicas 1; no
 * metrics means 80% average CPU utilization; a behavior given in part gets the rest of kube's
 * default rules (scale up: no window, the larger of 4 pods or 100% per 15 s; scale down: a
 * 300 s window, 100% per 15 s; selectPolicy Max).
 */
public final class AutoscalerDefaults {
  /** kube's default target when an autoscaler names no metric. */
  public static final int DEFAULT_CPU_UTILIZATION = 80;
  public static final int DEFAULT_SCALE_DOWN_WINDOW_SECONDS = 300;

  private AutoscalerDefaults() {}

  static void horizontalPodAutoscaler(HorizontalPodAutoscaler hpa) {
    HorizontalPodAutoscalerSpec spec = hpa.getSpec();
    if (spec == null) {
      return;
    }
    if (spec.getMinReplicas() == null) {
      spec.setMinReplicas(1);
    }
    if (spec.getMetrics() == null || spec.getMetrics().isEmpty()) {
      spec.setMetrics(new ArrayList<>(List.of(MetricSpec.newBuilder().setType("Resource")
          .setResource(ResourceMetricSource.newBuilder().setName("cpu")
              .setTarget(MetricTarget.newBuilder().setType("Utilization")
                  .setAverageUtilization(DEFAULT_CPU_UTILIZATION).build()).build()).build())));
    }
    if (spec.getBehavior() != null) {
      spec.getBehavior().setScaleUp(scaleUp(spec.getBehavior().getScaleUp()));
      spec.getBehavior().setScaleDown(scaleDown(spec.getBehavior().getScaleDown()));
    }
  }

  /** kube's GenerateHPAScaleUpRules: what the given rules leave unset, from the scale-up defaults. */
  public static HPAScalingRules scaleUp(HPAScalingRules given) {
    return fill(given, 0, List.of(policy("Pods", 4, 15), policy("Percent", 100, 15)));
  }

  /** kube's GenerateHPAScaleDownRules. */
  public static HPAScalingRules scaleDown(HPAScalingRules given) {
    return fill(given, DEFAULT_SCALE_DOWN_WINDOW_SECONDS, List.of(policy("Percent", 100, 15)));
  }

  private static HPAScalingRules fill(HPAScalingRules given, int window, List<HPAScalingPolicy> policies) {
    HPAScalingRules r = given == null ? new HPAScalingRules() : given;
    if (r.getStabilizationWindowSeconds() == null) {
      r.setStabilizationWindowSeconds(window);
    }
    if (r.getSelectPolicy() == null) {
      r.setSelectPolicy("Max");
    }
    if (r.getPolicies() == null || r.getPolicies().isEmpty()) {
      r.setPolicies(new ArrayList<>(policies));
    }
    return r;
  }

  private static HPAScalingPolicy policy(String type, int value, int periodSeconds) {
    return HPAScalingPolicy.newBuilder().setType(type).setValue(value).setPeriodSeconds(periodSeconds).build();
  }
}
