package io.capstan.scheduler.framework;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster as one cycle sees it (the scheduler cache's Snapshot): every node with its pods,
 * in a stable order, plus namespace labels for affinity namespaceSelectors.
 */
public final class ClusterSnapshot {
  private final List<NodeInfo> nodes;
  private final Map<String, NodeInfo> byName;
  private final List<NodeInfo> withAffinity;
  private final List<NodeInfo> withRequiredAntiAffinity;
  private final Map<String, Map<String, String>> namespaceLabels;

  public ClusterSnapshot(List<NodeInfo> nodes, Map<String, Map<String, String>> namespaceLabels) {
    this.nodes = List.copyOf(nodes);
    this.byName = new HashMap<>();
    for (NodeInfo n : nodes) {
      byName.put(n.name(), n);
    }
    this.withAffinity = nodes.stream().filter(NodeInfo::hasPodsWithAffinity).toList();
    this.withRequiredAntiAffinity = nodes.stream().filter(NodeInfo::hasPodsWithRequiredAntiAffinity).toList();
    this.namespaceLabels = namespaceLabels;
  }

  public static ClusterSnapshot of(List<NodeInfo> nodes) {
    return new ClusterSnapshot(nodes, Map.of());
  }

  public List<NodeInfo> nodes() {
    return nodes;
  }

  public NodeInfo get(String name) {
    return byName.get(name);
  }

  public List<NodeInfo> nodesWithAffinityPods() {
    return withAffinity;
  }

  public List<NodeInfo> nodesWithRequiredAntiAffinityPods() {
    return withRequiredAntiAffinity;
  }

  public Map<String, Map<String, String>> namespaceLabels() {
    return namespaceLabels;
  }
}
