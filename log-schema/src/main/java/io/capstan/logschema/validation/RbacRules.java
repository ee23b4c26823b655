package io.capstan.logschema.validation;

import static io.capstan.logschema.validation.FieldErrors.isEmpty;
import static io.capstan.logschema.validation.FieldErrors.orEmpty;

import io.capstan.api.AggregationRule;
import io.capstan.api.ClusterRole;
import io.capstan.api.ClusterRoleBinding;
import io.capstan.api.PolicyRule;
import io.capstan.api.Role;
import io.capstan.api.RoleBinding;
import io.capstan.api.RoleRef;
import io.capstan.api.Subject;
import io.capstan.logschema.json.FieldPath;
import java.util.List;
import java.util.Objects;
import org.apache.avro.generic.IndexedRecord;

/**
 * Validation of the RBAC kinds as kube-apiserver's {@code rbac/validation}: every rule has verbs;
 * a resource rule names API groups and resources, a non-resource rule only URLs (and only in a
 * ClusterRole); a binding's roleRef names a Role or ClusterRole of the RBAC group, and cannot
 * change once the binding exists; subjects are Users, Groups or ServiceAccounts (these with a
 * namespace). Names of RBAC objects are path segments ({@code system:basic-user} is valid).
 *
 * <p>One rule stricter than Kubernetes, as issue 16 asks: verbs must be ones Kubernetes or
 * Capstan knows ({@link #KNOWN_VERBS}); a typo such as {@code lsit} is refused instead of granting
 * nothing forever.
 */
public final class RbacRules {
  public static final String GROUP = "rbac.authorization.k8s.io";
  /** The request verbs of kube-apiserver, the special verbs of its authorizers, and HTTP verbs of non-resource URLs. */
  public static final List<String> KNOWN_VERBS = List.of("*", "get", "list", "watch", "create", "update", "patch",
      "delete", "deletecollection", "impersonate", "bind", "escalate", "use", "approve", "sign", "attest", "proxy",
      "post", "put", "head", "options");
  private static final List<String> SUBJECT_KINDS = List.of("ServiceAccount", "User", "Group");

  private RbacRules() {}

  static void checkRole(Role role, FieldErrors errors) {
    checkRules("rules", role.getRules(), true, errors);
  }

  static void checkClusterRole(ClusterRole role, FieldErrors errors) {
    checkRules("rules", role.getRules(), false, errors);
    AggregationRule agg = role.getAggregationRule();
    if (agg != null) {
      if (orEmpty(agg.getClusterRoleSelectors()).isEmpty()) {
        errors.add(FieldError.required("aggregationRule.clusterRoleSelectors",
            "at least one clusterRoleSelector required if aggregationRule is non-nil"));
      }
      for (int i = 0; i < orEmpty(agg.getClusterRoleSelectors()).size(); i++) {
        MetadataRules.checkLabelSelector(FieldPath.index("aggregationRule.clusterRoleSelectors", i),
            agg.getClusterRoleSelectors().get(i), errors);
      }
    }
  }

  static void checkRoleBinding(RoleBinding binding, FieldErrors errors) {
    checkRoleRef(binding.getRoleRef(), List.of("Role", "ClusterRole"), errors);
    checkSubjects(binding.getSubjects(), errors);
  }

  static void checkClusterRoleBinding(ClusterRoleBinding binding, FieldErrors errors) {
    checkRoleRef(binding.getRoleRef(), List.of("ClusterRole"), errors);
    checkSubjects(binding.getSubjects(), errors);
  }

  /**
   * What an update may not change: a binding's roleRef (kube's ValidateRoleBindingUpdate; delete
   * and recreate the binding instead). Empty when the update is fine or the object is no binding.
   */
  public static List<FieldError> checkUpdate(IndexedRecord stored, IndexedRecord updated) {
    RoleRef before = null;
    RoleRef after = null;
    if (stored instanceof RoleBinding s && updated instanceof RoleBinding u) {
      before = s.getRoleRef();
      after = u.getRoleRef();
    } else if (stored instanceof ClusterRoleBinding s && updated instanceof ClusterRoleBinding u) {
      before = s.getRoleRef();
      after = u.getRoleRef();
    } else {
      return List.of();
    }
    if (!Objects.equals(before, after)) {
      return List.of(FieldError.invalid("roleRef", after == null ? "null" : describe(after), "cannot change roleRef"));
    }
    return List.of();
  }

  private static String describe(RoleRef ref) {
    return "{APIGroup:" + ref.getApiGroup() + ", Kind:" + ref.getKind() + ", Name:" + ref.getName() + "}";
  }

  /** The name rule of RBAC objects and role references (ValidateRBACName): a valid URL path segment. */
  public static List<String> pathSegmentName(String name) {
    if (name.equals(".") || name.equals("..")) {
      return List.of("may not be '" + name + "'");
    }
    for (String bad : List.of("/", "%")) {
      if (name.contains(bad)) {
        return List.of("may not contain '" + bad + "'");
      }
    }
    return List.of();
  }

  private static void checkRules(String path, List<PolicyRule> rules, boolean namespaced, FieldErrors errors) {
    for (int i = 0; i < orEmpty(rules).size(); i++) {
      checkRule(FieldPath.index(path, i), rules.get(i), namespaced, errors);
    }
  }

  private static void checkRule(String path, PolicyRule rule, boolean namespaced, FieldErrors errors) {
    List<String> verbs = orEmpty(rule.getVerbs());
    if (verbs.isEmpty()) {
      // The schema walk reports the empty list as required; say why as Kubernetes does.
      errors.list().removeIf(e -> e.field().equals(FieldPath.field(path, "verbs")));
      errors.add(FieldError.required(FieldPath.field(path, "verbs"), "verbs must contain at least one value"));
    }
    for (int i = 0; i < verbs.size(); i++) {
      errors.oneOf(FieldPath.index(FieldPath.field(path, "verbs"), i), verbs.get(i), KNOWN_VERBS);
    }
    if (!orEmpty(rule.getNonResourceURLs()).isEmpty()) {
      if (namespaced) {
        errors.add(FieldError.invalid(FieldPath.field(path, "nonResourceURLs"), rule.getNonResourceURLs().toString(),
            "namespaced rules cannot apply to non-resource URLs"));
      }
      if (!orEmpty(rule.getApiGroups()).isEmpty() || !orEmpty(rule.getResources()).isEmpty()
          || !orEmpty(rule.getResourceNames()).isEmpty()) {
        errors.add(FieldError.invalid(FieldPath.field(path, "nonResourceURLs"), rule.getNonResourceURLs().toString(),
            "rules cannot apply to both regular resources and non-resource URLs"));
      }
      for (int i = 0; i < rule.getNonResourceURLs().size(); i++) {
        String url = rule.getNonResourceURLs().get(i);
        if (!url.startsWith("/") && !url.equals("*")) {
          errors.add(FieldError.invalid(FieldPath.index(FieldPath.field(path, "nonResourceURLs"), i), url,
              "must start with '/' (or be '*')"));
        }
      }
      return;
    }
    if (orEmpty(rule.getApiGroups()).isEmpty()) {
      errors.add(FieldError.required(FieldPath.field(path, "apiGroups"),
          "resource rules must supply at least one api group"));
    }
    if (orEmpty(rule.getResources()).isEmpty()) {
      errors.add(FieldError.required(FieldPath.field(path, "resources"),
          "resource rules must supply at least one resource"));
    }
  }

  private static void checkRoleRef(RoleRef ref, List<String> kinds, FieldErrors errors) {
    if (ref == null) {
      errors.add(FieldError.required("roleRef"));
      return;
    }
    if (!isEmpty(ref.getApiGroup()) && !GROUP.equals(ref.getApiGroup())) {
      errors.add(FieldError.notSupported("roleRef.apiGroup", ref.getApiGroup(), List.of(GROUP)));
    }
    if (!isEmpty(ref.getKind()) && !kinds.contains(ref.getKind())) {
      errors.add(FieldError.notSupported("roleRef.kind", ref.getKind(), kinds));
    }
    if (!isEmpty(ref.getName())) {
      errors.name("roleRef.name", ref.getName(), RbacRules::pathSegmentName);
    }
  }

  private static void checkSubjects(List<Subject> subjects, FieldErrors errors) {
    for (int i = 0; i < orEmpty(subjects).size(); i++) {
      String p = FieldPath.index("subjects", i);
      Subject s = subjects.get(i);
      if (isEmpty(s.getName()) || isEmpty(s.getKind())) {
        continue; // the schema walk reported it
      }
      switch (s.getKind()) {
        case "ServiceAccount" -> {
          errors.name(FieldPath.field(p, "name"), s.getName(), Names::dns1123Subdomain);
          if (!isEmpty(s.getApiGroup())) {
            errors.add(FieldError.notSupported(FieldPath.field(p, "apiGroup"), s.getApiGroup(), List.of("")));
          }
          if (isEmpty(s.getNamespace())) {
            errors.add(FieldError.required(FieldPath.field(p, "namespace")));
          }
        }
        case "User", "Group" -> {
          if (!GROUP.equals(s.getApiGroup())) {
            errors.add(FieldError.notSupported(FieldPath.field(p, "apiGroup"), String.valueOf(s.getApiGroup()),
                List.of(GROUP)));
          }
        }
        default -> errors.add(FieldError.notSupported(FieldPath.field(p, "kind"), s.getKind(), SUBJECT_KINDS));
      }
    }
  }
}
