package io.capstan.nodeagent.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Container;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.ResourceRequirements;
import io.capstan.nodeagent.node.Allocatable;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdmissionTest {
  static Pod pod(String cpu, String memory) {
    Container c = Container.newBuilder().setName("c").setImage("i")
        .setResources(ResourceRequirements.newBuilder().setRequests(Map.of("cpu", cpu, "memory", memory)).build()).build();
    return Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("p").setNamespace("n").build())
        .setSpec(PodSpec.newBuilder().setContainers(List.of(c)).build()).build();
  }

  @Test
  void podsAreAdmittedWhileTheyFitThenRejectedAsKubeletDoes() {
    Allocatable node = new Allocatable(2000, 1L << 30, 0, 110);
    assertTrue(Admission.check(pod("1500m", "100Mi"), List.of(), node).isEmpty());
    var cpu = Admission.check(pod("600m", "100Mi"), List.of(pod("1500m", "100Mi")), node).orElseThrow();
    assertEquals("OutOfcpu", cpu.reason());
    assertEquals("Pod was rejected: Node didn't have enough resource: cpu, requested: 600, used: 1500, capacity: 2000",
        cpu.message());
    assertEquals("OutOfmemory", Admission.check(pod("100m", "2Gi"), List.of(), node).orElseThrow().reason());
  }

  @Test
  void qosClassesFollowRequestsAndLimits() {
    Pod best = pod("0", "0");
    best.getSpec().getContainers().get(0).setResources(null);
    assertEquals("BestEffort", PodResources.qosClass(best));
    assertEquals("Burstable", PodResources.qosClass(pod("100m", "10Mi")));
    Pod g = pod("100m", "10Mi");
    g.getSpec().getContainers().get(0).getResources().setLimits(Map.of("cpu", "100m", "memory", "10Mi"));
    assertEquals("Guaranteed", PodResources.qosClass(g));
    var cg = PodResources.cgroups(g.getSpec().getContainers().get(0));
    assertEquals(102, cg.cpuShares());
    assertEquals(10_000, cg.cpuQuotaMicros());
    assertEquals(10L << 20, cg.memoryLimitBytes());
  }
}
