package io.capstan.logschema.labels;

import io.capstan.api.LabelSelector;
import io.capstan.api.LabelSelectorRequirement;
import java.util.List;
import java.util.Map;

/**
 * metav1.LabelSelector matching (LabelSelectorAsSelector), one implementation for the
 * controllers, the disruption rules and whoever else selects objects by their labels.
 */
public final class LabelSelectors {
  private LabelSelectors() {}

  /**
   * Whether the labels match. A null selector matches nothing and an empty one everything, as
   * for workload controllers and disruption budgets.
   *
   * @throws IllegalArgumentException for an operator Kubernetes does not know (validation refuses
   *     such selectors, so a stored object never has one)
   */
  public static boolean matches(LabelSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return false;
    }
    Map<String, String> l = labels == null ? Map.of() : labels;
    if (selector.getMatchLabels() != null) {
      for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
        if (!e.getValue().equals(l.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
        if (!matches(r, l)) {
          return false;
        }
      }
    }
    return true;
  }

  private static boolean matches(LabelSelectorRequirement r, Map<String, String> labels) {
    List<String> values = r.getValues() == null ? List.of() : r.getValues();
    String v = labels.get(r.getKey());
    return switch (r.getOperator()) {
      case "In" -> v != null && values.contains(v);
      case "NotIn" -> v == null || !values.contains(v);
      case "Exists" -> labels.containsKey(r.getKey());
      case "DoesNotExist" -> !labels.containsKey(r.getKey());
      default -> throw new IllegalArgumentException("label selector: operator \"" + r.getOperator()
          + "\" is not one of In, NotIn, Exists, DoesNotExist");
    };
  }

  /** Whether the selector selects nothing useful: absent or empty (workload controllers refuse those). */
  public static boolean isEmpty(LabelSelector selector) {
    return selector == null
        || (selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty())
        && (selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty());
  }
}
