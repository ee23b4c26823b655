package io.capstan.scheduler.framework;

import io.capstan.api.PodAffinityTerm;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compiled PodAffinityTerm (framework.AffinityTerm): which pods it selects, in which
 * namespaces, and the topology key whose domain they must (or must not) share. Namespaces
 * default to the owning pod's own; a namespaceSelector adds namespaces by their labels ({}
 * selects all).
 *
 * @param weight the preferred term's weight (0 for required terms)
 */
public record AffinityTerm(LabelMatcher selector, Set<String> namespaces, LabelMatcher namespaceSelector,
    String topologyKey, int weight) {

  public static AffinityTerm of(PodAffinityTerm t, String podNamespace, Map<String, String> podLabels, int weight) {
    Set<String> ns = t.getNamespaces() == null || t.getNamespaces().isEmpty() ? Set.of() : Set.copyOf(t.getNamespaces());
    LabelMatcher nsSelector = t.getNamespaceSelector() == null ? LabelMatcher.NOTHING : LabelMatcher.of(t.getNamespaceSelector());
    if (ns.isEmpty() && nsSelector.isNothing()) {
      ns = Set.of(podNamespace);
    }
    // matchLabelKeys / mismatchLabelKeys (KEP-3633): the incoming pod's values join the selector.
    Map<String, String> extra = new HashMap<>();
    LabelMatcher selector;
    if (t.getLabelSelector() == null) {
      selector = LabelMatcher.NOTHING;
    } else {
      if (t.getMatchLabelKeys() != null && podLabels != null) {
        for (String k : t.getMatchLabelKeys()) {
          if (podLabels.containsKey(k)) {
            extra.put(k, podLabels.get(k));
          }
        }
      }
      selector = LabelMatcher.of(t.getLabelSelector(), extra);
    }
    return new AffinityTerm(selector, ns, nsSelector, t.getTopologyKey(), weight);
  }

  static List<AffinityTerm> of(List<PodAffinityTerm> terms, String ns, Map<String, String> labels) {
    return terms == null ? List.of() : terms.stream().map(t -> of(t, ns, labels, 0)).toList();
  }

  /** Whether this term selects {@code pod} (namespace, then labels). */
  public boolean matches(PodInfo pod, Map<String, Map<String, String>> namespaceLabels) {
    // Labels first: the same answer, and the test that usually fails (other groups' pods) runs once.
    if (!selector.matches(pod.labels())) {
      return false;
    }
    return namespaces.contains(pod.namespace())
        || (!namespaceSelector.isNothing() && namespaceSelector.matches(namespaceLabels.getOrDefault(pod.namespace(), Map.of())));
  }
}
