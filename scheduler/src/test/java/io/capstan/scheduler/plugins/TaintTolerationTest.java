package io.capstan.scheduler.plugins;

import static io.capstan.scheduler.TestObjects.node;
import static io.capstan.scheduler.TestObjects.podInfo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.Status;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Taints and tolerations (cases after tainttoleration's TestTaintTolerationFilter / Score). */
class TaintTolerationTest {
  private final TaintToleration plugin = new TaintToleration();

  private static NodeInfo tainted(String taints) {
    return new NodeInfo(node("metadata: {name: n}\nspec: {taints: " + taints + "}"));
  }

  private static PodInfo tolerating(String tolerations) {
    return podInfo("metadata: {name: p}\nspec: {containers: [{name: c}], tolerations: " + tolerations + "}");
  }

  @ParameterizedTest(name = "{0} vs {1} -> {2}")
  @CsvSource(delimiter = '|', value = {
      "[{key: dedicated, value: user1, effect: NoSchedule}] | [] | false",
      "[{key: dedicated, value: user1, effect: NoSchedule}] | [{key: dedicated, operator: Equal, value: user1, effect: NoSchedule}] | true",
      "[{key: dedicated, value: user1, effect: NoSchedule}] | [{key: dedicated, value: user2, effect: NoSchedule}] | false",
      "[{key: dedicated, value: user1, effect: NoSchedule}] | [{key: dedicated, operator: Exists, effect: NoSchedule}] | true",
      "[{key: dedicated, value: user1, effect: NoSchedule}] | [{key: dedicated, operator: Exists}] | true",
      "[{key: dedicated, value: user1, effect: NoSchedule}] | [{operator: Exists}] | true",
      "[{key: dedicated, value: user1, effect: NoSchedule}] | [{key: dedicated, value: user1, effect: NoExecute}] | false",
      "[{key: dedicated, value: user1, effect: NoExecute}] | [] | false",
      "[{key: dedicated, value: user1, effect: PreferNoSchedule}] | [] | true",
      "[{key: a, value: x, effect: NoSchedule}, {key: b, value: y, effect: NoSchedule}] | [{key: a, value: x}] | false",
      "[{key: a, value: x, effect: NoSchedule}, {key: b, value: y, effect: NoSchedule}] | [{key: a, value: x}, {key: b, operator: Exists}] | true",
      "[{key: a, effect: NoSchedule}] | [{key: a, operator: Equal}] | true",
      "[] | [] | true",
  })
  void filter(String taints, String tolerations, boolean fits) {
    assertEquals(fits, plugin.filter(new CycleState(), tolerating(tolerations), tainted(taints)).isSuccess());
  }

  @Test
  void theReasonNamesTheFirstUntoleratedTaint() {
    Status s = plugin.filter(new CycleState(), tolerating("[{key: a, value: x}]"),
        tainted("[{key: a, value: x, effect: NoSchedule}, {key: dedicated, value: gpu, effect: NoExecute}, {key: c, effect: NoSchedule}]"));
    assertEquals(Status.Code.UNSCHEDULABLE_AND_UNRESOLVABLE, s.code());
    assertEquals(List.of("node(s) had untolerated taint {dedicated: gpu}"), s.reasons());
    Status noValue = plugin.filter(new CycleState(), tolerating("[]"), tainted("[{key: node-role, effect: NoSchedule}]"));
    assertEquals(List.of("node(s) had untolerated taint {node-role: }"), noValue.reasons());
  }

  @Test
  void preferNoScheduleTaintsScoreReversed() {
    PodInfo p = tolerating("[{key: foo, operator: Equal, value: bar, effect: PreferNoSchedule}]");
    NodeInfo[] nodes = {
        tainted("[{key: foo, value: bar, effect: PreferNoSchedule}]"),
        tainted("[{key: foo, value: blah, effect: PreferNoSchedule}]"),
        tainted("[{key: cpu-type, value: arm64, effect: PreferNoSchedule}, {key: disk, value: hdd, effect: PreferNoSchedule}]"),
        tainted("[{key: x, value: y, effect: NoSchedule}]"),
    };
    long[] scores = new long[nodes.length];
    for (int i = 0; i < nodes.length; i++) {
      scores[i] = plugin.score(new CycleState(), p, nodes[i]);
    }
    assertArrayEquals(new long[] {0, 1, 2, 0}, scores);
    plugin.normalize(new CycleState(), p, nodes, scores);
    assertArrayEquals(new long[] {100, 50, 0, 100}, scores);
  }

  @Test
  void noExecuteTolerationsDoNotCountForPreferNoSchedule() {
    PodInfo p = tolerating("[{key: foo, operator: Exists, effect: NoSchedule}]");
    assertEquals(1, plugin.score(new CycleState(), p, tainted("[{key: foo, value: bar, effect: PreferNoSchedule}]")));
  }
}
