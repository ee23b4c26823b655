package io.capstan.logschema.validation;

import io.capstan.api.ControllerRevision;
import io.capstan.api.DaemonSet;
import io.capstan.api.DaemonSetSpec;
import io.capstan.api.DaemonSetUpdateStrategy;
import io.capstan.api.RollingUpdateDaemonSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.avro.generic.IndexedRecord;

/**
 * apps/v1 DaemonSet and ControllerRevision, worded as kube-apiserver's apps validation
 * (ValidateDaemonSetSpec, ValidateDaemonSetUpdateStrategy, ValidateRollingUpdateDaemonSet,
 * ValidateControllerRevision and their update checks).
 */
public final class DaemonSetRules {
  static final List<String> STRATEGIES = List.of("RollingUpdate", "OnDelete");

  private DaemonSetRules() {}

  static void checkDaemonSet(DaemonSet ds, FieldErrors errors) {
    DaemonSetSpec spec = ds.getSpec();
    if (spec == null) {
      errors.add(FieldError.required("spec"));
      return;
    }
    boolean emptySelector = spec.getSelector() != null && MetadataRules.isEmptySelector(spec.getSelector());
    if (emptySelector) {
      errors.add(FieldError.invalid("spec.selector", "{}", "empty selector is invalid for daemonset"));
    } else if (spec.getSelector() != null) {
      MetadataRules.checkLabelSelector("spec.selector", spec.getSelector(), errors);
    }
    // The selector was checked above; the template's own rules (and that the selector selects it) here.
    WorkloadRules.checkSelectorAndTemplate(emptySelector ? null : spec.getSelector(), spec.getTemplate(),
        WorkloadRules.ALWAYS, false, errors);
    if (!emptySelector && spec.getSelector() != null && spec.getTemplate() != null
        && !MetadataRules.matches(spec.getSelector(), templateLabels(spec))) {
      errors.add(FieldError.invalid("spec.template.metadata.labels",
          templateLabels(spec) == null ? java.util.Map.of() : templateLabels(spec),
          "`selector` does not match template `labels`"));
    }
    if (spec.getTemplate() != null && spec.getTemplate().getSpec() != null
        && spec.getTemplate().getSpec().getActiveDeadlineSeconds() != null) {
      errors.add(FieldError.invalid("spec.template.spec.activeDeadlineSeconds",
          spec.getTemplate().getSpec().getActiveDeadlineSeconds(), "activeDeadlineSeconds in DaemonSet is not Supported"));
    }
    errors.nonNegative("spec.minReadySeconds", spec.getMinReadySeconds());
    errors.nonNegative("spec.revisionHistoryLimit", spec.getRevisionHistoryLimit());
    checkUpdateStrategy(spec.getUpdateStrategy(), errors);
  }

  private static java.util.Map<String, String> templateLabels(DaemonSetSpec spec) {
    return spec.getTemplate().getMetadata() == null ? null : spec.getTemplate().getMetadata().getLabels();
  }

  private static void checkUpdateStrategy(DaemonSetUpdateStrategy s, FieldErrors errors) {
    if (s == null) {
      return; // defaulted to RollingUpdate before validation
    }
    String type = s.getType();
    if ("OnDelete".equals(type)) {
      return;
    }
    if (!"RollingUpdate".equals(type)) {
      errors.add(FieldError.notSupported("spec.updateStrategy", type == null ? "" : type, STRATEGIES));
      return;
    }
    RollingUpdateDaemonSet rolling = s.getRollingUpdate();
    if (rolling == null) {
      errors.add(FieldError.required("spec.updateStrategy.rollingUpdate"));
      return;
    }
    String path = "spec.updateStrategy.rollingUpdate.";
    WorkloadRules.checkIntOrPercent(path + "maxUnavailable", rolling.getMaxUnavailable(), errors);
    WorkloadRules.checkIntOrPercent(path + "maxSurge", rolling.getMaxSurge(), errors);
    boolean hasUnavailable = !WorkloadRules.isZero(rolling.getMaxUnavailable());
    boolean hasSurge = !WorkloadRules.isZero(rolling.getMaxSurge());
    if (hasUnavailable && hasSurge) {
      errors.add(FieldError.invalid(path + "maxSurge", rolling.getMaxSurge(),
          "may not be set when maxUnavailable is non-zero"));
    } else if (!hasUnavailable && !hasSurge) {
      errors.add(FieldError.required(path + "maxUnavailable", "cannot be 0 when maxSurge is 0"));
    }
  }

  static void checkControllerRevision(ControllerRevision cr, FieldErrors errors) {
    if (cr.getData() == null) {
      errors.add(FieldError.required("data", "data is mandatory"));
    }
    errors.nonNegative("revision", cr.getRevision());
  }

  /**
   * What an update may not change: a DaemonSet's selector (ValidateDaemonSetSpecUpdate) and a
   * ControllerRevision's data (ValidateControllerRevisionUpdate). Empty for other kinds.
   */
  public static List<FieldError> checkUpdate(IndexedRecord stored, IndexedRecord updated) {
    List<FieldError> errors = new ArrayList<>();
    if (stored instanceof DaemonSet s && updated instanceof DaemonSet u && s.getSpec() != null && u.getSpec() != null
        && !Objects.equals(s.getSpec().getSelector(), u.getSpec().getSelector())) {
      errors.add(FieldError.invalid("spec.selector", String.valueOf(u.getSpec().getSelector()), "field is immutable"));
    } else if (stored instanceof ControllerRevision s && updated instanceof ControllerRevision u
        && !Objects.equals(s.getData(), u.getData())) {
      errors.add(FieldError.invalid("data", String.valueOf(u.getData()), "field is immutable"));
    }
    return errors;
  }
}
