package io.capstan.controllers.hpa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.capstan.api.Container;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodSpec;
import io.capstan.api.PodStatus;
import io.capstan.api.ResourceRequirements;
import io.capstan.controllers.hpa.ReplicaCalculator.MetricsException;
import io.capstan.controllers.hpa.ReplicaCalculator.PodMetric;
import io.capstan.controllers.hpa.ReplicaCalculator.Recommendation;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The replica calculator on the cases kube's replica_calculator_test.go covers, with our own numbers. */
class ReplicaCalculatorTest {
  static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
  /** Started and ready long ago: past the CPU initialization period. */
  static final Instant LONG_AGO = NOW.minus(Duration.ofHours(1));
  final ReplicaCalculator calc = ReplicaCalculator.standard();

  static Pod pod(String name, String phase, boolean ready, Instant started, Instant readySince, String... cpuRequests) {
    List<Container> containers = new ArrayList<>();
    for (int i = 0; i < cpuRequests.length; i++) {
      Map<String, String> requests = cpuRequests[i] == null ? Map.of("memory", "64Mi") : Map.of("cpu", cpuRequests[i]);
      containers.add(Container.newBuilder().setName("c" + i).setImage("busybox")
          .setResources(ResourceRequirements.newBuilder().setRequests(requests).build()).build());
    }
    return Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName(name).build())
        .setSpec(PodSpec.newBuilder().setContainers(containers).build())
        .setStatus(PodStatus.newBuilder().setPhase(phase).setStartTime(started.toString())
            .setConditions(List.of(PodCondition.newBuilder().setType("Ready").setStatus(ready ? "True" : "False")
                .setLastTransitionTime(readySince.toString()).build())).build()).build();
  }

  /** Running, started long ago and never ready since (its Ready condition turned False at start). */
  static Pod neverReady(String name, String cpuRequest) {
    return pod(name, "Running", false, LONG_AGO, LONG_AGO.plusSeconds(10), cpuRequest);
  }

  static Pod running(String name, String cpuRequest) {
    return pod(name, "Running", true, LONG_AGO, LONG_AGO, cpuRequest);
  }

  /** Pods p0.. each requesting cpuRequest, measured at the given millicores (null: no sample). */
  static List<Pod> pods(int n, String cpuRequest) {
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pods.add(running("p" + i, cpuRequest));
    }
    return pods;
  }

  static Map<String, PodMetric> usage(Long... millicores) {
    Map<String, PodMetric> m = new HashMap<>();
    for (int i = 0; i < millicores.length; i++) {
      if (millicores[i] != null) {
        m.put("p" + i, new PodMetric(millicores[i], NOW.minusSeconds(10), Duration.ofSeconds(15)));
      }
    }
    return m;
  }

  private Recommendation cpu(int current, int target, List<Pod> pods, Map<String, PodMetric> usage) throws Exception {
    return calc.resourceReplicas(current, target, "cpu", "", pods, usage, NOW);
  }

  @Test
  void scaleUpToBringTheAverageToTheTarget() throws Exception {
    // 1500m of 3000m requested is 50%; at a 30% target that is 5/3 of the pods
    Recommendation r = cpu(3, 30, pods(3, "1"), usage(300L, 500L, 700L));
    assertEquals(5, r.replicas());
    assertEquals(50, r.utilization());
    assertEquals(500, r.rawAverage());
  }

  @Test
  void scaleDownRoundsUp() throws Exception {
    // 1400m of 5000m is 28%; at 50%: 0.56 of 5 pods -> 3
    Recommendation r = cpu(5, 50, pods(5, "1"), usage(100L, 300L, 500L, 250L, 250L));
    assertEquals(3, r.replicas());
    assertEquals(28, r.utilization());
  }

  @Test
  void changesWithinTheToleranceAreNoChange() throws Exception {
    // 3060m of 3000m is 102% against 100%
    Recommendation r = cpu(3, 100, List.of(running("p0", "900m"), running("p1", "1"), running("p2", "1100m")),
        usage(1010L, 1030L, 1020L));
    assertEquals(3, r.replicas());
    assertEquals(102, r.utilization());
    // 109% is within, 112% is not: ceil(1.12 * 3) = 4
    assertEquals(3, cpu(3, 100, pods(3, "1"), usage(1090L, 1090L, 1090L)).replicas());
    assertEquals(4, cpu(3, 100, pods(3, "1"), usage(1120L, 1120L, 1120L)).replicas());
  }

  @Test
  void unreadyPodsCountAsIdleOnAScaleUp() throws Exception {
    List<Pod> pods = List.of(neverReady("p0", "1"), running("p1", "1"), running("p2", "1"));
    // the ready pods use 60% (ratio 2); with the unready one at 0%: 40% of 3 pods -> 4, not 6
    Recommendation r = cpu(3, 30, pods, usage(300L, 500L, 700L));
    assertEquals(4, r.replicas());
    assertEquals(60, r.utilization());
    // a pending pod is unready too
    List<Pod> pending = List.of(pod("p0", "Pending", false, LONG_AGO, LONG_AGO, "1"), running("p1", "1"),
        running("p2", "1"));
    assertEquals(4, cpu(3, 30, pending, usage(null, 500L, 700L)).replicas());
  }

  @Test
  void unreadyPodsAreLeftOutOfAScaleDown() throws Exception {
    List<Pod> pods = List.of(neverReady("p0", "1"), neverReady("p1", "1"), running("p2", "1"), running("p3", "1"),
        running("p4", "1"));
    // the three ready pods use 1000m of 3000m: 33% against 50% -> ceil(0.66 * 3) = 2
    Recommendation r = cpu(5, 50, pods, usage(100L, 300L, 500L, 250L, 250L));
    assertEquals(2, r.replicas());
    assertEquals(33, r.utilization());
  }

  @Test
  void cpuSamplesOfStartingPodsAreNotTrusted() throws Exception {
    // ready, but started a minute ago and the sample predates one window after becoming ready
    Instant started = NOW.minusSeconds(60);
    Pod hot = pod("p0", "Running", true, started, NOW.minusSeconds(5), "1");
    Recommendation r = cpu(3, 50, List.of(hot, running("p1", "1"), running("p2", "1")), usage(2000L, 600L, 600L));
    // p0's 2000m is set aside as unready; 60% of the ready pods is within tolerance of 50%? no: 1.2 -> scale up with
    // p0 at 0: 1200/3000 = 40% -> a direction change, so no change
    assertEquals(3, r.replicas());
    assertEquals(60, r.utilization());
    // the same pod past the initialization period counts: 3200m of 3000m is 106% of 50% -> ceil(2.12 * 3)
    assertEquals(7, cpu(3, 50, List.of(running("p0", "1"), running("p1", "1"), running("p2", "1")),
        usage(2000L, 600L, 600L)).replicas());
  }

  @Test
  void missingPodsCountAsFullOnAScaleDownAndIdleOnAScaleUp() throws Exception {
    // scale down: p3 has no sample and counts as using its request: (100+100+100+1000)/4000 = 32% of 50% -> 3
    assertEquals(3, cpu(4, 50, pods(4, "1"), usage(100L, 100L, 100L, null)).replicas());
    // with the missing pod at 100% the ratio crosses 1: no change
    assertEquals(2, cpu(2, 90, pods(2, "1"), usage(700L, null)).replicas());
    // scale up: p2 has no sample and counts as idle: 3000m of 3000m is 100% of 50% -> 6
    assertEquals(6, cpu(3, 50, pods(3, "1"), usage(1500L, 1500L, null)).replicas());
    // ...unless that puts the ratio within tolerance: 1600m of 3000m is 53% of 50%
    assertEquals(3, cpu(3, 50, pods(3, "1"), usage(800L, 800L, null)).replicas());
  }

  @Test
  void aPodThatWasReadyOnceCountsWhileNotReady() throws Exception {
    // not ready now, but it was ready after its start: kube keeps its sample (1500m of 3000m, 50% of 30% -> 5)
    List<Pod> pods = List.of(pod("p0", "Running", false, LONG_AGO, NOW.minusSeconds(100), "1"), running("p1", "1"),
        running("p2", "1"));
    assertEquals(5, cpu(3, 30, pods, usage(300L, 500L, 700L)).replicas());
  }

  @Test
  void deletedAndFailedPodsAreIgnored() throws Exception {
    Pod deleting = running("p0", "1");
    deleting.getMetadata().setDeletionTimestamp(NOW.toString());
    Pod failed = pod("p1", "Failed", false, LONG_AGO, LONG_AGO, "1");
    Recommendation r = cpu(3, 50, List.of(deleting, failed, running("p2", "1")), usage(5000L, 5000L, 500L));
    assertEquals(3, r.replicas(), "p2 alone is at its target");
    assertEquals(50, r.utilization());
  }

  @Test
  void aPodWithoutARequestIsAnErrorInKubesWords() {
    List<Pod> pods = List.of(running("p0", "1"), pod("p1", "Running", true, LONG_AGO, LONG_AGO, "500m", null));
    MetricsException e = assertThrows(MetricsException.class, () -> cpu(2, 50, pods, usage(100L, 100L)));
    assertEquals("missing request for cpu in container c1 of Pod p1", e.getMessage());
  }

  @Test
  void noPodsOrNoUsableSamplesAreErrors() {
    assertEquals("no pods returned by selector while calculating replica count",
        assertThrows(MetricsException.class, () -> cpu(1, 50, List.of(), usage())).getMessage());
    List<Pod> unready = List.of(neverReady("p0", "1"));
    assertEquals("did not receive metrics for targeted pods (pods might be unready)",
        assertThrows(MetricsException.class, () -> cpu(1, 50, unready, usage(100L))).getMessage());
  }

  @Test
  void sidecarRequestsCountAndAContainerTargetCountsOnlyItsOwn() throws Exception {
    Pod p = running("p0", "500m");
    p.getSpec().setInitContainers(List.of(Container.newBuilder().setName("sidecar").setImage("busybox")
        .setRestartPolicy("Always").setResources(ResourceRequirements.newBuilder()
            .setRequests(Map.of("cpu", "500m")).build()).build()));
    assertEquals(Map.of("p0", 1000L), ReplicaCalculator.requests(List.of(p), "", "cpu"));
    assertEquals(Map.of("p0", 500L), ReplicaCalculator.requests(List.of(p), "sidecar", "cpu"));
  }

  @Test
  void averageValueTargets() throws Exception {
    // memory in milli-bytes: 300Mi average against a 100Mi target -> 3 pods become 9
    long mi = 1024L * 1024 * 1000;
    Map<String, PodMetric> m = Map.of("p0", new PodMetric(200 * mi, NOW, Duration.ofSeconds(15)),
        "p1", new PodMetric(400 * mi, NOW, Duration.ofSeconds(15)), "p2", new PodMetric(300 * mi, NOW,
            Duration.ofSeconds(15)));
    Recommendation r = calc.rawResourceReplicas(3, 100 * mi, "memory", pods(3, "1"), m, NOW);
    assertEquals(9, r.replicas());
    assertEquals(300 * mi, r.rawAverage());
    assertEquals(3, calc.rawResourceReplicas(3, 290 * mi, "memory", pods(3, "1"), m, NOW).replicas(),
        "within tolerance");
    // a pod without a sample on a scale-down counts at the target: (50+50+100)/3 of 100 -> 2
    Map<String, PodMetric> low = Map.of("p0", new PodMetric(50 * mi, NOW, Duration.ofSeconds(15)),
        "p1", new PodMetric(50 * mi, NOW, Duration.ofSeconds(15)));
    assertEquals(2, calc.rawResourceReplicas(3, 100 * mi, "memory", pods(3, "1"), low, NOW).replicas());
  }
}
