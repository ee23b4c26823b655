package io.capstan.logschema.disruption;

import io.capstan.api.Condition;
import io.capstan.api.LabelSelector;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodDisruptionBudget;
import io.capstan.api.PodDisruptionBudgetStatus;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the eviction subresource and the disruption controller agree on about budgets and pods
 * (kube's component-helpers/apps/poddisruptionbudget and podutil).
 */
public final class DisruptionBudgets {
  /** The status condition kube keeps on every budget. */
  public static final String DISRUPTION_ALLOWED = "DisruptionAllowed";
  public static final String SUFFICIENT_PODS = "SufficientPods";
  public static final String INSUFFICIENT_PODS = "InsufficientPods";
  public static final String SYNC_FAILED = "SyncFailed";
  /** unhealthyPodEvictionPolicy: a running pod that is not ready may always be evicted. */
  public static final String ALWAYS_ALLOW = "AlwaysAllow";

  private DisruptionBudgets() {}

  /**
   * Whether the eviction subresource holds this pod to this budget: same namespace and a selector
   * that matches the pod's labels. A missing or empty selector covers nothing here, as kube's
   * eviction handler says ("it should match nothing, not everything").
   */
  public static boolean coversForEviction(PodDisruptionBudget pdb, Pod pod) {
    if (!pdb.getMetadata().getNamespace().equals(pod.getMetadata().getNamespace()) || pdb.getSpec() == null
        || isEmpty(pdb.getSpec().getSelector())) {
      return false;
    }
    return matches(pdb.getSpec().getSelector(), pod.getMetadata().getLabels());
  }

  /** metav1.LabelSelectorAsSelector: a null selector matches nothing, an empty one everything. */
  public static boolean matches(LabelSelector selector, Map<String, String> labels) {
    return io.capstan.logschema.labels.LabelSelectors.matches(selector, labels);
  }

  public static boolean isEmpty(LabelSelector selector) {
    return io.capstan.logschema.labels.LabelSelectors.isEmpty(selector);
  }


  /** podutil.IsPodReady: the Ready condition is True. */
  public static boolean isReady(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return false;
    }
    for (PodCondition c : pod.getStatus().getConditions()) {
      if ("Ready".equals(c.getType())) {
        return "True".equals(c.getStatus());
      }
    }
    return false;
  }

  /**
   * Sets the DisruptionAllowed condition from {@code status.disruptionsAllowed} (True,
   * SufficientPods when above zero; False, InsufficientPods otherwise), as kube's
   * UpdateDisruptionAllowedCondition; the transition time changes only when the status does.
   */
  public static void updateDisruptionAllowedCondition(PodDisruptionBudgetStatus status, Instant now) {
    boolean allowed = status.getDisruptionsAllowed() > 0;
    setCondition(status, allowed ? "True" : "False", allowed ? SUFFICIENT_PODS : INSUFFICIENT_PODS, "", now);
  }

  /** Sets (or adds) the DisruptionAllowed condition, as apimachinery's SetStatusCondition. */
  public static void setCondition(PodDisruptionBudgetStatus status, String value, String reason, String message,
      Instant now) {
    List<Condition> conditions = status.getConditions() == null ? new ArrayList<>()
        : new ArrayList<>(status.getConditions());
    String time = now.truncatedTo(ChronoUnit.SECONDS).toString();
    Condition existing = null;
    for (Condition c : conditions) {
      if (DISRUPTION_ALLOWED.equals(c.getType())) {
        existing = c;
      }
    }
    if (existing == null) {
      conditions.add(Condition.newBuilder().setType(DISRUPTION_ALLOWED).setStatus(value).setReason(reason)
          .setMessage(message).setObservedGeneration(status.getObservedGeneration()).setLastTransitionTime(time)
          .build());
    } else {
      if (!value.equals(existing.getStatus())) {
        existing.setStatus(value);
        existing.setLastTransitionTime(time);
      }
      existing.setReason(reason);
      existing.setMessage(message);
      existing.setObservedGeneration(status.getObservedGeneration());
    }
    status.setConditions(conditions);
  }
}
