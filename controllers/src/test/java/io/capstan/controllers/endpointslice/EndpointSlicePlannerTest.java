package io.capstan.controllers.endpointslice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Container;
import io.capstan.api.ContainerPort;
import io.capstan.api.Endpoint;
import io.capstan.api.EndpointSlice;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodSpec;
import io.capstan.api.PodStatus;
import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.api.ServiceSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EndpointSlicePlannerTest {
  private static final Map<String, String> WEB = Map.of("app", "web");

  @Test
  void conditionsFollowReadinessAndTermination() {
    Pod ready = pod("a", "10.1.0.1", true, 8080);
    Pod notReady = pod("b", "10.1.0.2", false, 8080);
    Pod leaving = pod("c", "10.1.0.3", true, 8080);
    leaving.getMetadata().setDeletionTimestamp("2026-12-05T12:00:00Z");
    Pod noIp = pod("d", null, true, 8080);
    Pod other = pod("e", "10.1.0.5", true, 8080);
    other.getMetadata().setLabels(Map.of("app", "db"));
    Map<String, EndpointSlice> plan = EndpointSlicePlanner.plan(service(false), List.of(ready, notReady, leaving, noIp, other));
    assertEquals(1, plan.size());
    EndpointSlice slice = plan.values().iterator().next();
    assertEquals("IPv4", slice.getAddressType());
    assertEquals("web", slice.getMetadata().getLabels().get("kubernetes.io/service-name"));
    assertEquals("endpointslice-controller.k8s.io", slice.getMetadata().getLabels().get("endpointslice.kubernetes.io/managed-by"));
    assertEquals("Service", slice.getMetadata().getOwnerReferences().get(0).getKind());
    assertTrue(slice.getMetadata().getName().startsWith("web-"), slice.getMetadata().getName());
    assertEquals(8080, slice.getPorts().get(0).getPort(), "named target port resolved");
    assertEquals("http", slice.getPorts().get(0).getName());
    List<Endpoint> eps = slice.getEndpoints();
    assertEquals(List.of("10.1.0.1", "10.1.0.2", "10.1.0.3"), eps.stream().map(e -> e.getAddresses().get(0)).toList());
    assertConditions(eps.get(0), true, true, false);
    assertConditions(eps.get(1), false, false, false);
    assertConditions(eps.get(2), false, true, true);
    assertEquals("node-1", eps.get(0).getNodeName());
    assertEquals("a", eps.get(0).getTargetRef().getName());
  }

  @Test
  void publishNotReadyAddressesMakesEveryEndpointReady() {
    Map<String, EndpointSlice> plan = EndpointSlicePlanner.plan(service(true), List.of(pod("b", "10.1.0.2", false, 8080)));
    assertConditions(plan.values().iterator().next().getEndpoints().get(0), true, true, false);
  }

  @Test
  void atMostOneHundredEndpointsPerSliceAndOneSetPerPortList() {
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      pods.add(pod(String.format("p%03d", i), "10.2." + (i / 200) + "." + (i % 200), true, 8080));
    }
    pods.add(pod("odd", "10.3.0.1", true, 9090)); // its "http" port is another number: a slice of its own
    Map<String, EndpointSlice> plan = EndpointSlicePlanner.plan(service(false), pods);
    assertEquals(4, plan.size(), plan.keySet().toString());
    Set<String> addresses = new HashSet<>();
    int total = 0;
    for (EndpointSlice s : plan.values()) {
      assertTrue(s.getEndpoints().size() <= 100, s.getMetadata().getName() + " has " + s.getEndpoints().size());
      total += s.getEndpoints().size();
      s.getEndpoints().forEach(e -> addresses.add(e.getAddresses().get(0)));
    }
    assertEquals(251, total);
    assertEquals(251, addresses.size(), "every endpoint in exactly one slice");
    assertEquals(plan.keySet(), EndpointSlicePlanner.plan(service(false), pods).keySet(), "names are stable");
  }

  @Test
  void aServiceWithoutEndpointsHasOneEmptySlice() {
    Map<String, EndpointSlice> plan = EndpointSlicePlanner.plan(service(false), List.of());
    assertEquals(1, plan.size());
    EndpointSlice s = plan.values().iterator().next();
    assertTrue(s.getEndpoints().isEmpty());
    assertFalse(s.getPorts().isEmpty());
  }

  @Test
  void aPodWithHostnameAndThisServiceAsSubdomainNamesItsEndpoint() {
    Pod peer = pod("web-0", "10.1.0.1", true, 8080);
    peer.getSpec().setHostname("web-0");
    peer.getSpec().setSubdomain("web");
    Pod elsewhere = pod("web-1", "10.1.0.2", true, 8080);
    elsewhere.getSpec().setHostname("web-1");
    elsewhere.getSpec().setSubdomain("other"); // another service's subdomain: no hostname here
    Pod plain = pod("web-2", "10.1.0.3", true, 8080);
    plain.getSpec().setSubdomain("web"); // a subdomain without a hostname: none either
    List<Endpoint> eps = EndpointSlicePlanner.plan(service(false), List.of(peer, elsewhere, plain)).values().iterator()
        .next().getEndpoints();
    assertEquals(java.util.Arrays.asList("web-0", null, null), eps.stream().map(Endpoint::getHostname).toList());
    List<io.capstan.api.EndpointAddress> addresses = io.capstan.controllers.endpoints.EndpointsController
        .subsets(service(false), List.of(peer, elsewhere, plain)).get(0).getAddresses();
    assertEquals(java.util.Arrays.asList("web-0", null, null),
        addresses.stream().map(io.capstan.api.EndpointAddress::getHostname).toList(), "Endpoints as the slices");
  }

  private static void assertConditions(Endpoint e, boolean ready, boolean serving, boolean terminating) {
    assertEquals(ready, e.getConditions().getReady(), "ready of " + e.getAddresses());
    assertEquals(serving, e.getConditions().getServing(), "serving of " + e.getAddresses());
    assertEquals(terminating, e.getConditions().getTerminating(), "terminating of " + e.getAddresses());
  }

  private static Service service(boolean publishNotReady) {
    return Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName("web").setUid("svc-uid").build())
        .setSpec(ServiceSpec.newBuilder().setSelector(WEB).setPublishNotReadyAddresses(publishNotReady)
            .setPorts(List.of(ServicePort.newBuilder().setName("http").setPort(80).setTargetPort("http").build()))
            .build())
        .build();
  }

  private static Pod pod(String name, String ip, boolean ready, int port) {
    return Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName(name).setUid("uid-" + name).setLabels(WEB).build())
        .setSpec(PodSpec.newBuilder().setNodeName("node-1").setContainers(List.of(Container.newBuilder().setName("c")
            .setImage("busybox").setPorts(List.of(ContainerPort.newBuilder().setName("http").setContainerPort(port)
                .build())).build())).build())
        .setStatus(PodStatus.newBuilder().setPhase("Running").setPodIP(ip).setConditions(List.of(
            PodCondition.newBuilder().setType("Ready").setStatus(ready ? "True" : "False").build())).build())
        .build();
  }
}
