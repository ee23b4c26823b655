package io.capstan.scheduler.cache;

import static io.capstan.scheduler.TestObjects.node;
import static io.capstan.scheduler.TestObjects.requesting;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.scheduler.framework.ClusterSnapshot;
import io.capstan.scheduler.framework.NodeInfo;
import java.util.List;
import io.capstan.scheduler.framework.PodInfo;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SchedulerCacheTest {
  private final SchedulerCache cache = new SchedulerCache();

  @Test
  void anAssumedPodCountsAtOnceAndAFailedBindForgetsIt() {
    cache.addNode(node("n1", "4", "8Gi", 110, Map.of()));
    PodInfo p = requesting("p", "3", "1Gi");
    cache.assume(p, "n1");
    assertTrue(cache.isAssumed("default/p"));
    assertEquals(3000, cache.snapshot().get("n1").requested().milliCpu);
    assertTrue(cache.forget("default/p"));
    assertEquals(0, cache.snapshot().get("n1").requested().milliCpu);
    assertFalse(cache.forget("default/p"));
  }

  @Test
  void theInformersAddConfirmsTheAssumptionWithoutCountingTwice() {
    cache.addNode(node("n1", "4", "8Gi", 110, Map.of()));
    PodInfo p = requesting("p", "1", null);
    cache.assume(p, "n1");
    cache.addPod(p, "n1");
    assertFalse(cache.isAssumed("default/p"));
    assertEquals(1000, cache.snapshot().get("n1").requested().milliCpu);
    assertEquals(1, cache.snapshot().get("n1").pods().size());
    assertFalse(cache.forget("default/p"), "a confirmed pod is not forgotten");
    cache.removePod("default/p");
    assertEquals(0, cache.snapshot().get("n1").pods().size());
  }

  @Test
  void assumingTwiceIsABug() {
    cache.addNode(node("n1", "4", "8Gi", 110, Map.of()));
    PodInfo p = requesting("p", "1", null);
    cache.assume(p, "n1");
    assertThrows(IllegalStateException.class, () -> cache.assume(p, "n1"));
  }

  @Test
  void podsOnANodeNotYetSeenCountOnceItArrives() {
    cache.addPod(requesting("early", "2", null), "late-node");
    assertEquals(0, cache.snapshot().nodes().size());
    cache.addNode(node("late-node", "4", "8Gi", 110, Map.of()));
    assertEquals(2000, cache.snapshot().get("late-node").requested().milliCpu);
    cache.removeNode("late-node");
    assertEquals(0, cache.snapshot().nodes().size());
  }

  @Test
  void snapshotsCopyOnlyChangedNodesAndAreStableUntilTheNextCall() {
    cache.addNode(node("a", "4", "8Gi", 110, Map.of()));
    cache.addNode(node("b", "4", "8Gi", 110, Map.of()));
    ClusterSnapshot s1 = cache.snapshot();
    NodeInfo a1 = s1.get("a");
    NodeInfo b1 = s1.get("b");
    cache.assume(requesting("p", "1", null), "a");
    assertEquals(0, s1.get("a").requested().milliCpu, "the cache's changes reach the snapshot only at the next call");
    ClusterSnapshot s2 = cache.snapshot();
    assertEquals(1000, s2.get("a").requested().milliCpu);
    assertEquals(0, a1.requested().milliCpu, "a node copy handed out never changes");
    assertNotSame(a1, s2.get("a"));
    assertSame(b1, s2.get("b"), "an unchanged node is not copied");
    assertSame(s2.get("a"), s2.nodes().get(0));
    cache.addNode(node("c", "4", "8Gi", 110, Map.of()));
    assertEquals(3, cache.snapshot().nodes().size());
  }

  @Test
  void affinityListsFollowThePods() {
    cache.addNode(node("a", "4", "8Gi", 110, Map.of("zone", "z")));
    cache.addNode(node("b", "4", "8Gi", 110, Map.of("zone", "z")));
    assertEquals(0, cache.snapshot().nodesWithRequiredAntiAffinityPods().size());
    cache.addPod(io.capstan.scheduler.TestObjects.podInfo("""
        metadata: {name: anti, labels: {app: x}}
        spec:
          containers: [{name: c}]
          affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: x}}, topologyKey: zone}]}}
        """), "b");
    assertEquals(List.of("b"), cache.snapshot().nodesWithRequiredAntiAffinityPods().stream().map(NodeInfo::name).toList());
    cache.removePod("default/anti");
    assertEquals(0, cache.snapshot().nodesWithAffinityPods().size());
  }

  @Test
  void aNodeUpdateKeepsItsPods() {
    cache.addNode(node("a", "4", "8Gi", 110, Map.of()));
    cache.addPod(requesting("p", "1", null), "a");
    cache.updateNode(node("a", "8", "8Gi", 110, Map.of("new", "label")));
    ClusterSnapshot s = cache.snapshot();
    assertEquals(8000, s.get("a").allocatable().milliCpu);
    assertEquals(1, s.get("a").pods().size());
    assertEquals("label", s.get("a").labels().get("new"));
  }

  @Test
  void afterTheInitialBurstOfNodesASnapshotStillSeesEachSingleChange() {
    // More nodes than the changed-set keeps before it starts small again (the informer's initial list).
    for (int i = 0; i < 500; i++) {
      cache.addNode(node("n" + i, "4", "8Gi", 110, Map.of()));
    }
    ClusterSnapshot s1 = cache.snapshot();
    assertEquals(500, s1.nodes().size());
    NodeInfo untouched = s1.get("n7");
    for (int round = 0; round < 3; round++) {
      cache.assume(requesting("p" + round, "1", null), "n" + (100 + round));
      ClusterSnapshot s = cache.snapshot();
      assertEquals(1000, s.get("n" + (100 + round)).requested().milliCpu);
      assertSame(untouched, s.get("n7"), "only the changed node is copied");
    }
    cache.removeNode("n499");
    assertEquals(499, cache.snapshot().nodes().size());
    assertEquals(null, cache.snapshot().get("n499"));
  }

  @Test
  void labelValuesFollowNodeUpdates() {
    cache.addNode(node("a", "4", "8Gi", 110, Map.of("zone", "z1")));
    cache.addNode(node("b", "4", "8Gi", 110, Map.of("zone", "z2")));
    ClusterSnapshot s = cache.snapshot();
    assertEquals(List.of("a", "b"), s.nodes().stream().map(NodeInfo::name).toList());
    assertEquals(java.util.Arrays.asList("z1", "z2"), java.util.Arrays.asList(s.labelValues("zone")));
    assertEquals(java.util.Arrays.asList(null, null), java.util.Arrays.asList(s.labelValues("rack")));
    cache.updateNode(node("b", "4", "8Gi", 110, Map.of("zone", "z3", "rack", "r1")));
    cache.assume(requesting("p", "1", null), "a");
    s = cache.snapshot();
    assertEquals(java.util.Arrays.asList("z1", "z3"), java.util.Arrays.asList(s.labelValues("zone")));
    assertEquals(java.util.Arrays.asList(null, "r1"), java.util.Arrays.asList(s.labelValues("rack")));
    cache.addNode(node("c", "4", "8Gi", 110, Map.of("zone", "z1")));
    assertEquals(3, cache.snapshot().labelValues("zone").length);
  }
}
