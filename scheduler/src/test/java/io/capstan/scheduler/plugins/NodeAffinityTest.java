package io.capstan.scheduler.plugins;

import static io.capstan.scheduler.TestObjects.node;
import static io.capstan.scheduler.TestObjects.podInfo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.Status;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** nodeSelector and required node affinity (cases after nodeaffinity's TestNodeAffinity). */
class NodeAffinityTest {
  private final NodeAffinity plugin = new NodeAffinity();

  private static NodeInfo labelled(String name, Map<String, String> labels) {
    return new NodeInfo(node(name, "4", "8Gi", 110, labels));
  }

  private static PodInfo withAffinity(String expressions) {
    return podInfo("""
        metadata: {name: p}
        spec:
          containers: [{name: c}]
          affinity:
            nodeAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                nodeSelectorTerms: %s
        """.formatted(expressions));
  }

  private Status filter(PodInfo p, NodeInfo n) {
    return plugin.filter(new CycleState(), p, n);
  }

  @Test
  void noSelectorFitsEverywhere() {
    assertEquals(Status.SUCCESS, filter(podInfo("metadata: {name: p}\nspec: {containers: [{name: c}]}"), labelled("n", Map.of())));
  }

  @Test
  void nodeSelectorNeedsEveryLabel() {
    PodInfo p = podInfo("metadata: {name: p}\nspec: {nodeSelector: {disk: ssd, zone: a}, containers: [{name: c}]}");
    assertEquals(Status.SUCCESS, filter(p, labelled("n", Map.of("disk", "ssd", "zone", "a", "x", "y"))));
    Status s = filter(p, labelled("n", Map.of("disk", "ssd")));
    assertEquals(Status.Code.UNSCHEDULABLE_AND_UNRESOLVABLE, s.code());
    assertEquals(java.util.List.of(NodeAffinity.REASON), s.reasons());
  }

  @ParameterizedTest(name = "{0} {1} {2} on {3}={4} -> {5}")
  @CsvSource({
      "zone, In, 'a|b', zone, a, true",
      "zone, In, 'a|b', zone, c, false",
      "zone, In, 'a', other, a, false",
      "zone, NotIn, 'a|b', zone, c, true",
      "zone, NotIn, 'a|b', zone, a, false",
      "zone, NotIn, 'a', other, x, true",
      "zone, Exists, '', zone, anything, true",
      "zone, Exists, '', other, x, false",
      "zone, DoesNotExist, '', other, x, true",
      "zone, DoesNotExist, '', zone, x, false",
      "gpus, Gt, '2', gpus, 3, true",
      "gpus, Gt, '2', gpus, 2, false",
      "gpus, Gt, '2', gpus, abc, false",
      "gpus, Gt, '2', other, 5, false",
      "gpus, Lt, '2', gpus, 1, true",
      "gpus, Lt, '2', gpus, 2, false",
      "gpus, Lt, 'x', gpus, 1, false",
      "gpus, Gt, '1|2', gpus, 5, false",
      "zone, Bogus, 'a', zone, a, false",
  })
  void operators(String key, String op, String values, String labelKey, String labelValue, boolean fits) {
    String v = values.isEmpty() ? "" : ", values: [" + "\"" + String.join("\", \"", values.split("\\|")) + "\"" + "]";
    PodInfo p = withAffinity("[{matchExpressions: [{key: " + key + ", operator: " + op + v + "}]}]");
    assertEquals(fits, filter(p, labelled("n", Map.of(labelKey, labelValue))).isSuccess());
  }

  @Test
  void termsAreOredAndExpressionsAnded() {
    PodInfo p = withAffinity("""
        [{matchExpressions: [{key: a, operator: In, values: ["1"]}, {key: b, operator: In, values: ["2"]}]},
         {matchExpressions: [{key: c, operator: Exists}]}]""");
    assertEquals(true, filter(p, labelled("n", Map.of("a", "1", "b", "2"))).isSuccess());
    assertEquals(false, filter(p, labelled("n", Map.of("a", "1"))).isSuccess());
    assertEquals(true, filter(p, labelled("n", Map.of("c", "x"))).isSuccess());
  }

  @Test
  void anEmptyTermOrNoTermsMatchNothing() {
    assertEquals(false, filter(withAffinity("[{}]"), labelled("n", Map.of("a", "b"))).isSuccess());
    assertEquals(false, filter(withAffinity("[]"), labelled("n", Map.of("a", "b"))).isSuccess());
  }

  @Test
  void matchFieldsSelectsByNodeName() {
    PodInfo p = withAffinity("[{matchFields: [{key: metadata.name, operator: In, values: [n1]}]}]");
    assertEquals(true, filter(p, labelled("n1", Map.of())).isSuccess());
    assertEquals(false, filter(p, labelled("n2", Map.of())).isSuccess());
    PodInfo notIn = withAffinity("[{matchFields: [{key: metadata.name, operator: NotIn, values: [n1]}]}]");
    assertEquals(false, filter(notIn, labelled("n1", Map.of())).isSuccess());
    assertEquals(true, filter(notIn, labelled("n2", Map.of())).isSuccess());
    PodInfo badField = withAffinity("[{matchFields: [{key: metadata.uid, operator: In, values: [n1]}]}]");
    assertEquals(false, filter(badField, labelled("n1", Map.of())).isSuccess());
  }

  @Test
  void selectorAndAffinityMustBothHold() {
    PodInfo p = podInfo("""
        metadata: {name: p}
        spec:
          nodeSelector: {disk: ssd}
          containers: [{name: c}]
          affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a]}]}]}}}
        """);
    assertEquals(true, filter(p, labelled("n", Map.of("disk", "ssd", "zone", "a"))).isSuccess());
    assertEquals(false, filter(p, labelled("n", Map.of("zone", "a"))).isSuccess());
    assertEquals(false, filter(p, labelled("n", Map.of("disk", "ssd"))).isSuccess());
  }

  @Test
  void preferredTermsScoreTheirWeightsNormalizedToTheBest() {
    PodInfo p = podInfo("""
        metadata: {name: p}
        spec:
          containers: [{name: c}]
          affinity:
            nodeAffinity:
              preferredDuringSchedulingIgnoredDuringExecution:
              - {weight: 2, preference: {matchExpressions: [{key: foo, operator: In, values: [bar]}]}}
              - {weight: 4, preference: {matchExpressions: [{key: key, operator: In, values: [value]}]}}
              - {weight: 5, preference: {matchExpressions: [{key: az, operator: In, values: [az1]}]}}
        """);
    NodeInfo[] nodes = {labelled("n1", Map.of("foo", "bar")), labelled("n2", Map.of("key", "value")),
        labelled("n3", Map.of("foo", "bar", "key", "value", "az", "az1")), labelled("n4", Map.of())};
    long[] scores = new long[nodes.length];
    for (int i = 0; i < nodes.length; i++) {
      scores[i] = plugin.score(new CycleState(), p, nodes[i]);
    }
    assertArrayEquals(new long[] {2, 4, 11, 0}, scores);
    plugin.normalize(new CycleState(), p, nodes, scores);
    assertArrayEquals(new long[] {18, 36, 100, 0}, scores);
  }

  @Test
  void preScoreSkipsPodsWithoutPreferredTerms() {
    PodInfo plain = podInfo("""
        metadata: {name: p}
        spec:
          containers: [{name: c}]
          nodeSelector: {disk: ssd}
        """);
    assertEquals(true, plugin.preScore(new CycleState(), plain, java.util.List.of(), null).isSkip(),
        "a selector alone is a filter matter: Score has nothing to do");
    PodInfo preferring = podInfo("""
        metadata: {name: p}
        spec:
          containers: [{name: c}]
          affinity:
            nodeAffinity:
              preferredDuringSchedulingIgnoredDuringExecution:
              - {weight: 2, preference: {matchExpressions: [{key: foo, operator: In, values: [bar]}]}}
        """);
    assertEquals(true, plugin.preScore(new CycleState(), preferring, java.util.List.of(), null).isSuccess());
  }
}
