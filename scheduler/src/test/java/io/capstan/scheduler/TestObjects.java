package io.capstan.scheduler;

import io.capstan.api.Node;
import io.capstan.api.Pod;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.scheduler.framework.ClusterSnapshot;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/** Pods and nodes for tests, written as the Kubernetes YAML a reader knows. */
public final class TestObjects {
  private TestObjects() {}

  public static Pod pod(String yaml) {
    Pod p = KubeJson.<Pod>fromText(Kinds.POD, yaml).object();
    if (p.getMetadata().getNamespace() == null) {
      p.getMetadata().setNamespace("default");
    }
    if (p.getMetadata().getUid() == null) {
      p.getMetadata().setUid(UUID.randomUUID().toString());
    }
    return p;
  }

  public static PodInfo podInfo(String yaml) {
    return PodInfo.of(pod(yaml));
  }

  public static Node node(String yaml) {
    return KubeJson.<Node>fromText(Kinds.NODE, yaml).object();
  }

  /** A node with allocatable cpu, memory and pod count, and labels. */
  public static Node node(String name, String cpu, String memory, int pods, Map<String, String> labels) {
    String l = labels.entrySet().stream().map(e -> "\"" + e.getKey() + "\": \"" + e.getValue() + "\"")
        .collect(Collectors.joining(", ", "{", "}"));
    return node("""
        metadata: {name: %s, labels: %s}
        status: {allocatable: {cpu: "%s", memory: "%s", pods: "%d"}}
        """.formatted(name, l, cpu, memory, pods));
  }

  public static NodeInfo nodeInfo(String name, String cpu, String memory) {
    return new NodeInfo(node(name, cpu, memory, 110, Map.of("kubernetes.io/hostname", name)));
  }

  /** A pod with one container requesting cpu and memory (either may be null), and labels. */
  public static PodInfo requesting(String name, String cpu, String memory, Map<String, String> labels) {
    StringBuilder req = new StringBuilder();
    if (cpu != null) {
      req.append("cpu: \"").append(cpu).append("\", ");
    }
    if (memory != null) {
      req.append("memory: \"").append(memory).append("\", ");
    }
    String l = labels.entrySet().stream().map(e -> "\"" + e.getKey() + "\": \"" + e.getValue() + "\"")
        .collect(Collectors.joining(", ", "{", "}"));
    String r = req.length() == 0 ? "{}" : "{requests: {" + req.substring(0, req.length() - 2) + "}}";
    return podInfo("""
        metadata: {name: %s, labels: %s}
        spec: {containers: [{name: c, image: busybox, resources: %s}]}
        """.formatted(name, l, r));
  }

  public static PodInfo requesting(String name, String cpu, String memory) {
    return requesting(name, cpu, memory, Map.of());
  }

  /** A copy of the node info with the pods added. */
  public static NodeInfo with(NodeInfo n, PodInfo... pods) {
    NodeInfo c = n.copy();
    for (PodInfo p : pods) {
      c.addPod(p);
    }
    return c;
  }

  public static ClusterSnapshot snapshot(NodeInfo... nodes) {
    return ClusterSnapshot.of(new ArrayList<>(List.of(nodes)));
  }
}
