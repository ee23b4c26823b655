package io.capstan.nodeagent.sync;

import io.capstan.api.Pod;
import io.capstan.nodeagent.node.Allocatable;
import java.util.Collection;
import java.util.Optional;

/**
 * kubelet's predicate admission: a pod that does not fit what is left of the node's allocatable
 * next to the pods already admitted is rejected, phase Failed, reason {@code OutOfcpu} /
 * {@code OutOfmemory} / {@code OutOfpods}, with kubelet's message.
 */
final class Admission {
  record Rejection(String reason, String message) {}

  private Admission() {}

  static Optional<Rejection> check(Pod pod, Collection<Pod> admitted, Allocatable node) {
    if (admitted.size() + 1 > node.pods()) {
      return Optional.of(new Rejection("OutOfpods", "Pod was rejected: Node didn't have enough resource: pods, requested: 1,"
          + " used: " + admitted.size() + ", capacity: " + node.pods()));
    }
    long cpu = PodResources.podRequestMillis(pod, "cpu");
    long usedCpu = admitted.stream().mapToLong(p -> PodResources.podRequestMillis(p, "cpu")).sum();
    if (cpu > 0 && usedCpu + cpu > node.cpuMillis()) {
      return Optional.of(new Rejection("OutOfcpu", "Pod was rejected: Node didn't have enough resource: cpu, requested: "
          + cpu + ", used: " + usedCpu + ", capacity: " + node.cpuMillis()));
    }
    long mem = PodResources.podRequestMillis(pod, "memory") / 1000;
    long usedMem = admitted.stream().mapToLong(p -> PodResources.podRequestMillis(p, "memory") / 1000).sum();
    if (mem > 0 && usedMem + mem > node.memoryBytes()) {
      return Optional.of(new Rejection("OutOfmemory", "Pod was rejected: Node didn't have enough resource: memory,"
          + " requested: " + mem + ", used: " + usedMem + ", capacity: " + node.memoryBytes()));
    }
    return Optional.empty();
  }
}
