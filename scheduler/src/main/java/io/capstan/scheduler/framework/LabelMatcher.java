package io.capstan.scheduler.framework;

import io.capstan.api.LabelSelector;
import io.capstan.api.LabelSelectorRequirement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compiled metav1.LabelSelector (LabelSelectorAsSelector): matchLabels and matchExpressions
 * ANDed. An empty selector matches everything; a null one matches nothing, as in the affinity
 * and spreading APIs.
 */
public final class LabelMatcher {
  public static final LabelMatcher EVERYTHING = new LabelMatcher(List.of());
  public static final LabelMatcher NOTHING = new LabelMatcher(null);

  private record Requirement(String key, String operator, Set<String> values) {
    boolean matches(Map<String, String> labels) {
      String v = labels.get(key);
      return switch (operator) {
        case "In" -> v != null && values.contains(v);
        case "NotIn" -> v == null || !values.contains(v);
        case "Exists" -> v != null;
        case "DoesNotExist" -> v == null;
        default -> false;
      };
    }
  }

  private final List<Requirement> requirements;

  private LabelMatcher(List<Requirement> requirements) {
    this.requirements = requirements;
  }

  /** Compiles a selector; an unknown operator throws, naming it. */
  public static LabelMatcher of(LabelSelector s) {
    if (s == null) {
      return NOTHING;
    }
    return of(s, Map.of());
  }

  /** A selector with extra {@code key In (value)} requirements (matchLabelKeys taken from the incoming pod). */
  public static LabelMatcher of(LabelSelector s, Map<String, String> extraLabels) {
    if (s == null) {
      return NOTHING;
    }
    List<Requirement> reqs = new ArrayList<>();
    if (s.getMatchLabels() != null) {
      s.getMatchLabels().forEach((k, v) -> reqs.add(new Requirement(k, "In", Set.of(v))));
    }
    if (s.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : s.getMatchExpressions()) {
        if (!Set.of("In", "NotIn", "Exists", "DoesNotExist").contains(r.getOperator())) {
          throw new IllegalArgumentException("label selector operator \"" + r.getOperator() + "\" is not one of In, NotIn, Exists, DoesNotExist");
        }
        reqs.add(new Requirement(r.getKey(), r.getOperator(), r.getValues() == null ? Set.of() : Set.copyOf(r.getValues())));
      }
    }
    extraLabels.forEach((k, v) -> reqs.add(new Requirement(k, "In", Set.of(v))));
    return new LabelMatcher(List.copyOf(reqs));
  }

  public boolean matches(Map<String, String> labels) {
    if (requirements == null) {
      return false;
    }
    Map<String, String> l = labels == null ? Map.of() : labels;
    for (Requirement r : requirements) {
      if (!r.matches(l)) {
        return false;
      }
    }
    return true;
  }

  public boolean isNothing() {
    return requirements == null;
  }
}
