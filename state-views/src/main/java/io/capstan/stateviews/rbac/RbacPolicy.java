package io.capstan.stateviews.rbac;

import io.capstan.api.ClusterRole;
import io.capstan.api.ClusterRoleBinding;
import io.capstan.api.ObjectMeta;
import io.capstan.api.PolicyRule;
import io.capstan.api.Role;
import io.capstan.api.RoleBinding;
import io.capstan.api.RoleRef;
import io.capstan.api.Subject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.generic.IndexedRecord;

/**
 * The RBAC objects a reader knows (the gateway feeds it from its watch cache, the command processor
 * from its global stores), indexed by subject so that a decision looks up only the grants of the
 * requesting user and its groups: cluster-wide grants
 * (ClusterRoleBindings) and, per namespace, the grants of RoleBindings, each with the rules of the
 * role it refers to. The index is rebuilt on the first read after a change (RBAC objects change
 * rarely; requests are many), so a burst of changes, such as the initial load, costs one rebuild.
 */
public final class RbacPolicy {
  /** A binding's grant to one subject: where it comes from (for reasons) and the role's rules. */
  public record Grant(String binding, String role, List<PolicyRule> rules) {}

  private record Index(Map<String, List<Grant>> cluster, Map<String, Map<String, List<Grant>>> byNamespace) {}

  private final Map<String, Role> roles = new HashMap<>();
  private final Map<String, ClusterRole> clusterRoles = new HashMap<>();
  private final Map<String, RoleBinding> roleBindings = new HashMap<>();
  private final Map<String, ClusterRoleBinding> clusterRoleBindings = new HashMap<>();
  private volatile Index index;

  /** An object was added or changed; objects of other kinds are ignored. */
  public synchronized void put(IndexedRecord object) {
    if (object instanceof Role r) {
      roles.put(key(r.getMetadata()), r);
    } else if (object instanceof ClusterRole r) {
      clusterRoles.put(r.getMetadata().getName(), r);
    } else if (object instanceof RoleBinding b) {
      roleBindings.put(key(b.getMetadata()), b);
    } else if (object instanceof ClusterRoleBinding b) {
      clusterRoleBindings.put(b.getMetadata().getName(), b);
    } else {
      return;
    }
    index = null;
  }

  public synchronized void remove(IndexedRecord object) {
    if (object instanceof Role r) {
      roles.remove(key(r.getMetadata()));
    } else if (object instanceof ClusterRole r) {
      clusterRoles.remove(r.getMetadata().getName());
    } else if (object instanceof RoleBinding b) {
      roleBindings.remove(key(b.getMetadata()));
    } else if (object instanceof ClusterRoleBinding b) {
      clusterRoleBindings.remove(b.getMetadata().getName());
    } else {
      return;
    }
    index = null;
  }

  /**
   * The grants that apply to the user {@code user} in {@code groups} in {@code namespace}: its
   * cluster-wide grants first, then (when a namespace is given) those of RoleBindings in it.
   */
  public List<Grant> grants(String user, Collection<String> groups, String namespace) {
    Index idx = index();
    List<Grant> out = new ArrayList<>();
    Map<String, List<Grant>> inNamespace = namespace == null || namespace.isEmpty() ? null
        : idx.byNamespace().get(namespace);
    for (String key : subjectKeys(user, groups)) {
      out.addAll(idx.cluster().getOrDefault(key, List.of()));
      if (inNamespace != null) {
        out.addAll(inNamespace.getOrDefault(key, List.of()));
      }
    }
    return out;
  }

  /**
   * The first grant with a rule that {@code matches}, as the RBAC authorizer looks for one (its
   * description names the binding and role, for reasons); empty when none allows.
   */
  public Optional<String> allowing(String user, Collection<String> groups, String namespace,
      java.util.function.Predicate<PolicyRule> matches) {
    for (Grant g : grants(user, groups, namespace)) {
      for (PolicyRule rule : g.rules()) {
        if (matches.test(rule)) {
          return Optional.of("RBAC: allowed by " + g.binding() + " of " + g.role() + " to " + user);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * An object of an RBAC kind ({@code Role}, {@code ClusterRole}, {@code RoleBinding},
   * {@code ClusterRoleBinding}) was deleted, known by its key only (a tombstone); other kinds are ignored.
   */
  public synchronized void remove(String kind, String namespace, String name) {
    boolean removed = switch (kind) {
      case "Role" -> roles.remove(namespace + "/" + name) != null;
      case "ClusterRole" -> clusterRoles.remove(name) != null;
      case "RoleBinding" -> roleBindings.remove(namespace + "/" + name) != null;
      case "ClusterRoleBinding" -> clusterRoleBindings.remove(name) != null;
      default -> false;
    };
    if (removed) {
      index = null;
    }
  }

  /** The rules a role reference grants in {@code namespace} (a RoleBinding's Role lives there); empty when absent. */
  public synchronized Optional<List<PolicyRule>> rulesOf(RoleRef ref, String namespace) {
    if ("ClusterRole".equals(ref.getKind())) {
      return Optional.ofNullable(clusterRoles.get(ref.getName())).map(r -> rules(r.getRules()));
    }
    if ("Role".equals(ref.getKind())) {
      return Optional.ofNullable(roles.get(namespace + "/" + ref.getName())).map(r -> rules(r.getRules()));
    }
    return Optional.empty();
  }

  /**
   * The policy's current version: a new object after every change of an RBAC object (the same
   * one until then), so that answers derived from the policy can be kept until it changes.
   */
  public Object version() {
    return index();
  }

  /** The keys a user's grants are filed under: its name and each of its groups. */
  static List<String> subjectKeys(String user, Collection<String> groups) {
    List<String> keys = new ArrayList<>(1 + groups.size());
    keys.add("User:" + user);
    for (String g : groups) {
      keys.add("Group:" + g);
    }
    return keys;
  }

  private Index index() {
    Index idx = index;
    if (idx == null) {
      synchronized (this) {
        idx = index;
        if (idx == null) {
          idx = rebuild();
          index = idx;
        }
      }
    }
    return idx;
  }

  private Index rebuild() {
    Map<String, List<Grant>> cluster = new HashMap<>();
    for (ClusterRoleBinding b : clusterRoleBindings.values()) {
      ClusterRole role = clusterRoles.get(b.getRoleRef().getName());
      if (role == null || !"ClusterRole".equals(b.getRoleRef().getKind())) {
        continue; // a binding to a role not (yet) there grants nothing
      }
      Grant g = new Grant("ClusterRoleBinding \"" + b.getMetadata().getName() + "\"",
          "ClusterRole \"" + role.getMetadata().getName() + "\"", rules(role.getRules()));
      for (String key : keys(b.getSubjects(), null)) {
        cluster.computeIfAbsent(key, k -> new ArrayList<>()).add(g);
      }
    }
    Map<String, Map<String, List<Grant>>> byNamespace = new HashMap<>();
    for (RoleBinding b : roleBindings.values()) {
      String ns = b.getMetadata().getNamespace();
      RoleRef ref = b.getRoleRef();
      List<PolicyRule> rules;
      String roleName;
      if ("ClusterRole".equals(ref.getKind()) && clusterRoles.containsKey(ref.getName())) {
        rules = rules(clusterRoles.get(ref.getName()).getRules());
        roleName = "ClusterRole \"" + ref.getName() + "\"";
      } else if ("Role".equals(ref.getKind()) && roles.containsKey(ns + "/" + ref.getName())) {
        rules = rules(roles.get(ns + "/" + ref.getName()).getRules());
        roleName = "Role \"" + ref.getName() + "\"";
      } else {
        continue;
      }
      Grant g = new Grant("RoleBinding \"" + b.getMetadata().getName() + "/" + ns + "\"", roleName, rules);
      Map<String, List<Grant>> inNs = byNamespace.computeIfAbsent(ns, n -> new HashMap<>());
      for (String key : keys(b.getSubjects(), ns)) {
        inNs.computeIfAbsent(key, k -> new ArrayList<>()).add(g);
      }
    }
    return new Index(cluster, byNamespace);
  }

  /**
   * A binding's subjects as index keys. A ServiceAccount is the user
   * {@code system:serviceaccount:<namespace>:<name>} (kube's appliesToUser); one without a
   * namespace in a RoleBinding is of the binding's namespace.
   */
  private static List<String> keys(List<Subject> subjects, String bindingNamespace) {
    List<String> keys = new ArrayList<>();
    if (subjects == null) {
      return keys;
    }
    for (Subject s : subjects) {
      switch (s.getKind()) {
        case "User" -> keys.add("User:" + s.getName());
        case "Group" -> keys.add("Group:" + s.getName());
        case "ServiceAccount" -> {
          String ns = s.getNamespace() == null || s.getNamespace().isEmpty() ? bindingNamespace : s.getNamespace();
          if (ns != null) {
            keys.add("User:system:serviceaccount:" + ns + ":" + s.getName());
          }
        }
        default -> { }
      }
    }
    return keys;
  }

  private static List<PolicyRule> rules(List<PolicyRule> rules) {
    return rules == null ? List.of() : List.copyOf(rules);
  }

  private static String key(ObjectMeta meta) {
    return meta.getNamespace() + "/" + meta.getName();
  }
}
