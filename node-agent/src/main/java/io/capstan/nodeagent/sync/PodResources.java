package io.capstan.nodeagent.sync;

import io.capstan.api.Container;
import io.capstan.api.Pod;
import io.capstan.api.ResourceRequirements;
import io.capstan.logschema.resource.Quantity;
import io.capstan.nodeagent.runtime.ContainerConfig;
import java.util.List;
import java.util.Map;

/** Requests, limits, QoS class and cgroup settings of pods and containers, as Kubernetes computes them. */
final class PodResources {
  private PodResources() {}

  /** The quantity of a resource in a map, or null. */
  static Quantity get(Map<String, String> m, String resource) {
    if (m == null || m.get(resource) == null) {
      return null;
    }
    return Quantity.parse(m.get(resource));
  }

  /** A container's effective request: the request, else the limit (API defaulting copies limits to requests). */
  static long requestMillis(Container c, String resource) {
    ResourceRequirements r = c.getResources();
    if (r == null) {
      return 0;
    }
    Quantity q = get(r.getRequests(), resource);
    if (q == null) {
      q = get(r.getLimits(), resource);
    }
    return q == null ? 0 : q.milliValue();
  }

  static long limitMillis(Container c, String resource) {
    ResourceRequirements r = c.getResources();
    Quantity q = r == null ? null : get(r.getLimits(), resource);
    return q == null ? 0 : q.milliValue();
  }

  /**
   * The pod's request for admission (resourcehelper.PodRequests): its containers and native
   * sidecars add up, each other init container runs next to the sidecars started before it, the
   * larger of the two phases counts, plus overhead.
   */
  static long podRequestMillis(Pod pod, String resource) {
    Quantity q = io.capstan.logschema.quota.ObjectUsage.podTotal(pod.getSpec(), true).get(resource);
    return q == null ? 0 : q.milliValue();
  }

  /** Guaranteed, Burstable or BestEffort (v1 qos.GetPodQOS). */
  static String qosClass(Pod pod) {
    boolean any = false;
    boolean guaranteed = true;
    List<Container> all = new java.util.ArrayList<>(pod.getSpec().getContainers());
    if (pod.getSpec().getInitContainers() != null) {
      all.addAll(pod.getSpec().getInitContainers());
    }
    for (Container c : all) {
      for (String res : List.of("cpu", "memory")) {
        long req = requestMillis(c, res);
        long lim = limitMillis(c, res);
        any |= req > 0 || lim > 0;
        guaranteed &= lim > 0 && req == lim;
      }
    }
    return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
  }

  /** cgroup settings of a container: cpu.shares from the request, CFS quota from the limit, the memory limit. */
  static ContainerConfig.Resources cgroups(Container c) {
    long cpuReq = requestMillis(c, "cpu");
    long cpuLim = limitMillis(c, "cpu");
    long shares = Math.max(ContainerConfig.Resources.MIN_SHARES, cpuReq * 1024 / 1000);
    long quota = cpuLim > 0 ? Math.max(1000, cpuLim * ContainerConfig.Resources.CFS_PERIOD_MICROS / 1000) : 0;
    long memLimit = limitMillis(c, "memory") / 1000;
    return new ContainerConfig.Resources(shares, quota, ContainerConfig.Resources.CFS_PERIOD_MICROS, memLimit, 0);
  }
}
