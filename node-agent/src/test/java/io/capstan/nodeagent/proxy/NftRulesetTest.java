package io.capstan.nodeagent.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NftRulesetTest {
  private static ProxiedPort port(String name, String ip, int nodePort, int affinity, String... endpoints) {
    List<ProxiedPort.Backend> b = new ArrayList<>();
    for (String e : endpoints) {
      b.add(new ProxiedPort.Backend(e, 8080));
    }
    return new ProxiedPort("default", name, "http", "TCP", ip, 80, nodePort, b, affinity);
  }

  private static long count(String text, String needle) {
    return text.lines().filter(l -> l.contains(needle)).count();
  }

  @Test
  void spreadsOverEveryEndpointAndDnatsEach() {
    NftRuleset.Ruleset r = NftRuleset.of(List.of(port("web", "10.96.0.10", 0, 0, "10.244.0.5", "10.244.0.6",
        "10.244.0.7")));
    String body = r.body();
    assertEquals(1, count(body, "meta l4proto tcp dnat to numgen random mod 3 map { 0 : 10.244.0.5 . 8080, "
        + "1 : 10.244.0.6 . 8080, 2 : 10.244.0.7 . 8080 }"), body);
    assertTrue(body.contains("add element ip capstan service-ips { 10.96.0.10 . tcp . 80 : goto service-"), body);
    // hairpin: an endpoint reaching its own service is masqueraded in postrouting
    assertTrue(body.contains("add element ip capstan hairpin { 10.244.0.5 . 10.244.0.5, 10.244.0.6 . 10.244.0.6, "
        + "10.244.0.7 . 10.244.0.7 }"), body);
    assertTrue(body.contains("nat-postrouting ct status dnat ip saddr . ip daddr @hairpin masquerade"), body);
    assertEquals(1 + 7 + 7, r.chains().size(), "one chain for the service besides the fixed ones: " + r.chains());
    assertEquals(3, r.endpoints());
    assertFalse(body.contains("no-endpoint-services {"), "no reject for a service with endpoints");
  }

  @Test
  void serviceWithoutEndpointsIsRejectedOnClusterIpAndNodePort() {
    String body = NftRuleset.of(List.of(port("empty", "10.96.0.11", 30081, 0))).body();
    assertTrue(body.contains("add element ip capstan no-endpoint-services { 10.96.0.11 . tcp . 80 : goto reject-chain }"),
        body);
    assertTrue(body.contains("add element ip capstan no-endpoint-nodeports { tcp . 30081 : goto reject-chain }"), body);
    assertFalse(body.contains("service-ips {"), body);
  }

  @Test
  void nodePortGoesThroughAMasqueradingExternalChain() {
    String body = NftRuleset.of(List.of(port("web", "10.96.0.10", 30080, 0, "10.244.0.5"))).body();
    assertTrue(body.contains("add element ip capstan service-nodeports { tcp . 30080 : goto external-"), body);
    assertTrue(body.lines().anyMatch(l -> l.startsWith("add rule ip capstan external-") && l.endsWith(
        "jump mark-for-masquerade")), body);
  }

  @Test
  void clientIpAffinityKeepsATimedSetPerEndpoint() {
    NftRuleset.Ruleset r = NftRuleset.of(List.of(port("web", "10.96.0.10", 0, 600, "10.244.0.5", "10.244.0.6")));
    assertEquals(2, r.sets().size());
    assertEquals(2, count(r.declarations(), "flags dynamic,timeout ; timeout 600s"));
    assertEquals(2, count(r.body(), "update @affinity-"));
    // the remembered endpoint is checked before the random pick
    String svc = r.body().lines().filter(l -> l.startsWith("add rule ip capstan service-")).toList().toString();
    assertTrue(svc.indexOf("ip saddr @affinity-") < svc.indexOf("numgen"), svc);
  }

  @Test
  void sameInputSameTextWhateverTheOrder() {
    ProxiedPort a = port("a", "10.96.0.10", 0, 0, "10.244.0.5");
    ProxiedPort b = port("b", "10.96.0.11", 0, 0, "10.244.0.6");
    assertEquals(NftRuleset.of(List.of(a, b)).transaction(null), NftRuleset.of(List.of(b, a)).transaction(null));
  }

  @Test
  void firstSyncRebuildsTheTableLaterOnesFlushAndDeleteWhatWentAway() {
    NftRuleset.Ruleset before = NftRuleset.of(List.of(port("web", "10.96.0.10", 0, 60, "10.244.0.5", "10.244.0.6")));
    NftRuleset.Ruleset after = NftRuleset.of(List.of(port("web", "10.96.0.10", 0, 60, "10.244.0.5")));
    String first = before.transaction(null);
    assertTrue(first.startsWith("add table ip capstan\ndelete table ip capstan\n"), first);
    String next = after.transaction(before);
    assertTrue(next.startsWith("add table ip capstan\nflush table ip capstan\n"), next);
    assertTrue(next.contains("flush map ip capstan service-ips\n"), next);
    assertEquals(1, count(next, "delete chain ip capstan endpoint-"), next);
    assertTrue(next.lines().filter(l -> l.startsWith("delete chain")).allMatch(l -> l.endsWith("10.244.0.6/8080")), next);
    assertEquals(1, count(next, "delete set ip capstan affinity-"), next);
    // deletions come after the rules that stopped referring to them
    assertTrue(next.indexOf("delete chain") > next.lastIndexOf("add rule"), next);
  }

  @Test
  void badInputIsRefusedNamingTheService() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> port("web", "10.96.0.300", 0, 0, "10.244.0.5"));
    assertTrue(e.getMessage().contains("default/web") && e.getMessage().contains("10.96.0.300"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new ProxiedPort("default", "web", "", "ICMP",
        "10.96.0.10", 80, 0, List.of(), 0));
    assertTrue(e.getMessage().contains("ICMP"), e.getMessage());
  }

  @Test
  void staleUdpFlowsAreThoseOfRemovedUdpEndpoints() {
    List<ProxiedPort.Backend> two = List.of(new ProxiedPort.Backend("10.244.0.5", 53),
        new ProxiedPort.Backend("10.244.0.6", 53));
    ProxiedPort dnsBefore = new ProxiedPort("kube-system", "dns", "dns", "UDP", "10.96.0.10", 53, 30053, two, 0);
    ProxiedPort dnsAfter = new ProxiedPort("kube-system", "dns", "dns", "UDP", "10.96.0.10", 53, 30053,
        two.subList(0, 1), 0);
    ProxiedPort tcpBefore = new ProxiedPort("kube-system", "dns", "dns-tcp", "TCP", "10.96.0.10", 53, 0, two, 0);
    ProxiedPort tcpAfter = new ProxiedPort("kube-system", "dns", "dns-tcp", "TCP", "10.96.0.10", 53, 0,
        two.subList(0, 1), 0);
    List<StaleUdpFlows.Flow> flows = StaleUdpFlows.between(List.of(dnsBefore, tcpBefore), List.of(dnsAfter, tcpAfter));
    assertEquals(List.of(new StaleUdpFlows.Flow("10.96.0.10", 53, false, "10.244.0.6"),
        new StaleUdpFlows.Flow(null, 30053, true, "10.244.0.6")), flows);
    assertEquals(List.of("-D", "-p", "udp", "--orig-dst", "10.96.0.10", "--orig-port-dst", "53", "--dst-nat",
        "10.244.0.6"), ConntrackCommand.arguments(flows.get(0)));
    assertEquals(List.of(), StaleUdpFlows.between(List.of(dnsAfter), List.of(dnsAfter)));
  }

  @Test
  void aPartialSyncRewritesOnlyTheChangedPort() {
    ProxiedPort other = port("other", "10.96.0.12", 0, 0, "10.244.0.9");
    NftRuleset.Ruleset before = NftRuleset.of(List.of(other, port("web", "10.96.0.10", 30080, 0, "10.244.0.5",
        "10.244.0.6")));
    NftRuleset.Ruleset after = NftRuleset.of(List.of(other, port("web", "10.96.0.10", 30080, 0, "10.244.0.5")));
    assertEquals(1, after.changedPorts(before));
    String delta = after.delta(before);
    assertFalse(delta.contains("other"), "an unchanged service is not touched: " + delta);
    assertFalse(delta.contains("flush table") || delta.contains("delete table"), delta);
    assertTrue(delta.contains("delete element ip capstan service-ips { 10.96.0.10 . tcp . 80 }"), delta);
    assertTrue(delta.contains("delete element ip capstan service-nodeports { tcp . 30080 }"), delta);
    assertTrue(delta.contains("add element ip capstan service-ips { 10.96.0.10 . tcp . 80 : goto service-"), delta);
    assertEquals(0, count(delta, "delete chain"), "the service keeps its chain: " + delta);
    assertTrue(delta.contains("delete element ip capstan hairpin { 10.244.0.6 . 10.244.0.6 }"), delta);
    assertTrue(delta.indexOf("flush chain") < delta.indexOf("add rule"), delta);
    assertEquals("", after.delta(after), "nothing changed, nothing to do");
    List<ProxiedPort> afterPorts = List.of(other, port("web", "10.96.0.10", 30080, 0, "10.244.0.5"));
    NftRuleset.Ruleset reusing = NftRuleset.of(afterPorts, before);
    assertEquals(delta, reusing.delta(before), "rules reused from the previous ruleset give the same transaction");
    assertEquals(after.transaction(null), reusing.transaction(null));

    // a service that loses its last endpoint moves to the reject map and its chains go
    String emptied = NftRuleset.of(List.of(other, port("web", "10.96.0.10", 30080, 0))).delta(before);
    assertTrue(emptied.contains("add element ip capstan no-endpoint-services { 10.96.0.10 . tcp . 80 : goto reject-chain }"),
        emptied);
    assertEquals(2, count(emptied, "delete chain"), "service and external chains: " + emptied);
  }
}
