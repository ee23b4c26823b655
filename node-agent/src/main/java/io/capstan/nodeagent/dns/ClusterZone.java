package io.capstan.nodeagent.dns;

import io.capstan.api.Namespace;
import io.capstan.api.Pod;
import io.capstan.api.PodIP;
import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.api.ServiceSpec;
import io.capstan.stateviews.informer.Informer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The cluster's names, answered from informers as CoreDNS's kubernetes plugin does (and the
 * Kubernetes DNS specification, {@code kubernetes/dns docs/specification.md}):
 * <ul>
 *   <li>{@code svc.ns.svc.<domain>}: A = the ClusterIP; for a headless Service every ready
 *       endpoint; an ExternalName Service is a CNAME to its external name;</li>
 *   <li>{@code host.svc.ns.svc.<domain>}: A of the endpoint with that hostname (or dashed address);
 *       a pod with {@code hostname} and {@code subdomain} = a headless Service is named so;</li>
 *   <li>{@code _port._proto.svc.ns.svc.<domain>}: SRV per port (target the Service, or each endpoint
 *       of a headless one, with its A records as additional answers);</li>
 *   <li>{@code a-b-c-d.ns.pod.<domain>}: A of a pod with that address in that namespace
 *       (CoreDNS's {@code pods verified});</li>
 *   <li>PTR of ClusterIPs, endpoint addresses and pod addresses;</li>
 *   <li>{@code dns-version.<domain>} TXT: the version of the specification followed.</li>
 * </ul>
 * A name that exists without a record of the asked type is NODATA (NOERROR, no answers), one
 * that does not exist NXDOMAIN, both with the zone's SOA; a headless Service without ready
 * endpoints is NXDOMAIN, as CoreDNS answers (the specification was changed to match). Names
 * outside the zone, and reverse names of addresses it does not know, are not the zone's
 * ({@link #answer} returns empty) and go upstream.
 */
public final class ClusterZone {
  static final String SERVICES_BY_IP = "capstan-dns-cluster-ip";
  static final String PODS_BY_IP = "capstan-dns-pod-ip";
  /** The DNS specification version this follows (the {@code dns-version} TXT record). */
  static final String SPEC_VERSION = "1.1.0";

  /**
   * What the zone answers.
   *
   * @param rcode      NOERROR or NXDOMAIN
   * @param answer     the answer section
   * @param authority  the authority section (the SOA of negative answers)
   * @param additional the additional section (A records of SRV targets)
   */
  public record Answer(int rcode, List<Record> answer, List<Record> authority, List<Record> additional) {}

  private final Name zone;
  private final long ttl;
  private final Informer<Service> services;
  private final Informer<Namespace> namespaces;
  private final Informer<Pod> pods;
  private final ServiceEndpoints endpoints;
  private final SOARecord soa;
  private final Name reverseV4 = Name.fromConstantString("in-addr.arpa.");

  /**
   * @param domain     the cluster domain, e.g. {@code cluster.local}
   * @param ttlSeconds the TTL of every answer
   * @param namespaces the Namespace informer, or null (then a namespace exists while it has a Service or pod)
   */
  public ClusterZone(String domain, long ttlSeconds, Informer<Service> services, Informer<Namespace> namespaces,
      Informer<Pod> pods, ServiceEndpoints endpoints) {
    try {
      this.zone = Name.fromString(domain.endsWith(".") ? domain : domain + ".");
    } catch (TextParseException e) {
      throw new IllegalArgumentException("cluster domain \"" + domain + "\" is not a domain name: " + e.getMessage(), e);
    }
    if (ttlSeconds < 0) {
      throw new IllegalArgumentException("DNS TTL must not be negative, got " + ttlSeconds);
    }
    this.ttl = ttlSeconds;
    this.services = services;
    this.namespaces = namespaces;
    this.pods = pods;
    this.endpoints = endpoints;
    ensureIndex(services, SERVICES_BY_IP, ClusterZone::clusterIps);
    ensureIndex(pods, PODS_BY_IP, ClusterZone::podIps);
    Name ns = Name.fromConstantString("ns.dns." + zone);
    Name admin = Name.fromConstantString("hostmaster." + zone);
    // as CoreDNS: refresh 7200, retry 1800, expire 86400, minimum = the TTL
    this.soa = new SOARecord(zone, DClass.IN, ttl, ns, admin, 1, 7200, 1800, 86400, ttl);
  }

  /**
   * Adds an index to a (possibly shared) informer unless a zone made earlier in this process added
   * it already: the function is the same, so the index is too.
   */
  static <T extends org.apache.avro.generic.IndexedRecord> void ensureIndex(Informer<T> informer, String name,
      io.capstan.stateviews.informer.IndexFunction<? super T> function) {
    try {
      informer.addIndex(name, function);
    } catch (IllegalArgumentException e) {
      if (!String.valueOf(e.getMessage()).contains("already exists")) {
        throw e;
      }
    }
  }

  public Name zone() {
    return zone;
  }

  private static Set<String> clusterIps(Service s) {
    Set<String> out = new LinkedHashSet<>();
    ServiceSpec spec = s.getSpec();
    if (spec != null) {
      if (isIp(spec.getClusterIP())) {
        out.add(spec.getClusterIP());
      }
      if (spec.getClusterIPs() != null) {
        spec.getClusterIPs().stream().filter(ClusterZone::isIp).forEach(out::add);
      }
    }
    return out;
  }

  private static Set<String> podIps(Pod p) {
    Set<String> out = new LinkedHashSet<>();
    if (p.getStatus() != null) {
      if (p.getStatus().getPodIP() != null && !p.getStatus().getPodIP().isEmpty()) {
        out.add(p.getStatus().getPodIP());
      }
      if (p.getStatus().getPodIPs() != null) {
        for (PodIP ip : p.getStatus().getPodIPs()) {
          out.add(ip.getIp());
        }
      }
    }
    // host-network pods share the node's address: their names are not the address's
    return p.getSpec() != null && Boolean.TRUE.equals(p.getSpec().getHostNetwork()) ? Set.of() : out;
  }

  private static boolean isIp(String s) {
    return s != null && !s.isEmpty() && !s.equals("None");
  }

  /** The zone's answer, or empty when the name is not the zone's (forward it). */
  public Optional<Answer> answer(Name qname, int qtype) {
    Name name = lower(qname);
    if (name.subdomain(reverseV4)) {
      return reverse(name, qtype);
    }
    if (!name.subdomain(zone)) {
      return Optional.empty();
    }
    int n = name.labels() - zone.labels(); // labels left of the zone (the root label is counted in both)
    String[] l = new String[n]; // l[0] is the label next to the zone
    for (int i = 0; i < n; i++) {
      l[i] = name.getLabelString(n - 1 - i);
    }
    if (n == 0) {
      return Optional.of(qtype == Type.SOA ? answers(List.of(soa)) : nodata());
    }
    if (n == 1 && l[0].equals("dns-version")) {
      return Optional.of(qtype == Type.TXT ? answers(List.of(new TXTRecord(name, DClass.IN, ttl, SPEC_VERSION)))
          : nodata());
    }
    return Optional.of(switch (l[0]) {
      case "svc" -> service(name, qtype, l);
      case "pod" -> pod(name, qtype, l);
      default -> nxdomain();
    });
  }

  private Answer service(Name name, int qtype, String[] l) {
    if (l.length == 1) {
      return nodata();
    }
    String ns = l[1];
    if (l.length == 2) {
      return namespaceExists(ns) ? nodata() : nxdomain();
    }
    Optional<Service> found = services.get(ns, l[2]);
    if (found.isEmpty() || found.get().getSpec() == null) {
      return nxdomain();
    }
    Service svc = found.get();
    ServiceSpec spec = svc.getSpec();
    Name svcName = name.labels() - zone.labels() == 3 ? name : relative(l[2], ns, "svc");
    boolean headless = "None".equals(spec.getClusterIP());
    if ("ExternalName".equals(spec.getType())) {
      if (l.length != 3) {
        return nxdomain();
      }
      Name target = absolute(spec.getExternalName());
      return target == null ? nodata() : answers(List.of(new CNAMERecord(name, DClass.IN, ttl, target)));
    }
    if (l.length == 3) {
      return serviceRecords(name, qtype, svc, headless);
    }
    if (l.length == 4) {
      if (l[3].startsWith("_")) {
        return nxdomain(); // a protocol alone (_tcp.svc...) names nothing here
      }
      // an endpoint by hostname (or dashed address) under the Service
      List<Record> out = new ArrayList<>();
      for (ServiceEndpoints.Endpoint e : endpoints.endpoints(ns, l[2])) {
        if (e.ready() && endpointLabel(e).equals(l[3])) {
          out.add(a(name, e.ip()));
        }
      }
      if (out.isEmpty()) {
        return nxdomain();
      }
      return qtype == Type.A || qtype == Type.ANY ? answers(out) : nodata();
    }
    if (l.length == 5 && l[4].startsWith("_") && l[3].startsWith("_")) {
      return srv(name, qtype, svc, headless, svcName, l[4].substring(1), l[3].substring(1));
    }
    return nxdomain();
  }

  private Answer serviceRecords(Name name, int qtype, Service svc, boolean headless) {
    String ns = svc.getMetadata().getNamespace();
    String svcName = svc.getMetadata().getName();
    List<Record> addresses = new ArrayList<>();
    if (headless) {
      for (ServiceEndpoints.Endpoint e : endpoints.endpoints(ns, svcName)) {
        if (e.ready()) {
          addresses.add(a(name, e.ip()));
        }
      }
      if (addresses.isEmpty()) {
        return nxdomain(); // as CoreDNS (and kube-dns): no ready endpoint, no name
      }
    } else if (isIp(svc.getSpec().getClusterIP())) {
      Record r = a(name, svc.getSpec().getClusterIP());
      if (r != null) {
        addresses.add(r);
      }
    }
    return switch (qtype) {
      case Type.A -> addresses.isEmpty() ? nodata() : answers(addresses);
      case Type.SRV -> srv(name, qtype, svc, headless, name, null, null);
      case Type.ANY -> answers(addresses);
      default -> nodata();
    };
  }

  /** SRV records of the Service's ports: all of them, or the one named {@code portName} over {@code proto}. */
  private Answer srv(Name name, int qtype, Service svc, boolean headless, Name svcName, String portName,
      String proto) {
    String ns = svc.getMetadata().getNamespace();
    List<ServicePort> ports = svc.getSpec().getPorts() == null ? List.of() : svc.getSpec().getPorts();
    List<ServicePort> chosen = new ArrayList<>();
    for (ServicePort p : ports) {
      String pn = p.getName() == null ? "" : p.getName().toLowerCase(Locale.ROOT);
      String pp = (p.getProtocol() == null ? "TCP" : p.getProtocol()).toLowerCase(Locale.ROOT);
      if (portName == null || (pn.equals(portName) && pp.equals(proto))) {
        chosen.add(p);
      }
    }
    if (chosen.isEmpty()) {
      return portName == null ? nodata() : nxdomain();
    }
    if (qtype != Type.SRV && qtype != Type.ANY) {
      return nodata();
    }
    List<Record> answer = new ArrayList<>();
    List<Record> additional = new ArrayList<>();
    if (!headless) {
      int weight = 100 / chosen.size();
      for (ServicePort p : chosen) {
        answer.add(new SRVRecord(name, DClass.IN, ttl, 0, weight, p.getPort(), svcName));
      }
      Record a = a(svcName, svc.getSpec().getClusterIP());
      if (a != null) {
        additional.add(a);
      }
    } else {
      List<ServiceEndpoints.Endpoint> ready = endpoints.endpoints(ns, svc.getMetadata().getName()).stream()
          .filter(ServiceEndpoints.Endpoint::ready).toList();
      List<Record> srvs = new ArrayList<>();
      for (ServicePort p : chosen) {
        String pn = p.getName() == null ? "" : p.getName();
        for (ServiceEndpoints.Endpoint e : ready) {
          // the endpoint's port of the same name: the target port, which may differ from the Service's
          Optional<ServiceEndpoints.Port> ep = e.ports().stream().filter(x -> x.name().equals(pn)).findFirst();
          Name target = relative(endpointLabel(e) + "." + svc.getMetadata().getName(), ns, "svc");
          srvs.add(new SRVRecord(name, DClass.IN, ttl, 0, 0, ep.map(ServiceEndpoints.Port::port).orElse(p.getPort()),
              target));
          additional.add(a(target, e.ip()));
        }
      }
      if (srvs.isEmpty()) {
        return nxdomain();
      }
      int weight = 100 / srvs.size();
      for (Record r : srvs) {
        SRVRecord s = (SRVRecord) r;
        answer.add(new SRVRecord(s.getName(), DClass.IN, ttl, 0, weight, s.getPort(), s.getTarget()));
      }
    }
    return new Answer(Rcode.NOERROR, answer, List.of(), dedupe(additional));
  }

  private Answer pod(Name name, int qtype, String[] l) {
    if (l.length == 1) {
      return nodata();
    }
    String ns = l[1];
    if (l.length == 2) {
      return namespaceExists(ns) ? nodata() : nxdomain();
    }
    if (l.length != 3) {
      return nxdomain();
    }
    String ip = l[2].replace('-', '.');
    if (!isDottedQuad(ip)) {
      return nxdomain();
    }
    boolean exists = pods.byIndex(PODS_BY_IP, ip).stream().anyMatch(p -> ns.equals(p.getMetadata().getNamespace()));
    if (!exists) {
      return nxdomain();
    }
    return qtype == Type.A || qtype == Type.ANY ? answers(List.of(a(name, ip))) : nodata();
  }

  /** PTR of a ClusterIP, an endpoint or a pod; empty for addresses the cluster does not know. */
  private Optional<Answer> reverse(Name name, int qtype) {
    String ip = reverseIp(name);
    if (ip == null) {
      return Optional.empty();
    }
    Set<Name> targets = new LinkedHashSet<>();
    for (Service s : services.byIndex(SERVICES_BY_IP, ip)) {
      targets.add(relative(s.getMetadata().getName(), s.getMetadata().getNamespace(), "svc"));
    }
    for (ServiceEndpoints.Owned o : endpoints.byIp(ip)) {
      Optional<Service> svc = services.get(o.namespace(), o.service());
      if (o.endpoint().ready() && svc.isPresent() && svc.get().getSpec() != null
          && "None".equals(svc.get().getSpec().getClusterIP())) {
        targets.add(relative(endpointLabel(o.endpoint()) + "." + o.service(), o.namespace(), "svc"));
      }
    }
    if (targets.isEmpty()) {
      for (Pod p : pods.byIndex(PODS_BY_IP, ip)) {
        targets.add(relative(ip.replace('.', '-'), p.getMetadata().getNamespace(), "pod"));
      }
    }
    if (targets.isEmpty()) {
      return Optional.empty();
    }
    if (qtype != Type.PTR && qtype != Type.ANY) {
      return Optional.of(nodata());
    }
    List<Record> out = new ArrayList<>();
    for (Name t : targets) {
      out.add(new PTRRecord(name, DClass.IN, ttl, t));
    }
    return Optional.of(answers(out));
  }

  private static String reverseIp(Name name) {
    if (name.labels() != 7) { // d.c.b.a.in-addr.arpa.
      return null;
    }
    String ip = name.getLabelString(3) + "." + name.getLabelString(2) + "." + name.getLabelString(1) + "."
        + name.getLabelString(0);
    return isDottedQuad(ip) ? ip : null;
  }

  private boolean namespaceExists(String ns) {
    if (namespaces != null) {
      return namespaces.get("", ns).isPresent();
    }
    return !services.list(ns).isEmpty() || !pods.list(ns).isEmpty();
  }

  static String endpointLabel(ServiceEndpoints.Endpoint e) {
    return e.hostname() != null ? e.hostname() : e.ip().replace('.', '-');
  }

  private Name relative(String left, String ns, String kind) {
    return Name.fromConstantString(left + "." + ns + "." + kind + "." + zone);
  }

  private static Name absolute(String host) {
    if (host == null || host.isEmpty()) {
      return null;
    }
    try {
      return Name.fromString(host.endsWith(".") ? host : host + ".");
    } catch (TextParseException e) {
      return null;
    }
  }

  private Record a(Name name, String ip) {
    if (!isDottedQuad(ip)) {
      return null;
    }
    try {
      return new ARecord(name, DClass.IN, ttl, InetAddress.getByAddress(ipv4(ip)));
    } catch (UnknownHostException e) {
      return null; // four octets always make an address
    }
  }

  static boolean isDottedQuad(String ip) {
    return ipv4(ip) != null;
  }

  private static byte[] ipv4(String ip) {
    String[] parts = ip.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    byte[] out = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
        return null;
      }
      int v = Integer.parseInt(p);
      if (v > 255) {
        return null;
      }
      out[i] = (byte) v;
    }
    return out;
  }

  private static List<Record> dedupe(List<Record> records) {
    List<Record> out = new ArrayList<>();
    for (Record r : records) {
      if (r != null && !out.contains(r)) {
        out.add(r);
      }
    }
    return out;
  }

  private static Name lower(Name n) {
    return n.canonicalize(); // itself when already lower case
  }

  private Answer answers(List<Record> records) {
    return new Answer(Rcode.NOERROR, records.stream().filter(r -> r != null).toList(), List.of(), List.of());
  }

  private Answer nodata() {
    return new Answer(Rcode.NOERROR, List.of(), List.of(soa), List.of());
  }

  private Answer nxdomain() {
    return new Answer(Rcode.NXDOMAIN, List.of(), List.of(soa), List.of());
  }
}
