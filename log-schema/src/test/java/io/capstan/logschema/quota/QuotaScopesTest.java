package io.capstan.logschema.quota;

import static io.capstan.logschema.quota.QuotaCheckTest.configMap;
import static io.capstan.logschema.quota.QuotaCheckTest.container;
import static io.capstan.logschema.quota.QuotaCheckTest.pod;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Pod;
import io.capstan.api.ResourceQuotaSpec;
import io.capstan.api.ScopeSelector;
import io.capstan.api.ScopedResourceSelectorRequirement;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Quota scopes select pods as Kubernetes' pod evaluator does. */
class QuotaScopesTest {

  private static ResourceQuotaSpec scoped(String... scopes) {
    return ResourceQuotaSpec.newBuilder().setHard(Map.of("pods", "3", "count/configmaps", "3"))
        .setScopes(List.of(scopes)).build();
  }

  @Test
  void bestEffortAndTerminatingScopes() {
    Pod bestEffort = pod(container("a", null, null));
    Pod burstable = pod(container("a", Map.of("memory", "1Mi"), null));
    Pod job = pod(container("a", null, null));
    job.getSpec().setActiveDeadlineSeconds(600L);

    assertTrue(QuotaCheck.covers(Kinds.POD, scoped("BestEffort"), bestEffort));
    assertFalse(QuotaCheck.covers(Kinds.POD, scoped("BestEffort"), burstable));
    assertTrue(QuotaCheck.covers(Kinds.POD, scoped("NotBestEffort"), burstable));
    assertTrue(QuotaCheck.covers(Kinds.POD, scoped("Terminating"), job));
    assertFalse(QuotaCheck.covers(Kinds.POD, scoped("Terminating"), bestEffort));
    assertTrue(QuotaCheck.covers(Kinds.POD, scoped("NotTerminating", "BestEffort"), bestEffort));
    assertFalse(QuotaCheck.covers(Kinds.POD, scoped("NotTerminating", "BestEffort"), job), "every scope must match");
    // Scopes are for pods: a scoped quota counts no configmaps, an unscoped one does.
    assertFalse(QuotaCheck.covers(Kinds.CONFIG_MAP, scoped("BestEffort"), configMap()));
    assertTrue(QuotaCheck.covers(Kinds.CONFIG_MAP, scoped(), configMap()));
  }

  @Test
  void priorityClassSelector() {
    Pod high = pod(container("a", null, null));
    high.getSpec().setPriorityClassName("high");
    Pod none = pod(container("a", null, null));
    ResourceQuotaSpec in = ResourceQuotaSpec.newBuilder().setHard(Map.of("pods", "1"))
        .setScopeSelector(ScopeSelector.newBuilder().setMatchExpressions(List.of(ScopedResourceSelectorRequirement
            .newBuilder().setScopeName("PriorityClass").setOperator("In").setValues(List.of("high", "urgent")).build()))
            .build()).build();
    assertTrue(QuotaCheck.covers(Kinds.POD, in, high));
    assertFalse(QuotaCheck.covers(Kinds.POD, in, none));
    in.getScopeSelector().getMatchExpressions().get(0).setOperator("DoesNotExist");
    assertTrue(QuotaCheck.covers(Kinds.POD, in, none));
    assertFalse(QuotaCheck.covers(Kinds.POD, in, high));
  }
}
