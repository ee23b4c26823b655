package io.capstan.logschema.quota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.Container;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.ResourceRequirements;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The admission check and its messages, as kube-apiserver's ResourceQuota plugin words them. */
class QuotaCheckTest {

  @Test
  void exceededListsOnlyTheExceededResourcesSortedWithCanonicalQuantities() {
    String msg = QuotaCheck.exceeded("compute",
        ResourceLists.parse(Map.of("pods", "5", "requests.cpu", "3", "requests.memory", "1Gi")),
        ResourceLists.parse(Map.of("pods", "5", "requests.cpu", "2500m", "requests.memory", "512Mi")),
        ResourceLists.parse(Map.of("pods", "1", "requests.cpu", "0.5", "cpu", "500m", "requests.memory", "256Mi",
            "count/pods", "1")));
    // cpu fits exactly (3000m <= 3), memory fits: only pods is over.
    assertEquals("exceeded quota: compute, requested: pods=1, used: pods=5, limited: pods=5", msg);
  }

  @Test
  void severalExceededResourcesAreJoinedByCommas() {
    String msg = QuotaCheck.exceeded("compute",
        ResourceLists.parse(Map.of("pods", "5", "requests.cpu", "2500m")),
        ResourceLists.parse(Map.of("pods", "5", "requests.cpu", "2500m")),
        ResourceLists.parse(Map.of("pods", "1", "requests.cpu", "500m")));
    assertEquals("exceeded quota: compute, requested: pods=1,requests.cpu=500m, used: pods=5,requests.cpu=2500m,"
        + " limited: pods=5,requests.cpu=2500m", msg);
  }

  @Test
  void fitsWhenTheSumReachesHardExactlyOrTheObjectUsesNothingLimited() {
    assertNull(QuotaCheck.exceeded("q", ResourceLists.parse(Map.of("pods", "2")), ResourceLists.parse(Map.of("pods", "1")),
        ResourceLists.parse(Map.of("pods", "1"))));
    assertNull(QuotaCheck.exceeded("q", ResourceLists.parse(Map.of("count/secrets", "0")), ResourceLists.parse(Map.of()),
        ResourceLists.parse(Map.of("pods", "1"))));
  }

  @Test
  void missingUsedCountsAsZero() {
    assertEquals("exceeded quota: q, requested: count/configmaps=1, used: count/configmaps=0, limited: count/configmaps=0",
        QuotaCheck.exceeded("q", ResourceLists.parse(Map.of("count/configmaps", "0")), ResourceLists.parse(Map.of()),
            ObjectUsage.of(Kinds.CONFIG_MAP, configMap())));
  }

  @Test
  void podsMustStateTrackedCpuAndMemoryPerContainer() {
    Pod pod = pod(container("web", Map.of("cpu", "100m"), null), container("sidecar", null, Map.of("memory", "64Mi")));
    String msg = QuotaCheck.constraintViolation("compute", Kinds.POD, pod,
        Map.of("requests.cpu", "1", "limits.memory", "1Gi", "limits.cpu", "2", "pods", "10"));
    // sidecar's memory limit is also its request (defaulting), web states no limits.
    assertEquals("failed quota: compute: must specify limits.cpu for: sidecar,web; limits.memory for: web;"
        + " requests.cpu for: sidecar", msg);
    assertNull(QuotaCheck.constraintViolation("compute", Kinds.POD, pod, Map.of("pods", "10", "count/pods", "3")));
    assertNull(QuotaCheck.constraintViolation("objects", Kinds.CONFIG_MAP, configMap(), Map.of("requests.cpu", "1")));
  }

  @Test
  void coversOnlyWhenTheQuotaLimitsSomethingTheKindUses() {
    assertTrue(QuotaCheck.covers(Kinds.POD, Map.of("requests.memory", "1Gi")));
    assertTrue(QuotaCheck.covers(Kinds.CONFIG_MAP, Map.of("configmaps", "3")));
    assertTrue(QuotaCheck.covers(Kinds.DEPLOYMENT, Map.of("count/deployments.apps", "3")));
    assertEquals(false, QuotaCheck.covers(Kinds.POD, Map.of("count/configmaps", "3")));
    assertEquals(false, QuotaCheck.covers(Kinds.SECRET, Map.of("pods", "3")));
  }

  @Test
  void badQuantitiesNameTheResource() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ResourceLists.parse(Map.of("requests.cpu", "lots")));
    assertTrue(e.getMessage().startsWith("requests.cpu: quantities must match"), e.getMessage());
  }

  static ConfigMap configMap() {
    return ConfigMap.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName("c").build()).build();
  }

  static Container container(String name, Map<String, String> requests, Map<String, String> limits) {
    Container.Builder c = Container.newBuilder().setName(name).setImage("busybox");
    if (requests != null || limits != null) {
      c.setResources(ResourceRequirements.newBuilder().setRequests(requests).setLimits(limits).build());
    }
    return c.build();
  }

  static Pod pod(Container... containers) {
    return Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName("p").build())
        .setSpec(PodSpec.newBuilder().setContainers(List.of(containers)).build()).build();
  }
}
