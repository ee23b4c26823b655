package io.capstan.nodeagent.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Container;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodDNSConfig;
import io.capstan.api.PodDNSConfigOption;
import io.capstan.api.PodSpec;
import io.capstan.nodeagent.dns.ResolvConf;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodDnsTest {
  static final ResolvConf HOST = ResolvConf.parse("""
      # written by the host
      nameserver 192.168.1.1
      nameserver 192.168.1.2
      search corp.example lab.example
      options edns0 timeout:2
      """);
  static final PodDns.Settings NODE = new PodDns.Settings(List.of("10.96.0.10"), "cluster.local",
      Path.of("/etc/resolv.conf"));

  static Pod pod(String policy, Boolean hostNetwork, PodDNSConfig config) {
    return Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("shop").setName("p").build())
        .setSpec(PodSpec.newBuilder().setContainers(List.of(Container.newBuilder().setName("c").setImage("i").build()))
            .setDnsPolicy(policy).setHostNetwork(hostNetwork).setDnsConfig(config).build())
        .build();
  }

  static PodDns.Result of(Pod p) {
    return PodDns.resolvConf(p, NODE, HOST);
  }

  @Test
  void clusterFirstUsesTheClusterDnsAndTheNamespaceSearchPath() {
    PodDns.Result r = of(pod("ClusterFirst", null, null));
    assertEquals("""
        search shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example
        nameserver 10.96.0.10
        options ndots:5
        """, r.conf().render());
    assertEquals(List.of(), r.warnings());
    assertEquals(r.conf(), of(pod(null, null, null)).conf(), "no policy is ClusterFirst");
  }

  @Test
  void hostNetworkPodsAreDefaultUnlessClusterFirstWithHostNet() {
    assertEquals(HOST, of(pod("ClusterFirst", true, null)).conf());
    assertEquals(List.of("10.96.0.10"), of(pod("ClusterFirstWithHostNet", true, null)).conf().nameservers());
    assertEquals(List.of("10.96.0.10"), of(pod("ClusterFirstWithHostNet", false, null)).conf().nameservers());
  }

  @Test
  void defaultIsTheHostsFile() {
    assertEquals(HOST, of(pod("Default", null, null)).conf());
  }

  @Test
  void noneIsOnlyTheDnsConfig() {
    PodDNSConfig c = PodDNSConfig.newBuilder().setNameservers(List.of("1.1.1.1")).setSearches(List.of("a.example"))
        .setOptions(List.of(PodDNSConfigOption.newBuilder().setName("ndots").setValue("2").build())).build();
    assertEquals("search a.example\nnameserver 1.1.1.1\noptions ndots:2\n", of(pod("None", null, c)).conf().render());
  }

  @Test
  void dnsConfigIsMergedWithoutDuplicatesAndThePodsOptionsWin() {
    PodDNSConfig c = PodDNSConfig.newBuilder().setNameservers(List.of("10.96.0.10", "8.8.8.8"))
        .setSearches(List.of("cluster.local", "extra.example"))
        .setOptions(List.of(PodDNSConfigOption.newBuilder().setName("ndots").setValue("2").build(),
            PodDNSConfigOption.newBuilder().setName("single-request").build()))
        .build();
    ResolvConf r = of(pod("ClusterFirst", null, c)).conf();
    assertEquals(List.of("10.96.0.10", "8.8.8.8"), r.nameservers());
    assertEquals(List.of("shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "lab.example",
        "extra.example"), r.searches());
    assertEquals(List.of("ndots:2", "single-request"), r.options());
    ResolvConf d = of(pod("Default", null, c)).conf();
    assertEquals(List.of("edns0", "timeout:2", "ndots:2", "single-request"), d.options());
  }

  @Test
  void limitsCutWithAWarning() {
    PodDNSConfig c = PodDNSConfig.newBuilder().setNameservers(List.of("8.8.8.8", "9.9.9.9")).build();
    PodDns.Result r = of(pod("Default", null, c));
    assertEquals(List.of("192.168.1.1", "192.168.1.2", "8.8.8.8"), r.conf().nameservers());
    assertTrue(r.warnings().get(0).startsWith("Nameserver limits were exceeded"), r.warnings().toString());
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      many.add("d" + i + ".example");
    }
    PodDns.Result s = of(pod("None", null, PodDNSConfig.newBuilder().setNameservers(List.of("1.1.1.1"))
        .setSearches(many).build()));
    assertEquals(32, s.conf().searches().size());
    assertTrue(s.warnings().get(0).startsWith("Search Line limits were exceeded"));
  }

  @Test
  void withoutAClusterDnsClusterFirstFallsBackToTheHost() {
    PodDns.Result r = PodDns.resolvConf(pod("ClusterFirst", null, null),
        new PodDns.Settings(List.of(), "cluster.local", Path.of("/etc/resolv.conf")), HOST);
    assertEquals(HOST, r.conf());
    assertTrue(r.warnings().get(0).contains("Falling back to \"Default\" policy"));
  }
}
