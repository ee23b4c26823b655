package io.capstan.nodeagent.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The generated rules in a real kernel: applied with {@code nft -f} inside network namespaces this
 * test makes (never the host's ruleset), with real TCP traffic from {@code curl} to
 * busybox {@code httpd} "pods" behind veth pairs.
 */
class NftNamespaceTest {
  private static final String CLUSTER_IP = "10.96.0.10";
  private static NetnsLab lab;

  @BeforeAll
  static void lab() throws Exception {
    lab = new NetnsLab(2);
  }

  @AfterAll
  static void cleanUp() {
    if (lab != null) {
      lab.close();
    }
  }

  private static ProxiedPort web(int nodePort, int affinity, int... pods) {
    List<ProxiedPort.Backend> b = new ArrayList<>();
    for (int i : pods) {
      b.add(new ProxiedPort.Backend(NetnsLab.podIp(i), 8080));
    }
    return new ProxiedPort("default", "web", "http", "TCP", CLUSTER_IP, 80, nodePort, b, affinity);
  }

  private static ProxiedPort empty() {
    return new ProxiedPort("default", "empty", "", "TCP", "10.96.0.11", 80, 30081, List.of(), 0);
  }

  /** Refused at least once in three tries and never answered (a lost ICMP error on a loaded machine is a timeout). */
  private static void assertRefused(String netns, String url) throws Exception {
    List<String> got = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String r = lab.fetch(netns, url);
      got.add(r);
      if (r.startsWith("ERROR 7 ")) {
        return;
      }
      assertTrue(r.startsWith("ERROR"), url + " answered: " + r);
    }
    throw new AssertionError(url + " from " + netns + " was not refused: " + got);
  }

  private static Set<String> answers(String netns, String url, int tries) throws Exception {
    Set<String> seen = new TreeSet<>();
    for (int i = 0; i < tries; i++) {
      seen.add(lab.fetch(netns, url));
    }
    return seen;
  }

  @Test
  void clusterIpNodePortHairpinAndRejectThroughTheKernel() throws Exception {
    NftRuleset.Ruleset rules = NftRuleset.of(List.of(web(30080, 0, 1, 2), empty()));
    lab.nft().apply(rules.transaction(null));
    String table = lab.inNode("nft", "list", "table", "ip", "capstan");
    assertTrue(table.contains("10.96.0.10 . tcp . 80 : goto service-"), table);
    assertTrue(table.contains("dnat ip to numgen random mod 2 map { 0 : 10.244.1.5 . 8080, 1 : 10.244.2.5 . 8080 }"), table);

    // from the node: both endpoints answer through the ClusterIP (numgen spreads; 40 tries miss one with 2^-39)
    assertEquals(Set.of("pod1", "pod2"), answers(lab.node, "http://10.96.0.10/", 40));
    // from a pod, including the hairpin case (pod1 reaching itself through the service: masqueraded)
    assertEquals(Set.of("pod1", "pod2"), answers(lab.pods.get(0), "http://10.96.0.10/", 40));
    // the NodePort on 127.0.0.1 (output hook DNAT, route_localnet, masquerade) and on a node address
    assertEquals(Set.of("pod1", "pod2"), answers(lab.node, "http://127.0.0.1:30080/", 40));
    assertEquals(Set.of("pod1", "pod2"), answers(lab.pods.get(1), "http://" + NetnsLab.nodeIp(2) + ":30080/", 40));

    // no endpoints: refused (curl's exit 7), not a timeout; so is a port the ClusterIP does not serve
    assertRefused(lab.node, "http://10.96.0.11/");
    assertRefused(lab.pods.get(0), "http://10.96.0.11/");
    assertRefused(lab.node, "http://127.0.0.1:30081/");
    assertRefused(lab.node, "http://10.96.0.10:81/");
  }

  @Test
  void aPartialSyncLeavesTheSameTableAsAWholeOne() throws Exception {
    ProxiedPort other = new ProxiedPort("default", "other", "", "UDP", "10.96.0.12", 53, 30053,
        List.of(new ProxiedPort.Backend(NetnsLab.podIp(1), 5353)), 0);
    NftRuleset.Ruleset before = NftRuleset.of(List.of(other, web(30080, 60, 1, 2), empty()));
    NftRuleset.Ruleset after = NftRuleset.of(List.of(other, web(30080, 60, 2), new ProxiedPort("default", "empty",
        "", "TCP", "10.96.0.11", 80, 30081, List.of(new ProxiedPort.Backend(NetnsLab.podIp(1), 8080)), 0)));
    lab.nft().apply(before.transaction(null));
    lab.nft().apply(after.delta(before));
    List<String> partial = listing();
    lab.nft().apply(after.transaction(null));
    assertEquals(listing(), partial);
    assertEquals(Set.of("pod1"), answers(lab.node, "http://10.96.0.11/", 5), "the once empty service now answers");
  }

  private static List<String> listing() throws Exception {
    // one line per statement, element lists split, sorted: the same table in whatever order nft lists it
    List<String> lines = new ArrayList<>();
    for (String l : lab.inNode("nft", "list", "table", "ip", "capstan").split("\n")) {
      for (String part : l.replace("elements = {", "").replace("}", "").split(",")) {
        if (!part.isBlank()) {
          lines.add(part.strip());
        }
      }
    }
    lines.sort(null);
    return lines;
  }

  @Test
  void clientIpAffinityKeepsOneEndpoint() throws Exception {
    lab.nft().apply(NftRuleset.of(List.of(web(0, 60, 1, 2))).transaction(null));
    Set<String> seen = answers(lab.pods.get(1), "http://10.96.0.10/", 20);
    assertEquals(1, seen.size(), "one client, one endpoint: " + seen);
    String table = lab.inNode("nft", "list", "table", "ip", "capstan");
    assertTrue(table.contains("elements = { " + NetnsLab.podIp(2)), "the client is remembered: " + table);
  }

  @Test
  void proxyFollowsChangesKeepsOldRulesWhenRefusedAndRemovesItsTableOnClose() throws Exception {
    ListSource source = new ListSource(List.of(web(0, 0, 1, 2)));
    List<String> reported = new CopyOnWriteArrayList<>();
    boolean[] breakNext = {false};
    RulesApplier nft = lab.nft();
    // A real refusal: nft is handed a transaction that names a chain that does not exist.
    RulesApplier sometimesBroken = tx -> nft.apply(breakNext[0] ? tx + "add rule ip capstan no-such-chain accept\n" : tx);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    List<ServiceProxy.SyncResult> synced = new CopyOnWriteArrayList<>();
    ServiceProxy proxy = new ServiceProxy(source, sometimesBroken, null, reported::add,
        new ServiceProxy.Settings(Duration.ofMillis(50), Duration.ofMinutes(5), true), registry, "test", Clock.systemUTC());
    proxy.addSyncListener(synced::add);
    try {
      proxy.start();
      await(() -> proxy.syncCount() >= 1);
      assertEquals(Set.of("pod1", "pod2"), answers(lab.node, "http://10.96.0.10/", 40));

      source.set(List.of(web(0, 0, 1)));
      await(() -> proxy.syncCount() >= 2);
      assertEquals(Set.of("pod1"), answers(lab.node, "http://10.96.0.10/", 20));
      assertTrue(synced.get(synced.size() - 1).triggers().containsKey("default/web"));
      String table = lab.inNode("nft", "list", "table", "ip", "capstan");
      assertFalse(table.contains("10.244.2.5"), "the removed endpoint's chain is gone: " + table);

      breakNext[0] = true;
      source.set(List.of(web(0, 0, 2)));
      await(() -> !reported.isEmpty());
      assertTrue(reported.get(0).contains("no-such-chain"), reported.get(0));
      assertEquals(1.0, registry.get("capstan_proxy_sync_failures_total").counter().count());
      assertEquals(Set.of("pod1"), answers(lab.node, "http://10.96.0.10/", 10), "the old rules stay");

      breakNext[0] = false;
      source.set(List.of(web(0, 0, 2)));
      await(() -> proxy.syncCount() >= 3);
      assertEquals(Set.of("pod2"), answers(lab.node, "http://10.96.0.10/", 10));
      // two changes programmed (the refused one is carried into the next sync, counted once)
      assertEquals(2, registry.get("capstan_proxy_network_programming_duration_seconds").timer().count());
    } finally {
      proxy.close();
    }
    assertFalse(lab.inNode("nft", "list", "tables").contains("capstan"), "the table is removed on close");
  }

  private static void await(java.util.function.BooleanSupplier c) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met in 15 s");
      }
      Thread.sleep(20);
    }
  }
}
