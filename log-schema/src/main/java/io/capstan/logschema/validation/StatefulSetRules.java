package io.capstan.logschema.validation;

import io.capstan.api.ObjectMeta;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.PersistentVolumeClaimVolumeSource;
import io.capstan.api.PodTemplateSpec;
import io.capstan.api.RollingUpdateStatefulSetStrategy;
import io.capstan.api.StatefulSet;
import io.capstan.api.StatefulSetPersistentVolumeClaimRetentionPolicy;
import io.capstan.api.StatefulSetSpec;
import io.capstan.api.StatefulSetUpdateStrategy;
import io.capstan.api.Volume;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;

/**
 * apps/v1 StatefulSet, worded as kube-apiserver's apps validation (ValidateStatefulSetSpec,
 * validateRollingUpdateStatefulSet, ValidatePersistentVolumeClaimRetentionPolicy and
 * ValidateStatefulSetUpdate).
 */
public final class StatefulSetRules {
  static final List<String> POLICIES = List.of("OrderedReady", "Parallel");
  static final List<String> RETENTION = List.of("Retain", "Delete");
  /** ValidateStatefulSetUpdate's list of the spec fields an update may change. */
  static final String UPDATE_FORBIDDEN = "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
      + "'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
      + "'minReadySeconds' are forbidden";

  private StatefulSetRules() {}

  static void check(StatefulSet sts, FieldErrors errors) {
    StatefulSetSpec spec = sts.getSpec();
    if (spec == null) {
      errors.add(FieldError.required("spec"));
      return;
    }
    String policy = spec.getPodManagementPolicy();
    if (policy == null || policy.isEmpty()) {
      errors.add(FieldError.required("spec.podManagementPolicy"));
    } else if (!POLICIES.contains(policy)) {
      errors.add(FieldError.invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"));
    }
    checkUpdateStrategy(spec.getUpdateStrategy(), errors);
    checkRetention(spec.getPersistentVolumeClaimRetentionPolicy(), errors);
    errors.nonNegative("spec.replicas", spec.getReplicas());
    errors.nonNegative("spec.minReadySeconds", spec.getMinReadySeconds());
    errors.nonNegative("spec.revisionHistoryLimit", spec.getRevisionHistoryLimit());
    if (spec.getOrdinals() != null) {
      errors.nonNegative("spec.ordinals.start", spec.getOrdinals().getStart());
    }
    boolean emptySelector = spec.getSelector() != null && MetadataRules.isEmptySelector(spec.getSelector());
    if (spec.getSelector() == null) {
      errors.add(FieldError.required("spec.selector"));
    } else if (emptySelector) {
      errors.add(FieldError.invalid("spec.selector", "{}", "empty selector is invalid for statefulset"));
    } else {
      MetadataRules.checkLabelSelector("spec.selector", spec.getSelector(), errors);
    }
    checkClaimTemplates(spec.getVolumeClaimTemplates(), errors);
    WorkloadRules.checkSelectorAndTemplate(null, withClaimVolumes(sts, spec.getTemplate()), WorkloadRules.ALWAYS,
        false, errors);
    PodTemplateSpec template = spec.getTemplate();
    if (!emptySelector && spec.getSelector() != null && template != null
        && !MetadataRules.matches(spec.getSelector(), templateLabels(template))) {
      errors.add(FieldError.invalid("spec.template.metadata.labels",
          templateLabels(template) == null ? Map.of() : templateLabels(template),
          "`selector` does not match template `labels`"));
    }
    if (template != null && template.getSpec() != null && template.getSpec().getActiveDeadlineSeconds() != null) {
      errors.add(FieldError.forbidden("spec.template.spec.activeDeadlineSeconds",
          "activeDeadlineSeconds in StatefulSet is not Supported"));
    }
  }

  /** Each claim template needs a name (its claims and the pods' volumes are named after it), once. */
  private static void checkClaimTemplates(List<PersistentVolumeClaim> templates, FieldErrors errors) {
    Set<String> names = new HashSet<>();
    for (int i = 0; templates != null && i < templates.size(); i++) {
      String path = "spec.volumeClaimTemplates[" + i + "].metadata.name";
      ObjectMeta meta = templates.get(i).getMetadata();
      String name = meta == null ? null : meta.getName();
      if (name == null || name.isEmpty()) {
        errors.add(FieldError.required(path));
      } else if (!names.add(name)) {
        errors.add(FieldError.duplicate(path, name));
      }
    }
  }

  /**
   * The template as the set's pods get it: a claim volume per volumeClaimTemplate, replacing a
   * template volume of the same name (the controller's updateStorage), so that volume mounts of the
   * claims validate. kube-apiserver leaves a StatefulSet's pod spec unchecked for want of this
   * union of volumes and claims; Capstan checks the union.
   */
  private static PodTemplateSpec withClaimVolumes(StatefulSet sts, PodTemplateSpec template) {
    List<PersistentVolumeClaim> claims = sts.getSpec().getVolumeClaimTemplates();
    if (claims == null || claims.isEmpty() || template == null || template.getSpec() == null) {
      return template;
    }
    PodTemplateSpec copy = SpecificData.get().deepCopy(PodTemplateSpec.getClassSchema(), template);
    List<Volume> volumes = copy.getSpec().getVolumes() == null ? new ArrayList<>()
        : new ArrayList<>(copy.getSpec().getVolumes());
    for (PersistentVolumeClaim claim : claims) {
      String name = claim.getMetadata() == null ? null : claim.getMetadata().getName();
      if (name == null || name.isEmpty()) {
        continue;
      }
      Volume v = Volume.newBuilder().setName(name).setPersistentVolumeClaim(PersistentVolumeClaimVolumeSource
          .newBuilder().setClaimName(name + "-" + sts.getMetadata().getName() + "-0").build()).build();
      int at = -1;
      for (int i = 0; i < volumes.size() && at < 0; i++) {
        at = name.equals(volumes.get(i).getName()) ? i : -1;
      }
      if (at >= 0) {
        volumes.set(at, v);
      } else {
        volumes.add(v);
      }
    }
    copy.getSpec().setVolumes(volumes);
    return copy;
  }

  private static Map<String, String> templateLabels(PodTemplateSpec template) {
    return template.getMetadata() == null ? null : template.getMetadata().getLabels();
  }

  private static void checkUpdateStrategy(StatefulSetUpdateStrategy s, FieldErrors errors) {
    String type = s == null ? null : s.getType();
    if (type == null || type.isEmpty()) {
      errors.add(FieldError.required("spec.updateStrategy"));
      return;
    }
    switch (type) {
      case "OnDelete" -> {
        if (s.getRollingUpdate() != null) {
          errors.add(FieldError.invalid("spec.updateStrategy.rollingUpdate", String.valueOf(s.getRollingUpdate()),
              "only allowed for updateStrategy 'RollingUpdate'"));
        }
      }
      case "RollingUpdate" -> checkRollingUpdate(s.getRollingUpdate(), errors);
      default -> errors.add(FieldError.invalid("spec.updateStrategy", type, "must be 'RollingUpdate' or 'OnDelete'"));
    }
  }

  private static void checkRollingUpdate(RollingUpdateStatefulSetStrategy rolling, FieldErrors errors) {
    if (rolling == null) {
      return;
    }
    String path = "spec.updateStrategy.rollingUpdate.";
    errors.nonNegative(path + "partition", rolling.getPartition());
    Object maxUnavailable = rolling.getMaxUnavailable();
    if (maxUnavailable != null) {
      WorkloadRules.checkIntOrPercent(path + "maxUnavailable", maxUnavailable, errors);
      if (WorkloadRules.isZero(maxUnavailable)) {
        errors.add(FieldError.invalid(path + "maxUnavailable", maxUnavailable, "cannot be 0"));
      }
    }
  }

  private static void checkRetention(StatefulSetPersistentVolumeClaimRetentionPolicy p, FieldErrors errors) {
    if (p == null) {
      return; // defaulted to Retain/Retain before validation
    }
    String path = "spec.persistentVolumeClaimRetentionPolicy.";
    if (!RETENTION.contains(p.getWhenDeleted() == null ? "" : p.getWhenDeleted())) {
      errors.add(FieldError.notSupported(path + "whenDeleted", p.getWhenDeleted() == null ? "" : p.getWhenDeleted(),
          RETENTION));
    }
    if (!RETENTION.contains(p.getWhenScaled() == null ? "" : p.getWhenScaled())) {
      errors.add(FieldError.notSupported(path + "whenScaled", p.getWhenScaled() == null ? "" : p.getWhenScaled(),
          RETENTION));
    }
  }

  /**
   * ValidateStatefulSetUpdate: only replicas, ordinals, template, updateStrategy,
   * revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds may change
   * (kube's one Forbidden error on {@code spec}). Empty for other kinds.
   */
  public static List<FieldError> checkUpdate(IndexedRecord stored, IndexedRecord updated) {
    List<FieldError> errors = new ArrayList<>();
    if (stored instanceof StatefulSet s && updated instanceof StatefulSet u && s.getSpec() != null
        && u.getSpec() != null) {
      StatefulSetSpec old = s.getSpec();
      StatefulSetSpec clone = SpecificData.get().deepCopy(StatefulSetSpec.getClassSchema(), u.getSpec());
      clone.setReplicas(old.getReplicas());
      clone.setTemplate(old.getTemplate());
      clone.setUpdateStrategy(old.getUpdateStrategy());
      clone.setMinReadySeconds(old.getMinReadySeconds());
      clone.setOrdinals(old.getOrdinals());
      clone.setRevisionHistoryLimit(old.getRevisionHistoryLimit());
      clone.setPersistentVolumeClaimRetentionPolicy(old.getPersistentVolumeClaimRetentionPolicy());
      if (!Objects.equals(clone, old)) {
        errors.add(FieldError.forbidden("spec", UPDATE_FORBIDDEN));
      }
    }
    return errors;
  }
}
