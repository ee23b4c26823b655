package io.capstan.scheduler.algorithm;

import io.capstan.scheduler.framework.Status;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Why a pod fits nowhere (framework.Diagnosis): each rejected node's status, the plugins that
 * rejected (they decide which cluster events requeue the pod), and a PreFilter message when the
 * whole cycle was rejected before any node was looked at.
 */
public final class Diagnosis {
  final Map<String, Status> nodeStatuses = new LinkedHashMap<>();
  final Set<String> unschedulablePlugins = new LinkedHashSet<>();
  String preFilterMessage;
  String postFilterMessage;

  public Map<String, Status> nodeStatuses() {
    return nodeStatuses;
  }

  public Set<String> unschedulablePlugins() {
    return unschedulablePlugins;
  }

  public String preFilterMessage() {
    return preFilterMessage;
  }

  public void setPostFilterMessage(String message) {
    this.postFilterMessage = message;
  }

  public void record(String node, Status s) {
    nodeStatuses.put(node, s);
    if (s.plugin() != null) {
      unschedulablePlugins.add(s.plugin());
    }
  }
}
