package io.capstan.controllers.runtime;

import io.capstan.api.LabelSelector;
import java.util.Map;

/** metav1.LabelSelector evaluation (LabelSelectorAsSelector): matchLabels and matchExpressions, ANDed. */
public final class Selectors {
  private Selectors() {}

  /**
   * Whether the labels match. A null selector matches nothing and an empty one everything, as
   * for workload controllers.
   *
   * @throws IllegalArgumentException for an operator Kubernetes does not know
   */
  public static boolean matches(LabelSelector selector, Map<String, String> labels) {
    return io.capstan.logschema.labels.LabelSelectors.matches(selector, labels);
  }

  /** Whether the selector selects nothing useful: absent or empty (workload controllers refuse those). */
  public static boolean isEmpty(LabelSelector selector) {
    return io.capstan.logschema.labels.LabelSelectors.isEmpty(selector);
  }
}
