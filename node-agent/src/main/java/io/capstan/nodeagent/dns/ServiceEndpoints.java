package io.capstan.nodeagent.dns;

import java.util.List;

/**
 * Where the DNS answers find a Service's endpoints: the Endpoints objects today, EndpointSlices
 * later; the answers do not care which.
 */
public interface ServiceEndpoints {
  /** The endpoints of a Service, ready or not; empty when it has none (or no such Service). */
  List<Endpoint> endpoints(String namespace, String service);

  /**
   * The endpoints whose address is {@code ip}, with the Service each belongs to (reverse lookups).
   */
  List<Owned> byIp(String ip);

  /**
   * One endpoint.
   *
   * @param ip       its address
   * @param hostname its DNS label under the Service, or null (then the dashed address is used)
   * @param ready    ready to serve (published in DNS; not-ready ones are left out)
   * @param ports    the ports it serves
   */
  record Endpoint(String ip, String hostname, boolean ready, List<Port> ports) {
    public Endpoint {
      ports = List.copyOf(ports);
    }
  }

  /** A named (or unnamed: {@code ""}) port of an endpoint. */
  record Port(String name, int port, String protocol) {}

  /** An endpoint and the Service it is an endpoint of. */
  record Owned(String namespace, String service, Endpoint endpoint) {}
}
