package io.capstan.scheduler.cache;

import io.capstan.api.Node;
import io.capstan.api.ObjectMeta;
import io.capstan.scheduler.framework.ClusterSnapshot;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Nodes and the pods on them, as the scheduler must count them. A placement is assumed at once
 * ({@link #assume}) so the next cycle sees its resources taken while the bind is in flight; the
 * informer's add of the bound pod confirms it; a failed bind forgets it. Pods on a node the
 * informer has not shown yet (or that was deleted) are kept and count as soon as it appears.
 *
 * <p>Thread-safe: informer threads write, the scheduling thread assumes and takes snapshots.
 * There is one snapshot, updated in place with copies of the nodes changed since the previous
 * call (UpdateSnapshot), so a cycle costs what changed, not the cluster's size.
 */
public final class SchedulerCache {
  private static final int DIRTY_RESET_SIZE = 64;
  private final Map<String, NodeInfo> nodes = new HashMap<>();
  /** Nodes the informer knows; others exist here only to hold their pods. */
  private final Set<String> present = new HashSet<>();
  private final Map<String, PodState> pods = new HashMap<>();
  private final Map<String, Map<String, String>> namespaceLabels = new HashMap<>();

  /** The snapshot's own copies, and the nodes changed since. */
  private final Map<String, NodeInfo> snapshotNodes = new LinkedHashMap<>();
  /**
   * Insertion-ordered so a cycle walks only what changed: a plain HashSet that once held every
   * node (the initial list) keeps its large table, and iterating or clearing it would cost the
   * cluster's size on every cycle.
   */
  private Set<String> dirty = new LinkedHashSet<>();
  private boolean nodeSetChanged = true;
  private ClusterSnapshot current;
  private boolean namespacesChanged;
  private final Map<String, Integer> position = new HashMap<>();

  /** A pod the cache counts: where, and whether it is only assumed. */
  private record PodState(PodInfo pod, String node, boolean assumed) {}

  public synchronized void addNode(Node node) {
    String name = node.getMetadata().getName();
    NodeInfo existing = nodes.get(name);
    nodes.put(name, existing == null ? new NodeInfo(node) : existing.withNode(node));
    if (present.add(name)) {
      nodeSetChanged = true;
    }
    dirty.add(name);
  }

  public synchronized void updateNode(Node node) {
    addNode(node);
  }

  public synchronized void removeNode(String name) {
    if (present.remove(name)) {
      nodeSetChanged = true;
    }
    NodeInfo info = nodes.get(name);
    if (info != null && info.pods().isEmpty()) {
      nodes.remove(name);
    }
    dirty.add(name);
  }

  /** Counts the pod on {@code node} before the bind is confirmed (AssumePod). */
  public synchronized void assume(PodInfo pod, String node) {
    if (pods.containsKey(pod.key())) {
      throw new IllegalStateException("pod " + pod.key() + " is already in the cache");
    }
    nodeInfo(node).addPod(pod);
    pods.put(pod.key(), new PodState(pod, node, true));
    dirty.add(node);
  }

  /** The bind failed: the assumed placement is undone (ForgetPod). False when it was not assumed. */
  public synchronized boolean forget(String podKey) {
    PodState s = pods.get(podKey);
    if (s == null || !s.assumed) {
      return false;
    }
    pods.remove(podKey);
    removeFromNode(s);
    return true;
  }

  public synchronized boolean isAssumed(String podKey) {
    PodState s = pods.get(podKey);
    return s != null && s.assumed;
  }

  /** An assigned pod from the informer (AddPod): confirms an assumed one, or adds it. */
  public synchronized void addPod(PodInfo pod, String node) {
    PodState s = pods.get(pod.key());
    if (s != null) {
      removeFromNode(s);
    }
    nodeInfo(node).addPod(pod);
    pods.put(pod.key(), new PodState(pod, node, false));
    dirty.add(node);
  }

  public synchronized void updatePod(PodInfo pod, String node) {
    addPod(pod, node);
  }

  public synchronized void removePod(String podKey) {
    PodState s = pods.remove(podKey);
    if (s != null) {
      removeFromNode(s);
    }
  }

  public synchronized void setNamespaceLabels(String namespace, Map<String, String> labels) {
    if (labels == null) {
      namespaceLabels.remove(namespace);
    } else {
      namespaceLabels.put(namespace, Map.copyOf(labels));
    }
    namespacesChanged = true;
  }

  private void removeFromNode(PodState s) {
    NodeInfo info = nodes.get(s.node);
    if (info != null) {
      info.removePod(s.pod);
      if (info.pods().isEmpty() && !present.contains(s.node)) {
        nodes.remove(s.node);
      }
    }
    dirty.add(s.node);
  }

  private NodeInfo nodeInfo(String name) {
    return nodes.computeIfAbsent(name, n -> new NodeInfo(Node.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(n).build()).build()));
  }

  /**
   * The nodes the informer knows with their pods. Only nodes changed since the previous call are
   * copied, into the one snapshot object the scheduling thread reads (valid until the next call).
   */
  public synchronized ClusterSnapshot snapshot() {
    for (String name : dirty) {
      NodeInfo live = present.contains(name) ? nodes.get(name) : null;
      if (live == null) {
        if (snapshotNodes.remove(name) != null) {
          nodeSetChanged = true;
        }
      } else {
        NodeInfo copy = live.copy();
        if (snapshotNodes.put(name, copy) == null) {
          nodeSetChanged = true;
        } else if (!nodeSetChanged && current != null) {
          current.replace(position.get(name), copy);
        }
      }
    }
    // Clearing costs the table's capacity: after a burst (the initial node list) start small again.
    if (dirty.size() > DIRTY_RESET_SIZE) {
      dirty = new LinkedHashSet<>();
    } else {
      dirty.clear();
    }
    if (nodeSetChanged || current == null) {
      List<NodeInfo> order = new ArrayList<>(snapshotNodes.values());
      position.clear();
      for (int i = 0; i < order.size(); i++) {
        position.put(order.get(i).name(), i);
      }
      current = new ClusterSnapshot(order, Map.copyOf(namespaceLabels));
      nodeSetChanged = false;
      namespacesChanged = false;
    } else if (namespacesChanged) {
      current.setNamespaceLabels(Map.copyOf(namespaceLabels));
      namespacesChanged = false;
    }
    return current;
  }

  public synchronized int nodeCount() {
    return present.size();
  }

  public synchronized int podCount() {
    return pods.size();
  }

  /** What the cache counts on one node (a copy), for tests and debugging. */
  public synchronized NodeInfo node(String name) {
    NodeInfo n = nodes.get(name);
    return n == null ? null : n.copy();
  }
}
