package io.capstan.ops;

import io.capstan.stateviews.processor.services.ServiceNetwork;
import picocli.CommandLine.Option;

/**
 * {@code --service-cidr} and {@code --service-node-port-range}: where the command processor
 * allocates Service ClusterIPs and NodePorts from (kube-apiserver's flags of the same meaning).
 * Every processor instance of a cluster must be given the same ranges.
 */
final class ServiceNetworkOptions {
  @Option(names = "--service-cidr", paramLabel = "CIDR", defaultValue = ServiceNetwork.DEFAULT_CIDR,
      description = "IPv4 range Service ClusterIPs are allocated from; its first host address is the kubernetes"
          + " Service's and its tenth the DNS Service's (default: ${DEFAULT-VALUE}).")
  String serviceCidr = ServiceNetwork.DEFAULT_CIDR;

  @Option(names = "--service-node-port-range", paramLabel = "MIN-MAX",
      defaultValue = ServiceNetwork.DEFAULT_NODE_PORT_MIN + "-" + ServiceNetwork.DEFAULT_NODE_PORT_MAX,
      description = "Ports NodePort and LoadBalancer Services are given node ports from (default: ${DEFAULT-VALUE}).")
  String nodePortRange = ServiceNetwork.DEFAULT_NODE_PORT_MIN + "-" + ServiceNetwork.DEFAULT_NODE_PORT_MAX;

  /** The ranges; a bad one is an IllegalArgumentException naming the flag. */
  ServiceNetwork resolve() {
    String[] range = nodePortRange.split("-", -1);
    int min;
    int max;
    try {
      if (range.length != 2) {
        throw new NumberFormatException();
      }
      min = Integer.parseInt(range[0].trim());
      max = Integer.parseInt(range[1].trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--service-node-port-range must be MIN-MAX, e.g. 30000-32767, got \""
          + nodePortRange + "\"");
    }
    try {
      return new ServiceNetwork(serviceCidr, min, max);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--service-cidr / --service-node-port-range: " + e.getMessage(), e);
    }
  }
}
