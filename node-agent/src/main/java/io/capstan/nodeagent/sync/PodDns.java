package io.capstan.nodeagent.sync;

import io.capstan.api.Pod;
import io.capstan.api.PodDNSConfig;
import io.capstan.api.PodDNSConfigOption;
import io.capstan.api.PodSpec;
import io.capstan.nodeagent.dns.ResolvConf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * A pod's /etc/resolv.conf by its {@code dnsPolicy}, as kubelet's {@code pkg/kubelet/network/dns}:
 * <ul>
 *   <li>{@code ClusterFirst} (the default): the cluster DNS, {@code search <ns>.svc.<domain>
 *       svc.<domain> <domain>} then the host's search domains, {@code options ndots:5}; a
 *       host-network pod falls back to {@code Default}, as does every pod when the node has no
 *       cluster DNS configured;</li>
 *   <li>{@code ClusterFirstWithHostNet}: {@code ClusterFirst}, host network or not;</li>
 *   <li>{@code Default}: the node's resolv.conf;</li>
 *   <li>{@code None}: nothing but the pod's {@code dnsConfig}.</li>
 * </ul>
 * The pod's {@code dnsConfig} is then merged in (nameservers and searches appended without
 * duplicates, options by name with the pod's winning), and the result cut to the resolver's
 * limits: 3 nameservers, 32 search domains of 2048 characters together. What was cut, or a
 * missing cluster DNS, is said in a warning (kubelet's DNSConfigForming event).
 */
public final class PodDns {
  public static final int MAX_NAMESERVERS = 3;
  public static final int MAX_SEARCHES = 32;
  public static final int MAX_SEARCH_CHARS = 2048;
  public static final String NDOTS = "ndots:5";

  /**
   * The node's DNS settings (kubelet's {@code --cluster-dns}, {@code --cluster-domain} and
   * {@code --resolv-conf}).
   *
   * @param clusterDns     the cluster DNS Service's addresses; empty: ClusterFirst pods use the host's
   * @param clusterDomain  the cluster's domain
   * @param hostResolvConf the resolv.conf that Default pods get and whose search domains ClusterFirst pods add
   */
  public record Settings(List<String> clusterDns, String clusterDomain, Path hostResolvConf) {
    public static final String DEFAULT_CLUSTER_DNS = "10.96.0.10";
    public static final String DEFAULT_CLUSTER_DOMAIN = "cluster.local";

    public Settings {
      clusterDns = List.copyOf(clusterDns);
      if (clusterDomain == null || clusterDomain.isBlank()) {
        throw new IllegalArgumentException("cluster domain must not be empty");
      }
      clusterDomain = clusterDomain.endsWith(".") ? clusterDomain.substring(0, clusterDomain.length() - 1)
          : clusterDomain;
    }

    /** 10.96.0.10, cluster.local and the host's resolv.conf (see {@link #hostResolvConf()}). */
    public static Settings defaults() {
      return new Settings(List.of(DEFAULT_CLUSTER_DNS), DEFAULT_CLUSTER_DOMAIN, defaultHostResolvConf());
    }

    /**
     * {@code /etc/resolv.conf}, unless it names only systemd-resolved's stub (127.0.0.53, which a
     * pod's network namespace cannot reach): then the resolvers behind it, as kubeadm points
     * kubelet's {@code --resolv-conf} at {@code /run/systemd/resolve/resolv.conf}.
     */
    public static Path defaultHostResolvConf() {
      Path upstream = Path.of("/run/systemd/resolve/resolv.conf");
      try {
        List<String> ns = ResolvConf.read(ResolvConf.HOST_FILE).nameservers();
        if (!ns.isEmpty() && ns.stream().allMatch(n -> n.startsWith("127.0.0.53")) && Files.isRegularFile(upstream)) {
          return upstream;
        }
      } catch (IOException e) {
        // unreadable: the pods get what kubelet would, the file itself
      }
      return ResolvConf.HOST_FILE;
    }
  }

  /** A pod's resolv.conf and what kubelet would say about it ({@code DNSConfigForming} warnings). */
  public record Result(ResolvConf conf, List<String> warnings) {}

  private PodDns() {}

  /** The pod's resolv.conf on a node with {@code settings} whose resolv.conf reads {@code host}. */
  public static Result resolvConf(Pod pod, Settings settings, ResolvConf host) {
    PodSpec spec = pod.getSpec();
    String policy = spec.getDnsPolicy() == null ? "ClusterFirst" : spec.getDnsPolicy();
    boolean hostNetwork = Boolean.TRUE.equals(spec.getHostNetwork());
    List<String> warnings = new ArrayList<>();
    boolean cluster = switch (policy) {
      case "ClusterFirstWithHostNet" -> true;
      case "ClusterFirst" -> !hostNetwork;
      default -> false;
    };
    if (cluster && settings.clusterDns().isEmpty()) {
      warnings.add("kubelet does not have ClusterDNS IP configured and cannot create Pod using \"" + policy
          + "\" policy. Falling back to \"Default\" policy.");
      cluster = false;
    }
    List<String> servers = new ArrayList<>();
    List<String> searches = new ArrayList<>();
    List<String> options = new ArrayList<>();
    if (policy.equals("None")) {
      // only the pod's dnsConfig
    } else if (cluster) {
      String d = settings.clusterDomain();
      servers.addAll(settings.clusterDns());
      searches.addAll(List.of(pod.getMetadata().getNamespace() + ".svc." + d, "svc." + d, d));
      searches.addAll(host.searches());
      options.add(NDOTS);
    } else {
      servers.addAll(host.nameservers());
      searches.addAll(host.searches());
      options.addAll(host.options());
    }
    PodDNSConfig extra = spec.getDnsConfig();
    if (extra != null) {
      if (extra.getNameservers() != null) {
        servers.addAll(extra.getNameservers());
      }
      if (extra.getSearches() != null) {
        searches.addAll(extra.getSearches());
      }
      options = mergeOptions(options, extra.getOptions());
    }
    servers = List.copyOf(new LinkedHashSet<>(servers));
    searches = List.copyOf(new LinkedHashSet<>(searches));
    if (servers.size() > MAX_NAMESERVERS) {
      servers = servers.subList(0, MAX_NAMESERVERS);
      warnings.add("Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver"
          + " line is: " + String.join(" ", servers));
    }
    List<String> fitting = fitSearches(searches);
    if (fitting.size() < searches.size()) {
      warnings.add("Search Line limits were exceeded, some search paths have been omitted, the applied search line"
          + " is: " + String.join(" ", fitting));
    }
    return new Result(new ResolvConf(servers, fitting, options), warnings);
  }

  /** The longest prefix of the search list within 32 domains and 2048 characters (with the spaces). */
  private static List<String> fitSearches(List<String> searches) {
    List<String> out = new ArrayList<>();
    int chars = 0;
    for (String s : searches) {
      int add = (out.isEmpty() ? 0 : 1) + s.length();
      if (out.size() == MAX_SEARCHES || chars + add > MAX_SEARCH_CHARS) {
        break;
      }
      out.add(s);
      chars += add;
    }
    return out;
  }

  /** Options by name, in first-seen order; the pod's value replaces the base's (kubelet's mergeDNSOptions). */
  private static List<String> mergeOptions(List<String> base, List<PodDNSConfigOption> pods) {
    Map<String, String> byName = new LinkedHashMap<>();
    for (String o : base) {
      int colon = o.indexOf(':');
      byName.put(colon < 0 ? o : o.substring(0, colon), colon < 0 ? "" : o.substring(colon + 1));
    }
    if (pods != null) {
      for (PodDNSConfigOption o : pods) {
        byName.put(o.getName(), o.getValue() == null ? "" : o.getValue());
      }
    }
    List<String> out = new ArrayList<>();
    byName.forEach((k, v) -> out.add(v.isEmpty() ? k : k + ":" + v));
    return out;
  }
}
