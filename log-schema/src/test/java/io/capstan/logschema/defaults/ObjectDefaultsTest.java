package io.capstan.logschema.defaults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.capstan.api.Container;
import io.capstan.api.LimitRange;
import io.capstan.api.LimitRangeItem;
import io.capstan.api.LimitRangeSpec;
import io.capstan.api.Namespace;
import io.capstan.api.Node;
import io.capstan.api.NodeStatus;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.api.ServiceSpec;
import io.capstan.logschema.kinds.TrustedModelClasses;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ObjectDefaultsTest {
  static {
    TrustedModelClasses.install();
  }

  private static Service service(ServiceSpec spec) {
    Service s = Service.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("s").build()).setSpec(spec).build();
    ObjectDefaults.apply(s);
    return s;
  }

  private static ServicePort port(int port) {
    return ServicePort.newBuilder().setPort(port).build();
  }

  @Test
  void aHeadlessServiceWithoutSelectorRequiresDualStackAndClientIpAffinityGetsItsTimeout() {
    ServiceSpec headless = service(ServiceSpec.newBuilder().setClusterIP("None").setSessionAffinity("ClientIP")
        .setPorts(List.of(port(53))).build()).getSpec();
    assertEquals("RequireDualStack", headless.getIpFamilyPolicy());
    assertEquals(List.of("IPv4"), headless.getIpFamilies());
    assertEquals(10800, headless.getSessionAffinityConfig().getClientIP().getTimeoutSeconds());
    assertEquals(53, headless.getPorts().get(0).getTargetPort());

    ServiceSpec lb = service(ServiceSpec.newBuilder().setType("LoadBalancer").setSelector(Map.of("a", "b"))
        .setIpFamilyPolicy("PreferDualStack").setPorts(List.of(port(443))).build()).getSpec();
    assertEquals("PreferDualStack", lb.getIpFamilyPolicy(), "a chosen policy stays");
    assertEquals(true, lb.getAllocateLoadBalancerNodePorts());
    assertEquals("Cluster", lb.getExternalTrafficPolicy());

    ServiceSpec external = service(ServiceSpec.newBuilder().setType("ExternalName").setExternalName("x.example")
        .build()).getSpec();
    assertNull(external.getIpFamilyPolicy());
    assertNull(external.getInternalTrafficPolicy());
  }

  @Test
  void imageTagsDecideThePullPolicy() {
    for (var c : Map.of("busybox", "Always", "busybox:latest", "Always", "busybox:1.36", "IfNotPresent",
        "registry:5000/app", "Always", "registry:5000/app:2", "IfNotPresent", "app@sha256:abc", "IfNotPresent",
        "app:latest@sha256:abc", "Always").entrySet()) {
      Container container = Container.newBuilder().setName("c").setImage(c.getKey()).build();
      PodDefaults.container(container);
      assertEquals(c.getValue(), container.getImagePullPolicy(), c.getKey());
    }
  }

  @Test
  void namespaceNodeAndLimitRangeDefaults() {
    Namespace ns = Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("team").build()).build();
    ObjectDefaults.apply(ns);
    assertEquals(Map.of("kubernetes.io/metadata.name", "team"), ns.getMetadata().getLabels());
    assertEquals("Active", ns.getStatus().getPhase());

    Node node = Node.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("n").build())
        .setStatus(NodeStatus.newBuilder().setCapacity(Map.of("cpu", "2")).build()).build();
    ObjectDefaults.apply(node);
    assertEquals(Map.of("cpu", "2"), node.getStatus().getAllocatable());

    LimitRangeItem item = LimitRangeItem.newBuilder().setType("Container").setMax(Map.of("cpu", "2", "memory", "1Gi"))
        .setMin(Map.of("cpu", "100m")).setDefault$(Map.of("memory", "512Mi")).build();
    LimitRange lr = LimitRange.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("l").build())
        .setSpec(LimitRangeSpec.newBuilder().setLimits(List.of(item)).build()).build();
    ObjectDefaults.apply(lr);
    assertEquals(Map.of("cpu", "2", "memory", "512Mi"), item.getDefault$());
    assertEquals(Map.of("cpu", "2", "memory", "512Mi"), item.getDefaultRequest(), "the default limit, before the min");
  }
}
