package io.capstan.scheduler.framework;

import io.capstan.api.ContainerImage;
import io.capstan.api.Node;
import io.capstan.api.Taint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A node with the pods the scheduler counts on it (framework.NodeInfo): what they request, what
 * the node can give, the host ports in use, and the images it holds. The cache keeps one per
 * node and hands scheduling cycles copies, so a cycle reads a stable view.
 */
public final class NodeInfo {
  private final Node node;
  private final String name;
  private final Map<String, String> labels;
  private final Resources allocatable;
  private final List<Taint> taints;
  private final Map<String, Long> imageSizes;
  private final boolean unschedulable;
  private final List<PodInfo> pods;
  private final Resources requested;
  private final Resources nonZeroRequested;
  private final List<HostPort> usedPorts;
  private int podsWithAffinity;
  private int podsWithRequiredAntiAffinity;

  public NodeInfo(Node node) {
    this(node, new ArrayList<>(), new Resources(), new Resources(), new ArrayList<>(), 0, 0);
  }

  private NodeInfo(Node node, List<PodInfo> pods, Resources requested, Resources nonZero, List<HostPort> ports,
      int withAffinity, int withAnti) {
    this.node = node;
    this.name = node.getMetadata().getName();
    this.labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
    Map<String, String> alloc = node.getStatus() == null ? null
        : node.getStatus().getAllocatable() != null ? node.getStatus().getAllocatable() : node.getStatus().getCapacity();
    Resources a;
    try {
      a = Resources.of(alloc);
    } catch (IllegalArgumentException e) {
      // A node with a malformed allocatable gives nothing rather than stopping the scheduler.
      a = new Resources();
    }
    this.allocatable = a;
    this.taints = node.getSpec() == null || node.getSpec().getTaints() == null ? List.of() : node.getSpec().getTaints();
    Map<String, Long> images = new HashMap<>();
    if (node.getStatus() != null && node.getStatus().getImages() != null) {
      for (ContainerImage img : node.getStatus().getImages()) {
        if (img.getNames() != null) {
          for (String n : img.getNames()) {
            images.put(ImageNames.normalize(n), img.getSizeBytes() == null ? 0L : img.getSizeBytes());
          }
        }
      }
    }
    this.imageSizes = images;
    this.unschedulable = node.getSpec() != null && Boolean.TRUE.equals(node.getSpec().getUnschedulable());
    this.pods = pods;
    this.requested = requested;
    this.nonZeroRequested = nonZero;
    this.usedPorts = ports;
    this.podsWithAffinity = withAffinity;
    this.podsWithRequiredAntiAffinity = withAnti;
  }

  /** The same pods on an updated node object. */
  public NodeInfo withNode(Node updated) {
    return new NodeInfo(updated, new ArrayList<>(pods), requested.copy(), nonZeroRequested.copy(),
        new ArrayList<>(usedPorts), podsWithAffinity, podsWithRequiredAntiAffinity);
  }

  /** The same node and pods; what was parsed from the node object is shared (it never changes). */
  public NodeInfo copy() {
    return new NodeInfo(this);
  }

  private NodeInfo(NodeInfo o) {
    this.node = o.node;
    this.name = o.name;
    this.labels = o.labels;
    this.allocatable = o.allocatable;
    this.taints = o.taints;
    this.imageSizes = o.imageSizes;
    this.unschedulable = o.unschedulable;
    this.pods = new ArrayList<>(o.pods);
    this.requested = o.requested.copy();
    this.nonZeroRequested = o.nonZeroRequested.copy();
    this.usedPorts = new ArrayList<>(o.usedPorts);
    this.podsWithAffinity = o.podsWithAffinity;
    this.podsWithRequiredAntiAffinity = o.podsWithRequiredAntiAffinity;
  }

  public void addPod(PodInfo p) {
    pods.add(p);
    requested.add(p.requests());
    nonZeroRequested.milliCpu += p.nonZeroRequests().milliCpu;
    nonZeroRequested.memory += p.nonZeroRequests().memory;
    usedPorts.addAll(p.hostPorts());
    if (p.hasAffinity()) {
      podsWithAffinity++;
    }
    if (!p.requiredAntiAffinity().isEmpty()) {
      podsWithRequiredAntiAffinity++;
    }
  }

  /** Removes the pod with this uid (or namespace/name when uids are absent); false when it was not here. */
  public boolean removePod(PodInfo p) {
    for (int i = 0; i < pods.size(); i++) {
      PodInfo q = pods.get(i);
      if (samePod(q, p)) {
        pods.remove(i);
        requested.subtract(q.requests());
        nonZeroRequested.milliCpu -= q.nonZeroRequests().milliCpu;
        nonZeroRequested.memory -= q.nonZeroRequests().memory;
        for (HostPort hp : q.hostPorts()) {
          usedPorts.remove(hp);
        }
        if (q.hasAffinity()) {
          podsWithAffinity--;
        }
        if (!q.requiredAntiAffinity().isEmpty()) {
          podsWithRequiredAntiAffinity--;
        }
        return true;
      }
    }
    return false;
  }

  static boolean samePod(PodInfo a, PodInfo b) {
    if (a.uid() != null && b.uid() != null) {
      return a.uid().equals(b.uid());
    }
    return a.key().equals(b.key());
  }

  public Node node() {
    return node;
  }

  public String name() {
    return name;
  }

  public Map<String, String> labels() {
    return labels;
  }

  public Resources allocatable() {
    return allocatable;
  }

  public Resources requested() {
    return requested;
  }

  /** cpu and memory with the scoring defaults for containers that request none. */
  public Resources nonZeroRequested() {
    return nonZeroRequested;
  }

  public List<PodInfo> pods() {
    return pods;
  }

  public List<HostPort> usedPorts() {
    return usedPorts;
  }

  public List<Taint> taints() {
    return taints;
  }

  public boolean unschedulable() {
    return unschedulable;
  }

  /** Image sizes by normalized name. */
  public Map<String, Long> imageSizes() {
    return imageSizes;
  }

  public boolean hasPodsWithAffinity() {
    return podsWithAffinity > 0;
  }

  public boolean hasPodsWithRequiredAntiAffinity() {
    return podsWithRequiredAntiAffinity > 0;
  }

  @Override
  public String toString() {
    return "NodeInfo{" + name + " pods=" + pods.size() + " requested=" + requested + "}";
  }
}
