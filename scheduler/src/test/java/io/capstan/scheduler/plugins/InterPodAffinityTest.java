package io.capstan.scheduler.plugins;

import static io.capstan.scheduler.TestObjects.node;
import static io.capstan.scheduler.TestObjects.podInfo;
import static io.capstan.scheduler.TestObjects.snapshot;
import static io.capstan.scheduler.TestObjects.with;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.scheduler.framework.ClusterSnapshot;
import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Inter-pod affinity and anti-affinity (cases after interpodaffinity's filtering and scoring tests). */
class InterPodAffinityTest {
  private final InterPodAffinity plugin = new InterPodAffinity();

  private static NodeInfo zoneNode(String name, String zone) {
    return new NodeInfo(node(name, "10", "10Gi", 110, Map.of("zone", zone, "kubernetes.io/hostname", name)));
  }

  private static PodInfo app(String name, String app) {
    return podInfo("metadata: {name: " + name + ", labels: {app: " + app + "}}\nspec: {containers: [{name: c}]}");
  }

  private static PodInfo withAffinity(String name, String app, String kind, String required) {
    return podInfo("""
        metadata: {name: %s, labels: {app: %s}}
        spec:
          containers: [{name: c}]
          affinity:
            %s:
              requiredDuringSchedulingIgnoredDuringExecution: %s
        """.formatted(name, app, kind, required));
  }

  private List<String> filterAll(PodInfo pod, ClusterSnapshot s) {
    CycleState state = new CycleState();
    Status pre = plugin.preFilter(state, pod, s);
    List<String> out = new ArrayList<>();
    for (NodeInfo n : s.nodes()) {
      Status st = pre.isSkip() ? Status.SUCCESS : plugin.filter(state, pod, n);
      out.add(st.isSuccess() ? "ok" : st.reasons().get(0));
    }
    return out;
  }

  @Test
  void affinityNeedsAMatchingPodInTheSameZone() {
    ClusterSnapshot s = snapshot(with(zoneNode("n1", "a"), app("db", "db")), zoneNode("n2", "a"), zoneNode("n3", "b"));
    PodInfo web = withAffinity("web", "web", "podAffinity", "[{labelSelector: {matchLabels: {app: db}}, topologyKey: zone}]");
    assertEquals(List.of("ok", "ok", InterPodAffinity.REASON_AFFINITY), filterAll(web, s));
  }

  @Test
  void theFirstPodOfASelfAffineGroupMayGoAnywhere() {
    ClusterSnapshot s = snapshot(zoneNode("n1", "a"), zoneNode("n2", "b"));
    PodInfo first = withAffinity("w1", "web", "podAffinity", "[{labelSelector: {matchLabels: {app: web}}, topologyKey: zone}]");
    assertEquals(List.of("ok", "ok"), filterAll(first, s));
    PodInfo other = withAffinity("w1", "web", "podAffinity", "[{labelSelector: {matchLabels: {app: db}}, topologyKey: zone}]");
    assertEquals(List.of(InterPodAffinity.REASON_AFFINITY, InterPodAffinity.REASON_AFFINITY), filterAll(other, s));
  }

  @Test
  void antiAffinityKeepsThePodAwayFromMatchingPods() {
    ClusterSnapshot s = snapshot(with(zoneNode("n1", "a"), app("w0", "web")), zoneNode("n2", "a"), zoneNode("n3", "b"));
    PodInfo web = withAffinity("w1", "web", "podAntiAffinity", "[{labelSelector: {matchLabels: {app: web}}, topologyKey: zone}]");
    assertEquals(List.of(InterPodAffinity.REASON_ANTI, InterPodAffinity.REASON_ANTI, "ok"), filterAll(web, s));
    PodInfo perHost = withAffinity("w1", "web", "podAntiAffinity", "[{labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}]");
    assertEquals(List.of(InterPodAffinity.REASON_ANTI, "ok", "ok"), filterAll(perHost, s));
  }

  @Test
  void existingPodsAntiAffinityIsRespected() {
    PodInfo loner = withAffinity("loner", "loner", "podAntiAffinity", "[{labelSelector: {matchLabels: {app: web}}, topologyKey: zone}]");
    ClusterSnapshot s = snapshot(with(zoneNode("n1", "a"), loner), zoneNode("n2", "a"), zoneNode("n3", "b"));
    assertEquals(List.of(InterPodAffinity.REASON_EXISTING_ANTI, InterPodAffinity.REASON_EXISTING_ANTI, "ok"),
        filterAll(app("w", "web"), s));
    assertEquals(List.of("ok", "ok", "ok"), filterAll(app("d", "db"), s));
  }

  @Test
  void namespacesDefaultToThePodsOwn() {
    PodInfo otherNs = podInfo("metadata: {name: db, namespace: other, labels: {app: db}}\nspec: {containers: [{name: c}]}");
    ClusterSnapshot s = snapshot(with(zoneNode("n1", "a"), otherNs), zoneNode("n2", "b"));
    PodInfo web = withAffinity("web", "web", "podAntiAffinity", "[{labelSelector: {matchLabels: {app: db}}, topologyKey: zone}]");
    assertEquals(List.of("ok", "ok"), filterAll(web, s));
    PodInfo listed = withAffinity("web", "web", "podAntiAffinity",
        "[{labelSelector: {matchLabels: {app: db}}, topologyKey: zone, namespaces: [other]}]");
    assertEquals(List.of(InterPodAffinity.REASON_ANTI, "ok"), filterAll(listed, s));
    PodInfo all = withAffinity("web", "web", "podAntiAffinity",
        "[{labelSelector: {matchLabels: {app: db}}, topologyKey: zone, namespaceSelector: {}}]");
    assertEquals(List.of(InterPodAffinity.REASON_ANTI, "ok"), filterAll(all, s));
  }

  @Test
  void aNodeWithoutTheTopologyKeyFailsAffinityButNotAntiAffinity() {
    NodeInfo bare = new NodeInfo(node("bare", "1", "1Gi", 110, Map.of()));
    ClusterSnapshot s = snapshot(with(zoneNode("n1", "a"), app("db", "db")), bare);
    PodInfo aff = withAffinity("w", "web", "podAffinity", "[{labelSelector: {matchLabels: {app: db}}, topologyKey: zone}]");
    assertEquals(List.of("ok", InterPodAffinity.REASON_AFFINITY), filterAll(aff, s));
    PodInfo anti = withAffinity("w", "web", "podAntiAffinity", "[{labelSelector: {matchLabels: {app: db}}, topologyKey: zone}]");
    assertEquals(List.of(InterPodAffinity.REASON_ANTI, "ok"), filterAll(anti, s));
  }

  @Test
  void preferredAffinityScoresTheZoneWithMatches() {
    PodInfo pod = podInfo("""
        metadata: {name: w, labels: {app: web}}
        spec:
          containers: [{name: c}]
          affinity:
            podAffinity:
              preferredDuringSchedulingIgnoredDuringExecution:
              - {weight: 5, podAffinityTerm: {labelSelector: {matchLabels: {app: db}}, topologyKey: zone}}
            podAntiAffinity:
              preferredDuringSchedulingIgnoredDuringExecution:
              - {weight: 3, podAffinityTerm: {labelSelector: {matchLabels: {app: web}}, topologyKey: zone}}
        """);
    ClusterSnapshot s = snapshot(with(zoneNode("n1", "a"), app("db", "db")), with(zoneNode("n2", "b"), app("w0", "web")),
        zoneNode("n3", "c"));
    CycleState state = new CycleState();
    assertEquals(true, plugin.preScore(state, pod, s.nodes(), s).isSuccess());
    NodeInfo[] nodes = s.nodes().toArray(NodeInfo[]::new);
    long[] scores = new long[3];
    for (int i = 0; i < 3; i++) {
      scores[i] = plugin.score(state, pod, nodes[i]);
    }
    assertEquals(List.of(5L, -3L, 0L), List.of(scores[0], scores[1], scores[2]));
    plugin.normalize(state, pod, nodes, scores);
    // (s - min) * 100 / (max - min): 100, 0, 37
    assertEquals(List.of(100L, 0L, 37L), List.of(scores[0], scores[1], scores[2]));
  }

  @Test
  void existingPodsRequiredAffinityAttractsAtHardWeight() {
    PodInfo follower = withAffinity("f", "f", "podAffinity", "[{labelSelector: {matchLabels: {app: web}}, topologyKey: zone}]");
    ClusterSnapshot s = snapshot(with(zoneNode("n1", "a"), follower), zoneNode("n2", "b"));
    PodInfo web = app("w", "web");
    CycleState state = new CycleState();
    assertEquals(true, plugin.preScore(state, web, s.nodes(), s).isSuccess());
    assertEquals(1, plugin.score(state, web, s.nodes().get(0)));
    assertEquals(0, plugin.score(state, web, s.nodes().get(1)));
    assertEquals(Status.SKIP, new InterPodAffinity(0).preScore(new CycleState(), web, s.nodes(), s));
  }
}
