package io.capstan.scheduler.plugins;

import static io.capstan.scheduler.TestObjects.node;
import static io.capstan.scheduler.TestObjects.podInfo;
import static io.capstan.scheduler.TestObjects.with;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.Status;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** NodeUnschedulable, NodeName and NodePorts. */
class SmallFiltersTest {

  @Test
  void cordonedNodesTakeOnlyPodsToleratingTheUnschedulableTaint() {
    NodeUnschedulable plugin = new NodeUnschedulable();
    NodeInfo cordoned = new NodeInfo(node("metadata: {name: n}\nspec: {unschedulable: true}"));
    NodeInfo open = new NodeInfo(node("metadata: {name: n}\nspec: {unschedulable: false}"));
    PodInfo plain = podInfo("metadata: {name: p}\nspec: {containers: [{name: c}]}");
    PodInfo tolerant = podInfo("""
        metadata: {name: p}
        spec: {containers: [{name: c}], tolerations: [{key: node.kubernetes.io/unschedulable, operator: Exists, effect: NoSchedule}]}
        """);
    Status s = plugin.filter(new CycleState(), plain, cordoned);
    assertEquals(List.of("node(s) were unschedulable"), s.reasons());
    assertEquals(Status.Code.UNSCHEDULABLE_AND_UNRESOLVABLE, s.code());
    assertEquals(Status.SUCCESS, plugin.filter(new CycleState(), tolerant, cordoned));
    assertEquals(Status.SUCCESS, plugin.filter(new CycleState(), plain, open));
  }

  @Test
  void nodeName() {
    NodeName plugin = new NodeName();
    NodeInfo n1 = new NodeInfo(node("metadata: {name: n1}"));
    assertEquals(Status.SUCCESS, plugin.filter(new CycleState(), podInfo("metadata: {name: p}\nspec: {containers: [{name: c}]}"), n1));
    assertEquals(Status.SUCCESS, plugin.filter(new CycleState(), podInfo("metadata: {name: p}\nspec: {nodeName: n1, containers: [{name: c}]}"), n1));
    assertEquals(List.of("node(s) didn't match the requested node name"),
        plugin.filter(new CycleState(), podInfo("metadata: {name: p}\nspec: {nodeName: n2, containers: [{name: c}]}"), n1).reasons());
  }

  private static PodInfo withPorts(String name, String ports) {
    return podInfo("metadata: {name: " + name + "}\nspec: {containers: [{name: c, ports: " + ports + "}]}");
  }

  @ParameterizedTest(name = "{0} vs used {1} -> {2}")
  @CsvSource(delimiter = '|', value = {
      "[{containerPort: 80, hostPort: 8080}] | [{containerPort: 80, hostPort: 8080}] | false",
      "[{containerPort: 80, hostPort: 8080}] | [{containerPort: 80, hostPort: 8081}] | true",
      "[{containerPort: 80, hostPort: 8080, protocol: UDP}] | [{containerPort: 80, hostPort: 8080}] | true",
      "[{containerPort: 80, hostPort: 8080, hostIP: 127.0.0.1}] | [{containerPort: 80, hostPort: 8080, hostIP: 127.0.0.2}] | true",
      "[{containerPort: 80, hostPort: 8080, hostIP: 127.0.0.1}] | [{containerPort: 80, hostPort: 8080}] | false",
      "[{containerPort: 80, hostPort: 8080}] | [{containerPort: 80, hostPort: 8080, hostIP: 10.0.0.1}] | false",
      "[{containerPort: 80}] | [{containerPort: 80}] | true",
  })
  void hostPorts(String wanted, String used, boolean fits) {
    NodeInfo n = with(new NodeInfo(node("metadata: {name: n}")), withPorts("used", used));
    Status s = new NodePorts().filter(new CycleState(), withPorts("p", wanted), n);
    assertEquals(fits, s.isSuccess());
    if (!fits) {
      assertEquals(List.of("node(s) didn't have free ports for the requested pod ports"), s.reasons());
    }
  }

  @Test
  void aRemovedPodFreesItsPort() {
    PodInfo used = withPorts("used", "[{containerPort: 80, hostPort: 8080}]");
    NodeInfo n = with(new NodeInfo(node("metadata: {name: n}")), used);
    n.removePod(used);
    assertEquals(Status.SUCCESS, new NodePorts().filter(new CycleState(), withPorts("p", "[{containerPort: 80, hostPort: 8080}]"), n));
  }
}
