package io.capstan.logschema.validation;

import static io.capstan.logschema.json.FieldPath.field;
import static io.capstan.logschema.json.FieldPath.index;
import static io.capstan.logschema.validation.FieldErrors.isEmpty;
import static io.capstan.logschema.validation.FieldErrors.orEmpty;

import io.capstan.api.EndpointAddress;
import io.capstan.api.EndpointPort;
import io.capstan.api.EndpointSubset;
import io.capstan.api.Endpoints;
import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.api.ServiceSpec;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Service and Endpoints, as ValidateService and ValidateEndpoints. */
final class ServiceRules {
  private static final List<String> TYPES = List.of("ClusterIP", "NodePort", "LoadBalancer", "ExternalName");
  private static final List<String> SESSION_AFFINITIES = List.of("None", "ClientIP");
  private static final List<String> TRAFFIC_POLICIES = List.of("Cluster", "Local");
  private static final List<String> IP_FAMILY_POLICIES = List.of("SingleStack", "PreferDualStack", "RequireDualStack");
  private static final List<String> IP_FAMILIES = List.of("IPv4", "IPv6");

  private ServiceRules() {}

  static void checkService(Service svc, FieldErrors errors) {
    ServiceSpec spec = svc.getSpec();
    if (spec == null) {
      errors.add(FieldError.required("spec"));
      return;
    }
    String type = spec.getType() == null ? "ClusterIP" : spec.getType();
    errors.oneOf("spec.type", spec.getType(), TYPES);
    errors.oneOf("spec.sessionAffinity", spec.getSessionAffinity(), SESSION_AFFINITIES);
    errors.oneOf("spec.externalTrafficPolicy", spec.getExternalTrafficPolicy(), TRAFFIC_POLICIES);
    errors.oneOf("spec.internalTrafficPolicy", spec.getInternalTrafficPolicy(), TRAFFIC_POLICIES);
    errors.oneOf("spec.ipFamilyPolicy", spec.getIpFamilyPolicy(), IP_FAMILY_POLICIES);
    List<String> families = orEmpty(spec.getIpFamilies());
    for (int i = 0; i < families.size(); i++) {
      errors.oneOf(index("spec.ipFamilies", i), families.get(i), IP_FAMILIES);
    }
    MetadataRules.checkLabels("spec.selector", spec.getSelector(), errors);
    List<ServicePort> ports = orEmpty(spec.getPorts());
    if (type.equals("ExternalName")) {
      errors.requiredName("spec.externalName", spec.getExternalName(), Names::dns1123Subdomain);
    } else if (ports.isEmpty() && !"None".equals(spec.getClusterIP())) {
      errors.add(FieldError.required("spec.ports"));
    }
    Set<String> names = new HashSet<>();
    Set<String> portProtocols = new HashSet<>();
    for (int i = 0; i < ports.size(); i++) {
      ServicePort p = ports.get(i);
      String pp = index("spec.ports", i);
      if (ports.size() > 1 && isEmpty(p.getName())) {
        errors.add(FieldError.required(field(pp, "name")));
      } else if (!isEmpty(p.getName())) {
        errors.name(field(pp, "name"), p.getName(), Names::dns1123Label);
        if (!names.add(p.getName())) {
          errors.add(FieldError.duplicate(field(pp, "name"), p.getName()));
        }
      }
      errors.port(field(pp, "port"), p.getPort());
      errors.oneOf(field(pp, "protocol"), p.getProtocol(), PodSpecRules.PROTOCOLS);
      String protocol = p.getProtocol() == null ? "TCP" : p.getProtocol();
      if (!portProtocols.add(p.getPort() + "/" + protocol)) {
        errors.add(FieldError.duplicate(pp, "{" + p.getPort() + ", " + protocol + "}"));
      }
      errors.portNumberOrName(field(pp, "targetPort"), p.getTargetPort());
      if (p.getNodePort() != null && p.getNodePort() != 0) {
        if (type.equals("ClusterIP") || type.equals("ExternalName")) {
          errors.add(FieldError.forbidden(field(pp, "nodePort"), "may not be used when `type` is '" + type + "'"));
        } else {
          errors.port(field(pp, "nodePort"), p.getNodePort());
        }
      }
    }
  }

  static void checkEndpoints(Endpoints ep, FieldErrors errors) {
    List<EndpointSubset> subsets = orEmpty(ep.getSubsets());
    for (int i = 0; i < subsets.size(); i++) {
      String sp = index("subsets", i);
      EndpointSubset s = subsets.get(i);
      checkAddresses(field(sp, "addresses"), orEmpty(s.getAddresses()), errors);
      checkAddresses(field(sp, "notReadyAddresses"), orEmpty(s.getNotReadyAddresses()), errors);
      List<EndpointPort> ports = orEmpty(s.getPorts());
      for (int j = 0; j < ports.size(); j++) {
        String pp = index(field(sp, "ports"), j);
        EndpointPort p = ports.get(j);
        errors.port(field(pp, "port"), p.getPort());
        errors.oneOf(field(pp, "protocol"), p.getProtocol(), PodSpecRules.PROTOCOLS);
        if (ports.size() > 1 && isEmpty(p.getName())) {
          errors.add(FieldError.required(field(pp, "name")));
        } else if (!isEmpty(p.getName())) {
          errors.name(field(pp, "name"), p.getName(), Names::dns1123Label);
        }
      }
    }
  }

  private static void checkAddresses(String path, List<EndpointAddress> addresses, FieldErrors errors) {
    for (int i = 0; i < addresses.size(); i++) {
      EndpointAddress a = addresses.get(i);
      String ap = index(path, i);
      if (!isEmpty(a.getIp()) && !isIp(a.getIp())) {
        errors.add(FieldError.invalid(field(ap, "ip"), a.getIp(), "must be a valid IP address"));
      }
      errors.name(field(ap, "hostname"), a.getHostname(), Names::dns1123Label);
      errors.name(field(ap, "nodeName"), a.getNodeName(), Names::dns1123Subdomain);
    }
  }

  /** An IPv4 dotted quad or an IPv6 address, checked without name resolution. */
  static boolean isIp(String s) {
    if (s.matches("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}")) {
      return true;
    }
    if (s.indexOf(':') < 0 || !s.matches("[0-9A-Fa-f:.]+")) {
      return false;
    }
    try {
      return java.net.InetAddress.getByName(s) instanceof java.net.Inet6Address;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }
}
