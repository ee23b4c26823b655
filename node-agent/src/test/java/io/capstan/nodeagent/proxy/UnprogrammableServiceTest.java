package io.capstan.nodeagent.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ObjectMeta;
import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.api.ServiceSpec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * A service whose ports the proxy cannot express does not hold up the others: it is left out of
 * the sync, its previous rules stay, and it is reported (a node Event in a node agent) and counted
 * once per reason. The rules go to a recording applier; NftNamespaceTest applies them for real.
 */
class UnprogrammableServiceTest {
  private static ProxiedPort port(String name, String clusterIp, String... endpoints) {
    return new ProxiedPort("default", name, "", "TCP", clusterIp, 80, 0,
        java.util.Arrays.stream(endpoints).map(ip -> new ProxiedPort.Backend(ip, 8080)).toList(), 0);
  }

  @Test
  void aPortTheProxyCannotExpressFailsItsServiceOnly() {
    Service icmp = Service.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("ping")
        .build()).setSpec(ServiceSpec.newBuilder().setClusterIP("10.96.0.30").setPorts(List.of(
            ServicePort.newBuilder().setPort(7).setProtocol("ICMP").build())).build()).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EndpointsSource.portsOf(icmp, null));
    assertTrue(e.getMessage().contains("default/ping") && e.getMessage().contains("ICMP"), e.getMessage());
  }

  @Test
  void otherServicesSyncTheLeftOutOneKeepsItsRulesAndIsReportedOnce() throws Exception {
    ListSource source = new ListSource(List.of(port("web", "10.96.0.20", "10.244.0.5"),
        port("db", "10.96.0.21", "10.244.0.7")));
    List<String> transactions = new CopyOnWriteArrayList<>();
    List<String> reported = new CopyOnWriteArrayList<>();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    List<ServiceProxy.SyncResult> synced = new CopyOnWriteArrayList<>();
    ServiceProxy proxy = new ServiceProxy(source, transactions::add, null, reported::add,
        new ServiceProxy.Settings(Duration.ofMillis(20), Duration.ofMinutes(5), false), registry, "test",
        Clock.systemUTC());
    proxy.addSyncListener(synced::add);
    try {
      proxy.start();
      await(() -> proxy.syncCount() >= 1);
      assertEquals(2, synced.get(0).ports());

      // db can no longer be expressed while web moves to another endpoint: web is programmed, db keeps its rules.
      source.set(List.of(port("web", "10.96.0.20", "10.244.0.6")),
          Map.of("default/db", "service default/db port 80: protocol ICMP is not TCP, UDP or SCTP"));
      await(() -> proxy.syncCount() >= 2);
      ServiceProxy.SyncResult second = synced.get(synced.size() - 1);
      assertEquals(2, second.ports(), "db's previous port is kept");
      String last = transactions.get(transactions.size() - 1);
      assertTrue(last.contains("10.244.0.6"), "web's new endpoint is programmed:\n" + last);
      assertFalse(last.contains("10.96.0.21"), "db's rules are left as they were:\n" + last);
      assertEquals(1, reported.size(), reported.toString());
      assertTrue(reported.get(0).startsWith("service default/db is not programmed") && reported.get(0).contains("ICMP"),
          reported.get(0));
      assertEquals(1.0, registry.get("capstan_proxy_unprogrammable_services_total").counter().count());
      assertEquals(0.0, registry.get("capstan_proxy_sync_failures_total").counter().count(), "the sync itself worked");

      // Another change while db stays as it is: not reported again.
      source.set(List.of(port("web", "10.96.0.20", "10.244.0.5")),
          Map.of("default/db", "service default/db port 80: protocol ICMP is not TCP, UDP or SCTP"));
      await(() -> proxy.syncCount() >= 3);
      assertEquals(1, reported.size(), reported.toString());
      assertEquals(2, synced.get(synced.size() - 1).ports());

      // db fixed: programmed again with its new endpoint.
      source.set(List.of(port("web", "10.96.0.20", "10.244.0.5"), port("db", "10.96.0.21", "10.244.0.8")), Map.of());
      await(() -> proxy.syncCount() >= 4);
      assertTrue(transactions.get(transactions.size() - 1).contains("10.244.0.8"), transactions.toString());
    } finally {
      proxy.close();
    }
  }

  private static void await(BooleanSupplier c) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met in 15 s");
      }
      Thread.sleep(10);
    }
  }
}
