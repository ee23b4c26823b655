package io.capstan.scheduler.plugins;

import static io.capstan.scheduler.TestObjects.node;
import static io.capstan.scheduler.TestObjects.podInfo;
import static io.capstan.scheduler.TestObjects.snapshot;
import static io.capstan.scheduler.TestObjects.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.scheduler.framework.ClusterSnapshot;
import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Topology spread (cases after podtopologyspread's filtering and scoring tests). */
class PodTopologySpreadTest {
  private final PodTopologySpread plugin = new PodTopologySpread();

  private static NodeInfo zoneNode(String name, String zone) {
    return new NodeInfo(node(name, "10", "10Gi", 110, Map.of("zone", zone, "kubernetes.io/hostname", name)));
  }

  private static PodInfo labelled(String name, String app) {
    return podInfo("metadata: {name: " + name + ", labels: {app: " + app + "}}\nspec: {containers: [{name: c}]}");
  }

  private static PodInfo spreading(String whenUnsatisfiable, String key, int maxSkew, String extra) {
    return podInfo("""
        metadata: {name: incoming, labels: {app: foo}}
        spec:
          containers: [{name: c}]
          topologySpreadConstraints:
          - {maxSkew: %d, topologyKey: %s, whenUnsatisfiable: %s, labelSelector: {matchLabels: {app: foo}}%s}
        """.formatted(maxSkew, key, whenUnsatisfiable, extra));
  }

  /** zone a: n1 (2 foo pods), n2 (1); zone b: n3 (0), n4 (0). */
  private static ClusterSnapshot cluster() {
    return snapshot(
        with(zoneNode("n1", "a"), labelled("p1", "foo"), labelled("p2", "foo"), labelled("x", "bar")),
        with(zoneNode("n2", "a"), labelled("p3", "foo")),
        zoneNode("n3", "b"),
        zoneNode("n4", "b"));
  }

  private List<Boolean> filterAll(PodInfo pod, ClusterSnapshot s) {
    CycleState state = new CycleState();
    Status pre = plugin.preFilter(state, pod, s);
    assertTrue(pre.isSuccess(), pre.toString());
    List<Boolean> out = new ArrayList<>();
    for (NodeInfo n : s.nodes()) {
      out.add(plugin.filter(state, pod, n).isSuccess());
    }
    return out;
  }

  @Test
  void zoneSkewOfOneSendsThePodToTheEmptyZone() {
    // zone a has 3, zone b has 0: placing in a gives skew 4 - 0; in b gives 1 - 0.
    assertEquals(List.of(false, false, true, true), filterAll(spreading("DoNotSchedule", "zone", 1, ""), cluster()));
  }

  @Test
  void aLargerMaxSkewAllowsMore() {
    assertEquals(List.of(true, true, true, true), filterAll(spreading("DoNotSchedule", "zone", 4, ""), cluster()));
  }

  @Test
  void hostnameSpreading() {
    // per node: 2, 1, 0, 0 -> min 0; maxSkew 1 allows only nodes with 0.
    assertEquals(List.of(false, false, true, true), filterAll(spreading("DoNotSchedule", "kubernetes.io/hostname", 1, ""), cluster()));
    assertEquals(List.of(false, true, true, true), filterAll(spreading("DoNotSchedule", "kubernetes.io/hostname", 2, ""), cluster()));
  }

  @Test
  void nodesWithoutTheTopologyKeyAreUnresolvable() {
    ClusterSnapshot s = snapshot(zoneNode("n1", "a"), new NodeInfo(node("n9", "1", "1Gi", 110, Map.of())));
    PodInfo pod = spreading("DoNotSchedule", "zone", 1, "");
    CycleState state = new CycleState();
    plugin.preFilter(state, pod, s);
    Status st = plugin.filter(state, pod, s.nodes().get(1));
    assertEquals(Status.Code.UNSCHEDULABLE_AND_UNRESOLVABLE, st.code());
    assertEquals(List.of(PodTopologySpread.REASON_MISSING_LABEL), st.reasons());
    Status skewed = plugin.filter(state, pod, s.nodes().get(0));
    assertTrue(skewed.isSuccess());
  }

  @Test
  void minDomainsTreatsMissingDomainsAsEmpty() {
    // Only zone a exists with 1 pod; with minDomains 2 the global minimum is 0, so skew = 1 + 1 - 0 = 2 > 1.
    ClusterSnapshot s = snapshot(with(zoneNode("n1", "a"), labelled("p1", "foo")));
    assertEquals(List.of(false), filterAll(spreading("DoNotSchedule", "zone", 1, ", minDomains: 2"), s));
    assertEquals(List.of(true), filterAll(spreading("DoNotSchedule", "zone", 1, ""), s));
  }

  @Test
  void nodeAffinityPolicyHonorLeavesOutNodesThePodCannotUse() {
    // zone b nodes don't match the pod's selector: they are not domains, so the min is zone a's.
    PodInfo pod = podInfo("""
        metadata: {name: incoming, labels: {app: foo}}
        spec:
          containers: [{name: c}]
          nodeSelector: {zone: a}
          topologySpreadConstraints:
          - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: foo}}}
        """);
    // hosts in zone a: n1 = 2, n2 = 1 -> min 1; n2: 1 + 1 - 1 = 1 ok; n1: 2 + 1 - 1 = 2 > 1
    List<Boolean> fits = filterAll(pod, cluster());
    assertEquals(false, fits.get(0));
    assertEquals(true, fits.get(1));
  }

  @Test
  void podsInOtherNamespacesOrBeingDeletedDoNotCount() {
    PodInfo other = podInfo("metadata: {name: o, namespace: other, labels: {app: foo}}\nspec: {containers: [{name: c}]}");
    PodInfo deleting = podInfo("metadata: {name: d, deletionTimestamp: \"2026-01-01T00:00:00Z\", labels: {app: foo}}\nspec: {containers: [{name: c}]}");
    ClusterSnapshot s = snapshot(with(zoneNode("n1", "a"), other, deleting), zoneNode("n2", "b"));
    assertEquals(List.of(true, true), filterAll(spreading("DoNotSchedule", "zone", 1, ""), s));
  }

  @Test
  void scheduleAnywayScoresEmptierDomainsHigher() {
    PodInfo pod = spreading("ScheduleAnyway", "zone", 1, "");
    ClusterSnapshot s = cluster();
    CycleState state = new CycleState();
    assertTrue(plugin.preScore(state, pod, s.nodes(), s).isSuccess());
    NodeInfo[] nodes = s.nodes().toArray(NodeInfo[]::new);
    long[] scores = new long[nodes.length];
    for (int i = 0; i < nodes.length; i++) {
      scores[i] = plugin.score(state, pod, nodes[i]);
    }
    // 2 domains: weight log(4); zone a count 3 -> round(3 * 1.386) = 4; zone b 0 -> 0
    assertEquals(4, scores[0]);
    assertEquals(0, scores[2]);
    plugin.normalize(state, pod, nodes, scores);
    // 100 * (max + min - s) / max: a -> 0, b -> 100
    assertEquals(List.of(0L, 0L, 100L, 100L), List.of(scores[0], scores[1], scores[2], scores[3]));
  }

  @Test
  void withoutConstraintsThePluginSkips() {
    PodInfo plain = labelled("p", "foo");
    assertEquals(Status.SKIP, plugin.preFilter(new CycleState(), plain, cluster()));
    assertEquals(Status.SKIP, plugin.preScore(new CycleState(), plain, cluster().nodes(), cluster()));
  }
}
