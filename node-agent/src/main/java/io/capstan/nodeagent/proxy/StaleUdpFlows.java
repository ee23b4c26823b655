package io.capstan.nodeagent.proxy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * UDP flows that would keep going to an endpoint that is gone: conntrack keeps a UDP "connection"
 * NATed to its old endpoint for as long as packets keep coming, so, as kube-proxy does, the flows
 * of a service port's removed endpoints are deleted after the rules without them are applied.
 */
public final class StaleUdpFlows {
  private StaleUdpFlows() {}

  /**
   * One set of flows to delete: those sent to {@code destination} (the ClusterIP, or any local
   * address when {@code nodePort}) on {@code port} and NATed to {@code endpointIp}.
   */
  public record Flow(String destination, int port, boolean nodePort, String endpointIp) {}

  /** The flows of UDP endpoints present before and absent now. */
  public static List<Flow> between(List<ProxiedPort> before, List<ProxiedPort> now) {
    Map<String, Set<String>> current = new HashMap<>();
    for (ProxiedPort p : now) {
      if (p.protocol().equals("udp")) {
        Set<String> ips = current.computeIfAbsent(p.id() + "@" + p.clusterIP() + ":" + p.port(), k -> new HashSet<>());
        p.endpoints().forEach(b -> ips.add(b.ip()));
      }
    }
    List<Flow> out = new ArrayList<>();
    for (ProxiedPort p : before) {
      if (!p.protocol().equals("udp")) {
        continue;
      }
      Set<String> kept = current.getOrDefault(p.id() + "@" + p.clusterIP() + ":" + p.port(), Set.of());
      Set<String> seen = new HashSet<>();
      for (ProxiedPort.Backend b : p.endpoints()) {
        if (!kept.contains(b.ip()) && seen.add(b.ip())) {
          out.add(new Flow(p.clusterIP(), p.port(), false, b.ip()));
          if (p.nodePort() > 0) {
            out.add(new Flow(null, p.nodePort(), true, b.ip()));
          }
        }
      }
    }
    return out;
  }
}
