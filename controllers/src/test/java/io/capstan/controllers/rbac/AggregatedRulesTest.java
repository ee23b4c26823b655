package io.capstan.controllers.rbac;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.capstan.api.ClusterRole;
import io.capstan.api.PolicyRule;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.bootstrap.DefaultRoles;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AggregatedRulesTest {
  static ClusterRole role(String yaml) {
    return (ClusterRole) KubeJson.fromJson(Kinds.CLUSTER_ROLE, KubeJson.parse(yaml)).object();
  }

  static PolicyRule rule(String verb, String resource) {
    return PolicyRule.newBuilder().setVerbs(List.of(verb)).setApiGroups(List.of("")).setResources(List.of(resource))
        .build();
  }

  @Test
  void selectedRolesRulesInNameOrderEachOnce() {
    ClusterRole monitoring = role("""
        metadata: {name: monitoring}
        aggregationRule: {clusterRoleSelectors: [{matchLabels: {team: mon}}, {matchLabels: {extra: "yes"}}]}
        rules: [{verbs: [delete], apiGroups: [""], resources: [nodes]}]
        """);
    ClusterRole b = role("""
        metadata: {name: b-pods, labels: {team: mon}}
        rules: [{verbs: [get], apiGroups: [""], resources: [pods]}, {verbs: [list], apiGroups: [""], resources: [pods]}]
        """);
    ClusterRole a = role("""
        metadata: {name: a-services, labels: {extra: "yes"}}
        rules: [{verbs: [get], apiGroups: [""], resources: [services]}, {verbs: [get], apiGroups: [""], resources: [pods]}]
        """);
    ClusterRole other = role("""
        metadata: {name: other, labels: {team: web}}
        rules: [{verbs: ["*"], apiGroups: [""], resources: [secrets]}]
        """);
    assertEquals(List.of(rule("get", "services"), rule("get", "pods"), rule("list", "pods")),
        AggregatedRules.of(monitoring, List.of(monitoring, b, a, other)));
    assertNull(AggregatedRules.of(b, List.of(monitoring, b, a, other)), "not aggregated: its rules are its own");
    assertEquals(List.of(), AggregatedRules.of(monitoring, List.of(monitoring, other)));
  }

  @Test
  void theDefaultUserRolesAreAlreadyTheirAggregation() {
    List<ClusterRole> defaults = new ArrayList<>();
    DefaultRoles.objects().stream().filter(o -> o instanceof ClusterRole).forEach(o -> defaults.add((ClusterRole) o));
    for (ClusterRole r : defaults) {
      if (r.getAggregationRule() != null) {
        // the bootstrap writes what the controller would: no churn on a fresh cluster
        assertEquals(new java.util.HashSet<>(r.getRules()),
            new java.util.HashSet<>(AggregatedRules.of(r, defaults)), r.getMetadata().getName());
      }
    }
  }
}
