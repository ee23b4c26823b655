package io.capstan.controllers.endpointslice;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.api.ContainerPort;
import io.capstan.api.EndpointSlice;
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

/** EndpointSlices follow the pods behind a Service on the real broker, and go with it. */
class EndpointSliceControllerKafkaTest {

  @Test
  void slicesFollowPodsAndGoWithTheService() throws Exception {
    try (Cluster cluster = new Cluster("eps-it");
        EndpointSliceController c = new EndpointSliceController(cluster.informers, cluster.writer, 1, cluster.registry)) {
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      Informer<EndpointSlice> slices = cluster.informers.informerFor(Kinds.ENDPOINT_SLICE, EndpointSlice.class);
      cluster.startInformers();
      c.start();
      cluster.namespace("svc");
      Map<String, String> web = Map.of("app", "web");
      cluster.create(pod("a", web));
      cluster.create(pod("b", web));
      setStatus(cluster, pods, "a", "10.0.0.2", true);
      setStatus(cluster, pods, "b", "10.0.0.1", false);
      cluster.create(Service.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace("svc").setName("web").build())
          .setSpec(ServiceSpec.newBuilder().setSelector(web).setPorts(List.of(
              ServicePort.newBuilder().setName("http").setPort(80).setTargetPort("http").build())).build())
          .build());
      Cluster.await("a slice with both pods", () -> addresses(slices).equals(List.of("10.0.0.1", "10.0.0.2")));
      EndpointSlice s = slices.list("svc").get(0);
      assertEquals(8080, s.getPorts().get(0).getPort());
      assertEquals(false, s.getEndpoints().get(0).getConditions().getReady(), "b is not ready");
      assertEquals(true, s.getEndpoints().get(1).getConditions().getReady(), "a is ready");

      setStatus(cluster, pods, "b", "10.0.0.1", true);
      Cluster.await("b ready", () -> slices.list("svc").stream().allMatch(x -> x.getEndpoints().stream()
          .allMatch(e -> Boolean.TRUE.equals(e.getConditions().getReady()))));
      cluster.client.delete(Kinds.POD, "svc", "a", null).get(30, TimeUnit.SECONDS);
      Cluster.await("a gone", () -> addresses(slices).equals(List.of("10.0.0.1")));

      cluster.client.delete(Kinds.SERVICE, "svc", "web", null).get(30, TimeUnit.SECONDS);
      Cluster.await("slices deleted with the service", () -> slices.list("svc").isEmpty());
    }
  }

  private static List<String> addresses(Informer<EndpointSlice> slices) {
    return slices.list("svc").stream().flatMap(s -> s.getEndpoints() == null ? java.util.stream.Stream.empty()
        : s.getEndpoints().stream()).map(e -> e.getAddresses().get(0)).sorted().toList();
  }

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
}
