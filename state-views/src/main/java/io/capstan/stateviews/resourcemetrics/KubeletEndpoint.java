package io.capstan.stateviews.resourcemetrics;

import io.capstan.api.Node;
import io.capstan.api.NodeAddress;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.List;
import java.util.OptionalInt;

/**
 * Where a node's agent serves kubelet's HTTPS API, as its Node reports it: the InternalIP (else the
 * first address, else the node's name) and {@code status.daemonEndpoints.kubeletEndpoint.Port}.
 */
public final class KubeletEndpoint {
  private KubeletEndpoint() {}

  /** The port the node agent reported, or empty when it reported none (its agent is not running). */
  public static OptionalInt port(Node node) {
    var endpoints = node.getStatus() == null ? null : node.getStatus().getDaemonEndpoints();
    Integer port = endpoints == null || endpoints.getKubeletEndpoint() == null ? null
        : endpoints.getKubeletEndpoint().getPort();
    return port == null || port <= 0 ? OptionalInt.empty() : OptionalInt.of(port);
  }

  /** The node's InternalIP (else its first address); loopback when that address is this machine's. */
  public static String address(Node node) {
    List<NodeAddress> addresses = node.getStatus() == null || node.getStatus().getAddresses() == null
        ? List.of() : node.getStatus().getAddresses();
    String chosen = addresses.stream().filter(a -> "InternalIP".equals(a.getType())).map(NodeAddress::getAddress)
        .findFirst().orElseGet(() -> addresses.isEmpty() ? node.getMetadata().getName() : addresses.get(0).getAddress());
    return isThisMachine(chosen) ? "127.0.0.1" : chosen;
  }

  private static boolean isThisMachine(String address) {
    try {
      InetAddress a = InetAddress.getByName(address);
      return a.isLoopbackAddress() || NetworkInterface.getByInetAddress(a) != null;
    } catch (Exception e) {
      return false;
    }
  }
}
