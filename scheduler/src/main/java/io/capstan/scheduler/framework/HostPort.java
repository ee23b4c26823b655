package io.capstan.scheduler.framework;

/** A host port a container asks for (protocol defaults to TCP, IP to 0.0.0.0 which takes every IP). */
public record HostPort(String ip, String protocol, int port) {
  public static final String ANY_IP = "0.0.0.0";

  /** HostPortInfo.CheckConflict: same port and protocol, and the same IP or either is 0.0.0.0. */
  public boolean conflictsWith(HostPort o) {
    return port == o.port && protocol.equals(o.protocol) && (ip.equals(o.ip) || ip.equals(ANY_IP) || o.ip.equals(ANY_IP));
  }
}
