package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.security.AdminToken;
import io.capstan.gateway.testing.Fabric8Clients;
import io.capstan.gateway.testing.KafkaGatewayFixture;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Service ClusterIP and NodePort allocation through the fabric8 client, on the real backbone
 * with Services spread over four partitions: concurrent creates from several clients never get
 * the same address, a requested address raced for by several Services goes to exactly one and
 * the others get kube-apiserver's 422, and a deleted Service's address can be taken again.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ServiceAllocationFabric8Test {
  private static final int PARTITIONS = 4;
  private static final String NS = "alloc";

  @TempDir
  static Path dataDir;
  static KafkaGatewayFixture backend;
  static KubernetesClient client;

  @BeforeAll
  static void start() throws Exception {
    backend = KafkaGatewayFixture.start("svcalloc", PARTITIONS, WatchCacheConfig.defaults());
    GatewayServer gateway = backend.startServer(dataDir);
    GatewayConfig config = GatewayConfig.defaults(dataDir);
    client = Fabric8Clients.of(gateway.url(), config.pkiDir().resolve("ca.crt"), AdminToken.ensure(config.tokenFile()));
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  @Test
  void concurrentCreatesGetDistinctAddressesAndARacedAddressGoesToOne() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Service>> created = new ArrayList<>();
      for (int i = 0; i < 80; i++) {
        String name = "svc-" + i;
        String type = i % 4 == 0 ? "NodePort" : "ClusterIP";
        created.add(pool.submit(() -> createWithRetry(service(name, null, type, null))));
      }
      Set<String> ips = new HashSet<>();
      Set<Integer> nodePorts = new HashSet<>();
      int nodePortServices = 0;
      for (Future<Service> f : created) {
        Service s = f.get(120, TimeUnit.SECONDS);
        String ip = s.getSpec().getClusterIP();
        assertNotNull(ip, s.getMetadata().getName() + " has a cluster IP");
        assertTrue(ip.startsWith("10.9"), ip);
        assertEquals(List.of(ip), s.getSpec().getClusterIPs());
        assertTrue(ips.add(ip), "cluster IP " + ip + " handed out twice");
        if ("NodePort".equals(s.getSpec().getType())) {
          nodePortServices++;
          int np = s.getSpec().getPorts().get(0).getNodePort();
          assertTrue(np >= 30000 && np <= 32767, "node port " + np);
          assertTrue(nodePorts.add(np), "node port " + np + " handed out twice");
        }
      }
      assertEquals(80, ips.size());
      assertEquals(20, nodePortServices);
      // What the gateway lists agrees with what the creates answered.
      Map<String, String> listed = new java.util.HashMap<>();
      for (Service s : client.services().inNamespace(NS).list().getItems()) {
        listed.put(s.getMetadata().getName(), s.getSpec().getClusterIP());
      }
      assertEquals(ips, new HashSet<>(listed.values()));

      // Six Services race for one requested address (and one node port): exactly one wins.
      List<Future<Object>> race = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String name = "race-" + i;
        race.add(pool.submit(() -> {
          try {
            return createWithRetry(service(name, "10.96.0.77", "NodePort", 30077));
          } catch (KubernetesClientException e) {
            return e;
          }
        }));
      }
      int won = 0;
      String winner = null;
      for (Future<Object> f : race) {
        Object r = f.get(120, TimeUnit.SECONDS);
        if (r instanceof Service s) {
          won++;
          winner = s.getMetadata().getName();
        } else {
          KubernetesClientException e = (KubernetesClientException) r;
          assertEquals(422, e.getCode(), e.getMessage());
          String message = e.getStatus().getMessage();
          assertTrue(message.contains("spec.clusterIPs: Invalid value: []string{\"10.96.0.77\"}: failed to allocate IP"
              + " 10.96.0.77: provided IP is already allocated")
              || message.contains("spec.ports[0].nodePort: Invalid value: 30077: provided port is already allocated"),
              message);
        }
      }
      assertEquals(1, won, "exactly one Service gets 10.96.0.77");

      // Released on delete: another Service may take it.
      client.services().inNamespace(NS).withName(winner).delete();
      Service again = createWithRetry(service("again", "10.96.0.77", "NodePort", 30077));
      assertEquals("10.96.0.77", again.getSpec().getClusterIP());
      assertEquals(30077, again.getSpec().getPorts().get(0).getNodePort());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void badAddressesAreRefusedNamingTheField() {
    KubernetesClientException outside = refused(service("outside", "192.168.1.1", "ClusterIP", null));
    assertEquals(422, outside.getCode());
    assertTrue(outside.getStatus().getMessage().contains("spec.clusterIPs: Invalid value: []string{\"192.168.1.1\"}:"
        + " failed to allocate IP 192.168.1.1: the provided IP (192.168.1.1) is not in the valid range. The range of"
        + " valid IPs is 10.96.0.0/12"), outside.getStatus().getMessage());
    KubernetesClientException port = refused(service("port", null, "NodePort", 29999));
    assertEquals(422, port.getCode());
    assertEquals("spec.ports[0].nodePort", port.getStatus().getDetails().getCauses().get(0).getField());
    // A cluster IP cannot change.
    Service s = createWithRetry(service("fixed", null, "ClusterIP", null));
    Service moved = new ServiceBuilder(s).editSpec().withClusterIP("10.96.0.88").withClusterIPs("10.96.0.88").endSpec()
        .build();
    try {
      client.services().inNamespace(NS).resource(moved).update();
      fail("a changed cluster IP was accepted");
    } catch (KubernetesClientException e) {
      assertEquals(422, e.getCode());
      assertTrue(e.getStatus().getMessage().contains("may not change once set"), e.getStatus().getMessage());
    }
  }

  private static KubernetesClientException refused(Service s) {
    try {
      client.services().inNamespace(NS).resource(s).create();
    } catch (KubernetesClientException e) {
      return e;
    }
    throw new AssertionError(s.getMetadata().getName() + " was accepted");
  }

  /** The namespace reaches each partition a commit after its create: a 404 for it early on is retried. */
  private static Service createWithRetry(Service s) {
    for (int attempt = 0; ; attempt++) {
      try {
        return client.services().inNamespace(NS).resource(s).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 404 || attempt >= 50) {
          throw e;
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private static Service service(String name, String clusterIP, String type, Integer nodePort) {
    ServicePort port = new io.fabric8.kubernetes.api.model.ServicePortBuilder().withPort(80).withNodePort(nodePort)
        .build();
    return new ServiceBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewSpec().withType(type).withClusterIP(clusterIP).withSelector(Map.of("app", name)).withPorts(port)
        .endSpec().build();
  }
}
