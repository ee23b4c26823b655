package io.capstan.controllers.nodelifecycle;

import io.capstan.api.Container;
import io.capstan.api.Lease;
import io.capstan.api.LeaseSpec;
import io.capstan.api.Node;
import io.capstan.api.NodeCondition;
import io.capstan.api.NodeSpec;
import io.capstan.api.NodeStatus;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.Taint;
import io.capstan.api.Toleration;
import io.capstan.logschema.taints.TaintKeys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Test objects: nodes with conditions and taints, leases, pods with tolerations. */
final class Nodes {
  static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");

  static {
    io.capstan.logschema.kinds.TrustedModelClasses.install(); // generated classes are trusted before any is copied
  }

  private Nodes() {}

  static NodeCondition condition(String type, String status, Instant heartbeat) {
    return NodeCondition.newBuilder().setType(type).setStatus(status).setReason("Kubelet" + type)
        .setMessage("kubelet says " + status).setLastHeartbeatTime(heartbeat.toString())
        .setLastTransitionTime(T0.toString()).build();
  }

  static Node node(String name, List<NodeCondition> conditions, List<Taint> taints) {
    return Node.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(name).setCreationTimestamp(T0.minusSeconds(3600).toString()).build())
        .setSpec(NodeSpec.newBuilder().setTaints(taints.isEmpty() ? null : new ArrayList<>(taints)).build())
        .setStatus(NodeStatus.newBuilder().setConditions(conditions.isEmpty() ? null : new ArrayList<>(conditions))
            .build())
        .build();
  }

  /** A node whose kubelet posted its four conditions, healthy, at {@code heartbeat}. */
  static Node ready(String name, Instant heartbeat) {
    return node(name, List.of(condition("MemoryPressure", "False", heartbeat), condition("DiskPressure", "False", heartbeat),
        condition("PIDPressure", "False", heartbeat), condition("Ready", "True", heartbeat)), List.of());
  }

  static Node withReady(Node n, String status) {
    Node c = io.capstan.controllers.runtime.PodTemplates.copy(n);
    c.getStatus().getConditions().stream().filter(x -> x.getType().equals("Ready")).forEach(x -> x.setStatus(status));
    return c;
  }

  static Lease lease(String name, Instant renewed) {
    return Lease.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("kube-node-lease").setName(name).build())
        .setSpec(LeaseSpec.newBuilder().setHolderIdentity(name).setLeaseDurationSeconds(40)
            .setRenewTime(renewed.toString()).build())
        .build();
  }

  static Taint taint(String key, String effect, Instant added) {
    return Taint.newBuilder().setKey(key).setEffect(effect).setTimeAdded(added == null ? null : added.toString()).build();
  }

  static Taint unreachable(Instant added) {
    return taint(TaintKeys.UNREACHABLE, TaintKeys.NO_EXECUTE, added);
  }

  static Toleration tolerate(String key, Long seconds) {
    return Toleration.newBuilder().setKey(key).setOperator("Exists").setEffect(TaintKeys.NO_EXECUTE)
        .setTolerationSeconds(seconds).build();
  }

  static Pod pod(String name, Instant created, List<Toleration> tolerations) {
    return Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name).setUid("uid-" + name)
            .setCreationTimestamp(created.toString()).build())
        .setSpec(PodSpec.newBuilder().setNodeName("n1").setTolerations(tolerations.isEmpty() ? null : tolerations)
            .setContainers(List.of(Container.newBuilder().setName("c").setImage("busybox").build())).build())
        .build();
  }
}
