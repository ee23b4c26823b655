package io.capstan.controllers.endpoints;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.capstan.api.ContainerPort;
import io.capstan.api.EndpointAddress;
import io.capstan.api.EndpointSubset;
import io.capstan.api.Endpoints;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodStatus;
import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.api.ServiceSpec;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Endpoints follow the pods behind a Service, ready and not ready, on the real broker. */
class EndpointsControllerKafkaTest {

  private static Pod pod(String name, Map<String, String> labels) {
    Pod p = Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("svc").setName(name).setLabels(labels).build())
        .setSpec(Cluster.template(labels, "nginx").getSpec()).build();
    p.getSpec().getContainers().get(0).setPorts(List.of(ContainerPort.newBuilder().setName("http")
        .setContainerPort(8080).build()));
    return p;
  }

  private static void setStatus(Cluster cluster, Informer<Pod> pods, String name, String ip, boolean ready)
      throws Exception {
    Cluster.await(name + " cached", () -> pods.get("svc", name).isPresent());
    Pod p = PodTemplates.copy(pods.get("svc", name).orElseThrow());
    p.setStatus(PodStatus.newBuilder().setPhase("Running").setPodIP(ip).setConditions(List.of(PodCondition.newBuilder()
        .setType("Ready").setStatus(ready ? "True" : "False").build())).build());
    cluster.client.updateStatus(p).get(30, TimeUnit.SECONDS);
  }

  private static List<String> ips(List<EndpointAddress> a) {
    return a == null ? null : a.stream().map(EndpointAddress::getIp).toList();
  }

  @Test
  void readyAndNotReadyPodsWithResolvedPorts() throws Exception {
    try (Cluster cluster = new Cluster("ep-it");
        EndpointsController ec = new EndpointsController(cluster.informers, cluster.writer, 1, cluster.registry)) {
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      Informer<Endpoints> eps = cluster.informers.informerFor(Kinds.ENDPOINTS, Endpoints.class);
      cluster.startInformers();
      ec.start();
      cluster.namespace("svc");
      Map<String, String> web = Map.of("app", "web");
      cluster.create(pod("a", web));
      cluster.create(pod("b", web));
      cluster.create(pod("no-ip", web));
      cluster.create(pod("other", Map.of("app", "db")));
      setStatus(cluster, pods, "a", "10.0.0.2", true);
      setStatus(cluster, pods, "b", "10.0.0.1", false);
      setStatus(cluster, pods, "other", "10.0.0.9", true);
      cluster.create(Service.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace("svc").setName("web").build())
          .setSpec(ServiceSpec.newBuilder().setSelector(web).setPorts(List.of(
              ServicePort.newBuilder().setName("http").setPort(80).setTargetPort("http").build())).build())
          .build());
      Cluster.await("endpoints", () -> eps.get("svc", "web").map(e -> e.getSubsets() != null).orElse(false));
      EndpointSubset s = eps.get("svc", "web").orElseThrow().getSubsets().get(0);
      assertEquals(List.of("10.0.0.2"), ips(s.getAddresses()));
      assertEquals(List.of("10.0.0.1"), ips(s.getNotReadyAddresses()));
      assertEquals(8080, s.getPorts().get(0).getPort(), "the named target port resolves to the container port");
      assertEquals("a", s.getAddresses().get(0).getTargetRef().getName());

      setStatus(cluster, pods, "b", "10.0.0.1", true);
      Cluster.await("b ready", () -> eps.get("svc", "web").map(e -> List.of("10.0.0.1", "10.0.0.2")
          .equals(ips(e.getSubsets().get(0).getAddresses()))).orElse(false));
      assertNull(eps.get("svc", "web").orElseThrow().getSubsets().get(0).getNotReadyAddresses());

      cluster.client.delete(Kinds.POD, "svc", "a", null).get(30, TimeUnit.SECONDS);
      Cluster.await("a gone", () -> eps.get("svc", "web").map(e -> List.of("10.0.0.1")
          .equals(ips(e.getSubsets().get(0).getAddresses()))).orElse(false));

      cluster.client.delete(Kinds.SERVICE, "svc", "web", null).get(30, TimeUnit.SECONDS);
      Cluster.await("endpoints deleted with the service", () -> eps.get("svc", "web").isEmpty());
    }
  }
}
