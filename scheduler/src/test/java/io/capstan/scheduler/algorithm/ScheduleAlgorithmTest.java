package io.capstan.scheduler.algorithm;

import static io.capstan.scheduler.TestObjects.node;
import static io.capstan.scheduler.TestObjects.podInfo;
import static io.capstan.scheduler.TestObjects.requesting;
import static io.capstan.scheduler.TestObjects.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.capstan.scheduler.config.PluginRegistry;
import io.capstan.scheduler.config.SchedulerConfig;
import io.capstan.scheduler.framework.ClusterSnapshot;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The whole attempt with the default profile: the failure message, sampling and choice. */
class ScheduleAlgorithmTest {

  private static ScheduleAlgorithm algorithm(int percentage) {
    return new ScheduleAlgorithm(PluginRegistry.profile(SchedulerConfig.defaults()), percentage, new Random(1));
  }

  private static NodeInfo plain(String name, String cpu) {
    return new NodeInfo(node(name, cpu, "8Gi", 110, Map.of("kubernetes.io/hostname", name)));
  }

  @ParameterizedTest(name = "{0}% of {1} nodes -> {2}")
  @CsvSource({
      "0, 10, 10", "0, 99, 99", "0, 100, 100", "0, 1000, 420", "0, 5000, 500", "0, 6000, 300",
      "0, 100000, 5000", "10, 1000, 100", "10, 5000, 500", "1, 5000, 100", "100, 5000, 5000", "50, 150, 100",
  })
  void numFeasibleNodesToFindAsKubernetes(int percentage, int nodes, int expected) {
    assertEquals(expected, ScheduleAlgorithm.numFeasibleNodesToFind(percentage, nodes));
  }

  @Test
  void theFailureMessageCountsReasonsAsKubernetesDoes() {
    NodeInfo t1 = new NodeInfo(node("""
        metadata: {name: t1}
        spec: {taints: [{key: dedicated, value: gpu, effect: NoSchedule}]}
        status: {allocatable: {cpu: "8", memory: 8Gi, pods: "110"}}
        """));
    NodeInfo t2 = new NodeInfo(node("""
        metadata: {name: t2}
        spec: {taints: [{key: dedicated, value: gpu, effect: NoSchedule}]}
        status: {allocatable: {cpu: "8", memory: 8Gi, pods: "110"}}
        """));
    ClusterSnapshot s = ClusterSnapshot.of(List.of(plain("a", "1"), plain("b", "1"), t1, plain("c", "1"), t2));
    FitError e = assertThrows(FitError.class, () -> algorithm(0).schedule(requesting("p", "2", null), s));
    // Sorted as strings, as sortReasonsHistogram sorts "count reason".
    assertEquals("0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu.", e.getMessage());
    assertEquals(Set.of("TaintToleration", "NodeResourcesFit"), e.diagnosis().unschedulablePlugins());
  }

  @Test
  void aNodeShortOfSeveralResourcesCountsEach() {
    ClusterSnapshot s = ClusterSnapshot.of(List.of(plain("a", "1"), plain("b", "4")));
    FitError e = assertThrows(FitError.class, () -> algorithm(0).schedule(requesting("p", "2", "9Gi"), s));
    assertEquals("0/2 nodes are available: 1 Insufficient cpu, 2 Insufficient memory.", e.getMessage());
  }

  @Test
  void noNodesAtAll() {
    FitError e = assertThrows(FitError.class, () -> algorithm(0).schedule(requesting("p", "1", null), ClusterSnapshot.of(List.of())));
    assertEquals("no nodes available to schedule pods", e.getMessage());
  }

  @Test
  void selectorsMatchingNothing() {
    ClusterSnapshot s = ClusterSnapshot.of(List.of(plain("a", "1"), plain("b", "1"), plain("c", "1")));
    PodInfo p = podInfo("metadata: {name: p}\nspec: {nodeSelector: {disk: nvme}, containers: [{name: c}]}");
    FitError e = assertThrows(FitError.class, () -> algorithm(0).schedule(p, s));
    assertEquals("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.", e.getMessage());
  }

  @Test
  void leastAllocatedPicksTheEmptierNode() throws FitError {
    NodeInfo busy = with(plain("busy", "4"), requesting("x", "3", "1Gi"));
    ClusterSnapshot s = ClusterSnapshot.of(List.of(busy, plain("idle", "4")));
    assertEquals("idle", algorithm(0).schedule(requesting("p", "500m", "100Mi"), s).node());
  }

  @Test
  void mostAllocatedPacks() throws FitError {
    SchedulerConfig c = SchedulerConfig.defaults();
    c = new SchedulerConfig(c.schedulerName(), 0, c.podInitialBackoff(), c.podMaxBackoff(), c.podMaxInUnschedulable(),
        Set.of("NodeResourcesBalancedAllocation"), c.scoreWeights(), io.capstan.scheduler.plugins.ScoringStrategy.MOST_ALLOCATED,
        c.scoringResources(), c.balancedResources(), 1);
    ScheduleAlgorithm most = new ScheduleAlgorithm(PluginRegistry.profile(c), 0, new Random(1));
    NodeInfo busy = with(plain("busy", "4"), requesting("x", "3", "1Gi"));
    ClusterSnapshot s = ClusterSnapshot.of(List.of(plain("idle", "4"), busy));
    assertEquals("busy", most.schedule(requesting("p", "500m", "100Mi"), s).node());
  }

  @Test
  void largeClustersAreSampledFromARotatingStart() throws FitError {
    List<NodeInfo> nodes = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      nodes.add(plain("n" + i, "4"));
    }
    ClusterSnapshot s = ClusterSnapshot.of(nodes);
    ScheduleAlgorithm a = algorithm(0);
    ScheduleResult first = a.schedule(requesting("p", "1", null), s);
    assertEquals(420, first.evaluatedNodes());
    assertEquals(420, first.feasibleNodes());
    Set<String> chosen = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      chosen.add(a.schedule(requesting("p" + i, "1", null), s).node());
    }
    // Consecutive attempts look at different windows, so they do not all land on one node.
    assertEquals(5, chosen.size());
  }

  @Test
  void aPodNamingItsNodeIsFilteredOnThatNodeOnly() throws FitError {
    List<NodeInfo> nodes = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      nodes.add(plain("n" + i, "4"));
    }
    ClusterSnapshot s = ClusterSnapshot.of(nodes);
    // as a DaemonSet's pod: one required term selecting node n733 by name
    PodInfo daemon = podInfo("""
        metadata: {name: d}
        spec:
          affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [
            {matchFields: [{key: metadata.name, operator: In, values: [n733]}]}]}}}
          containers: [{name: c}]
        """);
    ScheduleResult r = algorithm(0).schedule(daemon, s);
    assertEquals("n733", r.node());
    assertEquals(1, r.evaluatedNodes(), "PreFilterResult: only the named node is filtered");
    // a named node that does not fit: the full search explains why, over every node
    PodInfo big = podInfo("""
        metadata: {name: big}
        spec:
          affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [
            {matchFields: [{key: metadata.name, operator: In, values: [n5]}]}]}}}
          containers: [{name: c, resources: {requests: {cpu: "8"}}}]
        """);
    FitError e = assertThrows(FitError.class, () -> algorithm(0).schedule(big, s));
    assertEquals("0/1000 nodes are available: 1 Insufficient cpu, 999 node(s) didn't match Pod's node"
        + " affinity/selector.", e.getMessage());
  }

  @Test
  void aPercentageOutsideZeroToHundredIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> algorithm(101));
    assertEquals("percentageOfNodesToScore must be between 0 and 100, got 101", e.getMessage());
  }
}
