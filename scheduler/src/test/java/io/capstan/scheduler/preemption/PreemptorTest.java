package io.capstan.scheduler.preemption;

import static io.capstan.scheduler.TestObjects.node;
import static io.capstan.scheduler.TestObjects.podInfo;
import static io.capstan.scheduler.TestObjects.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.scheduler.algorithm.FitError;
import io.capstan.scheduler.algorithm.ScheduleAlgorithm;
import io.capstan.scheduler.config.PluginRegistry;
import io.capstan.scheduler.config.SchedulerConfig;
import io.capstan.scheduler.framework.ClusterSnapshot;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.Profile;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** DefaultPreemption's victim selection and node choice (cases after its unit tests). */
class PreemptorTest {
  private final Profile profile = PluginRegistry.profile(SchedulerConfig.defaults());
  private final Preemptor preemptor = new Preemptor(profile);

  private static PodInfo pod(String name, int priority, String cpu, String extra) {
    return podInfo("""
        metadata: {name: %s, creationTimestamp: "2026-01-01T00:00:0%dZ"}
        spec: {priority: %d, containers: [{name: c, resources: {requests: {cpu: "%s"}}}]%s}
        """.formatted(name, Math.abs(priority) % 10, priority, cpu, extra));
  }

  private static NodeInfo cpuNode(String name, String cpu) {
    return new NodeInfo(node(name, cpu, "8Gi", 110, Map.of("kubernetes.io/hostname", name)));
  }

  private Optional<Candidate> preempt(PodInfo pod, ClusterSnapshot s, String[] message) {
    FitError e = assertThrows(FitError.class, () -> new ScheduleAlgorithm(profile, 0, new Random(1)).schedule(pod, s));
    Optional<Candidate> c = preemptor.preempt(pod, s, e.diagnosis());
    message[0] = e.getMessage();
    return c;
  }

  @Test
  void theNodeWithTheLeastImportantVictimsIsChosen() {
    ClusterSnapshot s = ClusterSnapshot.of(List.of(
        with(cpuNode("n1", "2"), pod("mid", 5, "2", "")),
        with(cpuNode("n2", "2"), pod("low", 0, "2", ""))));
    String[] msg = new String[1];
    Candidate c = preempt(pod("high", 10, "2", ""), s, msg).orElseThrow();
    assertEquals("n2", c.node());
    assertEquals(List.of("low"), c.victims().stream().map(PodInfo::name).toList());
    assertEquals("0/2 nodes are available: 2 Insufficient cpu.", msg[0], "a successful preemption adds no message");
  }

  @Test
  void moreImportantPodsAreReprievedWhenTheyCanStay() {
    ClusterSnapshot s = ClusterSnapshot.of(List.of(
        with(cpuNode("n1", "4"), pod("a", 1, "2", ""), pod("b", 0, "2", ""))));
    Candidate c = preempt(pod("high", 10, "2", ""), s, new String[1]).orElseThrow();
    assertEquals(List.of("b"), c.victims().stream().map(PodInfo::name).toList());
  }

  @Test
  void fewerVictimsWinAtEqualPriorities() {
    ClusterSnapshot s = ClusterSnapshot.of(List.of(
        with(cpuNode("n1", "4"), pod("a1", 0, "1", ""), pod("a2", 0, "1", ""), pod("a3", 0, "2", "")),
        with(cpuNode("n2", "4"), pod("b1", 0, "4", ""))));
    // n1: all removed frees 4; a1 is reprieved (3 left), a2 and a3 go: two victims.
    Candidate c = preempt(pod("high", 10, "3", ""), s, new String[1]).orElseThrow();
    // n2: one victim (sum 0+offset); n1: two victims -> larger priority sum -> n2 wins.
    assertEquals("n2", c.node());
    assertEquals(1, c.victims().size());
  }

  @Test
  void nothingLowerToEvict() {
    ClusterSnapshot s = ClusterSnapshot.of(List.of(
        with(cpuNode("n1", "2"), pod("same", 10, "2", "")),
        with(cpuNode("n2", "2"), pod("higher", 20, "2", ""))));
    String[] msg = new String[1];
    assertTrue(preempt(pod("p", 10, "2", ""), s, msg).isEmpty());
    assertEquals("0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: "
        + "2 No preemption victims found for incoming pod.", msg[0]);
  }

  @Test
  void unresolvableNodesAreNotHelpful() {
    NodeInfo tainted = new NodeInfo(node("""
        metadata: {name: t}
        spec: {taints: [{key: k, value: v, effect: NoSchedule}]}
        status: {allocatable: {cpu: "8", memory: 8Gi, pods: "110"}}
        """));
    ClusterSnapshot s = ClusterSnapshot.of(List.of(tainted, with(cpuNode("n1", "2"), pod("low", 0, "2", "")),
        cpuNode("small", "1")));
    String[] msg = new String[1];
    Candidate c = preempt(pod("high", 10, "2", ""), s, msg).orElseThrow();
    assertEquals("n1", c.node());
    ClusterSnapshot none = ClusterSnapshot.of(List.of(tainted, cpuNode("small", "1")));
    assertTrue(preempt(pod("high", 10, "2", ""), none, msg).isEmpty());
    assertEquals("0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: v}. preemption: 0/2 nodes"
        + " are available: 2 Preemption is not helpful for scheduling.", msg[0]);
  }

  @Test
  void preemptionPolicyNever() {
    ClusterSnapshot s = ClusterSnapshot.of(List.of(with(cpuNode("n1", "2"), pod("low", 0, "2", ""))));
    String[] msg = new String[1];
    assertTrue(preempt(pod("high", 10, "2", ", preemptionPolicy: Never"), s, msg).isEmpty());
    assertTrue(msg[0].endsWith(" not eligible due to preemptionPolicy=Never."), msg[0]);
  }

  @Test
  void victimsStillTerminatingOnTheNominatedNodeBlockAnotherRound() {
    PodInfo terminating = podInfo("""
        metadata: {name: old, deletionTimestamp: "2026-01-01T00:00:00Z"}
        spec: {priority: 0, containers: [{name: c, resources: {requests: {cpu: "2"}}}]}
        """);
    ClusterSnapshot s = ClusterSnapshot.of(List.of(with(cpuNode("n1", "2"), terminating),
        with(cpuNode("n2", "2"), pod("low", 0, "2", ""))));
    PodInfo high = podInfo("""
        metadata: {name: high}
        spec: {priority: 10, containers: [{name: c, resources: {requests: {cpu: "2"}}}]}
        status: {nominatedNodeName: n1}
        """);
    assertTrue(preempt(high, s, new String[1]).isEmpty());
  }
}
