package io.capstan.stateviews.processor.rules;

import io.capstan.api.CustomResourceDefinition;
import io.capstan.api.CustomResourceDefinitionCondition;
import io.capstan.api.CustomResourceDefinitionStatus;
import io.capstan.api.ObjectMeta;
import io.capstan.logschema.crd.CustomResourceDefinitions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What the registry of CustomResourceDefinitions does beyond the generic rules, as
 * kube-apiserver's CRD store: the first delete adds the {@code customresourcecleanup} finalizer
 * and the {@code Terminating} condition, so the definition stays until the cleanup controller has
 * deleted every object of its kind and released the finalizer.
 */
public final class DefinitionRules {
  private DefinitionRules() {}

  /** The first delete of a definition (in place): the cleanup finalizer and {@code Terminating=True}. */
  public static void markTerminating(CustomResourceDefinition crd, Instant now) {
    ObjectMeta meta = crd.getMetadata();
    List<String> finalizers = meta.getFinalizers() == null ? new ArrayList<>() : new ArrayList<>(meta.getFinalizers());
    if (!finalizers.contains(CustomResourceDefinitions.CLEANUP_FINALIZER)) {
      finalizers.add(CustomResourceDefinitions.CLEANUP_FINALIZER);
    }
    meta.setFinalizers(finalizers);
    CustomResourceDefinitionStatus status = crd.getStatus() != null ? crd.getStatus()
        : CustomResourceDefinitionStatus.newBuilder().build();
    crd.setStatus(status);
    setCondition(status, CustomResourceDefinitions.TERMINATING, "True", "InstanceDeletionPending",
        "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon", ObjectFields.timestamp(now));
  }

  /** Sets a condition (in place); its lastTransitionTime moves only when its status does. */
  public static void setCondition(CustomResourceDefinitionStatus status, String type, String value, String reason,
      String message, String time) {
    List<CustomResourceDefinitionCondition> conditions = status.getConditions() == null ? new ArrayList<>()
        : new ArrayList<>(status.getConditions());
    CustomResourceDefinitionCondition existing = conditions.stream().filter(c -> type.equals(c.getType()))
        .findFirst().orElse(null);
    String since = existing != null && value.equals(existing.getStatus()) && existing.getLastTransitionTime() != null
        ? existing.getLastTransitionTime() : time;
    CustomResourceDefinitionCondition c = CustomResourceDefinitionCondition.newBuilder().setType(type)
        .setStatus(value).setReason(reason).setMessage(message).setLastTransitionTime(since).build();
    if (existing != null) {
      conditions.set(conditions.indexOf(existing), c);
    } else {
      conditions.add(c);
    }
    status.setConditions(conditions);
  }
}
