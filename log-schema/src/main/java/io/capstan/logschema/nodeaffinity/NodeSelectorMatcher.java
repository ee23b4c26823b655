package io.capstan.logschema.nodeaffinity;

import io.capstan.api.NodeSelector;
import io.capstan.api.NodeSelectorRequirement;
import io.capstan.api.NodeSelectorTerm;
import io.capstan.api.PodSpec;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * nodeaffinity's term matching (corev1 NodeSelectorTerm): expressions over labels with In, NotIn,
 * Exists, DoesNotExist, Gt, Lt, and fields (only {@code metadata.name}, with In or NotIn), ANDed
 * within a term. A term with neither matches nothing; a malformed requirement (Gt with two
 * values, a non-integer, an unknown field) makes its term match nothing, as in Kubernetes. Shared
 * by the scheduler's NodeAffinity plugin and the DaemonSet controller's node selection.
 */
public final class NodeSelectorMatcher {
  private NodeSelectorMatcher() {}

  /**
   * GetRequiredNodeAffinity(pod).Match(node): {@code spec.nodeSelector}'s labels, then the
   * required node affinity terms; both must hold.
   */
  public static boolean requiredMatches(PodSpec spec, String nodeName, Map<String, String> labels) {
    Map<String, String> selector = spec.getNodeSelector();
    if (selector != null) {
      for (Map.Entry<String, String> e : selector.entrySet()) {
        if (!e.getValue().equals(labels.get(e.getKey()))) {
          return false;
        }
      }
    }
    NodeSelector required = spec.getAffinity() == null || spec.getAffinity().getNodeAffinity() == null ? null
        : spec.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
    return required == null || anyTermMatches(required.getNodeSelectorTerms(), nodeName, labels);
  }

  /**
   * The only nodes the required node affinity can match when every term names nodes by
   * {@code metadata.name In}, as NodeAffinity's PreFilter finds them (a DaemonSet's pods name one
   * node each): the union over the terms of each term's intersection. Empty when some term does
   * not name nodes, so any node may match; an empty set inside means no node can.
   */
  public static Optional<Set<String>> requiredNodeNames(PodSpec spec) {
    NodeSelector required = spec.getAffinity() == null || spec.getAffinity().getNodeAffinity() == null ? null
        : spec.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
    if (required == null || required.getNodeSelectorTerms() == null || required.getNodeSelectorTerms().isEmpty()) {
      return Optional.empty();
    }
    Set<String> names = new HashSet<>();
    for (NodeSelectorTerm term : required.getNodeSelectorTerms()) {
      Set<String> termNames = null;
      for (NodeSelectorRequirement r : term.getMatchFields() == null ? List.<NodeSelectorRequirement>of()
          : term.getMatchFields()) {
        if ("metadata.name".equals(r.getKey()) && "In".equals(r.getOperator())) {
          Set<String> values = new HashSet<>(r.getValues() == null ? List.of() : r.getValues());
          if (termNames == null) {
            termNames = values;
          } else {
            termNames.retainAll(values);
          }
        }
      }
      if (termNames == null) {
        return Optional.empty(); // this term may match any node (terms are ORed)
      }
      names.addAll(termNames);
    }
    return Optional.of(names);
  }

  /** Whether any term matches (the terms of a NodeSelector are ORed). */
  public static boolean anyTermMatches(List<NodeSelectorTerm> terms, String nodeName, Map<String, String> labels) {
    if (terms == null) {
      return false;
    }
    for (NodeSelectorTerm t : terms) {
      if (termMatches(t, nodeName, labels)) {
        return true;
      }
    }
    return false;
  }

  public static boolean termMatches(NodeSelectorTerm term, String nodeName, Map<String, String> labels) {
    List<NodeSelectorRequirement> exprs = term.getMatchExpressions() == null ? List.of() : term.getMatchExpressions();
    List<NodeSelectorRequirement> fields = term.getMatchFields() == null ? List.of() : term.getMatchFields();
    if (exprs.isEmpty() && fields.isEmpty()) {
      return false;
    }
    for (NodeSelectorRequirement r : exprs) {
      if (!requirementMatches(r, labels.get(r.getKey()), true)) {
        return false;
      }
    }
    for (NodeSelectorRequirement r : fields) {
      if (!"metadata.name".equals(r.getKey()) || !("In".equals(r.getOperator()) || "NotIn".equals(r.getOperator()))) {
        return false;
      }
      if (!requirementMatches(r, nodeName, false)) {
        return false;
      }
    }
    return true;
  }

  static boolean requirementMatches(NodeSelectorRequirement r, String value, boolean label) {
    List<String> values = r.getValues() == null ? List.of() : r.getValues();
    switch (r.getOperator()) {
      case "In":
        return value != null && values.contains(value);
      case "NotIn":
        return value == null || !values.contains(value);
      case "Exists":
        return values.isEmpty() && value != null;
      case "DoesNotExist":
        return values.isEmpty() && value == null;
      case "Gt":
      case "Lt":
        if (!label || values.size() != 1 || value == null) {
          return false;
        }
        try {
          long want = Long.parseLong(values.get(0));
          long have = Long.parseLong(value);
          return "Gt".equals(r.getOperator()) ? have > want : have < want;
        } catch (NumberFormatException e) {
          return false;
        }
      default:
        return false;
    }
  }
}
