package io.capstan.scheduler.plugins;

import static io.capstan.scheduler.TestObjects.node;
import static io.capstan.scheduler.TestObjects.nodeInfo;
import static io.capstan.scheduler.TestObjects.podInfo;
import static io.capstan.scheduler.TestObjects.requesting;
import static io.capstan.scheduler.TestObjects.with;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.Status;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Resource fit and the allocation scores (cases after noderesources' fit and allocation tests). */
class NodeResourcesFitTest {
  private final NodeResourcesFit fit = new NodeResourcesFit();

  /** A node with 10 cpu, 20 bytes of memory, 32 pods, 5 gpus and 20 bytes of ephemeral storage. */
  private static NodeInfo node10x20() {
    return new NodeInfo(node("""
        metadata: {name: n}
        status: {allocatable: {cpu: "10", memory: "20", pods: "32", example.com/gpu: "5", ephemeral-storage: "20"}}
        """));
  }

  private static PodInfo pod(String requests) {
    return podInfo("metadata: {name: p}\nspec: {containers: [{name: c, resources: {requests: " + requests + "}}]}");
  }

  private Status filter(PodInfo p, NodeInfo n) {
    return fit.filter(new CycleState(), p, n);
  }

  @Test
  void fitsAndShortages() {
    NodeInfo used = with(node10x20(), pod("{cpu: \"5\", memory: \"5\"}"));
    assertEquals(Status.SUCCESS, filter(pod("{cpu: \"5\", memory: \"15\"}"), used));
    assertEquals(List.of("Insufficient cpu"), filter(pod("{cpu: \"6\", memory: \"1\"}"), used).reasons());
    assertEquals(List.of("Insufficient memory"), filter(pod("{cpu: \"1\", memory: \"16\"}"), used).reasons());
    assertEquals(List.of("Insufficient cpu", "Insufficient memory"), filter(pod("{cpu: \"6\", memory: \"16\"}"), used).reasons());
    assertEquals(List.of("Insufficient ephemeral-storage"), filter(pod("{ephemeral-storage: \"21\"}"), used).reasons());
  }

  @Test
  void extendedResources() {
    NodeInfo n = with(node10x20(), pod("{example.com/gpu: \"3\"}"));
    assertEquals(Status.SUCCESS, filter(pod("{example.com/gpu: \"2\"}"), n));
    assertEquals(List.of("Insufficient example.com/gpu"), filter(pod("{example.com/gpu: \"3\"}"), n).reasons());
    assertEquals(List.of("Insufficient other.io/fpga"), filter(pod("{other.io/fpga: \"1\"}"), n).reasons());
  }

  @Test
  void theInitContainerPeakCounts() {
    PodInfo p = podInfo("""
        metadata: {name: p}
        spec:
          initContainers: [{name: i, resources: {requests: {cpu: "6"}}}]
          containers: [{name: c, resources: {requests: {cpu: "1"}}}]
        """);
    assertEquals(List.of("Insufficient cpu"), filter(p, with(node10x20(), pod("{cpu: \"5\"}"))).reasons());
    assertEquals(Status.SUCCESS, filter(p, with(node10x20(), pod("{cpu: \"4\"}"))));
  }

  @Test
  void podCountIsCheckedEvenForBestEffortPods() {
    NodeInfo n = new NodeInfo(node("metadata: {name: n}\nstatus: {allocatable: {cpu: \"10\", memory: 10Gi, pods: \"1\"}}"));
    PodInfo empty = podInfo("metadata: {name: p}\nspec: {containers: [{name: c}]}");
    assertEquals(Status.SUCCESS, filter(empty, n));
    NodeInfo full = with(n, requesting("q", null, null));
    Status s = filter(empty, full);
    assertEquals(List.of("Too many pods"), s.reasons());
    assertEquals(List.of("Too many pods", "Insufficient cpu"), filter(pod("{cpu: \"11\"}"), full).reasons());
  }

  @Test
  void moreThanTheNodeHasAtAllIsUnresolvable() {
    assertEquals(Status.Code.UNSCHEDULABLE_AND_UNRESOLVABLE, filter(pod("{cpu: \"11\"}"), node10x20()).code());
    assertEquals(Status.Code.UNSCHEDULABLE, filter(pod("{cpu: \"6\"}"), with(node10x20(), pod("{cpu: \"5\"}"))).code());
  }

  @Test
  void leastAllocatedPrefersTheEmptierNode() {
    // kube's TestLeastAllocatedScoringStrategy "nothing scheduled, resources requested, differently sized nodes":
    // node1 4000m / 10000 bytes, node2 6000m / 10000; pod 3000m / 5000.
    NodeInfo n1 = new NodeInfo(node("metadata: {name: n1}\nstatus: {allocatable: {cpu: 4000m, memory: \"10000\", pods: \"110\"}}"));
    NodeInfo n2 = new NodeInfo(node("metadata: {name: n2}\nstatus: {allocatable: {cpu: 6000m, memory: \"10000\", pods: \"110\"}}"));
    PodInfo p = podInfo("""
        metadata: {name: p}
        spec: {containers: [{name: a, resources: {requests: {cpu: 1000m, memory: "2000"}}}, {name: b, resources: {requests: {cpu: 2000m, memory: "3000"}}}]}
        """);
    // node1: cpu (4000-3000)*100/4000 = 25, memory (10000-5000)*100/10000 = 50 -> 37
    assertEquals(37, fit.score(new CycleState(), p, n1));
    // node2: cpu 50, memory 50 -> 50
    assertEquals(50, fit.score(new CycleState(), p, n2));
  }

  @Test
  void mostAllocatedPrefersTheFullerNode() {
    NodeResourcesFit most = new NodeResourcesFit(ScoringStrategy.MOST_ALLOCATED, ResourceWeight.DEFAULTS);
    NodeInfo n1 = new NodeInfo(node("metadata: {name: n1}\nstatus: {allocatable: {cpu: 4000m, memory: \"10000\", pods: \"110\"}}"));
    NodeInfo n2 = new NodeInfo(node("metadata: {name: n2}\nstatus: {allocatable: {cpu: 6000m, memory: \"10000\", pods: \"110\"}}"));
    PodInfo p = podInfo("""
        metadata: {name: p}
        spec: {containers: [{name: a, resources: {requests: {cpu: 3000m, memory: "5000"}}}]}
        """);
    // node1: cpu 75, memory 50 -> 62; node2: cpu 50, memory 50 -> 50
    assertEquals(62, most.score(new CycleState(), p, n1));
    assertEquals(50, most.score(new CycleState(), p, n2));
    // Over capacity counts as full, not as an error.
    PodInfo huge = requesting("h", "8", null);
    assertEquals(100, NodeResourcesFit.mostRequested(9000, 4000));
    assertEquals(0, NodeResourcesFit.leastRequested(9000, 4000));
    assertEquals(true, most.score(new CycleState(), huge, n1) <= 100);
  }

  @Test
  void scoringCountsBestEffortPodsAtTheDefaults() {
    NodeInfo n = nodeInfo("n", "1", "1000Mi");
    PodInfo be = requesting("be", null, null);
    // cpu: (1000 - 100) * 100 / 1000 = 90; memory: (1000Mi - 200Mi) / 1000Mi = 80 -> 85
    assertEquals(85, fit.score(new CycleState(), be, n));
  }

  @Test
  void weightedResources() {
    NodeResourcesFit cpuHeavy = new NodeResourcesFit(ScoringStrategy.LEAST_ALLOCATED,
        List.of(new ResourceWeight("cpu", 3), new ResourceWeight("memory", 1)));
    NodeInfo n = nodeInfo("n", "1", "1000Mi");
    PodInfo p = requesting("p", "500m", "0");
    // cpu 50 * 3 + memory 100 * 1 = 250 / 4 = 62
    assertEquals(62, cpuHeavy.score(new CycleState(), p, n));
  }

  @Test
  void balancedAllocationPrefersEvenUse() {
    NodeResourcesBalancedAllocation balanced = new NodeResourcesBalancedAllocation();
    NodeInfo n = nodeInfo("n", "4", "10000");
    // cpu 3000/4000 = 0.75, memory 5000/10000 = 0.5 -> std 0.125 -> 87
    PodInfo p = podInfo("metadata: {name: p}\nspec: {containers: [{name: a, resources: {requests: {cpu: 3000m, memory: \"5000\"}}}]}");
    assertEquals(87, balanced.score(new CycleState(), p, n));
    PodInfo even = podInfo("metadata: {name: p}\nspec: {containers: [{name: a, resources: {requests: {cpu: 2000m, memory: \"5000\"}}}]}");
    assertEquals(100, balanced.score(new CycleState(), even, n));
  }

  @Test
  void balancedAllocationOverThreeResources() {
    NodeResourcesBalancedAllocation balanced = new NodeResourcesBalancedAllocation(List.of(new ResourceWeight("cpu", 1),
        new ResourceWeight("memory", 1), new ResourceWeight("example.com/gpu", 1)));
    NodeInfo n = new NodeInfo(io.capstan.scheduler.TestObjects.node("""
        metadata: {name: n}
        status: {allocatable: {cpu: "4", memory: "10000", example.com/gpu: "4", pods: "110"}}
        """));
    // cpu 0.5, memory 0.5, gpu 0.25: mean 5/12, variance ((1/12)^2 * 2 + (2/12)^2) / 3 = 1/72, std 0.1179 -> 88
    PodInfo p = podInfo("metadata: {name: p}\nspec: {containers: [{name: a, resources: {requests: {cpu: 2000m, memory: \"5000\","
        + " example.com/gpu: \"1\"}}}]}");
    assertEquals(88, balanced.score(new CycleState(), p, n));
  }

  @Test
  void resolvedResourceNamesReadTheSameAmounts() {
    io.capstan.scheduler.framework.Resources r = io.capstan.scheduler.framework.Resources.of(Map.of("cpu", "1500m",
        "memory", "1Gi", "ephemeral-storage", "2Gi", "pods", "110", "example.com/gpu", "2"));
    for (String name : List.of("cpu", "memory", "ephemeral-storage", "pods", "example.com/gpu", "example.com/fpga")) {
      assertEquals(r.get(name), r.get(io.capstan.scheduler.framework.Resources.Field.of(name), name), name);
    }
  }
}
