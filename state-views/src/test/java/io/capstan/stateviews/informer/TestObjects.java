package io.capstan.stateviews.informer;

import io.capstan.api.ConfigMap;
import io.capstan.api.Container;
import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import java.util.List;
import java.util.Map;

/** Small objects for informer tests. */
final class TestObjects {
  private TestObjects() {}

  static ConfigMap configMap(String ns, String name, String value) {
    return ConfigMap.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name).build())
        .setData(Map.of("value", value))
        .build();
  }

  static ConfigMap configMap(String ns, String name, Map<String, String> labels, String... ownerUids) {
    List<OwnerReference> owners = java.util.Arrays.stream(ownerUids)
        .map(uid -> OwnerReference.newBuilder().setApiVersion("apps/v1").setKind("ReplicaSet").setName("rs-" + uid)
            .setUid(uid).build())
        .toList();
    return ConfigMap.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name).setLabels(labels)
            .setOwnerReferences(owners.isEmpty() ? null : owners).build())
        .build();
  }

  static Pod pod(String ns, String name, String nodeName) {
    Container c = Container.newBuilder().setName("main").setImage("busybox").build();
    return Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name).build())
        .setSpec(PodSpec.newBuilder().setContainers(List.of(c)).setNodeName(nodeName).build())
        .build();
  }

  static String key(ConfigMap cm) {
    return "ConfigMap/" + cm.getMetadata().getNamespace() + "/" + cm.getMetadata().getName();
  }

  static String key(Pod p) {
    return "Pod/" + p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
  }
}
