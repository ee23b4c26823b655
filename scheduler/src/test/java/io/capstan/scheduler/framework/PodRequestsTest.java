package io.capstan.scheduler.framework;

import static io.capstan.scheduler.TestObjects.podInfo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Pod requests as resourcehelper.PodRequests computes them (cases after its unit tests). */
class PodRequestsTest {

  @Test
  void appContainersAddUp() {
    PodInfo p = podInfo("""
        metadata: {name: p}
        spec:
          containers:
          - {name: a, resources: {requests: {cpu: 500m, memory: 1Gi, ephemeral-storage: 1Gi, example.com/gpu: "1"}}}
          - {name: b, resources: {requests: {cpu: "1", memory: 512Mi, example.com/gpu: "2"}}}
        """);
    assertEquals(1500, p.requests().milliCpu);
    assertEquals(1536L * 1024 * 1024, p.requests().memory);
    assertEquals(1L << 30, p.requests().ephemeralStorage);
    assertEquals(3L, p.requests().scalar.get("example.com/gpu"));
  }

  @Test
  void theLargestInitContainerWinsOverASmallerAppSum() {
    PodInfo p = podInfo("""
        metadata: {name: p}
        spec:
          initContainers:
          - {name: i1, resources: {requests: {cpu: "2", memory: 100Mi}}}
          - {name: i2, resources: {requests: {cpu: 500m, memory: 3Gi}}}
          containers:
          - {name: a, resources: {requests: {cpu: "1", memory: 1Gi}}}
          - {name: b, resources: {requests: {cpu: "1", memory: 1Gi}}}
        """);
    // cpu: max(1+1, max(2, 0.5)) = 2; memory: max(2Gi, max(100Mi, 3Gi)) = 3Gi
    assertEquals(2000, p.requests().milliCpu);
    assertEquals(3L << 30, p.requests().memory);
  }

  @Test
  void sidecarsRunAlongsideLaterInitContainersAndTheApp() {
    PodInfo p = podInfo("""
        metadata: {name: p}
        spec:
          initContainers:
          - {name: side, restartPolicy: Always, resources: {requests: {cpu: 200m}}}
          - {name: init, resources: {requests: {cpu: "1"}}}
          containers:
          - {name: a, resources: {requests: {cpu: 500m}}}
        """);
    // app phase: 500m + 200m sidecar = 700m; init phase: 1 + 200m sidecar = 1200m
    assertEquals(1200, p.requests().milliCpu);
  }

  @Test
  void overheadIsAddedOnTop() {
    PodInfo p = podInfo("""
        metadata: {name: p}
        spec:
          overhead: {cpu: 250m, memory: 120Mi}
          containers:
          - {name: a, resources: {requests: {cpu: 500m, memory: 1Gi}}}
        """);
    assertEquals(750, p.requests().milliCpu);
    assertEquals((1024L + 120) * 1024 * 1024, p.requests().memory);
  }

  @Test
  void limitsWithoutRequestsRequestTheLimit() {
    PodInfo p = podInfo("""
        metadata: {name: p}
        spec: {containers: [{name: a, resources: {limits: {cpu: "2", memory: 1Gi}, requests: {cpu: "1"}}}]}
        """);
    assertEquals(1000, p.requests().milliCpu);
    assertEquals(1L << 30, p.requests().memory);
  }

  @Test
  void scoringCountsContainersWithoutRequestsAtTheDefaults() {
    PodInfo p = podInfo("""
        metadata: {name: p}
        spec: {containers: [{name: a}, {name: b, resources: {requests: {cpu: 300m}}}]}
        """);
    assertEquals(300, p.requests().milliCpu);
    assertEquals(0, p.requests().memory);
    assertEquals(400, p.nonZeroRequests().milliCpu);
    assertEquals(2 * PodRequests.DEFAULT_MEMORY_REQUEST, p.nonZeroRequests().memory);
  }

  @Test
  void aMalformedQuantityNamesPodAndResource() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> podInfo("""
        metadata: {name: bad}
        spec: {containers: [{name: a, resources: {requests: {cpu: lots}}}]}
        """));
    assertTrue(e.getMessage().contains("default/bad") && e.getMessage().contains("resource cpu"), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({"example.com/gpu,true", "nvidia.com/gpu,true", "hugepages-2Mi,true", "kubernetes.io/foo,false",
      "cpu,false", "memory,false", "storage.kubernetes.io/x,false", "attachable-volumes-aws-ebs,true"})
  void scalarResourceNames(String name, boolean scalar) {
    assertEquals(scalar, Resources.isScalar(name));
  }

  @Test
  void cpuRoundsUpToMillicores() {
    assertEquals(2, Resources.of(java.util.Map.of("cpu", "1.5m")).milliCpu);
    assertFalse(Resources.of(java.util.Map.of("storage", "1Gi")).scalar.containsKey("storage"));
  }
}
