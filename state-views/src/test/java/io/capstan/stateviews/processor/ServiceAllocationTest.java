package io.capstan.stateviews.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.api.ServiceSpec;
import io.capstan.log.Reply;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.processor.services.ServiceNetwork;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * ClusterIP and NodePort allocation in the single writer: dynamic picks, requested addresses
 * honoured or refused as kube-apiserver words it, releases on delete and on type changes,
 * immutability on update, and node ports kept when an update omits them.
 */
class ServiceAllocationTest {
  private static final String NS = "web";

  @Test
  void servicesGetDistinctAddressesAboveTheStaticBandAndTheFieldsKubernetesFills() {
    try (ProcessorHarness h = new ProcessorHarness().withNamespace(NS)) {
      Service a = h.accept(h.create(service("a", null, "ClusterIP", port(80, null))));
      Service b = h.accept(h.create(service("b", null, null, port(80, null))));
      // Dynamic picks start above the static band (256 addresses of a /12), as Kubernetes' allocator.
      assertEquals("10.96.1.0", a.getSpec().getClusterIP());
      assertEquals("10.96.1.1", b.getSpec().getClusterIP());
      assertEquals(List.of("10.96.1.0"), a.getSpec().getClusterIPs());
      assertEquals(List.of("IPv4"), a.getSpec().getIpFamilies());
      assertEquals("SingleStack", a.getSpec().getIpFamilyPolicy());
      assertEquals("ClusterIP", b.getSpec().getType());
    }
  }

  @Test
  void aRequestedAddressIsHonouredOnceAndRefusedWhenTakenOrOutOfRange() {
    try (ProcessorHarness h = new ProcessorHarness().withNamespace(NS)) {
      Service dns = h.accept(h.create(service("dns", "10.96.0.10", null, port(53, null))));
      assertEquals("10.96.0.10", dns.getSpec().getClusterIP());
      Reply taken = h.send(h.create(service("other", "10.96.0.10", null, port(53, null))));
      assertFalse(taken.getAccepted());
      assertEquals(422, taken.getStatus().getCode());
      assertEquals("Service \"other\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.96.0.10\"}: failed to"
          + " allocate IP 10.96.0.10: provided IP is already allocated", taken.getStatus().getMessage());
      assertEquals("spec.clusterIPs", taken.getStatus().getCauses().get(0).getField());
      Reply outside = h.send(h.create(service("far", "10.0.0.5", null, port(80, null))));
      assertEquals(422, outside.getStatus().getCode());
      assertTrue(outside.getStatus().getMessage().endsWith("failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5)"
          + " is not in the valid range. The range of valid IPs is 10.96.0.0/12"), outside.getStatus().getMessage());
      Reply network = h.send(h.create(service("net", "10.96.0.0", null, port(80, null))));
      assertEquals(422, network.getStatus().getCode(), "the network address is not a Service's");
      Reply bad = h.send(h.create(service("bad", "10.96.0.300", null, port(80, null))));
      assertEquals(422, bad.getStatus().getCode());
      assertEquals("spec.clusterIPs[0]", bad.getStatus().getCauses().get(0).getField());
      assertNull(h.objectStore().get("Service/web/other"), "nothing stored for a refused create");
      // The refused creates took nothing: dynamic picks go on from the start of the dynamic band.
      Service next = h.accept(h.create(service("next", null, null, port(80, null))));
      assertEquals("10.96.1.0", next.getSpec().getClusterIP());
    }
  }

  @Test
  void headlessAndExternalNameServicesGetNoAddress() {
    try (ProcessorHarness h = new ProcessorHarness().withNamespace(NS)) {
      Service headless = h.accept(h.create(service("db", "None", null, port(5432, null))));
      assertEquals("None", headless.getSpec().getClusterIP());
      assertEquals(List.of("None"), headless.getSpec().getClusterIPs());
      Service ext = h.accept(h.create(Service.newBuilder().setMetadata(ProcessorHarness.meta(NS, "ext").build())
          .setSpec(ServiceSpec.newBuilder().setType("ExternalName").setExternalName("example.com").build()).build()));
      assertNull(ext.getSpec().getClusterIP());
      assertNull(ext.getSpec().getClusterIPs());
      Reply extWithIp = h.send(h.create(Service.newBuilder().setMetadata(ProcessorHarness.meta(NS, "ext2").build())
          .setSpec(ServiceSpec.newBuilder().setType("ExternalName").setExternalName("example.com")
              .setClusterIP("10.96.0.77").build()).build()));
      assertEquals(422, extWithIp.getStatus().getCode());
      Service first = h.accept(h.create(service("first", null, null, port(80, null))));
      assertEquals("10.96.1.0", first.getSpec().getClusterIP(), "neither took an address");
    }
  }

  @Test
  void nodePortsAreAllocatedPerPortHonouredWhenRequestedAndRefusedWhenTakenOrOutOfRange() {
    try (ProcessorHarness h = new ProcessorHarness().withNamespace(NS)) {
      Service np = h.accept(h.create(service("np", null, "NodePort", port(80, null, "http"), port(443, 30100, "https"))));
      assertEquals(30086, np.getSpec().getPorts().get(0).getNodePort(), "above the static band of 86 ports");
      assertEquals(30100, np.getSpec().getPorts().get(1).getNodePort());
      Service lb = h.accept(h.create(service("lb", null, "LoadBalancer", port(80, null))));
      assertEquals(30087, lb.getSpec().getPorts().get(0).getNodePort());
      Reply taken = h.send(h.create(service("np2", null, "NodePort", port(80, 30100))));
      assertEquals(422, taken.getStatus().getCode());
      assertEquals("Service \"np2\" is invalid: spec.ports[0].nodePort: Invalid value: 30100: provided port is already"
          + " allocated", taken.getStatus().getMessage());
      Reply outside = h.send(h.create(service("np3", null, "NodePort", port(80, 40000))));
      assertEquals("Service \"np3\" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is not in"
          + " the valid range. The range of valid ports is 30000-32767", outside.getStatus().getMessage());
      // The refused np2 had 10.96.1.2 picked for it but holds nothing: the address is free to ask for.
      Service after = h.accept(h.create(service("after", "10.96.1.2", null, port(80, null))));
      assertEquals("10.96.1.2", after.getSpec().getClusterIP());
    }
  }

  @Test
  void deleteReleasesAddressesForTheNextService() {
    try (ProcessorHarness h = new ProcessorHarness().withNamespace(NS)) {
      h.accept(h.create(service("a", "10.96.0.50", "NodePort", port(80, 30500))));
      assertEquals(422, h.send(h.create(service("b", "10.96.0.50", "NodePort", port(80, 30500)))).getStatus().getCode());
      h.accept(h.delete(Kinds.SERVICE, NS, "a"));
      Service b = h.accept(h.create(service("b", "10.96.0.50", "NodePort", port(80, 30500))));
      assertEquals("10.96.0.50", b.getSpec().getClusterIP());
      assertEquals(30500, b.getSpec().getPorts().get(0).getNodePort());
    }
  }

  @Test
  void updatesKeepOmittedAddressesRefuseANewClusterIpAndReleaseDroppedPorts() {
    try (ProcessorHarness h = new ProcessorHarness().withNamespace(NS)) {
      Service s = h.accept(h.create(service("s", null, "NodePort", port(80, null, "http"))));
      String ip = s.getSpec().getClusterIP();
      int nodePort = s.getSpec().getPorts().get(0).getNodePort();
      // An update (as kubectl apply sends it) without clusterIP or nodePort keeps both, and adds a port.
      Service change = service("s", null, "NodePort", port(80, null, "http"), port(8080, null, "alt"));
      change.getMetadata().setResourceVersion(s.getMetadata().getResourceVersion());
      Service updated = h.accept(h.update(change));
      assertEquals(ip, updated.getSpec().getClusterIP());
      assertEquals(nodePort, updated.getSpec().getPorts().get(0).getNodePort());
      int second = updated.getSpec().getPorts().get(1).getNodePort();
      assertTrue(second >= 30000 && second != nodePort, "the new port got its own node port: " + second);

      Service moved = service("s", "10.96.0.99", "NodePort", port(80, null, "http"));
      moved.getMetadata().setResourceVersion(updated.getMetadata().getResourceVersion());
      Reply refused = h.send(h.update(moved));
      assertEquals(422, refused.getStatus().getCode());
      assertEquals("Service \"s\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.99\"}: may not"
          + " change once set", refused.getStatus().getMessage());

      // Back to ClusterIP: the node ports go back to the ledger; another Service may ask for them.
      Service plain = service("s", null, "ClusterIP", port(80, null, "http"));
      plain.getMetadata().setResourceVersion(updated.getMetadata().getResourceVersion());
      Service back = h.accept(h.update(plain));
      assertNull(back.getSpec().getPorts().get(0).getNodePort());
      assertEquals(ip, back.getSpec().getClusterIP());
      Service other = h.accept(h.create(service("o", null, "NodePort", port(80, nodePort, "a"), port(81, second, "b"))));
      assertEquals(nodePort, other.getSpec().getPorts().get(0).getNodePort());
    }
  }

  @Test
  void aFullRangeIsAnErrorAndNeverHandsOutTheReservedAddresses() {
    try (ProcessorHarness h = new ProcessorHarness(1,
        c -> c.withServiceNetwork(new ServiceNetwork("10.100.0.0/28", 30000, 30002))).withNamespace(NS)) {
      Set<String> ips = new HashSet<>();
      List<String> order = new ArrayList<>();
      // 16 addresses: network, broadcast, .1 (kubernetes) and .10 (DNS) are never picked: 12 left.
      for (int i = 0; i < 12; i++) {
        Service s = h.accept(h.create(service("s" + i, null, null, port(80, null))));
        ips.add(s.getSpec().getClusterIP());
        order.add(s.getSpec().getClusterIP());
      }
      assertEquals(12, ips.size(), "distinct: " + order);
      assertFalse(ips.contains("10.100.0.0") || ips.contains("10.100.0.1") || ips.contains("10.100.0.10")
          || ips.contains("10.100.0.15"), "reserved addresses handed out: " + order);
      Reply full = h.send(h.create(service("s12", null, null, port(80, null))));
      assertEquals(500, full.getStatus().getCode());
      assertTrue(full.getStatus().getMessage().contains("range is full"), full.getStatus().getMessage());
      // A requested reserved address is honoured: that is how the kubernetes Service gets its own.
      Service k = h.accept(h.create(service("k", "10.100.0.1", null, port(443, null))));
      assertEquals("10.100.0.1", k.getSpec().getClusterIP());
    }
  }

  @Test
  void aDryRunReservesNothing() {
    try (ProcessorHarness h = new ProcessorHarness().withNamespace(NS)) {
      var dry = h.create(service("d", "10.96.0.60", null, port(80, null)));
      dry.setDryRun(true);
      Reply r = h.send(dry);
      assertTrue(r.getAccepted(), String.valueOf(r.getStatus()));
      Service real = h.accept(h.create(service("r", "10.96.0.60", null, port(80, null))));
      assertEquals("10.96.0.60", real.getSpec().getClusterIP());
    }
  }

  @Test
  void theServiceNetworkRefusesBadRanges() {
    assertEquals("10.96.0.1", ServiceNetwork.defaults().kubernetesServiceIP());
    assertEquals("10.96.0.10", ServiceNetwork.defaults().dnsServiceIP());
    for (String bad : List.of("10.96.0.0", "10.96.0.1/12", "fd00::/108", "10.96.0.0/30", "10.96.0.0/x")) {
      IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> ServiceNetwork.of(bad));
      assertTrue(e.getMessage().contains(bad), e.getMessage());
    }
  }

  static Service service(String name, String clusterIP, String type, ServicePort... ports) {
    return Service.newBuilder().setMetadata(ProcessorHarness.meta(NS, name).setLabels(Map.of()).build())
        .setSpec(ServiceSpec.newBuilder().setClusterIP(clusterIP).setType(type).setSelector(Map.of("app", name))
            .setPorts(new ArrayList<>(List.of(ports))).build())
        .build();
  }

  static ServicePort port(int port, Integer nodePort) {
    return ServicePort.newBuilder().setPort(port).setNodePort(nodePort).build();
  }

  static ServicePort port(int port, Integer nodePort, String name) {
    return ServicePort.newBuilder().setName(name).setPort(port).setNodePort(nodePort).build();
  }
}
