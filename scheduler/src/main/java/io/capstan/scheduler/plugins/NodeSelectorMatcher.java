package io.capstan.scheduler.plugins;

import io.capstan.api.NodeSelectorRequirement;
import io.capstan.api.NodeSelectorTerm;
import java.util.List;
import java.util.Map;

/**
 * nodeaffinity's term matching (corev1 NodeSelectorTerm): expressions over labels with In, NotIn,
 * Exists, DoesNotExist, Gt, Lt, and fields (only {@code metadata.name}, with In or NotIn), ANDed
 * within a term. A term with neither matches nothing; a malformed requirement (Gt with two
 * values, a non-integer, an unknown field) makes its term match nothing, as in Kubernetes.
 */
public final class NodeSelectorMatcher {
  private NodeSelectorMatcher() {}

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
