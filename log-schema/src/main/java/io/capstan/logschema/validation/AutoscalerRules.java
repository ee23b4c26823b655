package io.capstan.logschema.validation;

import io.capstan.api.CrossVersionObjectReference;
import io.capstan.api.HPAScalingPolicy;
import io.capstan.api.HPAScalingRules;
import io.capstan.api.HorizontalPodAutoscaler;
import io.capstan.api.HorizontalPodAutoscalerSpec;
import io.capstan.api.MetricIdentifier;
import io.capstan.api.MetricSpec;
import io.capstan.api.MetricTarget;
import io.capstan.logschema.resource.Quantity;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * HorizontalPodAutoscaler (autoscaling/v2), as kube's autoscaling validation: minReplicas at
 * least 1, maxReplicas above 0 and not below minReplicas, a scale target named by kind and name,
 * each metric of a known source type with exactly that source set and a well-formed target, and
 * scaling behavior rules within kube's bounds.
 */
final class AutoscalerRules {
  static final List<String> METRIC_SOURCE_TYPES = List.of("ContainerResource", "External", "Object", "Pods",
      "Resource");
  static final List<String> SELECT_POLICIES = List.of("Disabled", "Max", "Min");
  static final List<String> POLICY_TYPES = List.of("Percent", "Pods");
  private static final int MAX_STABILIZATION_WINDOW_SECONDS = 3600;
  private static final int MAX_PERIOD_SECONDS = 1800;

  private AutoscalerRules() {}

  static void check(HorizontalPodAutoscaler hpa, FieldErrors errors) {
    HorizontalPodAutoscalerSpec spec = hpa.getSpec();
    if (spec == null) {
      errors.add(FieldError.required("spec"));
      return;
    }
    reference("spec.scaleTargetRef", spec.getScaleTargetRef(), errors);
    Integer min = spec.getMinReplicas();
    if (min != null && min < 1) {
      errors.add(FieldError.invalid("spec.minReplicas", min, "must be greater than or equal to 1"));
    }
    if (spec.getMaxReplicas() < 1) {
      errors.add(FieldError.invalid("spec.maxReplicas", spec.getMaxReplicas(), "must be greater than 0"));
    }
    if (min != null && spec.getMaxReplicas() < min) {
      errors.add(FieldError.invalid("spec.maxReplicas", spec.getMaxReplicas(),
          "must be greater than or equal to `minReplicas`"));
    }
    List<MetricSpec> metrics = FieldErrors.orEmpty(spec.getMetrics());
    for (int i = 0; i < metrics.size(); i++) {
      metric("spec.metrics[" + i + "]", metrics.get(i), errors);
    }
    if (spec.getBehavior() != null) {
      rules("spec.behavior.scaleUp", spec.getBehavior().getScaleUp(), errors);
      rules("spec.behavior.scaleDown", spec.getBehavior().getScaleDown(), errors);
    }
    if (hpa.getStatus() != null) {
      errors.nonNegative("status.currentReplicas", hpa.getStatus().getCurrentReplicas());
      errors.nonNegative("status.desiredReplicas", hpa.getStatus().getDesiredReplicas());
    }
  }

  private static void reference(String path, CrossVersionObjectReference ref, FieldErrors errors) {
    if (ref == null) {
      errors.add(FieldError.required(path + ".kind"));
      errors.add(FieldError.required(path + ".name"));
      return;
    }
    errors.requiredName(path + ".kind", ref.getKind(), RbacRules::pathSegmentName);
    errors.requiredName(path + ".name", ref.getName(), RbacRules::pathSegmentName);
  }

  private static void metric(String path, MetricSpec m, FieldErrors errors) {
    String type = m.getType();
    if (FieldErrors.isEmpty(type)) {
      errors.add(FieldError.required(path + ".type", "must specify a metric source type"));
    } else if (!METRIC_SOURCE_TYPES.contains(type)) {
      errors.add(FieldError.notSupported(path + ".type", type, METRIC_SOURCE_TYPES));
    }
    Map<String, Object> present = new LinkedHashMap<>();
    present.put("object", m.getObject());
    present.put("pods", m.getPods());
    present.put("resource", m.getResource());
    present.put("containerResource", m.getContainerResource());
    present.put("external", m.getExternal());
    present.values().removeIf(java.util.Objects::isNull);
    String expected = type == null || type.isEmpty() ? ""
        : Character.toLowerCase(type.charAt(0)) + type.substring(1);
    if (METRIC_SOURCE_TYPES.contains(type) && !present.containsKey(expected)) {
      errors.add(FieldError.required(path + "." + expected, "must populate information for the given metric source"));
    }
    if (present.size() > 1 || (present.size() == 1 && !present.containsKey(expected))) {
      for (String other : present.keySet()) {
        if (!other.equals(expected)) {
          errors.add(FieldError.forbidden(path + "." + other, "must populate the given metric source only"));
        }
      }
    }
    if (m.getResource() != null) {
      resource(path + ".resource", m.getResource().getName(), m.getResource().getTarget(), errors);
    }
    if (m.getContainerResource() != null) {
      resource(path + ".containerResource", m.getContainerResource().getName(),
          m.getContainerResource().getTarget(), errors);
      errors.requiredName(path + ".containerResource.container", m.getContainerResource().getContainer(),
          Names::dns1123Label);
    }
    if (m.getPods() != null) {
      identifier(path + ".pods.metric", m.getPods().getMetric(), errors);
      target(path + ".pods.target", m.getPods().getTarget(), errors);
      if (m.getPods().getTarget() != null && m.getPods().getTarget().getAverageValue() == null) {
        errors.add(FieldError.required(path + ".pods.target.averageValue", "must specify a positive target averageValue"));
      }
    }
    if (m.getObject() != null) {
      reference(path + ".object.describedObject", m.getObject().getDescribedObject(), errors);
      identifier(path + ".object.metric", m.getObject().getMetric(), errors);
      target(path + ".object.target", m.getObject().getTarget(), errors);
      MetricTarget t = m.getObject().getTarget();
      if (t != null && t.getValue() == null && t.getAverageValue() == null) {
        errors.add(FieldError.required(path + ".object.target.value", "must set either a target value or averageValue"));
      }
    }
    if (m.getExternal() != null) {
      identifier(path + ".external.metric", m.getExternal().getMetric(), errors);
      target(path + ".external.target", m.getExternal().getTarget(), errors);
      MetricTarget t = m.getExternal().getTarget();
      if (t != null && t.getValue() == null && t.getAverageValue() == null) {
        errors.add(FieldError.required(path + ".external.target.value", "must set either a target value or averageValue"));
      }
      if (t != null && t.getValue() != null && t.getAverageValue() != null) {
        errors.add(FieldError.forbidden(path + ".external.target.value", "may not set both a target value for metric and a per-pod target"));
      }
    }
  }

  private static void resource(String path, String name, MetricTarget t, FieldErrors errors) {
    if (FieldErrors.isEmpty(name)) {
      errors.add(FieldError.required(path + ".name", "must specify a resource name"));
    }
    target(path + ".target", t, errors);
    if (t == null) {
      return;
    }
    if (t.getAverageUtilization() == null && t.getAverageValue() == null) {
      errors.add(FieldError.required(path + ".target.averageUtilization",
          "must set either a target raw value or a target utilization"));
    }
    if (t.getAverageUtilization() != null && t.getAverageValue() != null) {
      errors.add(FieldError.forbidden(path + ".target.averageValue",
          "may not set both a target raw value and a target utilization"));
    }
  }

  private static void identifier(String path, MetricIdentifier id, FieldErrors errors) {
    if (id == null || FieldErrors.isEmpty(id.getName())) {
      errors.add(FieldError.required(path + ".name", "must specify a metric name"));
      return;
    }
    errors.name(path + ".name", id.getName(), RbacRules::pathSegmentName);
    MetadataRules.checkLabelSelector(path + ".selector", id.getSelector(), errors);
  }

  private static void target(String path, MetricTarget t, FieldErrors errors) {
    if (t == null) {
      errors.add(FieldError.required(path + ".type", "must specify a metric target type"));
      return;
    }
    if (FieldErrors.isEmpty(t.getType())) {
      errors.add(FieldError.required(path + ".type", "must specify a metric target type"));
    } else if (!List.of("Utilization", "Value", "AverageValue").contains(t.getType())) {
      errors.add(FieldError.invalid(path + ".type", t.getType(), "must be either Utilization, Value, or AverageValue"));
    }
    positiveQuantity(path + ".value", t.getValue(), errors);
    positiveQuantity(path + ".averageValue", t.getAverageValue(), errors);
    if (t.getAverageUtilization() != null && t.getAverageUtilization() < 1) {
      errors.add(FieldError.invalid(path + ".averageUtilization", t.getAverageUtilization(), "must be greater than 0"));
    }
  }

  private static void positiveQuantity(String path, String value, FieldErrors errors) {
    Quantity q = errors.quantity(path, value);
    if (q != null && q.signum() != 1) {
      errors.add(FieldError.invalid(path, value, "must be positive"));
    }
  }

  private static void rules(String path, HPAScalingRules rules, FieldErrors errors) {
    if (rules == null) {
      return;
    }
    Integer window = rules.getStabilizationWindowSeconds();
    if (window != null && window < 0) {
      errors.add(FieldError.invalid(path + ".stabilizationWindowSeconds", window, "must be greater than or equal to zero"));
    } else if (window != null && window > MAX_STABILIZATION_WINDOW_SECONDS) {
      errors.add(FieldError.invalid(path + ".stabilizationWindowSeconds", window,
          "must be less than or equal to " + MAX_STABILIZATION_WINDOW_SECONDS));
    }
    errors.oneOf(path + ".selectPolicy", rules.getSelectPolicy(), SELECT_POLICIES);
    List<HPAScalingPolicy> policies = FieldErrors.orEmpty(rules.getPolicies());
    if (policies.isEmpty()) {
      errors.add(FieldError.required(path + ".policies", "must specify at least one Policy"));
    }
    for (int i = 0; i < policies.size(); i++) {
      String p = path + ".policies[" + i + "]";
      HPAScalingPolicy policy = policies.get(i);
      errors.requiredOneOf(p + ".type", policy.getType(), POLICY_TYPES);
      if (policy.getPeriodSeconds() <= 0) {
        errors.add(FieldError.invalid(p + ".periodSeconds", policy.getPeriodSeconds(), "must be greater than zero"));
      } else if (policy.getPeriodSeconds() > MAX_PERIOD_SECONDS) {
        errors.add(FieldError.invalid(p + ".periodSeconds", policy.getPeriodSeconds(),
            "must be less than or equal to " + MAX_PERIOD_SECONDS));
      }
      if (policy.getValue() <= 0) {
        errors.add(FieldError.invalid(p + ".value", policy.getValue(), "must be greater than zero"));
      }
    }
  }
}
