package io.capstan.logschema.defaults;

import static io.capstan.logschema.defaults.ObjectDefaults.TCP;
import static io.capstan.logschema.defaults.ObjectDefaults.isEmpty;

import io.capstan.api.ClientIPConfig;
import io.capstan.api.LoadBalancerIngress;
import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.api.ServiceSpec;
import io.capstan.api.SessionAffinityConfig;
import java.util.List;
import java.util.Map;

/**
 * A Service's defaults: core/v1 SetDefaults_Service, and the IP family fields the service registry
 * fills in before it allocates (initIPFamilyFields) for a single-stack IPv4 cluster. Allocating the
 * cluster IP itself is not a default and is not done here.
 */
public final class ServiceDefaults {
  public static final String CLUSTER_IP = "ClusterIP";
  public static final String NODE_PORT = "NodePort";
  public static final String LOAD_BALANCER = "LoadBalancer";
  public static final String EXTERNAL_NAME = "ExternalName";
  /** kube-proxy's default ClientIP affinity timeout: three hours. */
  public static final int DEFAULT_CLIENT_IP_TIMEOUT_SECONDS = 10800;
  /** The cluster's only IP family. */
  public static final String IPV4 = "IPv4";

  private ServiceDefaults() {}

  static void service(Service svc) {
    ServiceSpec spec = svc.getSpec();
    if (spec == null) {
      return;
    }
    if (isEmpty(spec.getSessionAffinity())) {
      spec.setSessionAffinity("None");
    }
    if ("None".equals(spec.getSessionAffinity())) {
      spec.setSessionAffinityConfig(null);
    } else if ("ClientIP".equals(spec.getSessionAffinity())) {
      SessionAffinityConfig config = spec.getSessionAffinityConfig();
      if (config == null || config.getClientIP() == null || config.getClientIP().getTimeoutSeconds() == null) {
        spec.setSessionAffinityConfig(SessionAffinityConfig.newBuilder().setClientIP(
            ClientIPConfig.newBuilder().setTimeoutSeconds(DEFAULT_CLIENT_IP_TIMEOUT_SECONDS).build()).build());
      }
    }
    if (isEmpty(spec.getType())) {
      spec.setType(CLUSTER_IP);
    }
    String type = spec.getType();
    if (spec.getPorts() != null) {
      for (ServicePort p : spec.getPorts()) {
        if (isEmpty(p.getProtocol())) {
          p.setProtocol(TCP);
        }
        Object target = p.getTargetPort();
        if (target == null || Integer.valueOf(0).equals(target) || "".equals(target)) {
          p.setTargetPort(p.getPort());
        }
      }
    }
    if (externallyAccessible(spec) && isEmpty(spec.getExternalTrafficPolicy())) {
      spec.setExternalTrafficPolicy("Cluster");
    }
    boolean internal = type.equals(CLUSTER_IP) || type.equals(NODE_PORT) || type.equals(LOAD_BALANCER);
    if (spec.getInternalTrafficPolicy() == null && internal) {
      spec.setInternalTrafficPolicy("Cluster");
    }
    if (type.equals(LOAD_BALANCER)) {
      if (spec.getAllocateLoadBalancerNodePorts() == null) {
        spec.setAllocateLoadBalancerNodePorts(true);
      }
      if (svc.getStatus() != null && svc.getStatus().getLoadBalancer() != null
          && svc.getStatus().getLoadBalancer().getIngress() != null) {
        for (LoadBalancerIngress ingress : svc.getStatus().getLoadBalancer().getIngress()) {
          if (!isEmpty(ingress.getIp()) && ingress.getIpMode() == null) {
            ingress.setIpMode("VIP");
          }
        }
      }
    }
    ipFamilies(spec, internal);
  }

  /**
   * initIPFamilyFields on a single-stack IPv4 cluster: a Service that gets cluster IPs is
   * SingleStack IPv4 unless it says otherwise; a headless Service without a selector defaults to
   * RequireDualStack, which on this cluster is still just IPv4. ExternalName Services have none.
   */
  private static void ipFamilies(ServiceSpec spec, boolean getsClusterIps) {
    if (!getsClusterIps) {
      return;
    }
    boolean headless = "None".equals(spec.getClusterIP());
    Map<String, String> selector = spec.getSelector();
    if (spec.getIpFamilyPolicy() == null) {
      spec.setIpFamilyPolicy(headless && (selector == null || selector.isEmpty()) ? "RequireDualStack" : "SingleStack");
    }
    if (spec.getIpFamilies() == null || spec.getIpFamilies().isEmpty()) {
      spec.setIpFamilies(List.of(IPV4));
    }
  }

  /** service.ExternallyAccessible: reachable from outside through node ports, a load balancer or external IPs. */
  private static boolean externallyAccessible(ServiceSpec spec) {
    String type = spec.getType();
    return type.equals(LOAD_BALANCER) || type.equals(NODE_PORT)
        || (type.equals(CLUSTER_IP) && spec.getExternalIPs() != null && !spec.getExternalIPs().isEmpty());
  }
}
