package io.capstan.nodeagent.proxy;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One port of one service as the proxy programs it: where clients send (ClusterIP:port, and the
 * NodePort on every node address when there is one) and the ready endpoints traffic spreads over.
 * The proxy's whole input is a list of these, whatever object they came from (Endpoints today,
 * EndpointSlices later).
 *
 * @param namespace the service's namespace
 * @param service the service's name
 * @param portName the service port's name ("" when it has none: a single-port service)
 * @param protocol {@code tcp}, {@code udp} or {@code sctp}
 * @param clusterIP the service's IPv4 ClusterIP
 * @param port the service port
 * @param nodePort the NodePort, or 0 for none
 * @param endpoints the ready (serving) endpoints, in a stable order
 * @param affinitySeconds {@code sessionAffinity: ClientIP}'s timeout, or 0 for no affinity
 */
public record ProxiedPort(String namespace, String service, String portName, String protocol, String clusterIP,
    int port, int nodePort, List<Backend> endpoints, int affinitySeconds) {

  /** One endpoint of a port: the address and port DNAT sends to. */
  public record Backend(String ip, int port) implements Comparable<Backend> {
    public Backend {
      Objects.requireNonNull(ip, "ip");
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("endpoint " + ip + ": port " + port + " is not in 1-65535");
      }
    }

    @Override
    public int compareTo(Backend o) {
      int c = ip.compareTo(o.ip);
      return c != 0 ? c : Integer.compare(port, o.port);
    }

    @Override
    public String toString() {
      return ip + ":" + port;
    }
  }

  public ProxiedPort {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(service, "service");
    portName = portName == null ? "" : portName;
    String given = protocol;
    protocol = protocol == null ? "tcp" : protocol.toLowerCase(Locale.ROOT);
    if (!protocol.equals("tcp") && !protocol.equals("udp") && !protocol.equals("sctp")) {
      throw new IllegalArgumentException("service " + namespace + "/" + service + " port " + port + ": protocol "
          + given + " is not TCP, UDP or SCTP");
    }
    if (!Ipv4.isAddress(clusterIP)) {
      throw new IllegalArgumentException("service " + namespace + "/" + service + ": clusterIP \"" + clusterIP
          + "\" is not an IPv4 address");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("service " + namespace + "/" + service + ": port " + port
          + " is not in 1-65535");
    }
    if (nodePort < 0 || nodePort > 65535) {
      throw new IllegalArgumentException("service " + namespace + "/" + service + ": nodePort " + nodePort
          + " is not in 1-65535");
    }
    for (Backend b : endpoints) {
      if (!Ipv4.isAddress(b.ip())) {
        throw new IllegalArgumentException("service " + namespace + "/" + service + ": endpoint \"" + b.ip()
            + "\" is not an IPv4 address");
      }
    }
    endpoints = List.copyOf(endpoints);
    if (affinitySeconds < 0) {
      throw new IllegalArgumentException("service " + namespace + "/" + service + ": affinity timeout "
          + affinitySeconds + " is negative");
    }
  }

  /** {@code namespace/name:portName/protocol}, the port's identity across syncs. */
  public String id() {
    return namespace + "/" + service + ":" + portName + "/" + protocol;
  }

  /** {@code namespace/name}, the service's key. */
  public String serviceKey() {
    return namespace + "/" + service;
  }
}
