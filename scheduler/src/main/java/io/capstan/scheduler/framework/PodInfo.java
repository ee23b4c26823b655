package io.capstan.scheduler.framework;

import io.capstan.api.Affinity;
import io.capstan.api.Container;
import io.capstan.api.ContainerPort;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.Toleration;
import io.capstan.api.WeightedPodAffinityTerm;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A pod with what scheduling reads of it worked out once (framework.PodInfo): requests, host
 * ports, compiled affinity terms. Pods from the informer are shared with its cache and never modified.
 */
public record PodInfo(
    Pod pod,
    String namespace,
    String name,
    String uid,
    Map<String, String> labels,
    int priority,
    Resources requests,
    Resources nonZeroRequests,
    List<HostPort> hostPorts,
    List<AffinityTerm> requiredAffinity,
    List<AffinityTerm> requiredAntiAffinity,
    List<AffinityTerm> preferredAffinity,
    List<AffinityTerm> preferredAntiAffinity,
    List<Toleration> tolerations) {

  /** Compiles a pod; throws IllegalArgumentException naming the field when a quantity or selector is malformed. */
  public static PodInfo of(Pod pod) {
    PodSpec spec = pod.getSpec() == null ? PodSpec.newBuilder().build() : pod.getSpec();
    String ns = pod.getMetadata().getNamespace() == null ? "default" : pod.getMetadata().getNamespace();
    Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
    List<HostPort> ports = new ArrayList<>();
    for (Container c : spec.getContainers()) {
      if (c.getPorts() != null) {
        for (ContainerPort p : c.getPorts()) {
          if (p.getHostPort() != null && p.getHostPort() > 0) {
            ports.add(new HostPort(p.getHostIP() == null || p.getHostIP().isEmpty() ? HostPort.ANY_IP : p.getHostIP(),
                p.getProtocol() == null ? "TCP" : p.getProtocol(), p.getHostPort()));
          }
        }
      }
    }
    Affinity a = spec.getAffinity();
    List<AffinityTerm> reqAff = List.of();
    List<AffinityTerm> reqAnti = List.of();
    List<AffinityTerm> prefAff = List.of();
    List<AffinityTerm> prefAnti = List.of();
    if (a != null && a.getPodAffinity() != null) {
      reqAff = AffinityTerm.of(a.getPodAffinity().getRequiredDuringSchedulingIgnoredDuringExecution(), ns, labels);
      prefAff = weighted(a.getPodAffinity().getPreferredDuringSchedulingIgnoredDuringExecution(), ns, labels);
    }
    if (a != null && a.getPodAntiAffinity() != null) {
      reqAnti = AffinityTerm.of(a.getPodAntiAffinity().getRequiredDuringSchedulingIgnoredDuringExecution(), ns, labels);
      prefAnti = weighted(a.getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution(), ns, labels);
    }
    try {
      return new PodInfo(pod, ns, pod.getMetadata().getName(), pod.getMetadata().getUid(), labels,
          spec.getPriority() == null ? 0 : spec.getPriority(),
          PodRequests.of(spec), PodRequests.nonZero(spec), List.copyOf(ports), reqAff, reqAnti, prefAff, prefAnti,
          spec.getTolerations() == null ? List.of() : spec.getTolerations());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("pod " + ns + "/" + pod.getMetadata().getName() + ": " + e.getMessage(), e);
    }
  }

  private static List<AffinityTerm> weighted(List<WeightedPodAffinityTerm> terms, String ns, Map<String, String> labels) {
    if (terms == null) {
      return List.of();
    }
    return terms.stream().map(t -> AffinityTerm.of(t.getPodAffinityTerm(), ns, labels, t.getWeight())).toList();
  }

  public String key() {
    return namespace + "/" + name;
  }

  public PodSpec spec() {
    return pod.getSpec() == null ? PodSpec.newBuilder().build() : pod.getSpec();
  }

  public boolean hasAffinity() {
    return !requiredAffinity.isEmpty() || !preferredAffinity.isEmpty() || !requiredAntiAffinity.isEmpty()
        || !preferredAntiAffinity.isEmpty();
  }

  public boolean isTerminating() {
    return pod.getMetadata().getDeletionTimestamp() != null;
  }
}
