package io.capstan.controllers.rbac;

import io.capstan.api.ClusterRole;
import io.capstan.api.LabelSelector;
import io.capstan.api.PolicyRule;
import io.capstan.controllers.runtime.Selectors;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The rules an aggregated ClusterRole should hold, as kube-controller-manager's
 * clusterrole-aggregation controller computes them: the rules of every other ClusterRole that one
 * of its {@code aggregationRule.clusterRoleSelectors} selects, in the order of the roles' names,
 * each rule once. A pure function, so it is tested alone.
 */
public final class AggregatedRules {
  private AggregatedRules() {}

  /** The rules {@code role} should hold; null when it has no aggregation rule (its rules are its own). */
  public static List<PolicyRule> of(ClusterRole role, Collection<ClusterRole> all) {
    if (role.getAggregationRule() == null || role.getAggregationRule().getClusterRoleSelectors() == null) {
      return null;
    }
    List<ClusterRole> sorted = new ArrayList<>(all);
    sorted.sort(Comparator.comparing(r -> r.getMetadata().getName()));
    List<PolicyRule> rules = new ArrayList<>();
    String self = role.getMetadata().getName();
    for (ClusterRole other : sorted) {
      if (other.getMetadata().getName().equals(self) || !selected(role.getAggregationRule().getClusterRoleSelectors(),
          other.getMetadata().getLabels())) {
        continue;
      }
      for (PolicyRule r : other.getRules() == null ? List.<PolicyRule>of() : other.getRules()) {
        if (!rules.contains(r)) {
          rules.add(r);
        }
      }
    }
    return rules;
  }

  private static boolean selected(List<LabelSelector> selectors, Map<String, String> labels) {
    Map<String, String> l = labels == null ? Map.of() : labels;
    for (LabelSelector s : selectors) {
      // An empty selector selects nothing here, as in kube (LabelSelectorAsSelector of {} is "everything",
      // but the controller skips roles only when a selector fails to parse; keep "nothing" to be safe).
      if (!Selectors.isEmpty(s) && Selectors.matches(s, l)) {
        return true;
      }
    }
    return false;
  }
}
