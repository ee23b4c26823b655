package io.capstan.logschema.validation;

import static io.capstan.logschema.json.FieldPath.field;
import static io.capstan.logschema.validation.FieldErrors.orEmpty;

import io.capstan.api.Deployment;
import io.capstan.api.DeploymentStrategy;
import io.capstan.api.Job;
import io.capstan.api.JobSpec;
import io.capstan.api.LabelSelector;
import io.capstan.api.PodTemplateSpec;
import io.capstan.api.ReplicaSet;
import io.capstan.api.ReplicaSetSpec;
import java.util.List;
import java.util.Map;

/** Deployment, ReplicaSet and Job: replica counts, selectors that match their template, template pods. */
final class WorkloadRules {
  static final List<String> ALWAYS = List.of("Always");
  private static final List<String> JOB_RESTART_POLICIES = List.of("OnFailure", "Never");

  private WorkloadRules() {}

  static void checkDeployment(Deployment d, FieldErrors errors) {
    var spec = d.getSpec();
    if (spec == null) {
      errors.add(FieldError.required("spec"));
      return;
    }
    errors.nonNegative("spec.replicas", spec.getReplicas());
    errors.nonNegative("spec.minReadySeconds", spec.getMinReadySeconds());
    errors.nonNegative("spec.revisionHistoryLimit", spec.getRevisionHistoryLimit());
    if (spec.getProgressDeadlineSeconds() != null) {
      errors.positive("spec.progressDeadlineSeconds", spec.getProgressDeadlineSeconds());
      if (spec.getMinReadySeconds() != null && spec.getProgressDeadlineSeconds() <= spec.getMinReadySeconds()) {
        errors.add(FieldError.invalid("spec.progressDeadlineSeconds", spec.getProgressDeadlineSeconds(),
            "must be greater than minReadySeconds"));
      }
    }
    checkStrategy(spec.getStrategy(), errors);
    checkSelectorAndTemplate(spec.getSelector(), spec.getTemplate(), ALWAYS, true, errors);
  }

  private static void checkStrategy(DeploymentStrategy s, FieldErrors errors) {
    if (s == null) {
      return;
    }
    errors.oneOf("spec.strategy.type", s.getType(), List.of("Recreate", "RollingUpdate"));
    if ("Recreate".equals(s.getType()) && s.getRollingUpdate() != null) {
      errors.add(FieldError.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is "
          + "'Recreate'"));
    }
    if (s.getRollingUpdate() != null) {
      Object surge = s.getRollingUpdate().getMaxSurge();
      Object unavailable = s.getRollingUpdate().getMaxUnavailable();
      checkIntOrPercent("spec.strategy.rollingUpdate.maxSurge", surge, errors);
      checkIntOrPercent("spec.strategy.rollingUpdate.maxUnavailable", unavailable, errors);
      if (isZero(surge) && isZero(unavailable)) {
        errors.add(FieldError.invalid("spec.strategy.rollingUpdate.maxUnavailable", String.valueOf(unavailable),
            "may not be 0 when `maxSurge` is 0"));
      }
    }
  }

  /** An int-or-string that is a non-negative count or a percentage ("25%"). */
  static void checkIntOrPercent(String path, Object value, FieldErrors errors) {
    if (value instanceof Integer i) {
      errors.nonNegative(path, i);
    } else if (value != null) {
      String s = value.toString();
      if (!s.matches("[0-9]+%")) {
        errors.add(FieldError.invalid(path, s, "a valid percent string must be a numeric string followed by an "
            + "ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"));
      } else if (Integer.parseInt(s.substring(0, s.length() - 1)) > 100) {
        errors.add(FieldError.invalid(path, s, "must not be greater than 100%"));
      }
    }
  }

  static boolean isZero(Object intOrPercent) {
    return intOrPercent == null || intOrPercent.equals(0) || "0%".equals(intOrPercent);
  }

  static void checkReplicaSet(ReplicaSet rs, FieldErrors errors) {
    ReplicaSetSpec spec = rs.getSpec();
    if (spec == null) {
      errors.add(FieldError.required("spec"));
      return;
    }
    errors.nonNegative("spec.replicas", spec.getReplicas());
    errors.nonNegative("spec.minReadySeconds", spec.getMinReadySeconds());
    // A ReplicaSet scaled to zero may omit its template; with replicas it needs one.
    boolean needsTemplate = spec.getReplicas() == null || spec.getReplicas() > 0;
    if (spec.getTemplate() == null && needsTemplate) {
      errors.add(FieldError.required("spec.template"));
    }
    checkSelectorAndTemplate(spec.getSelector(), spec.getTemplate(), ALWAYS, true, errors);
  }

  static void checkJob(Job job, FieldErrors errors) {
    JobSpec spec = job.getSpec();
    if (spec == null) {
      errors.add(FieldError.required("spec"));
      return;
    }
    checkJobSpec("spec", spec, errors);
  }

  /** A Job's spec at {@code path}: {@code spec} of a Job, {@code spec.jobTemplate.spec} of a CronJob. */
  static void checkJobSpec(String path, JobSpec spec, FieldErrors errors) {
    errors.nonNegative(path + ".parallelism", spec.getParallelism());
    errors.nonNegative(path + ".completions", spec.getCompletions());
    errors.positive(path + ".activeDeadlineSeconds", spec.getActiveDeadlineSeconds());
    errors.nonNegative(path + ".backoffLimit", spec.getBackoffLimit());
    errors.nonNegative(path + ".backoffLimitPerIndex", spec.getBackoffLimitPerIndex());
    errors.nonNegative(path + ".maxFailedIndexes", spec.getMaxFailedIndexes());
    errors.nonNegative(path + ".ttlSecondsAfterFinished", spec.getTtlSecondsAfterFinished());
    errors.oneOf(path + ".completionMode", spec.getCompletionMode(), List.of("NonIndexed", "Indexed"));
    errors.oneOf(path + ".podReplacementPolicy", spec.getPodReplacementPolicy(), List.of("TerminatingOrFailed", "Failed"));
    boolean indexed = "Indexed".equals(spec.getCompletionMode());
    if (indexed && spec.getCompletions() == null) {
      errors.add(FieldError.required(path + ".completions", "when completion mode is Indexed"));
    }
    if (!indexed && spec.getBackoffLimitPerIndex() != null) {
      errors.add(FieldError.forbidden(path + ".backoffLimitPerIndex", "requires indexed completion mode"));
    }
    if (spec.getMaxFailedIndexes() != null && spec.getBackoffLimitPerIndex() == null) {
      errors.add(FieldError.required(path + ".backoffLimitPerIndex", "when maxFailedIndexes is specified"));
    }
    if (spec.getPodFailurePolicy() != null) {
      var rules = orEmpty(spec.getPodFailurePolicy().getRules());
      for (int i = 0; i < rules.size(); i++) {
        errors.oneOf(path + ".podFailurePolicy.rules[" + i + "].action", rules.get(i).getAction(),
            List.of("FailJob", "FailIndex", "Ignore", "Count"));
      }
    }
    // Without manualSelector the API server generates the selector from the job's uid
    // (controller-uid labels), so it may be absent here.
    boolean manual = Boolean.TRUE.equals(spec.getManualSelector());
    if (manual && MetadataRules.isEmptySelector(spec.getSelector())) {
      errors.add(FieldError.required(path + ".selector"));
    }
    checkSelectorAndTemplate(path, spec.getSelector(), spec.getTemplate(), JOB_RESTART_POLICIES,
        spec.getSelector() != null, errors);
  }

  /**
   * The selector is well-formed, non-empty and selects the template's labels; the template is
   * a valid pod with a restart policy the controller supports.
   */
  static void checkSelectorAndTemplate(LabelSelector selector, PodTemplateSpec template,
      List<String> restartPolicies, boolean selectorRequired, FieldErrors errors) {
    checkSelectorAndTemplate("spec", selector, template, restartPolicies, selectorRequired, errors);
  }

  /** As above, for a workload spec at {@code path}. */
  private static void checkSelectorAndTemplate(String path, LabelSelector selector, PodTemplateSpec template,
      List<String> restartPolicies, boolean selectorRequired, FieldErrors errors) {
    if (selectorRequired) {
      if (MetadataRules.isEmptySelector(selector)) {
        errors.add(FieldError.invalid(path + ".selector", "{}", "empty selector is invalid"));
      } else {
        MetadataRules.checkLabelSelector(path + ".selector", selector, errors);
      }
    }
    if (template == null) {
      return;
    }
    Map<String, String> labels = template.getMetadata() == null ? null : template.getMetadata().getLabels();
    if (template.getMetadata() != null) {
      MetadataRules.checkLabels(path + ".template.metadata.labels", labels, errors);
      MetadataRules.checkAnnotations(path + ".template.metadata.annotations", template.getMetadata().getAnnotations(),
          errors);
    }
    if (selectorRequired && !MetadataRules.isEmptySelector(selector) && !MetadataRules.matches(selector, labels)) {
      errors.add(FieldError.invalid(path + ".template.metadata.labels", labels == null ? Map.of() : labels,
          "`selector` does not match template `labels`"));
    }
    if (template.getSpec() == null) {
      errors.add(FieldError.required(path + ".template.spec"));
      return;
    }
    PodSpecRules.check(path + ".template.spec", template.getSpec(), errors);
    if (template.getSpec().getEphemeralContainers() != null && !template.getSpec().getEphemeralContainers().isEmpty()) {
      errors.add(FieldError.forbidden(path + ".template.spec.ephemeralContainers",
          "ephemeral containers not allowed in pod template"));
    }
    String restart = template.getSpec().getRestartPolicy();
    if (restart == null && restartPolicies.contains("Always")) {
      return; // defaulted to Always
    }
    if (restart == null) {
      errors.add(FieldError.required(path + ".template.spec.restartPolicy"));
    } else if (PodSpecRules.RESTART_POLICIES.contains(restart) && !restartPolicies.contains(restart)) {
      errors.add(FieldError.notSupported(path + ".template.spec.restartPolicy", restart, restartPolicies));
    }
  }
}
