package io.capstan.nodeagent.sync;

import io.capstan.api.Pod;
import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The Docker-links style environment of the Services a pod may see, as kubelet's
 * {@code pkg/kubelet/envvars}: for each Service with a ClusterIP, {@code <NAME>_SERVICE_HOST},
 * {@code <NAME>_SERVICE_PORT} (the first port), {@code <NAME>_SERVICE_PORT_<PORTNAME>} per named
 * port, {@code <NAME>_PORT=tcp://ip:port} (the first port) and per port
 * {@code <NAME>_PORT_<port>_<PROTO>} with {@code _PROTO}, {@code _PORT} and {@code _ADDR}. The
 * Services are those of the pod's namespace (unless {@code enableServiceLinks: false}) and, always,
 * {@code kubernetes} in {@code default}. Names are upper-cased with {@code -} as {@code _}.
 */
public final class ServiceEnv {
  /** Where the API server's Service lives, whose variables every pod gets (kubelet's master services). */
  public static final String MASTER_NAMESPACE = "default";
  public static final String MASTER_SERVICE = "kubernetes";

  private ServiceEnv() {}

  /**
   * @param inNamespace the Services of the pod's namespace (as the node knows them when the pod starts)
   * @param master      {@code default/kubernetes}, if it exists
   */
  public static Map<String, String> of(Pod pod, List<Service> inNamespace, Optional<Service> master) {
    boolean links = !Boolean.FALSE.equals(pod.getSpec().getEnableServiceLinks());
    String ns = pod.getMetadata().getNamespace();
    Map<String, Service> chosen = new TreeMap<>();
    master.filter(ServiceEnv::hasClusterIp).ifPresent(s -> chosen.put(s.getMetadata().getName(), s));
    if (links) {
      for (Service s : inNamespace) {
        if (hasClusterIp(s) && ns.equals(s.getMetadata().getNamespace())) {
          chosen.put(s.getMetadata().getName(), s); // a same-named Service of the pod's namespace wins
        }
      }
    }
    Map<String, String> env = new LinkedHashMap<>();
    for (Service s : chosen.values()) {
      add(s, env);
    }
    return env;
  }

  static boolean hasClusterIp(Service s) {
    String ip = s.getSpec() == null ? null : s.getSpec().getClusterIP();
    return ip != null && !ip.isEmpty() && !ip.equals("None") && s.getSpec().getPorts() != null
        && !s.getSpec().getPorts().isEmpty();
  }

  private static void add(Service s, Map<String, String> env) {
    String prefix = variableName(s.getMetadata().getName());
    String ip = s.getSpec().getClusterIP();
    List<ServicePort> ports = new ArrayList<>(s.getSpec().getPorts());
    env.put(prefix + "_SERVICE_HOST", ip);
    String portVar = prefix + "_SERVICE_PORT";
    env.put(portVar, Integer.toString(ports.get(0).getPort()));
    for (ServicePort p : ports) {
      if (p.getName() != null && !p.getName().isEmpty()) {
        env.put(portVar + "_" + variableName(p.getName()), Integer.toString(p.getPort()));
      }
    }
    for (int i = 0; i < ports.size(); i++) {
      ServicePort p = ports.get(i);
      String proto = p.getProtocol() == null || p.getProtocol().isEmpty() ? "TCP" : p.getProtocol();
      String lower = proto.toLowerCase(Locale.ROOT);
      String hostPort = (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + p.getPort();
      if (i == 0) {
        env.put(prefix + "_PORT", lower + "://" + hostPort); // Docker special-cases the first port
      }
      String pp = prefix + "_PORT_" + p.getPort() + "_" + proto.toUpperCase(Locale.ROOT);
      env.put(pp, lower + "://" + hostPort);
      env.put(pp + "_PROTO", lower);
      env.put(pp + "_PORT", Integer.toString(p.getPort()));
      env.put(pp + "_ADDR", ip);
    }
  }

  static String variableName(String name) {
    return name.replace('-', '_').toUpperCase(Locale.ROOT);
  }
}
