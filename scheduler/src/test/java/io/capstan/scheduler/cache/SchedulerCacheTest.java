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
  void snapshotsCopyOnlyChangedNodesAndStayStable() {
    cache.addNode(node("a", "4", "8Gi", 110, Map.of()));
    cache.addNode(node("b", "4", "8Gi", 110, Map.of()));
    ClusterSnapshot s1 = cache.snapshot();
    cache.assume(requesting("p", "1", null), "a");
    ClusterSnapshot s2 = cache.snapshot();
    assertEquals(0, s1.get("a").requested().milliCpu, "an older snapshot does not change");
    assertEquals(1000, s2.get("a").requested().milliCpu);
    assertNotSame(s1.get("a"), s2.get("a"));
    assertSame(s1.get("b"), s2.get("b"), "an unchanged node is shared");
    assertEquals(s2.get("a"), s2.nodes().get(0));
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
}
