package io.capstan.logschema.quota;

import static io.capstan.logschema.quota.QuotaCheckTest.configMap;
import static io.capstan.logschema.quota.QuotaCheckTest.container;
import static io.capstan.logschema.quota.QuotaCheckTest.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.api.Container;
import io.capstan.api.Pod;
import io.capstan.api.PodStatus;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What objects count against quotas, as Kubernetes' evaluators compute it. */
class ObjectUsageTest {

  @Test
  void podUsageIsTheLargerOfTheAppSumAndTheLargestInitContainerPlusOverhead() {
    Pod pod = pod(container("a", Map.of("cpu", "250m", "memory", "64Mi"), Map.of("cpu", "500m", "memory", "128Mi")),
        container("b", Map.of("cpu", "250m"), Map.of("memory", "1Gi")));
    Container init = container("init", Map.of("cpu", "1", "memory", "32Mi"), Map.of("cpu", "1"));
    pod.getSpec().setInitContainers(List.of(init));
    pod.getSpec().setOverhead(Map.of("cpu", "100m", "memory", "10Mi"));
    Map<String, String> usage = ResourceLists.format(ObjectUsage.ofPod(pod));
    // requests: cpu max(250m+250m, 1) + 100m; memory max(64Mi + 1Gi (b's limit defaults its request), 32Mi) + 10Mi.
    assertEquals(Map.of(
        "count/pods", "1", "pods", "1",
        "cpu", "1100m", "requests.cpu", "1100m",
        "memory", "1098Mi", "requests.memory", "1098Mi",
        // limits: cpu max(500m + 0, 1) + 100m; memory 128Mi + 1Gi + 10Mi.
        "limits.cpu", "1100m", "limits.memory", "1162Mi"), usage);
  }

  @Test
  void sidecarInitContainersRunAlongsideTheApp() {
    Container sidecar = container("proxy", Map.of("cpu", "200m"), null);
    sidecar.setRestartPolicy("Always");
    Container init = container("migrate", Map.of("cpu", "700m"), null);
    Pod pod = pod(container("app", Map.of("cpu", "300m"), null));
    pod.getSpec().setInitContainers(List.of(sidecar, init));
    // app phase: 300m + 200m = 500m; init phase: migrate 700m next to the sidecar 200m = 900m.
    assertEquals("900m", ObjectUsage.ofPod(pod).get("requests.cpu").canonical());
  }

  @Test
  void finishedPodsOnlyCountAsObjects() {
    Pod pod = pod(container("a", Map.of("cpu", "1"), null));
    pod.setStatus(PodStatus.newBuilder().setPhase("Succeeded").build());
    assertEquals(Map.of("count/pods", "1"), ResourceLists.format(ObjectUsage.ofPod(pod)));
    pod.getStatus().setPhase("Running");
    assertEquals("1", ResourceLists.format(ObjectUsage.ofPod(pod)).get("pods"));
  }

  @Test
  void otherObjectsCountOnceUnderTheirCountNameAndLegacyName() {
    assertEquals(Map.of("count/configmaps", "1", "configmaps", "1"),
        ResourceLists.format(ObjectUsage.of(Kinds.CONFIG_MAP, configMap())));
    assertEquals("count/deployments.apps", ObjectUsage.countName(Kinds.DEPLOYMENT));
    assertEquals("count/jobs.batch", ObjectUsage.countName(Kinds.JOB));
    assertEquals(java.util.Set.of("count/deployments.apps"), ObjectUsage.resourcesOf(Kinds.DEPLOYMENT));
    assertEquals(java.util.Set.of("count/resourcequotas", "resourcequotas"), ObjectUsage.resourcesOf(Kinds.RESOURCE_QUOTA));
  }

  @Test
  void sumsKeepTheNotationOfTheFirstNonZeroTerm() {
    var a = ResourceLists.parse(Map.of("memory", "1Gi", "cpu", "0"));
    var b = ResourceLists.parse(Map.of("memory", "512Mi", "cpu", "1500m"));
    assertEquals(Map.of("memory", "1536Mi", "cpu", "1500m"), ResourceLists.format(ResourceLists.add(a, b)));
    assertEquals(Map.of("memory", "512Mi", "cpu", "1500m"),
        ResourceLists.format(ResourceLists.subtract(ResourceLists.add(a, b), ResourceLists.parse(Map.of("memory", "1Gi")))));
    assertEquals("cpu=1500m,memory=1536Mi", ResourceLists.prettyPrint(ResourceLists.add(a, b)));
  }
}
