package io.capstan.gateway.security.rbac;

import io.capstan.api.ClusterRole;
import io.capstan.api.ClusterRoleBinding;
import io.capstan.api.PolicyRule;
import io.capstan.api.Role;
import io.capstan.api.RoleBinding;
import io.capstan.api.RoleRef;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.security.RequestAttributes;
import io.capstan.gateway.security.UserInfo;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.rbac.PolicyRules;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.avro.generic.IndexedRecord;

/**
 * Escalation prevention, as kube-apiserver's RBAC storage does it on every create and update of
 * an RBAC object: a Role or ClusterRole may only grant what its author holds in that scope, unless
 * the author may {@code escalate} that role; a binding may only grant the rules of the role it
 * refers to when its author holds them all, unless the author may {@code bind} that role. Members
 * of {@code system:masters} may do both. A refusal is 403 naming the permissions not held.
 */
public final class EscalationCheck {
  private static final String GROUP = Kinds.RBAC_GROUP;

  private final RbacAuthorizer authorizer;

  public EscalationCheck(RbacAuthorizer authorizer) {
    this.authorizer = authorizer;
  }

  /** Throws a 403 {@link ApiException} when {@code user} may not write {@code object}; other kinds pass. */
  public void check(UserInfo user, Kind kind, IndexedRecord object) {
    if (!kind.group().equals(GROUP) || user == null || RbacAuthorizer.isSuperuser(user)) {
      return;
    }
    if (object instanceof Role role) {
      String ns = role.getMetadata().getNamespace();
      checkRole(user, "roles", ns, role.getMetadata().getName(), role.getRules(), false);
    } else if (object instanceof ClusterRole role) {
      checkRole(user, "clusterroles", "", role.getMetadata().getName(), role.getRules(),
          role.getAggregationRule() != null);
    } else if (object instanceof RoleBinding b) {
      checkBinding(user, "rolebindings", b.getMetadata().getNamespace(), b.getMetadata().getName(), b.getRoleRef());
    } else if (object instanceof ClusterRoleBinding b) {
      checkBinding(user, "clusterrolebindings", "", b.getMetadata().getName(), b.getRoleRef());
    }
  }

  private void checkRole(UserInfo user, String resource, String namespace, String name, List<PolicyRule> rules,
      boolean aggregated) {
    if (may(user, "escalate", resource, namespace, name)) {
      return;
    }
    if (aggregated) {
      throw new ApiException(ApiStatus.forbidden(GROUP, resource, name,
          "must have cluster-admin privileges to use the aggregationRule"));
    }
    refuseMissing(user, resource, name, rules == null ? List.of() : rules, namespace);
  }

  private void checkBinding(UserInfo user, String resource, String namespace, String name, RoleRef ref) {
    String roleResource = "ClusterRole".equals(ref.getKind()) ? "clusterroles" : "roles";
    if (may(user, "bind", roleResource, namespace, ref.getName())) {
      return;
    }
    List<PolicyRule> granted = authorizer.policy().rulesOf(ref, namespace).orElseThrow(() ->
        new ApiException(ApiStatus.notFound(GROUP, roleResource, ref.getName())));
    refuseMissing(user, resource, name, granted, namespace);
  }

  private boolean may(UserInfo user, String verb, String resource, String namespace, String name) {
    return authorizer.authorize(RequestAttributes.resource(user, verb, GROUP, resource, "", namespace, name))
        .allowed();
  }

  private void refuseMissing(UserInfo user, String resource, String name, List<PolicyRule> wanted, String namespace) {
    List<String> missing = missing(authorizer.rulesFor(user, namespace), wanted);
    if (!missing.isEmpty()) {
      String groups = user.groups().stream().map(g -> "\"" + g + "\"").collect(Collectors.joining(" ", "[", "]"));
      throw new ApiException(ApiStatus.forbidden(GROUP, resource, name, "user \"" + user.name() + "\" (groups="
          + groups + ") is attempting to grant RBAC permissions not currently held:\n" + String.join("\n", missing)));
    }
  }

  /**
   * The parts of {@code wanted} no rule of {@code owner} covers (kube's {@code validation.Covers}),
   * each written as kube writes a compact rule; empty when all are covered.
   */
  static List<String> missing(List<PolicyRule> owner, List<PolicyRule> wanted) {
    // (groups, resources, names or URLs) -> verbs not held, in the order found
    Map<String, List<String>> notHeld = new LinkedHashMap<>();
    for (PolicyRule w : wanted) {
      List<String> verbs = PolicyRules.list(w.getVerbs());
      List<String> urls = PolicyRules.list(w.getNonResourceURLs());
      if (!urls.isEmpty()) {
        for (String url : urls) {
          for (String verb : verbs) {
            if (owner.stream().noneMatch(o -> coversUrl(o, verb, url))) {
              notHeld.computeIfAbsent("{NonResourceURLs:[\"" + url + "\"]", k -> new ArrayList<>()).add(verb);
            }
          }
        }
        continue;
      }
      List<String> names = PolicyRules.list(w.getResourceNames());
      for (String group : PolicyRules.list(w.getApiGroups())) {
        for (String resource : PolicyRules.list(w.getResources())) {
          for (String name : names.isEmpty() ? List.of("") : names) {
            for (String verb : verbs) {
              if (owner.stream().noneMatch(o -> coversResource(o, verb, group, resource, name))) {
                String head = "{APIGroups:[\"" + group + "\"], Resources:[\"" + resource + "\"]"
                    + (name.isEmpty() ? "" : ", ResourceNames:[\"" + name + "\"]");
                notHeld.computeIfAbsent(head, k -> new ArrayList<>()).add(verb);
              }
            }
          }
        }
      }
    }
    List<String> out = new ArrayList<>();
    notHeld.forEach((head, verbs) -> out.add(head + ", Verbs:" + verbs.stream().map(v -> "\"" + v + "\"")
        .collect(Collectors.joining(" ", "[", "]")) + "}"));
    return out;
  }

  private static boolean coversResource(PolicyRule o, String verb, String group, String resource, String name) {
    if (!PolicyRules.list(o.getNonResourceURLs()).isEmpty() && PolicyRules.list(o.getResources()).isEmpty()) {
      return false;
    }
    if (!PolicyRules.verbMatches(o, verb) || !PolicyRules.groupMatches(o, group)) {
      return false;
    }
    boolean resourceCovered = false;
    int slash = resource.indexOf('/');
    for (String r : PolicyRules.list(o.getResources())) {
      if (r.equals(PolicyRules.ALL) || r.equals(resource)
          || (slash > 0 && r.equals("*" + resource.substring(slash)))) {
        resourceCovered = true;
        break;
      }
    }
    if (!resourceCovered) {
      return false;
    }
    List<String> ownerNames = PolicyRules.list(o.getResourceNames());
    return ownerNames.isEmpty() || (!name.isEmpty() && ownerNames.contains(name));
  }

  private static boolean coversUrl(PolicyRule o, String verb, String url) {
    if (!PolicyRules.verbMatches(o, verb)) {
      return false;
    }
    for (String u : PolicyRules.list(o.getNonResourceURLs())) {
      if (u.equals(PolicyRules.ALL) || u.equals(url)
          || (u.endsWith("*") && url.startsWith(u.substring(0, u.length() - 1)))) {
        return true;
      }
    }
    return false;
  }

  /** The rule of cluster-admin: every verb on every resource of every group. */
  static PolicyRule everything() {
    return PolicyRule.newBuilder().setVerbs(List.of("*")).setApiGroups(List.of("*")).setResources(List.of("*")).build();
  }

  /** Every verb on every non-resource URL. */
  static PolicyRule everyUrl() {
    return PolicyRule.newBuilder().setVerbs(List.of("*")).setNonResourceURLs(List.of("*")).build();
  }
}
