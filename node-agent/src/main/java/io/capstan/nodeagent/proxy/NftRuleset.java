package io.capstan.nodeagent.proxy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The nftables rules for a set of service ports, in the shape of kube-proxy's nftables mode: a
 * {@code services} chain dispatching ClusterIP:port/protocol (and, on local addresses, NodePorts)
 * through verdict maps to one chain per service port, which spreads new connections over one chain
 * per endpoint with {@code numgen random mod N}; each endpoint chain marks hairpin traffic (a pod
 * reaching itself through its service) for masquerade and DNATs. {@code sessionAffinity: ClientIP}
 * keeps a timed set of client addresses per endpoint. Services without endpoints are rejected
 * (ICMP port unreachable, so TCP clients see "connection refused") in filter chains that run
 * before DNAT. Unlike kube-proxy's nftables mode, NodePorts also answer on 127.0.0.1 (as its
 * iptables mode does, with {@code route_localnet}); all NodePort traffic is masqueraded
 * ({@code externalTrafficPolicy: Cluster}).
 *
 * <p>Pure: {@link #of} renders text; {@link Ruleset#transaction} wraps it in the one {@code nft -f}
 * transaction that replaces whatever the table held.
 */
public final class NftRuleset {
  /** The table the proxy owns; nothing else in the host's ruleset is touched. */
  public static final String TABLE = "capstan";
  public static final String FAMILY = "ip";
  /** The packet mark bit that asks the postrouting chain to masquerade (kube-proxy's default, 0x4000). */
  public static final String MASQUERADE_MARK = "0x00004000";

  private static final List<String> MAPS = List.of("service-ips", "service-nodeports", "no-endpoint-services",
      "no-endpoint-nodeports");
  private static final String CLUSTER_IPS = "cluster-ips";

  private NftRuleset() {}

  /**
   * What one sync programs: the table's body, and the names of the chains and sets it declares
   * (so that the next sync can delete the ones it no longer needs).
   */
  public record Ruleset(String declarations, String body, Set<String> chains, Set<String> sets, int ports,
      int endpoints) {

    /**
     * The {@code nft -f} input that makes the table exactly this ruleset, atomically.
     *
     * @param previous the ruleset applied last by this proxy, or null when unknown (first sync
     *     after start: the table is deleted and rebuilt, dropping any leftovers)
     */
    public String transaction(Ruleset previous) {
      StringBuilder sb = new StringBuilder(declarations.length() + body.length() + 4096);
      String t = FAMILY + " " + TABLE;
      sb.append("add table ").append(t).append('\n');
      if (previous == null) {
        sb.append("delete table ").append(t).append('\n');
      } else {
        // Rules go, set elements stay: a ClientIP affinity set keeps its clients across syncs.
        sb.append("flush table ").append(t).append('\n');
      }
      sb.append(declarations);
      if (previous != null) {
        for (String m : MAPS) {
          sb.append("flush map ").append(t).append(' ').append(m).append('\n');
        }
        sb.append("flush set ").append(t).append(' ').append(CLUSTER_IPS).append('\n');
      }
      sb.append(body);
      if (previous != null) {
        for (String c : previous.chains) {
          if (!chains.contains(c)) {
            sb.append("delete chain ").append(t).append(' ').append(c).append('\n');
          }
        }
        for (String s : previous.sets) {
          if (!sets.contains(s)) {
            sb.append("delete set ").append(t).append(' ').append(s).append('\n');
          }
        }
      }
      return sb.toString();
    }
  }

  /** The {@code nft -f} input that removes the proxy's table (and nothing if there is none). */
  public static String removal() {
    return "add table " + FAMILY + " " + TABLE + "\ndelete table " + FAMILY + " " + TABLE + "\n";
  }

  /** The rules for these ports (in any order; the output is the same for the same ports). */
  public static Ruleset of(List<ProxiedPort> ports) {
    List<ProxiedPort> sorted = new ArrayList<>(ports);
    sorted.sort(Comparator.comparing(ProxiedPort::id).thenComparing(ProxiedPort::clusterIP));
    Set<String> chains = new LinkedHashSet<>();
    Set<String> sets = new LinkedHashSet<>();
    StringBuilder decl = new StringBuilder(256 + sorted.size() * 200);
    StringBuilder body = new StringBuilder(1024 + sorted.size() * 1200);
    String t = FAMILY + " " + TABLE;

    decl.append("table ").append(t).append(" {\n");
    decl.append("  comment \"service proxy rules, rewritten whole by capstan\"\n");
    decl.append("  map service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }\n");
    decl.append("  map service-nodeports { type inet_proto . inet_service : verdict ; }\n");
    decl.append("  map no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; }\n");
    decl.append("  map no-endpoint-nodeports { type inet_proto . inet_service : verdict ; }\n");
    decl.append("  set ").append(CLUSTER_IPS).append(" { type ipv4_addr ; }\n");
    // Filter chains run before DNAT (priority -110 < -100) so a service without endpoints is still
    // addressed to its ClusterIP when rejected; the post-DNAT output chain sees only traffic that
    // no service port took.
    baseChain(decl, chains, "filter-input", "filter hook input priority -110");
    baseChain(decl, chains, "filter-forward", "filter hook forward priority -110");
    baseChain(decl, chains, "filter-output", "filter hook output priority -110");
    baseChain(decl, chains, "filter-output-post-dnat", "filter hook output priority -90");
    baseChain(decl, chains, "nat-prerouting", "nat hook prerouting priority dstnat");
    baseChain(decl, chains, "nat-output", "nat hook output priority -100");
    baseChain(decl, chains, "nat-postrouting", "nat hook postrouting priority srcnat");
    for (String c : List.of("services", "masquerading", "mark-for-masquerade", "service-endpoints-check",
        "nodeport-endpoints-check", "cluster-ips-check", "reject-chain")) {
      chain(decl, chains, c);
    }

    rule(body, t, "filter-input", "ct state new jump nodeport-endpoints-check");
    rule(body, t, "filter-input", "ct state new jump service-endpoints-check");
    rule(body, t, "filter-forward", "ct state new jump service-endpoints-check");
    rule(body, t, "filter-forward", "ct state new jump cluster-ips-check");
    rule(body, t, "filter-output", "ct state new jump service-endpoints-check");
    rule(body, t, "filter-output", "ct state new jump nodeport-endpoints-check");
    rule(body, t, "filter-output-post-dnat", "ct state new jump cluster-ips-check");
    rule(body, t, "nat-prerouting", "jump services");
    rule(body, t, "nat-output", "jump services");
    rule(body, t, "nat-postrouting", "jump masquerading");
    rule(body, t, "masquerading", "meta mark & " + MASQUERADE_MARK + " == 0 return");
    rule(body, t, "masquerading", "meta mark set meta mark ^ " + MASQUERADE_MARK);
    rule(body, t, "masquerading", "masquerade fully-random");
    rule(body, t, "mark-for-masquerade", "meta mark set meta mark | " + MASQUERADE_MARK);
    rule(body, t, "services", "ip daddr . meta l4proto . th dport vmap @service-ips");
    rule(body, t, "services", "fib daddr type local meta l4proto . th dport vmap @service-nodeports");
    rule(body, t, "service-endpoints-check", "ip daddr . meta l4proto . th dport vmap @no-endpoint-services");
    rule(body, t, "nodeport-endpoints-check",
        "fib daddr type local meta l4proto . th dport vmap @no-endpoint-nodeports");
    rule(body, t, "cluster-ips-check", "ip daddr @" + CLUSTER_IPS + " reject");
    rule(body, t, "reject-chain", "reject");

    Set<String> clusterIps = new java.util.TreeSet<>();
    int endpointCount = 0;
    for (ProxiedPort p : sorted) {
      clusterIps.add(p.clusterIP());
      String key = p.clusterIP() + " . " + p.protocol() + " . " + p.port();
      if (p.endpoints().isEmpty()) {
        element(body, t, "no-endpoint-services", key + " : goto reject-chain");
        if (p.nodePort() > 0) {
          element(body, t, "no-endpoint-nodeports", p.protocol() + " . " + p.nodePort() + " : goto reject-chain");
        }
        continue;
      }
      String base = p.namespace() + "/" + p.service() + "/" + p.protocol() + "/" + (p.portName().isEmpty()
          ? "p" + p.port() : p.portName());
      String svc = "service-" + hash(p.id()) + "-" + base;
      chain(decl, chains, svc);
      element(body, t, "service-ips", key + " : goto " + svc);
      if (p.nodePort() > 0) {
        String ext = "external-" + hash(p.id()) + "-" + base;
        chain(decl, chains, ext);
        element(body, t, "service-nodeports", p.protocol() + " . " + p.nodePort() + " : goto " + ext);
        rule(body, t, ext, "jump mark-for-masquerade");
        rule(body, t, ext, "goto " + svc);
      }
      List<String> endpointChains = new ArrayList<>(p.endpoints().size());
      for (ProxiedPort.Backend b : p.endpoints()) {
        endpointCount++;
        String ep = "endpoint-" + hash(p.id() + "|" + b) + "-" + base + "__" + b.ip() + "/" + b.port();
        chain(decl, chains, ep);
        endpointChains.add(ep);
        rule(body, t, ep, "ip saddr " + b.ip() + " jump mark-for-masquerade");
        if (p.affinitySeconds() > 0) {
          String aff = "affinity-" + hash(p.id() + "|" + b);
          sets.add(aff);
          decl.append("  set ").append(aff).append(" { type ipv4_addr ; flags dynamic,timeout ; timeout ")
              .append(p.affinitySeconds()).append("s ; }\n");
          rule(body, t, svc, "ip saddr @" + aff + " goto " + ep);
          rule(body, t, ep, "update @" + aff + " { ip saddr }");
        }
        rule(body, t, ep, "meta l4proto " + p.protocol() + " dnat to " + b.ip() + ":" + b.port());
      }
      StringBuilder vmap = new StringBuilder("numgen random mod ").append(endpointChains.size()).append(" vmap { ");
      for (int i = 0; i < endpointChains.size(); i++) {
        vmap.append(i == 0 ? "" : ", ").append(i).append(" : goto ").append(endpointChains.get(i));
      }
      rule(body, t, svc, vmap.append(" }").toString());
    }
    if (!clusterIps.isEmpty()) {
      body.append("add element ").append(t).append(' ').append(CLUSTER_IPS).append(" { ")
          .append(String.join(", ", clusterIps)).append(" }\n");
    }
    decl.append("}\n");
    return new Ruleset(decl.toString(), body.toString(), chains, sets, sorted.size(), endpointCount);
  }

  private static void baseChain(StringBuilder decl, Set<String> chains, String name, String hook) {
    chains.add(name);
    decl.append("  chain ").append(name).append(" { type ").append(hook).append(" ; policy accept ; }\n");
  }

  private static void chain(StringBuilder decl, Set<String> chains, String name) {
    if (!chains.add(name)) {
      throw new IllegalArgumentException("two service ports make the same chain " + name);
    }
    decl.append("  chain ").append(name).append(" { }\n");
  }

  private static void rule(StringBuilder body, String table, String chain, String rule) {
    body.append("add rule ").append(table).append(' ').append(chain).append(' ').append(rule).append('\n');
  }

  private static void element(StringBuilder body, String table, String map, String element) {
    body.append("add element ").append(table).append(' ').append(map).append(" { ").append(element).append(" }\n");
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
