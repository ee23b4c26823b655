package io.capstan.logschema.quota;

import io.capstan.api.Container;
import io.capstan.api.Pod;
import io.capstan.api.ResourceQuotaSpec;
import io.capstan.api.ScopedResourceSelectorRequirement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.IndexedRecord;

/**
 * Which objects a quota with scopes tracks, as Kubernetes' pod evaluator matches them
 * (podMatchesScopeFunc): {@code Terminating} / {@code NotTerminating} (whether
 * {@code spec.activeDeadlineSeconds} is set), {@code BestEffort} / {@code NotBestEffort} (no
 * container states any cpu or memory request or limit) and {@code PriorityClass} (In, NotIn,
 * Exists, DoesNotExist on {@code spec.priorityClassName}). Every scope of {@code spec.scopes}
 * and {@code spec.scopeSelector} must match. Scopes apply to pods only: a quota with scopes
 * tracks no other kind (the object-count evaluator matches no scope).
 */
public final class QuotaScopes {
  private QuotaScopes() {}

  /** Whether the quota's scopes let it track this object (true when it has none). */
  public static boolean matches(ResourceQuotaSpec spec, IndexedRecord object) {
    List<ScopedResourceSelectorRequirement> selectors = selectors(spec);
    if (selectors.isEmpty()) {
      return true;
    }
    if (!(object instanceof Pod pod)) {
      return false;
    }
    for (ScopedResourceSelectorRequirement s : selectors) {
      if (!matches(s, pod)) {
        return false;
      }
    }
    return true;
  }

  static List<ScopedResourceSelectorRequirement> selectors(ResourceQuotaSpec spec) {
    List<ScopedResourceSelectorRequirement> out = new ArrayList<>();
    if (spec == null) {
      return out;
    }
    if (spec.getScopes() != null) {
      for (String scope : spec.getScopes()) {
        out.add(ScopedResourceSelectorRequirement.newBuilder().setScopeName(scope).setOperator("Exists").build());
      }
    }
    if (spec.getScopeSelector() != null && spec.getScopeSelector().getMatchExpressions() != null) {
      out.addAll(spec.getScopeSelector().getMatchExpressions());
    }
    return out;
  }

  private static boolean matches(ScopedResourceSelectorRequirement s, Pod pod) {
    return switch (s.getScopeName()) {
      case "Terminating" -> isTerminating(pod);
      case "NotTerminating" -> !isTerminating(pod);
      case "BestEffort" -> isBestEffort(pod);
      case "NotBestEffort" -> !isBestEffort(pod);
      case "PriorityClass" -> priorityClassMatches(s, pod);
      default -> false;
    };
  }

  static boolean isTerminating(Pod pod) {
    Long deadline = pod.getSpec() == null ? null : pod.getSpec().getActiveDeadlineSeconds();
    return deadline != null && deadline >= 0;
  }

  /** QoS class BestEffort: no container, init containers included, states cpu or memory. */
  static boolean isBestEffort(Pod pod) {
    if (pod.getSpec() == null) {
      return true;
    }
    List<Container> all = new ArrayList<>(pod.getSpec().getContainers());
    if (pod.getSpec().getInitContainers() != null) {
      all.addAll(pod.getSpec().getInitContainers());
    }
    for (Container c : all) {
      if (c.getResources() != null && (statesCompute(c.getResources().getRequests())
          || statesCompute(c.getResources().getLimits()))) {
        return false;
      }
    }
    return true;
  }

  private static boolean statesCompute(Map<String, String> list) {
    return list != null && (list.containsKey(ObjectUsage.CPU) || list.containsKey(ObjectUsage.MEMORY));
  }

  private static boolean priorityClassMatches(ScopedResourceSelectorRequirement s, Pod pod) {
    String pc = pod.getSpec() == null ? null : pod.getSpec().getPriorityClassName();
    boolean has = pc != null && !pc.isEmpty();
    List<String> values = s.getValues() == null ? List.of() : s.getValues();
    return switch (s.getOperator()) {
      case "Exists" -> has;
      case "DoesNotExist" -> !has;
      case "In" -> has && values.contains(pc);
      case "NotIn" -> !has || !values.contains(pc);
      default -> false;
    };
  }
}
