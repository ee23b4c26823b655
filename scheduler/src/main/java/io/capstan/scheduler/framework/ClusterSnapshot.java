package io.capstan.scheduler.framework;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster as one cycle sees it (the scheduler cache's Snapshot): every node with its pods,
 * in a stable order, plus namespace labels for affinity namespaceSelectors. Valid for one cycle:
 * the cache updates it in place when the next cycle starts.
 */
public final class ClusterSnapshot {
  private final List<NodeInfo> nodes;
  private final List<NodeInfo> nodesView;
  private final Map<String, NodeInfo> byName;
  private List<NodeInfo> withAffinity;
  private List<NodeInfo> withRequiredAntiAffinity;
  private Map<String, Map<String, String>> namespaceLabels;
  /**
   * Each topology key's value per node, parallel to {@link #nodes()} (null where a node lacks the
   * key): spread and affinity PreFilters read a key of every node each cycle, and one array is far
   * cheaper to walk than thousands of label maps. Built on first use, kept current by {@link #replace}.
   */
  private final Map<String, String[]> labelValues = new HashMap<>();
  /** How many nodes hold each image (the cache's imageStates), kept current as nodes are replaced. */
  private final Map<String, Integer> imageNodeCounts = new HashMap<>();

  public ClusterSnapshot(List<NodeInfo> nodes, Map<String, Map<String, String>> namespaceLabels) {
    this.nodes = new ArrayList<>(nodes);
    this.nodesView = Collections.unmodifiableList(this.nodes);
    this.byName = new HashMap<>();
    for (NodeInfo n : nodes) {
      byName.put(n.name(), n);
    }
    this.namespaceLabels = namespaceLabels;
    refreshAffinityLists();
    for (NodeInfo n : nodes) {
      countImages(n, 1);
    }
  }

  private void countImages(NodeInfo n, int delta) {
    for (String image : n.imageSizes().keySet()) {
      imageNodeCounts.merge(image, delta, (a, b) -> a + b == 0 ? null : a + b);
    }
  }

  /** The number of nodes that hold {@code image} (a normalized name). */
  public int nodesWithImage(String image) {
    return imageNodeCounts.getOrDefault(image, 0);
  }

  /**
   * Replaces the node at {@code index} (same name) in place: the scheduler cache keeps one
   * snapshot and updates only what changed at the start of each cycle, as UpdateSnapshot does,
   * instead of rebuilding thousands of entries per pod.
   */
  public void replace(int index, NodeInfo node) {
    NodeInfo old = nodes.set(index, node);
    byName.put(node.name(), node);
    if (old.labels() != node.labels()) {
      labelValues.forEach((key, values) -> values[index] = node.labels().get(key));
    }
    if (old.imageSizes() != node.imageSizes() && !(old.imageSizes().isEmpty() && node.imageSizes().isEmpty())) {
      countImages(old, -1);
      countImages(node, 1);
    }
    if (old.hasPodsWithAffinity() != node.hasPodsWithAffinity()
        || old.hasPodsWithRequiredAntiAffinity() != node.hasPodsWithRequiredAntiAffinity()
        || node.hasPodsWithAffinity()) {
      refreshAffinityLists();
    }
  }

  public void setNamespaceLabels(Map<String, Map<String, String>> labels) {
    this.namespaceLabels = labels;
  }

  private void refreshAffinityLists() {
    List<NodeInfo> aff = new ArrayList<>();
    List<NodeInfo> anti = new ArrayList<>();
    for (NodeInfo n : nodes) {
      if (n.hasPodsWithAffinity()) {
        aff.add(n);
      }
      if (n.hasPodsWithRequiredAntiAffinity()) {
        anti.add(n);
      }
    }
    this.withAffinity = aff;
    this.withRequiredAntiAffinity = anti;
  }

  public static ClusterSnapshot of(List<NodeInfo> nodes) {
    return new ClusterSnapshot(nodes, Map.of());
  }

  public List<NodeInfo> nodes() {
    return nodesView;
  }

  /** The value of label {@code key} of each node, parallel to {@link #nodes()}; null where absent. Read only. */
  public String[] labelValues(String key) {
    String[] values = labelValues.get(key);
    if (values == null) {
      values = new String[nodes.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = nodes.get(i).labels().get(key);
      }
      labelValues.put(key, values);
    }
    return values;
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
