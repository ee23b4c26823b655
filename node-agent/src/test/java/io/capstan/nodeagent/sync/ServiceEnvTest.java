package io.capstan.nodeagent.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.api.Container;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.api.ServiceSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ServiceEnvTest {
  static Service svc(String ns, String name, String ip, ServicePort... ports) {
    return Service.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name).build())
        .setSpec(ServiceSpec.newBuilder().setClusterIP(ip).setPorts(List.of(ports)).build()).build();
  }

  static ServicePort port(String name, int port, String proto) {
    return ServicePort.newBuilder().setName(name).setPort(port).setProtocol(proto).build();
  }

  static Pod pod(Boolean links) {
    return Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("shop").setName("p").build())
        .setSpec(PodSpec.newBuilder().setContainers(List.of(Container.newBuilder().setName("c").setImage("i").build()))
            .setEnableServiceLinks(links).build())
        .build();
  }

  static final Service KUBERNETES = svc("default", "kubernetes", "10.96.0.1", port("https", 443, "TCP"));

  @Test
  void dockerLinksVariablesAsKubelet() {
    Service web = svc("shop", "web-front", "10.96.0.20", port("http", 80, "TCP"), port("dns", 53, "UDP"));
    Map<String, String> env = ServiceEnv.of(pod(null), List.of(web), Optional.of(KUBERNETES));
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("KUBERNETES_SERVICE_HOST", "10.96.0.1");
    expected.put("KUBERNETES_SERVICE_PORT", "443");
    expected.put("KUBERNETES_SERVICE_PORT_HTTPS", "443");
    expected.put("KUBERNETES_PORT", "tcp://10.96.0.1:443");
    expected.put("KUBERNETES_PORT_443_TCP", "tcp://10.96.0.1:443");
    expected.put("KUBERNETES_PORT_443_TCP_PROTO", "tcp");
    expected.put("KUBERNETES_PORT_443_TCP_PORT", "443");
    expected.put("KUBERNETES_PORT_443_TCP_ADDR", "10.96.0.1");
    expected.put("WEB_FRONT_SERVICE_HOST", "10.96.0.20");
    expected.put("WEB_FRONT_SERVICE_PORT", "80");
    expected.put("WEB_FRONT_SERVICE_PORT_HTTP", "80");
    expected.put("WEB_FRONT_SERVICE_PORT_DNS", "53");
    expected.put("WEB_FRONT_PORT", "tcp://10.96.0.20:80");
    expected.put("WEB_FRONT_PORT_80_TCP", "tcp://10.96.0.20:80");
    expected.put("WEB_FRONT_PORT_80_TCP_PROTO", "tcp");
    expected.put("WEB_FRONT_PORT_80_TCP_PORT", "80");
    expected.put("WEB_FRONT_PORT_80_TCP_ADDR", "10.96.0.20");
    expected.put("WEB_FRONT_PORT_53_UDP", "udp://10.96.0.20:53");
    expected.put("WEB_FRONT_PORT_53_UDP_PROTO", "udp");
    expected.put("WEB_FRONT_PORT_53_UDP_PORT", "53");
    expected.put("WEB_FRONT_PORT_53_UDP_ADDR", "10.96.0.20");
    assertEquals(expected, env);
    assertEquals(List.copyOf(expected.keySet()), List.copyOf(env.keySet()), "grouped by Service, in name order");
  }

  @Test
  void headlessExternalAndOtherNamespacesGiveNothing() {
    Service headless = svc("shop", "db", "None", port("pg", 5432, "TCP"));
    Service other = svc("elsewhere", "api", "10.96.0.30", port("http", 80, "TCP"));
    Service external = Service.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("shop").setName("ext")
        .build()).setSpec(ServiceSpec.newBuilder().setType("ExternalName").setExternalName("example.org").build()).build();
    assertEquals(Map.of(), ServiceEnv.of(pod(null), List.of(headless, other, external), Optional.empty()));
  }

  @Test
  void withoutServiceLinksOnlyTheKubernetesService() {
    Service web = svc("shop", "web", "10.96.0.20", port("http", 80, "TCP"));
    Map<String, String> env = ServiceEnv.of(pod(false), List.of(web), Optional.of(KUBERNETES));
    assertEquals("10.96.0.1", env.get("KUBERNETES_SERVICE_HOST"));
    assertEquals(null, env.get("WEB_SERVICE_HOST"));
    assertEquals("10.96.0.20", ServiceEnv.of(pod(true), List.of(web), Optional.empty()).get("WEB_SERVICE_HOST"));
  }

  @Test
  void theServicesVariablesCanBeReferredToAndOverridden() throws Exception {
    Pod p = pod(null);
    p.getSpec().getContainers().get(0).setEnv(List.of(
        io.capstan.api.EnvVar.newBuilder().setName("URL").setValue("http://$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT)/")
            .build(),
        io.capstan.api.EnvVar.newBuilder().setName("WEB_SERVICE_PORT").setValue("8080").build()));
    Service web = svc("shop", "web", "10.96.0.20", port("http", 80, "TCP"));
    ConfigSource source = new ConfigSource() {
      @Override
      public Optional<io.capstan.api.ConfigMap> configMap(String namespace, String name) {
        return Optional.empty();
      }

      @Override
      public Optional<io.capstan.api.Secret> secret(String namespace, String name) {
        return Optional.empty();
      }

      @Override
      public List<Service> services(String namespace) {
        return namespace.equals("shop") ? List.of(web) : List.of();
      }
    };
    Map<String, String> env = ContainerProcess.env(p, p.getSpec().getContainers().get(0),
        new io.capstan.nodeagent.runtime.ImageInfo(List.of("busybox"), "sha256:x", List.of(java.nio.file.Path.of("/nonexistent-layer")), List.of(), List.of("sh"), List.of(), "", 0),
        source, new PodIps("10.0.0.1", "10.244.0.2"));
    assertEquals("http://10.96.0.20:80/", env.get("URL"));
    assertEquals("8080", env.get("WEB_SERVICE_PORT"), "the container's own env wins");
  }
}
