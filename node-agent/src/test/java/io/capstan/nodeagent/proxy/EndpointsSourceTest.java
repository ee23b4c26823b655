package io.capstan.nodeagent.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ClientIPConfig;
import io.capstan.api.EndpointAddress;
import io.capstan.api.EndpointPort;
import io.capstan.api.EndpointSubset;
import io.capstan.api.Endpoints;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.api.ServiceSpec;
import io.capstan.api.SessionAffinityConfig;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EndpointsSourceTest {
  private static ObjectMeta meta() {
    return ObjectMeta.newBuilder().setNamespace("shop").setName("web").build();
  }

  private static Service service(ServiceSpec.Builder spec) {
    return Service.newBuilder().setMetadata(meta()).setSpec(spec.build()).build();
  }

  private static ServiceSpec.Builder twoPorts() {
    return ServiceSpec.newBuilder().setClusterIP("10.96.0.20").setType("NodePort").setPorts(List.of(
        ServicePort.newBuilder().setName("http").setPort(80).setTargetPort(8080).setNodePort(30080).build(),
        ServicePort.newBuilder().setName("dns").setProtocol("UDP").setPort(53).build()));
  }

  private static Endpoints endpoints() {
    return Endpoints.newBuilder().setMetadata(meta()).setSubsets(List.of(
        EndpointSubset.newBuilder()
            .setAddresses(List.of(EndpointAddress.newBuilder().setIp("10.244.0.6").build(),
                EndpointAddress.newBuilder().setIp("10.244.0.5").build()))
            .setNotReadyAddresses(List.of(EndpointAddress.newBuilder().setIp("10.244.0.9").build()))
            .setPorts(List.of(EndpointPort.newBuilder().setName("http").setPort(8080).build(),
                EndpointPort.newBuilder().setName("dns").setProtocol("UDP").setPort(5353).build()))
            .build())).build();
  }

  @Test
  void eachPortGetsTheReadyAddressesOfItsNamedEndpointPort() {
    List<ProxiedPort> ports = EndpointsSource.portsOf(service(twoPorts()), endpoints());
    assertEquals(2, ports.size());
    ProxiedPort http = ports.get(0);
    assertEquals("shop/web:http/tcp", http.id());
    assertEquals(30080, http.nodePort());
    assertEquals(List.of(new ProxiedPort.Backend("10.244.0.5", 8080), new ProxiedPort.Backend("10.244.0.6", 8080)),
        http.endpoints(), "ready addresses only, in a stable order");
    ProxiedPort dns = ports.get(1);
    assertEquals("udp", dns.protocol());
    assertEquals(List.of(new ProxiedPort.Backend("10.244.0.5", 5353), new ProxiedPort.Backend("10.244.0.6", 5353)),
        dns.endpoints());
    assertEquals(0, dns.nodePort(), "no nodePort allocated for this port");
  }

  @Test
  void noEndpointsObjectMeansNoEndpoints() {
    List<ProxiedPort> ports = EndpointsSource.portsOf(service(twoPorts()), null);
    assertEquals(2, ports.size());
    assertTrue(ports.stream().allMatch(p -> p.endpoints().isEmpty()));
  }

  @Test
  void headlessExternalNameAndUnallocatedServicesAreNotProxied() {
    assertEquals(List.of(), EndpointsSource.portsOf(service(twoPorts().setClusterIP("None")), endpoints()));
    assertEquals(List.of(), EndpointsSource.portsOf(service(twoPorts().setClusterIP(null)), endpoints()));
    assertEquals(List.of(), EndpointsSource.portsOf(service(twoPorts().setType("ExternalName")
        .setExternalName("db.example.com")), endpoints()));
  }

  @Test
  void clusterIpTypeIgnoresNodePortsAndAffinityDefaultsToThreeHours() {
    List<ProxiedPort> ports = EndpointsSource.portsOf(service(twoPorts().setType("ClusterIP")
        .setSessionAffinity("ClientIP")), endpoints());
    assertEquals(0, ports.get(0).nodePort());
    assertEquals(10800, ports.get(0).affinitySeconds());
    ports = EndpointsSource.portsOf(service(twoPorts().setSessionAffinity("ClientIP").setSessionAffinityConfig(
        SessionAffinityConfig.newBuilder().setClientIP(ClientIPConfig.newBuilder().setTimeoutSeconds(60).build())
            .build())), endpoints());
    assertEquals(60, ports.get(0).affinitySeconds());
  }

  @Test
  void triggerTimeIsTheAnnotationElseNow() {
    Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:10Z"), ZoneOffset.UTC);
    Endpoints plain = endpoints();
    assertEquals(clock.instant(), EndpointsSource.triggerTime(plain, clock));
    Endpoints annotated = Endpoints.newBuilder().setSubsets(plain.getSubsets()).setMetadata(ObjectMeta.newBuilder()
        .setNamespace("shop").setName("web")
        .setAnnotations(Map.of(EndpointsSource.TRIGGER_TIME, "2026-01-01T00:00:07.250Z")).build()).build();
    assertEquals(Instant.parse("2026-01-01T00:00:07.250Z"), EndpointsSource.triggerTime(annotated, clock));
  }
}
