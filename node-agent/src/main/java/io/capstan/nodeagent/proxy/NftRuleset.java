package io.capstan.nodeagent.proxy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The nftables rules for a set of service ports, in the shape of kube-proxy's nftables mode: a
 * {@code services} chain dispatching ClusterIP:port/protocol (and, on local addresses, NodePorts)
 * through verdict maps to one chain per service port, whose one rule picks an endpoint and DNATs
 * ({@code dnat to numgen random mod N map {…}}). Unlike kube-proxy there is no chain per endpoint
 * (nft's own cost per transaction grows with the table's chain count) except for
 * {@code sessionAffinity: ClientIP}, where each endpoint's chain remembers its clients in a timed
 * set. Hairpin traffic (a pod reaching itself through its service) is recognised in postrouting by
 * a set of (endpoint . endpoint) address pairs and masqueraded. Services without endpoints are
 * rejected (ICMP port unreachable, so TCP clients see "connection refused") in filter chains that
 * run before DNAT. NodePorts also answer on 127.0.0.1 (as kube-proxy's iptables mode does, with
 * {@code route_localnet}); all NodePort traffic is masqueraded ({@code externalTrafficPolicy: Cluster}).
 *
 * <p>Pure: {@link #of} builds the rules; {@link Ruleset#transaction} renders the one {@code nft -f}
 * transaction that replaces whatever the table held, {@link Ruleset#delta} the smaller one that
 * rewrites only the ports that changed since the previous ruleset.
 */
public final class NftRuleset {
  /** The table the proxy owns; nothing else in the host's ruleset is touched. */
  public static final String TABLE = "capstan";
  public static final String FAMILY = "ip";
  /** The packet mark bit that asks the postrouting chain to masquerade (kube-proxy's default, 0x4000). */
  public static final String MASQUERADE_MARK = "0x00004000";

  private static final String T = FAMILY + " " + TABLE;
  private static final List<String> MAPS = List.of("service-ips", "service-nodeports", "no-endpoint-services",
      "no-endpoint-nodeports");
  private static final String CLUSTER_IPS = "cluster-ips";
  /** Pairs (endpoint . endpoint): a pod that reached itself through a service, masqueraded (hairpin). */
  private static final String HAIRPIN = "hairpin";

  private NftRuleset() {}

  /** A map element: the map, its key and its verdict. */
  record Element(String map, String key, String verdict) {}

  /** Everything one service port adds to the table; a partial sync rewrites a port's rules only. */
  record PortRules(ProxiedPort port, String clusterIp, List<String> chains, Map<String, String> sets,
      List<String> rules, List<Element> elements, int endpoints) {}

  /**
   * What one sync programs: the fixed part of the table and each port's rules, keyed by port id.
   */
  public static final class Ruleset {
    private final Map<String, PortRules> ports;
    private final Set<String> chains = new LinkedHashSet<>();
    private final Set<String> sets = new LinkedHashSet<>();
    private final int endpoints;

    private Ruleset(Map<String, PortRules> ports) {
      this.ports = ports;
      chains.addAll(BASE_CHAINS);
      chains.addAll(HOOKS.keySet());
      int n = 0;
      for (PortRules p : ports.values()) {
        chains.addAll(p.chains());
        sets.addAll(p.sets().keySet());
        n += p.endpoints();
      }
      this.endpoints = n;
    }

    public int ports() {
      return ports.size();
    }

    public int endpoints() {
      return endpoints;
    }

    /** The chains this ruleset declares. */
    public Set<String> chains() {
      return chains;
    }

    /** The (affinity) sets this ruleset declares besides the fixed maps. */
    public Set<String> sets() {
      return sets;
    }

    /** Table declarations: maps, sets and chains, empty. */
    public String declarations() {
      StringBuilder decl = new StringBuilder(256 + ports.size() * 400);
      decl.append("table ").append(T).append(" {\n");
      decl.append("  comment \"service proxy rules, rewritten by capstan\"\n");
      decl.append("  map service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }\n");
      decl.append("  map service-nodeports { type inet_proto . inet_service : verdict ; }\n");
      decl.append("  map no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; }\n");
      decl.append("  map no-endpoint-nodeports { type inet_proto . inet_service : verdict ; }\n");
      decl.append("  set ").append(CLUSTER_IPS).append(" { type ipv4_addr ; }\n");
      decl.append("  set ").append(HAIRPIN).append(" { type ipv4_addr . ipv4_addr ; }\n");
      HOOKS.forEach((name, hook) -> decl.append("  chain ").append(name).append(" { type ").append(hook)
          .append(" ; policy accept ; }\n"));
      for (String c : BASE_CHAINS) {
        decl.append("  chain ").append(c).append(" { }\n");
      }
      for (PortRules p : ports.values()) {
        p.sets().forEach((name, def) -> decl.append("  set ").append(name).append(' ').append(def).append('\n'));
        for (String c : p.chains()) {
          decl.append("  chain ").append(c).append(" { }\n");
        }
      }
      return decl.append("}\n").toString();
    }

    /** Rules and map elements, as {@code add} commands. */
    public String body() {
      StringBuilder body = new StringBuilder(1024 + ports.size() * 1500);
      for (String r : BASE_RULES) {
        body.append("add rule ").append(T).append(' ').append(r).append('\n');
      }
      Set<String> ips = new TreeSet<>();
      for (PortRules p : ports.values()) {
        addRules(body, p);
        ips.add(p.clusterIp());
      }
      if (!ips.isEmpty()) {
        body.append("add element ").append(T).append(' ').append(CLUSTER_IPS).append(" { ")
            .append(String.join(", ", ips)).append(" }\n");
      }
      Set<String> hairpins = hairpins();
      if (!hairpins.isEmpty()) {
        body.append("add element ").append(T).append(' ').append(HAIRPIN).append(" { ")
            .append(String.join(", ", hairpins)).append(" }\n");
      }
      return body.toString();
    }

    private Set<String> hairpins() {
      Set<String> out = new TreeSet<>();
      for (PortRules p : ports.values()) {
        for (ProxiedPort.Backend b : p.port().endpoints()) {
          out.add(b.ip() + " . " + b.ip());
        }
      }
      return out;
    }

    private static void addRules(StringBuilder body, PortRules p) {
      for (String r : p.rules()) {
        body.append("add rule ").append(T).append(' ').append(r).append('\n');
      }
      for (Element e : p.elements()) {
        body.append("add element ").append(T).append(' ').append(e.map()).append(" { ").append(e.key()).append(" : ")
            .append(e.verdict()).append(" }\n");
      }
    }

    /**
     * The {@code nft -f} input that makes the table exactly this ruleset, atomically.
     *
     * @param previous the ruleset applied last by this proxy, or null when unknown (first sync
     *     after start: the table is deleted and rebuilt, dropping any leftovers)
     */
    public String transaction(Ruleset previous) {
      String declarations = declarations();
      String body = body();
      StringBuilder sb = new StringBuilder(declarations.length() + body.length() + 4096);
      sb.append("add table ").append(T).append('\n');
      if (previous == null) {
        sb.append("delete table ").append(T).append('\n');
      } else {
        // Rules go, set elements stay: a ClientIP affinity set keeps its clients across syncs.
        sb.append("flush table ").append(T).append('\n');
      }
      sb.append(declarations);
      if (previous != null) {
        for (String m : MAPS) {
          sb.append("flush map ").append(T).append(' ').append(m).append('\n');
        }
        sb.append("flush set ").append(T).append(' ').append(CLUSTER_IPS).append('\n');
        sb.append("flush set ").append(T).append(' ').append(HAIRPIN).append('\n');
      }
      sb.append(body);
      if (previous != null) {
        for (String c : previous.chains) {
          if (!chains.contains(c)) {
            sb.append("delete chain ").append(T).append(' ').append(c).append('\n');
          }
        }
        for (String s : previous.sets) {
          if (!sets.contains(s)) {
            sb.append("delete set ").append(T).append(' ').append(s).append('\n');
          }
        }
      }
      return sb.toString();
    }

    /** Ports whose rules differ between {@code previous} and this ruleset (added, changed or removed). */
    public int changedPorts(Ruleset previous) {
      int n = 0;
      for (var e : ports.entrySet()) {
        if (!same(e.getValue(), previous.ports.get(e.getKey()))) {
          n++;
        }
      }
      for (String id : previous.ports.keySet()) {
        if (!ports.containsKey(id)) {
          n++;
        }
      }
      return n;
    }

    /**
     * A partial sync, as kube-proxy's: the {@code nft -f} input that turns the table from
     * {@code previous} (which must be what it holds) into this ruleset by rewriting only the
     * ports that changed: their map elements deleted, their chains flushed, rewritten or deleted.
     * Still one transaction: all or nothing.
     */
    public String delta(Ruleset previous) {
      StringBuilder sb = new StringBuilder(4096);
      List<PortRules> gone = new ArrayList<>();
      List<PortRules> come = new ArrayList<>();
      for (var e : previous.ports.entrySet()) {
        PortRules now = ports.get(e.getKey());
        if (!same(e.getValue(), now)) {
          gone.add(e.getValue());
        }
      }
      for (var e : ports.entrySet()) {
        if (!same(e.getValue(), previous.ports.get(e.getKey()))) {
          come.add(e.getValue());
        }
      }
      for (PortRules o : gone) {
        for (Element e : o.elements()) {
          sb.append("delete element ").append(T).append(' ').append(e.map()).append(" { ").append(e.key())
              .append(" }\n");
        }
        for (String c : o.chains()) {
          sb.append("flush chain ").append(T).append(' ').append(c).append('\n');
        }
      }
      for (PortRules n : come) {
        n.sets().forEach((name, def) -> sb.append("add set ").append(T).append(' ').append(name).append(' ')
            .append(def).append('\n'));
        for (String c : n.chains()) {
          sb.append("add chain ").append(T).append(' ').append(c).append('\n');
        }
      }
      for (PortRules n : come) {
        addRules(sb, n);
      }
      for (PortRules o : gone) {
        for (String c : o.chains()) {
          if (!chains.contains(c)) {
            sb.append("delete chain ").append(T).append(' ').append(c).append('\n');
          }
        }
        for (String s : o.sets().keySet()) {
          if (!sets.contains(s)) {
            sb.append("delete set ").append(T).append(' ').append(s).append('\n');
          }
        }
      }
      Set<String> before = new TreeSet<>();
      previous.ports.values().forEach(p -> before.add(p.clusterIp()));
      Set<String> after = new TreeSet<>();
      ports.values().forEach(p -> after.add(p.clusterIp()));
      setDelta(sb, CLUSTER_IPS, before, after);
      if (!gone.isEmpty() || !come.isEmpty()) {
        setDelta(sb, HAIRPIN, previous.hairpins(), hairpins());
      }
      return sb.toString();
    }
  }

  private static void setDelta(StringBuilder sb, String set, Set<String> before, Set<String> after) {
    for (String e : before) {
      if (!after.contains(e)) {
        sb.append("delete element ").append(T).append(' ').append(set).append(" { ").append(e).append(" }\n");
      }
    }
    for (String e : after) {
      if (!before.contains(e)) {
        sb.append("add element ").append(T).append(' ').append(set).append(" { ").append(e).append(" }\n");
      }
    }
  }

  private static boolean same(PortRules a, PortRules b) {
    return a == b || (a != null && b != null && a.port().equals(b.port()));
  }

  /** The {@code nft -f} input that removes the proxy's table (and nothing if there is none). */
  public static String removal() {
    return "add table " + T + "\ndelete table " + T + "\n";
  }

  // Filter chains run before DNAT (priority -110 < -100) so a service without endpoints is still
  // addressed to its ClusterIP when rejected; the post-DNAT output chain sees only traffic that
  // no service port took.
  private static final Map<String, String> HOOKS = orderedMap(
      "filter-input", "filter hook input priority -110",
      "filter-forward", "filter hook forward priority -110",
      "filter-output", "filter hook output priority -110",
      "filter-output-post-dnat", "filter hook output priority -90",
      "nat-prerouting", "nat hook prerouting priority dstnat",
      "nat-output", "nat hook output priority -100",
      "nat-postrouting", "nat hook postrouting priority srcnat");
  private static final List<String> BASE_CHAINS = List.of("services", "masquerading", "mark-for-masquerade",
      "service-endpoints-check", "nodeport-endpoints-check", "cluster-ips-check", "reject-chain");
  private static final List<String> BASE_RULES = List.of(
      "filter-input ct state new jump nodeport-endpoints-check",
      "filter-input ct state new jump service-endpoints-check",
      "filter-forward ct state new jump service-endpoints-check",
      "filter-forward ct state new jump cluster-ips-check",
      "filter-output ct state new jump service-endpoints-check",
      "filter-output ct state new jump nodeport-endpoints-check",
      "filter-output-post-dnat ct state new jump cluster-ips-check",
      "nat-prerouting jump services",
      "nat-output jump services",
      "nat-postrouting ct status dnat ip saddr . ip daddr @" + HAIRPIN + " masquerade fully-random",
      "nat-postrouting jump masquerading",
      "masquerading meta mark & " + MASQUERADE_MARK + " == 0 return",
      "masquerading meta mark set meta mark ^ " + MASQUERADE_MARK,
      "masquerading masquerade fully-random",
      "mark-for-masquerade meta mark set meta mark | " + MASQUERADE_MARK,
      "services ip daddr . meta l4proto . th dport vmap @service-ips",
      "services fib daddr type local meta l4proto . th dport vmap @service-nodeports",
      "service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
      "nodeport-endpoints-check fib daddr type local meta l4proto . th dport vmap @no-endpoint-nodeports",
      "cluster-ips-check ip daddr @" + CLUSTER_IPS + " reject",
      "reject-chain reject");

  private static Map<String, String> orderedMap(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return java.util.Collections.unmodifiableMap(m);
  }

  /** The rules for these ports (in any order; the output is the same for the same ports). */
  public static Ruleset of(List<ProxiedPort> ports) {
    return of(ports, null);
  }

  /**
   * The rules for these ports, reusing {@code previous}'s rules of the ports that did not change
   * (a sync after one endpoint change rebuilds one port's rules, not a thousand).
   */
  public static Ruleset of(List<ProxiedPort> ports, Ruleset previous) {
    List<ProxiedPort> sorted = new ArrayList<>(ports);
    sorted.sort(Comparator.comparing(ProxiedPort::id).thenComparing(ProxiedPort::clusterIP));
    Map<String, PortRules> out = new LinkedHashMap<>();
    Set<String> chains = new java.util.HashSet<>();
    for (ProxiedPort p : sorted) {
      PortRules before = previous == null ? null : previous.ports.get(p.id());
      PortRules r = before != null && before.port().equals(p) ? before : rulesOf(p);
      if (out.putIfAbsent(p.id(), r) != null) {
        throw new IllegalArgumentException("service port " + p.id() + " is listed twice");
      }
      for (String c : r.chains()) {
        if (!chains.add(c)) {
          throw new IllegalArgumentException("two service ports make the same chain " + c);
        }
      }
    }
    return new Ruleset(out);
  }

  static PortRules rulesOf(ProxiedPort p) {
    List<String> chains = new ArrayList<>();
    Map<String, String> sets = new LinkedHashMap<>();
    List<String> rules = new ArrayList<>();
    List<Element> elements = new ArrayList<>();
    String key = p.clusterIP() + " . " + p.protocol() + " . " + p.port();
    if (p.endpoints().isEmpty()) {
      elements.add(new Element("no-endpoint-services", key, "goto reject-chain"));
      if (p.nodePort() > 0) {
        elements.add(new Element("no-endpoint-nodeports", p.protocol() + " . " + p.nodePort(), "goto reject-chain"));
      }
      return new PortRules(p, p.clusterIP(), chains, sets, rules, elements, 0);
    }
    String base = p.namespace() + "/" + p.service() + "/" + p.protocol() + "/" + (p.portName().isEmpty()
        ? "p" + p.port() : p.portName());
    String svc = "service-" + hash(p.id()) + "-" + base;
    chains.add(svc);
    elements.add(new Element("service-ips", key, "goto " + svc));
    if (p.nodePort() > 0) {
      String ext = "external-" + hash(p.id()) + "-" + base;
      chains.add(ext);
      elements.add(new Element("service-nodeports", p.protocol() + " . " + p.nodePort(), "goto " + ext));
      rules.add(ext + " jump mark-for-masquerade");
      rules.add(ext + " goto " + svc);
    }
    if (p.affinitySeconds() == 0) {
      // One rule picks the endpoint and DNATs: no chain per endpoint (nft's cost grows with the chain count).
      StringBuilder dnat = new StringBuilder(svc).append(" meta l4proto ").append(p.protocol()).append(" dnat to ");
      if (p.endpoints().size() == 1) {
        dnat.append(p.endpoints().get(0).ip()).append(':').append(p.endpoints().get(0).port());
      } else {
        dnat.append("numgen random mod ").append(p.endpoints().size()).append(" map { ");
        for (int i = 0; i < p.endpoints().size(); i++) {
          ProxiedPort.Backend b = p.endpoints().get(i);
          dnat.append(i == 0 ? "" : ", ").append(i).append(" : ").append(b.ip()).append(" . ").append(b.port());
        }
        dnat.append(" }");
      }
      rules.add(dnat.toString());
      return new PortRules(p, p.clusterIP(), List.copyOf(chains), sets, List.copyOf(rules), List.copyOf(elements),
          p.endpoints().size());
    }
    // ClientIP affinity: a chain per endpoint, which remembers the client in a timed set
    List<String> endpointChains = new ArrayList<>(p.endpoints().size());
    for (ProxiedPort.Backend b : p.endpoints()) {
      String ep = "endpoint-" + hash(p.id() + "|" + b) + "-" + base + "__" + b.ip() + "/" + b.port();
      chains.add(ep);
      endpointChains.add(ep);
      String aff = "affinity-" + hash(p.id() + "|" + b);
      sets.put(aff, "{ type ipv4_addr ; flags dynamic,timeout ; timeout " + p.affinitySeconds() + "s ; }");
      rules.add(svc + " ip saddr @" + aff + " goto " + ep);
      rules.add(ep + " update @" + aff + " { ip saddr }");
      rules.add(ep + " meta l4proto " + p.protocol() + " dnat to " + b.ip() + ":" + b.port());
    }
    StringBuilder vmap = new StringBuilder(svc).append(" numgen random mod ").append(endpointChains.size())
        .append(" vmap { ");
    for (int i = 0; i < endpointChains.size(); i++) {
      vmap.append(i == 0 ? "" : ", ").append(i).append(" : goto ").append(endpointChains.get(i));
    }
    rules.add(vmap.append(" }").toString());
    return new PortRules(p, p.clusterIP(), List.copyOf(chains), sets, List.copyOf(rules), List.copyOf(elements),
        p.endpoints().size());
  }

  /** A short, stable prefix that keeps chain names unique even when names are cut or look alike. */
  static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().withUpperCase().formatHex(d, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
