package io.capstan.logschema.validation;

import io.capstan.api.PodDisruptionBudget;
import io.capstan.api.PodDisruptionBudgetSpec;
import io.capstan.api.PodDisruptionBudgetStatus;
import java.util.List;

/**
 * PodDisruptionBudget (policy/v1), as kube's policy validation: at most one of minAvailable and
 * maxUnavailable, each a non-negative count or a percentage of at most 100%; a valid label
 * selector; a known unhealthyPodEvictionPolicy; status counts never negative.
 */
final class DisruptionBudgetRules {
  /** The unhealthyPodEvictionPolicy values kube accepts. */
  static final List<String> UNHEALTHY_POD_EVICTION_POLICIES = List.of("AlwaysAllow", "IfHealthyBudget");

  private DisruptionBudgetRules() {}

  static void check(PodDisruptionBudget pdb, FieldErrors errors) {
    PodDisruptionBudgetSpec spec = pdb.getSpec();
    if (spec != null) {
      if (spec.getMinAvailable() != null && spec.getMaxUnavailable() != null) {
        // kube reports the whole spec as the invalid value
        errors.add(new FieldError("spec", "FieldValueInvalid", "Invalid value: {\"minAvailable\":"
            + json(spec.getMinAvailable()) + ",\"maxUnavailable\":" + json(spec.getMaxUnavailable())
            + "}: minAvailable and maxUnavailable cannot be both set"));
      }
      WorkloadRules.checkIntOrPercent("spec.minAvailable", spec.getMinAvailable(), errors);
      WorkloadRules.checkIntOrPercent("spec.maxUnavailable", spec.getMaxUnavailable(), errors);
      MetadataRules.checkLabelSelector("spec.selector", spec.getSelector(), errors);
      errors.oneOf("spec.unhealthyPodEvictionPolicy", spec.getUnhealthyPodEvictionPolicy(),
          UNHEALTHY_POD_EVICTION_POLICIES);
    }
    PodDisruptionBudgetStatus status = pdb.getStatus();
    if (status != null) {
      errors.nonNegative("status.disruptionsAllowed", status.getDisruptionsAllowed());
      errors.nonNegative("status.currentHealthy", status.getCurrentHealthy());
      errors.nonNegative("status.desiredHealthy", status.getDesiredHealthy());
      errors.nonNegative("status.expectedPods", status.getExpectedPods());
    }
  }

  private static String json(Object intOrString) {
    return intOrString instanceof Integer ? intOrString.toString() : "\"" + intOrString + "\"";
  }
}
