package io.capstan.stateviews.processor.services;

/**
 * The cluster's service address ranges: the IPv4 CIDR ClusterIPs come from (kube-apiserver's
 * {@code --service-cluster-ip-range}) and the NodePort range ({@code --service-node-port-range}).
 *
 * @param cidr         e.g. {@code 10.96.0.0/12}; the network address, a prefix of 1 to 28 bits
 * @param nodePortMin  the lowest node port, inclusive
 * @param nodePortMax  the highest node port, inclusive
 */
public record ServiceNetwork(String cidr, int nodePortMin, int nodePortMax) {
  public static final String DEFAULT_CIDR = "10.96.0.0/12";
  public static final int DEFAULT_NODE_PORT_MIN = 30000;
  public static final int DEFAULT_NODE_PORT_MAX = 32767;
  /** The offset of the DNS Service's address in the CIDR, by convention (10.96.0.10). */
  public static final int DNS_OFFSET = 10;

  public ServiceNetwork {
    if (cidr == null || cidr.isBlank()) {
      throw new IllegalArgumentException("service CIDR must not be empty");
    }
    int slash = cidr.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("service CIDR \"" + cidr + "\" needs a prefix length, e.g. 10.96.0.0/12");
    }
    long base = parseIpv4(cidr.substring(0, slash));
    if (base < 0) {
      throw new IllegalArgumentException("service CIDR \"" + cidr + "\" is not an IPv4 network (only IPv4 is supported)");
    }
    int prefix;
    try {
      prefix = Integer.parseInt(cidr.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("service CIDR \"" + cidr + "\": the prefix length is not a number");
    }
    if (prefix < 1 || prefix > 28) {
      throw new IllegalArgumentException("service CIDR \"" + cidr + "\": the prefix length must be 1 to 28 (at least"
          + " 16 addresses, for the kubernetes and DNS Services and a few more), got " + prefix);
    }
    long size = 1L << (32 - prefix);
    if (base % size != 0) {
      throw new IllegalArgumentException("service CIDR \"" + cidr + "\" has host bits set: the network is "
          + format(base - base % size) + "/" + prefix);
    }
    if (nodePortMin < 1 || nodePortMax > 65535 || nodePortMin > nodePortMax) {
      throw new IllegalArgumentException("node port range " + nodePortMin + "-" + nodePortMax
          + " must be within 1-65535, lowest first");
    }
  }

  public static ServiceNetwork defaults() {
    return new ServiceNetwork(DEFAULT_CIDR, DEFAULT_NODE_PORT_MIN, DEFAULT_NODE_PORT_MAX);
  }

  /** A CIDR with the default node port range. */
  public static ServiceNetwork of(String cidr) {
    return new ServiceNetwork(cidr, DEFAULT_NODE_PORT_MIN, DEFAULT_NODE_PORT_MAX);
  }

  /** The range as Kubernetes writes it, {@code 30000-32767}. */
  public String nodePortRange() {
    return nodePortMin + "-" + nodePortMax;
  }

  public long base() {
    return parseIpv4(cidr.substring(0, cidr.indexOf('/')));
  }

  /** How many addresses the CIDR spans, network and broadcast address included. */
  public long size() {
    return 1L << (32 - Integer.parseInt(cidr.substring(cidr.indexOf('/') + 1)));
  }

  /** The {@code kubernetes} Service's address: the CIDR's first host address (10.96.0.1). */
  public String kubernetesServiceIP() {
    return address(1);
  }

  /** The DNS Service's address: the CIDR's tenth address (10.96.0.10). */
  public String dnsServiceIP() {
    return address(DNS_OFFSET);
  }

  public String address(long offset) {
    return format(base() + offset);
  }

  /** The address's offset in the CIDR, or -1 when it is not an IPv4 address in it. */
  public long offset(String ip) {
    long a = parseIpv4(ip);
    long off = a - base();
    return a < 0 || off < 0 || off >= size() ? -1 : off;
  }

  /** Whether a Service may hold the address: in the CIDR, neither its network nor its broadcast address. */
  public boolean allocatable(String ip) {
    long off = offset(ip);
    return off > 0 && off < size() - 1;
  }

  public boolean nodePortInRange(int port) {
    return port >= nodePortMin && port <= nodePortMax;
  }

  /** Where dynamic ClusterIP picks start: above the static band, min(max(16, size/16), 256), as Kubernetes. */
  long ipDynamicStart() {
    return Math.min(Math.max(16, size() / 16), 256);
  }

  /** Where dynamic NodePort picks start: above the static band, min(max(16, size/32), 128), as Kubernetes. */
  int portDynamicStart() {
    int size = nodePortMax - nodePortMin + 1;
    return nodePortMin + Math.min(Math.min(Math.max(16, size / 32), 128), size - 1);
  }

  /** A dotted quad as a number, or -1 when it is not one. */
  public static long parseIpv4(String s) {
    if (s == null) {
      return -1;
    }
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return -1;
    }
    long v = 0;
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || (p.length() > 1 && p.charAt(0) == '0')) {
        return -1;
      }
      int n = Integer.parseInt(p);
      if (n > 255) {
        return -1;
      }
      v = (v << 8) | n;
    }
    return v;
  }

  static String format(long v) {
    return ((v >> 24) & 255) + "." + ((v >> 16) & 255) + "." + ((v >> 8) & 255) + "." + (v & 255);
  }
}
