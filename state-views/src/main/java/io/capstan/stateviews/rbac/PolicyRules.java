package io.capstan.stateviews.rbac;

import io.capstan.api.PolicyRule;
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

  /** Whether the rule allows {@code verb} on a resource (its subresource empty for the resource itself). */
  public static boolean allowsResource(PolicyRule rule, String verb, String apiGroup, String resource,
      String subresource, String name) {
    if (!verbMatches(rule, verb)) {
      return false;
    }
    String combined = subresource.isEmpty() ? resource : resource + "/" + subresource;
    return groupMatches(rule, apiGroup) && resourceMatches(rule, combined, subresource) && nameMatches(rule, name);
  }

  /** Whether the rule allows {@code verb} on a non-resource URL path. */
  public static boolean allowsPath(PolicyRule rule, String verb, String path) {
    return verbMatches(rule, verb) && nonResourceUrlMatches(list(rule.getNonResourceURLs()), path);
  }

  public static boolean verbMatches(PolicyRule rule, String verb) {
    List<String> verbs = list(rule.getVerbs());
    return verbs.contains(ALL) || verbs.contains(verb);
  }

  public static boolean groupMatches(PolicyRule rule, String group) {
    List<String> groups = list(rule.getApiGroups());
    return groups.contains(ALL) || groups.contains(group);
  }

  public static boolean resourceMatches(PolicyRule rule, String combined, String subresource) {
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

  public static boolean nameMatches(PolicyRule rule, String name) {
    List<String> names = list(rule.getResourceNames());
    return names.isEmpty() || names.contains(name);
  }

  public static boolean nonResourceUrlMatches(List<String> urls, String path) {
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

  public static List<String> list(List<String> values) {
    return values == null ? List.of() : values;
  }
}
