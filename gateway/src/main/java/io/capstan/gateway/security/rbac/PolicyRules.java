package io.capstan.gateway.security.rbac;

import io.capstan.api.PolicyRule;
import io.capstan.gateway.security.RequestAttributes;
import java.util.List;

/**
 * Whether a rule allows a request, as Kubernetes' {@code rbac.RuleAllows}: the verb, API group,
 * resource ({@code *}, {@code pods}, {@code pods/log}, or {@code *}{@code /scale} for a
 * subresource of any resource) and resource name match; a non-resource rule matches the path
 * exactly, or by prefix when it ends in {@code *}.
 */
public final class PolicyRules {
  public static final String ALL = "*";

  private PolicyRules() {}

  public static boolean allows(PolicyRule rule, RequestAttributes a) {
    if (!verbMatches(rule, a.verb())) {
      return false;
    }
    if (!a.resourceRequest()) {
      return nonResourceUrlMatches(list(rule.getNonResourceURLs()), a.path());
    }
    String combined = a.subresource().isEmpty() ? a.resource() : a.resource() + "/" + a.subresource();
    return groupMatches(rule, a.apiGroup()) && resourceMatches(rule, combined, a.subresource())
        && nameMatches(rule, a.name());
  }

  static boolean verbMatches(PolicyRule rule, String verb) {
    List<String> verbs = list(rule.getVerbs());
    return verbs.contains(ALL) || verbs.contains(verb);
  }

  static boolean groupMatches(PolicyRule rule, String group) {
    List<String> groups = list(rule.getApiGroups());
    return groups.contains(ALL) || groups.contains(group);
  }

  static boolean resourceMatches(PolicyRule rule, String combined, String subresource) {
    for (String r : list(rule.getResources())) {
      if (r.equals(ALL) || r.equals(combined)) {
        return true;
      }
      if (!subresource.isEmpty() && r.length() == subresource.length() + 2 && r.startsWith("*/")
          && r.endsWith(subresource)) {
        return true;
      }
    }
    return false;
  }

  static boolean nameMatches(PolicyRule rule, String name) {
    List<String> names = list(rule.getResourceNames());
    return names.isEmpty() || names.contains(name);
  }

  static boolean nonResourceUrlMatches(List<String> urls, String path) {
    for (String u : urls) {
      if (u.equals(ALL) || u.equals(path)) {
        return true;
      }
      if (u.endsWith("*") && path.startsWith(u.substring(0, u.length() - 1))) {
        return true;
      }
    }
    return false;
  }

  static List<String> list(List<String> values) {
    return values == null ? List.of() : values;
  }
}
