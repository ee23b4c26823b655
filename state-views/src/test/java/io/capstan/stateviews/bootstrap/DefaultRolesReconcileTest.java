package io.capstan.stateviews.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ClusterRole;
import io.capstan.api.ClusterRoleBinding;
import io.capstan.api.ObjectMeta;
import io.capstan.api.PolicyRule;
import io.capstan.api.RoleRef;
import io.capstan.api.Subject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/**
 * The default roles of a cluster made by an earlier version are brought up to this version's as
 * kube-apiserver's RBAC reconciliation does: missing rules and subjects added, nothing removed,
 * autoupdate=false and aggregated roles left alone, and a second pass changes nothing.
 */
class DefaultRolesReconcileTest {
  private static <T extends SpecificRecord> T expected(Class<T> type, String name) {
    return DefaultRoles.objects().stream().filter(type::isInstance).map(type::cast)
        .filter(o -> ((ObjectMeta) o.get(o.getSchema().getField("metadata").pos())).getName().equals(name))
        .findFirst().orElseThrow();
  }

  /** The rule as the processor stores it: absent lists filled in as empty ones. */
  private static PolicyRule stored(PolicyRule r) {
    return PolicyRule.newBuilder(r).setApiGroups(r.getApiGroups() == null ? List.of() : r.getApiGroups())
        .setResources(r.getResources() == null ? List.of() : r.getResources())
        .setResourceNames(r.getResourceNames() == null ? List.of() : r.getResourceNames())
        .setNonResourceURLs(r.getNonResourceURLs() == null ? List.of() : r.getNonResourceURLs()).build();
  }

  @Test
  void anOldNodeRoleGainsTheRulesItLacksAndKeepsAnAdministratorsRule() {
    ClusterRole want = expected(ClusterRole.class, DefaultRoles.NODE_ROLE);
    PolicyRule extra = PolicyRule.newBuilder().setVerbs(List.of("get")).setApiGroups(List.of("example.com"))
        .setResources(List.of("widgets")).build();
    List<PolicyRule> old = new ArrayList<>(want.getRules().subList(0, 1).stream().map(DefaultRolesReconcileTest::stored)
        .toList());
    old.add(extra);
    ClusterRole have = ClusterRole.newBuilder(want).setRules(old)
        .setMetadata(ObjectMeta.newBuilder(want.getMetadata()).setResourceVersion("42").setLabels(Map.of())
            .build()).build();

    ClusterRole updated = (ClusterRole) DefaultRoles.reconciled(have, want).orElseThrow();
    assertEquals(want.getRules().size() + 1, updated.getRules().size(), updated.getRules().toString());
    assertTrue(updated.getRules().contains(extra), "the administrator's rule stays");
    assertEquals("42", updated.getMetadata().getResourceVersion(), "written over the version read");
    assertEquals("rbac-defaults", updated.getMetadata().getLabels().get("kubernetes.io/bootstrapping"));

    ClusterRole storedAgain = ClusterRole.newBuilder(updated)
        .setRules(updated.getRules().stream().map(DefaultRolesReconcileTest::stored).toList()).build();
    assertTrue(DefaultRoles.reconciled(storedAgain, want).isEmpty(), "a second start changes nothing");
  }

  @Test
  void autoupdateFalseAndAggregatedRolesAreLeftAlone() {
    ClusterRole want = expected(ClusterRole.class, DefaultRoles.NODE_ROLE);
    ClusterRole pinned = ClusterRole.newBuilder(want).setRules(List.of())
        .setMetadata(ObjectMeta.newBuilder(want.getMetadata())
            .setAnnotations(Map.of("rbac.authorization.kubernetes.io/autoupdate", "false")).build()).build();
    assertTrue(DefaultRoles.reconciled(pinned, want).isEmpty());

    ClusterRole view = expected(ClusterRole.class, "view");
    assertTrue(DefaultRoles.reconciled(ClusterRole.newBuilder(view).setRules(List.of()).build(), view).isEmpty(),
        "the aggregation controller keeps view's rules");
  }

  @Test
  void aBindingGainsTheSubjectsItLacksButNeverAnotherRole() {
    ClusterRoleBinding want = expected(ClusterRoleBinding.class, DefaultRoles.NODE_ROLE);
    Subject someone = Subject.newBuilder().setKind("User").setName("alice").build();
    ClusterRoleBinding have = ClusterRoleBinding.newBuilder(want).setSubjects(List.of(someone)).build();
    ClusterRoleBinding updated = (ClusterRoleBinding) DefaultRoles.reconciled(have, want).orElseThrow();
    assertEquals(1 + want.getSubjects().size(), updated.getSubjects().size());
    assertTrue(updated.getSubjects().contains(someone));
    assertTrue(DefaultRoles.reconciled(updated, want).isEmpty());

    ClusterRoleBinding other = ClusterRoleBinding.newBuilder(want).setSubjects(List.of())
        .setRoleRef(RoleRef.newBuilder(want.getRoleRef()).setName("view").build()).build();
    assertTrue(DefaultRoles.reconciled(other, want).isEmpty(), "a roleRef cannot change");
  }
}
