package io.capstan.nodeagent.dns;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Settings of the cluster DNS server. Defaults, written down once: domain {@value #DEFAULT_DOMAIN},
 * TTL {@link #DEFAULT_TTL}, port {@value #DEFAULT_PORT}, upstreams the host's {@code /etc/resolv.conf}.
 *
 * @param domain    the cluster domain (kubelet's {@code --cluster-domain})
 * @param host      the address to listen on (and to publish in the DNS Service's endpoints)
 * @param port      the port (UDP and TCP); 0 picks a free one
 * @param ttl       the TTL of the cluster's answers
 * @param upstreams resolvers for other names; null reads them from {@code resolvConf}
 * @param resolvConf the host's resolv.conf, read when {@code upstreams} is null
 * @param publishEndpoints write the address into {@code kube-system/kube-dns}'s Endpoints
 */
public record ClusterDnsConfig(String domain, String host, int port, Duration ttl, List<InetSocketAddress> upstreams,
    Path resolvConf, boolean publishEndpoints) {
  public static final String DEFAULT_DOMAIN = "cluster.local";
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(5);
  public static final int DEFAULT_PORT = 53;

  public ClusterDnsConfig {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("cluster DNS needs an address to listen on");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("cluster DNS port must be 0..65535, got " + port);
    }
    if (ttl == null || ttl.isNegative()) {
      throw new IllegalArgumentException("cluster DNS TTL must not be negative, got " + ttl);
    }
    upstreams = upstreams == null ? null : List.copyOf(upstreams);
    resolvConf = resolvConf == null ? ResolvConf.HOST_FILE : resolvConf;
  }

  public static ClusterDnsConfig defaults(String host, int port) {
    return new ClusterDnsConfig(DEFAULT_DOMAIN, host, port, DEFAULT_TTL, null, ResolvConf.HOST_FILE, true);
  }

  public ClusterDnsConfig withUpstreams(List<InetSocketAddress> u) {
    return new ClusterDnsConfig(domain, host, port, ttl, u, resolvConf, publishEndpoints);
  }

  public ClusterDnsConfig withPublishEndpoints(boolean p) {
    return new ClusterDnsConfig(domain, host, port, ttl, upstreams, resolvConf, p);
  }
}
