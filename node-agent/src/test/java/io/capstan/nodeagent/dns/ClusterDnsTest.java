package io.capstan.nodeagent.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.EndpointAddress;
import io.capstan.api.EndpointPort;
import io.capstan.api.EndpointSubset;
import io.capstan.api.Endpoints;
import io.capstan.api.ObjectMeta;
import io.capstan.api.ObjectReference;
import io.capstan.api.Pod;
import io.capstan.api.PodIP;
import io.capstan.api.PodStatus;
import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.api.ServiceSpec;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.nodeagent.AgentCluster;
import io.capstan.stateviews.informer.Informer;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * The cluster DNS against a real cluster (embedded Kafka, the command processor): objects are
 * written through the command client, read by the server's own informers, and asked for with
 * dnsjava's resolver over real UDP and TCP on loopback. Forwarding goes to a tiny upstream on
 * loopback, never the internet.
 */
class ClusterDnsTest {
  static AgentCluster cluster;
  static TinyUpstream upstream;
  static ClusterDns dns;
  static final int MANY = 100; // A records of a headless Service: more than 1232 bytes (the EDNS size offered)

  @BeforeAll
  static void start() throws Exception {
    cluster = new AgentCluster("cluster-dns");
    upstream = new TinyUpstream(Map.of("example.test.", "192.0.2.10"));
    create(service("web", "10.96.0.20", port("http", 80, "TCP"), port("metrics", 9090, "TCP")));
    create(service("db", "None", port("pg", 5432, "TCP")));
    create(Service.newBuilder().setMetadata(meta("ext")).setSpec(ServiceSpec.newBuilder().setType("ExternalName")
        .setExternalName("example.test").build()).build());
    create(service("many", "None", port("", 80, "TCP")));
    create(service("empty", "None", port("", 80, "TCP")));
    Pod replica = AgentCluster.pod("replica-1", "Always", AgentCluster.container("c", "busybox", "sleep", "1"));
    replica.getSpec().setHostname("replica");
    replica.getSpec().setSubdomain("db");
    withIp(created(replica), "10.244.0.6");
    withIp(created(AgentCluster.pod("plain", "Always", AgentCluster.container("c", "busybox", "sleep", "1"))),
        "10.244.0.9");
    create(Endpoints.newBuilder().setMetadata(meta("db")).setSubsets(List.of(EndpointSubset.newBuilder()
        .setAddresses(List.of(
            EndpointAddress.newBuilder().setIp("10.244.0.5").setHostname("db-0").build(),
            EndpointAddress.newBuilder().setIp("10.244.0.6").setTargetRef(ObjectReference.newBuilder()
                .setKind("Pod").setNamespace("default").setName("replica-1").build()).build()))
        .setNotReadyAddresses(List.of(EndpointAddress.newBuilder().setIp("10.244.0.7").build()))
        .setPorts(List.of(EndpointPort.newBuilder().setName("pg").setPort(15432).setProtocol("TCP").build()))
        .build())).build());
    List<EndpointAddress> many = new ArrayList<>();
    for (int i = 1; i <= MANY; i++) {
      many.add(EndpointAddress.newBuilder().setIp("10.244.1." + i).build());
    }
    create(Endpoints.newBuilder().setMetadata(meta("many")).setSubsets(List.of(EndpointSubset.newBuilder()
        .setAddresses(many).setPorts(List.of(EndpointPort.newBuilder().setPort(80).build())).build())).build());
    dns = new ClusterDns(ClusterDnsConfig.defaults("127.0.0.1", 0).withUpstreams(List.of(upstream.address())),
        cluster.kafka, cluster.layout, null, null, cluster.registry);
    dns.start(Duration.ofSeconds(60));
  }

  @AfterAll
  static void stop() throws Exception {
    if (dns != null) {
      dns.close();
    }
    if (upstream != null) {
      upstream.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  // ---- services ----

  @Test
  void aServiceResolvesToItsClusterIpOverUdpAndTcp() throws Exception {
    for (boolean tcp : new boolean[] {false, true}) {
      Message m = ask("web.default.svc.cluster.local.", Type.A, tcp);
      assertEquals(Rcode.NOERROR, m.getRcode());
      assertTrue(m.getHeader().getFlag(Flags.AA), "cluster answers are authoritative");
      assertEquals(List.of("10.96.0.20"), addresses(m));
      assertEquals(5, m.getSectionArray(Section.ANSWER)[0].getTTL(), "TTL 5 s");
    }
  }

  @Test
  void namesAreCaseInsensitive() throws Exception {
    assertEquals(List.of("10.96.0.20"), addresses(ask("WEB.Default.SVC.cluster.LOCAL.", Type.A, false)));
  }

  @Test
  void aHeadlessServiceResolvesToItsReadyEndpoints() throws Exception {
    Message m = ask("db.default.svc.cluster.local.", Type.A, false);
    assertEquals(List.of("10.244.0.5", "10.244.0.6"), addresses(m), "not-ready 10.244.0.7 is left out");
  }

  @Test
  void endpointsHaveNamesUnderTheirService() throws Exception {
    assertEquals(List.of("10.244.0.5"), addresses(ask("db-0.db.default.svc.cluster.local.", Type.A, false)));
    // the pod's hostname and subdomain = the headless Service (StatefulSet style)
    assertEquals(List.of("10.244.0.6"), addresses(ask("replica.db.default.svc.cluster.local.", Type.A, false)));
    assertEquals(Rcode.NXDOMAIN, ask("10-244-0-7.db.default.svc.cluster.local.", Type.A, false).getRcode(),
        "a not-ready endpoint has no name");
  }

  @Test
  void srvRecordsOfNamedPorts() throws Exception {
    Message m = ask("_http._tcp.web.default.svc.cluster.local.", Type.SRV, false);
    SRVRecord srv = (SRVRecord) m.getSectionArray(Section.ANSWER)[0];
    assertEquals(1, m.getSectionArray(Section.ANSWER).length);
    assertEquals(80, srv.getPort());
    assertEquals(Name.fromConstantString("web.default.svc.cluster.local."), srv.getTarget());
    assertEquals(List.of("10.96.0.20"), addresses(m, Section.ADDITIONAL));

    Message h = ask("_pg._tcp.db.default.svc.cluster.local.", Type.SRV, false);
    Set<String> targets = Arrays.stream(h.getSectionArray(Section.ANSWER)).map(r -> ((SRVRecord) r).getTarget()
        + ":" + ((SRVRecord) r).getPort()).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(Set.of("db-0.db.default.svc.cluster.local.:15432", "replica.db.default.svc.cluster.local.:15432"),
        targets, "a headless Service's SRV names each endpoint, with its target port");
    assertEquals(List.of("10.244.0.5", "10.244.0.6"), addresses(h, Section.ADDITIONAL));

    assertEquals(Rcode.NXDOMAIN, ask("_nope._tcp.web.default.svc.cluster.local.", Type.SRV, false).getRcode());
    assertEquals(Rcode.NXDOMAIN, ask("_http._udp.web.default.svc.cluster.local.", Type.SRV, false).getRcode());
  }

  @Test
  void anExternalNameServiceIsACname() throws Exception {
    Message m = ask("ext.default.svc.cluster.local.", Type.A, false);
    CNAMERecord c = (CNAMERecord) m.getSectionArray(Section.ANSWER)[0];
    assertEquals(Name.fromConstantString("example.test."), c.getTarget());
  }

  // ---- pods and reverse names ----

  @Test
  void podRecordsByDashedAddress() throws Exception {
    assertEquals(List.of("10.244.0.9"), addresses(ask("10-244-0-9.default.pod.cluster.local.", Type.A, false)));
    assertEquals(Rcode.NXDOMAIN, ask("10-244-0-99.default.pod.cluster.local.", Type.A, false).getRcode(),
        "no pod has that address");
    assertEquals(Rcode.NXDOMAIN, ask("10-244-0-9.kube-system.pod.cluster.local.", Type.A, false).getRcode(),
        "the pod is in another namespace");
  }

  @Test
  void ptrOfClusterIpsEndpointsAndPods() throws Exception {
    assertEquals("web.default.svc.cluster.local.", ptr("10.96.0.20"));
    assertEquals("db-0.db.default.svc.cluster.local.", ptr("10.244.0.5"));
    assertEquals("10-244-0-9.default.pod.cluster.local.", ptr("10.244.0.9"));
  }

  // ---- negative answers ----

  @Test
  void nxdomainAndNodataAsCoreDns() throws Exception {
    Message missing = ask("nope.default.svc.cluster.local.", Type.A, false);
    assertEquals(Rcode.NXDOMAIN, missing.getRcode());
    assertInstanceOf(SOARecord.class, missing.getSectionArray(Section.AUTHORITY)[0], "negative answers carry the SOA");
    Message aaaa = ask("web.default.svc.cluster.local.", Type.AAAA, false);
    assertEquals(Rcode.NOERROR, aaaa.getRcode(), "the name exists: NODATA");
    assertEquals(0, aaaa.getSectionArray(Section.ANSWER).length);
    assertEquals(Rcode.NOERROR, ask("default.svc.cluster.local.", Type.A, false).getRcode(), "an existing namespace");
    assertEquals(Rcode.NXDOMAIN, ask("nowhere.svc.cluster.local.", Type.A, false).getRcode(), "no such namespace");
    assertEquals(Rcode.NXDOMAIN, ask("empty.default.svc.cluster.local.", Type.A, false).getRcode(),
        "a headless Service without ready endpoints");
    assertEquals(Rcode.NXDOMAIN, ask("what.cluster.local.", Type.A, false).getRcode());
    TXTRecord version = (TXTRecord) ask("dns-version.cluster.local.", Type.TXT, false).getSectionArray(Section.ANSWER)[0];
    assertEquals(List.of(ClusterZone.SPEC_VERSION), version.getStrings());
  }

  // ---- truncation ----

  @Test
  void largeAnswersAreTruncatedOverUdpAndWholeOverTcp() throws Exception {
    SimpleResolver udpOnly = resolver(false);
    udpOnly.setIgnoreTruncation(true);
    Message truncated = udpOnly.send(query("many.default.svc.cluster.local.", Type.A));
    assertTrue(truncated.getHeader().getFlag(Flags.TC), "a 100-address answer fits neither 512 bytes nor EDNS 1232");
    assertTrue(addresses(truncated).size() < MANY);
    SimpleResolver classic = resolver(false);
    classic.setIgnoreTruncation(true);
    classic.setEDNS(-1); // no EDNS: 512 bytes at most
    Message small = classic.send(query("many.default.svc.cluster.local.", Type.A));
    assertTrue(small.getHeader().getFlag(Flags.TC));
    assertTrue(small.toWire().length <= 512, "without EDNS an answer is at most 512 bytes");
    // the resolver falls back to TCP on TC, as a stub resolver does
    Message whole = resolver(false).send(query("many.default.svc.cluster.local.", Type.A));
    assertFalse(whole.getHeader().getFlag(Flags.TC));
    assertEquals(MANY, addresses(whole).size());
  }

  // ---- forwarding ----

  @Test
  void otherNamesGoUpstream() throws Exception {
    int before = upstream.queries.get();
    Message m = ask("example.test.", Type.A, false);
    assertEquals(List.of("192.0.2.10"), addresses(m));
    assertFalse(m.getHeader().getFlag(Flags.AA) && m.getSectionArray(Section.AUTHORITY).length > 0);
    assertEquals(Rcode.NXDOMAIN, ask("missing.test.", Type.A, true).getRcode(), "upstream's NXDOMAIN, over TCP too");
    assertTrue(upstream.queries.get() >= before + 2, "the upstream was asked");
    // reverse names of addresses the cluster does not know go upstream too (NXDOMAIN there)
    assertEquals(Rcode.NXDOMAIN, ask(ReverseMap.fromAddress("192.0.2.77").toString(), Type.PTR, false).getRcode());
  }

  // ---- changes, endpoints, metrics ----

  @Test
  void answersFollowTheCluster() throws Exception {
    create(service("late", "10.96.0.33", port("http", 80, "TCP")));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    List<String> got = List.of();
    while (System.nanoTime() < deadline && got.isEmpty()) {
      got = addresses(ask("late.default.svc.cluster.local.", Type.A, false));
      Thread.sleep(50);
    }
    assertEquals(List.of("10.96.0.33"), got);
  }

  @Test
  void theServerPublishesItsAddressInKubeDnsEndpoints() throws Exception {
    Informer<Endpoints> eps = cluster.informers.informerFor(Kinds.ENDPOINTS, Endpoints.class);
    cluster.informers.start();
    cluster.informers.awaitSynced(Duration.ofSeconds(30));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline && eps.get("kube-system", "kube-dns").isEmpty()) {
      Thread.sleep(50);
    }
    EndpointSubset s = eps.get("kube-system", "kube-dns").orElseThrow().getSubsets().get(0);
    assertEquals("127.0.0.1", s.getAddresses().get(0).getIp());
    assertEquals(Set.of("dns/UDP/" + dns.port(), "dns-tcp/TCP/" + dns.port()), s.getPorts().stream()
        .map(p -> p.getName() + "/" + p.getProtocol() + "/" + p.getPort()).collect(Collectors.toSet()));
  }

  @Test
  void queriesAreCountedByRcode() throws Exception {
    ask("counted-nope.default.svc.cluster.local.", Type.A, false);
    String scrape = cluster.registry.scrape();
    assertTrue(scrape.contains("capstan_dns_queries_total{rcode=\"NXDOMAIN\",source=\"cluster\"}"), scrape);
    assertTrue(scrape.contains("capstan_dns_request_duration_seconds_count{proto=\"udp\"}"));
  }

  @Test
  void awaitingItsAddressItListensOnceItCanAndABusyPortStopsNothing() throws Exception {
    ClusterDnsConfig quiet = ClusterDnsConfig.defaults("127.0.0.1", 0).withUpstreams(List.of())
        .withPublishEndpoints(false);
    try (ClusterDns later = new ClusterDns(quiet, cluster.kafka, cluster.layout, null, null, cluster.registry)
        .awaitingAddress();
        ClusterDns blocked = new ClusterDns(new ClusterDnsConfig(quiet.domain(), "127.0.0.1", dns.port(), quiet.ttl(),
            List.of(), null, false), cluster.kafka, cluster.layout, null, null, cluster.registry).awaitingAddress()) {
      later.start(Duration.ofSeconds(60));
      blocked.start(Duration.ofSeconds(60)); // the port is the first server's: no exception, it keeps trying
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (later.port() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      SimpleResolver r = new SimpleResolver(InetAddress.getLoopbackAddress());
      r.setPort(later.port());
      assertEquals(List.of("10.96.0.20"), addresses(r.send(query("web.default.svc.cluster.local.", Type.A))));
      assertEquals(0, blocked.port(), "still waiting for its port");
    }
  }

  // ---- helpers ----

  static Message ask(String name, int type, boolean tcp) throws Exception {
    return resolver(tcp).send(query(name, type));
  }

  static Message query(String name, int type) {
    return Message.newQuery(Record.newRecord(Name.fromConstantString(name), type, DClass.IN));
  }

  static SimpleResolver resolver(boolean tcp) throws Exception {
    SimpleResolver r = new SimpleResolver(InetAddress.getLoopbackAddress());
    r.setPort(dns.port());
    r.setTCP(tcp);
    r.setTimeout(Duration.ofSeconds(5));
    return r;
  }

  static String ptr(String ip) throws Exception {
    Message m = ask(ReverseMap.fromAddress(ip).toString(), Type.PTR, false);
    assertEquals(Rcode.NOERROR, m.getRcode(), "PTR of " + ip + ": " + m);
    return ((PTRRecord) m.getSectionArray(Section.ANSWER)[0]).getTarget().toString();
  }

  static List<String> addresses(Message m) {
    return addresses(m, Section.ANSWER);
  }

  static List<String> addresses(Message m, int section) {
    return Arrays.stream(m.getSectionArray(section)).filter(r -> r instanceof ARecord)
        .map(r -> ((ARecord) r).getAddress().getHostAddress()).sorted().toList();
  }

  static ObjectMeta meta(String name) {
    return ObjectMeta.newBuilder().setNamespace("default").setName(name).build();
  }

  static ServicePort port(String name, int port, String proto) {
    return ServicePort.newBuilder().setName(name.isEmpty() ? null : name).setPort(port).setProtocol(proto).build();
  }

  static Service service(String name, String clusterIp, ServicePort... ports) {
    return Service.newBuilder().setMetadata(meta(name)).setSpec(ServiceSpec.newBuilder().setClusterIP(clusterIp)
        .setPorts(List.of(ports)).build()).build();
  }

  static void create(org.apache.avro.specific.SpecificRecord o) throws Exception {
    created(o);
  }

  @SuppressWarnings("unchecked")
  static <T extends org.apache.avro.specific.SpecificRecord> T created(T o) throws Exception {
    CommandResult r = cluster.client.create(o).get(30, TimeUnit.SECONDS);
    return (T) assertInstanceOf(CommandResult.Accepted.class, r, () -> "create " + o + ": " + r).object();
  }

  static void withIp(Pod p, String ip) throws Exception {
    p.setStatus(PodStatus.newBuilder().setPhase("Running").setPodIP(ip)
        .setPodIPs(List.of(PodIP.newBuilder().setIp(ip).build())).build());
    assertInstanceOf(CommandResult.Accepted.class, cluster.client.updateStatus(p).get(30, TimeUnit.SECONDS));
  }
}
