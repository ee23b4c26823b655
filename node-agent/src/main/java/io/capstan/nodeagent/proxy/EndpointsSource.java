package io.capstan.nodeagent.proxy;

import io.capstan.api.EndpointAddress;
import io.capstan.api.EndpointPort;
import io.capstan.api.EndpointSubset;
import io.capstan.api.Endpoints;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.api.ServiceSpec;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Service ports and their ready endpoints from the Service and Endpoints kinds (the endpoints
 * controller fills Endpoints from ready pods; selector-less services carry hand-written ones).
 * The change time is the Endpoints' {@value #TRIGGER_TIME} annotation when set, as kube-proxy
 * reads it for its network programming latency, else the moment this node saw the change.
 */
public final class EndpointsSource implements ServiceSource {
  /** Set by the endpoints controller (or a writer of manual Endpoints) to when the change was caused. */
  public static final String TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";
  /** {@code sessionAffinityConfig.clientIP.timeoutSeconds}' default: three hours, as Kubernetes. */
  public static final int DEFAULT_AFFINITY_SECONDS = 10800;

  private final Informer<Service> services;
  private final Informer<Endpoints> endpoints;
  private final Clock clock;
  private volatile ChangeListener listener = (k, t) -> { };

  public EndpointsSource(Informer<Service> services, Informer<Endpoints> endpoints, Clock clock) {
    this.services = services;
    this.endpoints = endpoints;
    this.clock = clock;
    services.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Service s) {
        changed(s.getMetadata(), null);
      }

      @Override
      public void onUpdate(Service old, Service s) {
        if (!Objects.equals(old.getSpec(), s.getSpec())) {
          changed(s.getMetadata(), null);
        }
      }

      @Override
      public void onDelete(Service s) {
        changed(s.getMetadata(), null);
      }
    });
    endpoints.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Endpoints e) {
        changed(e.getMetadata(), e);
      }

      @Override
      public void onUpdate(Endpoints old, Endpoints e) {
        if (!Objects.equals(old.getSubsets(), e.getSubsets())) {
          changed(e.getMetadata(), e);
        }
      }

      @Override
      public void onDelete(Endpoints e) {
        changed(e.getMetadata(), null);
      }
    });
  }

  private void changed(ObjectMeta m, Endpoints e) {
    listener.changed(m.getNamespace() + "/" + m.getName(), e == null ? clock.instant() : triggerTime(e, clock));
  }

  @Override
  public void onChange(ChangeListener l) {
    this.listener = Objects.requireNonNull(l);
  }

  @Override
  public boolean hasSynced() {
    return services.hasSynced() && endpoints.hasSynced();
  }

  /** A service's ports as last computed, kept while the informers hold the same two objects. */
  private record Computed(Service service, Endpoints endpoints, List<ProxiedPort> ports, String problem) {}

  private final java.util.Map<String, Computed> computed = new java.util.HashMap<>();
  private java.util.Map<String, String> unprogrammable = java.util.Map.of();

  @Override
  public synchronized List<ProxiedPort> ports() {
    List<ProxiedPort> out = new ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    java.util.Map<String, String> problems = new java.util.TreeMap<>();
    for (Service s : services.list()) {
      ObjectMeta m = s.getMetadata();
      String key = m.getNamespace() + "/" + m.getName();
      seen.add(key);
      Endpoints e = endpoints.get(m.getNamespace(), m.getName()).orElse(null);
      Computed c = computed.get(key);
      if (c == null || c.service() != s || c.endpoints() != e) { // the informers replace objects, never mutate them
        try {
          c = new Computed(s, e, portsOf(s, e), null);
        } catch (IllegalArgumentException bad) { // this service only: the others still sync
          c = new Computed(s, e, List.of(), bad.getMessage());
        }
        computed.put(key, c);
      }
      out.addAll(c.ports());
      if (c.problem() != null) {
        problems.put(key, c.problem());
      }
    }
    computed.keySet().retainAll(seen);
    unprogrammable = java.util.Map.copyOf(problems);
    return out;
  }

  @Override
  public synchronized java.util.Map<String, String> unprogrammable() {
    return unprogrammable;
  }

  /** The Endpoints' trigger-time annotation, or now when it has none (or one that cannot be read). */
  static Instant triggerTime(Endpoints e, Clock clock) {
    var ann = e.getMetadata().getAnnotations();
    String v = ann == null ? null : ann.get(TRIGGER_TIME);
    if (v != null) {
      try {
        return Instant.parse(v);
      } catch (DateTimeParseException ignored) {
        // a hand-written annotation that is not RFC 3339 measures from now instead
      }
    }
    return clock.instant();
  }

  /**
   * The ports a service gives the proxy: none for ExternalName, headless ({@code clusterIP: None})
   * or not-yet-allocated services; otherwise each port with the ready addresses of the Endpoints
   * subsets whose port has the same name and protocol (as kube-proxy matches them).
   */
  public static List<ProxiedPort> portsOf(Service s, Endpoints e) {
    ServiceSpec spec = s.getSpec();
    if (spec == null || spec.getPorts() == null || "ExternalName".equals(spec.getType())) {
      return List.of();
    }
    String ip = spec.getClusterIP();
    if (ip == null || ip.isEmpty() || "None".equals(ip) || !Ipv4.isAddress(ip)) {
      return List.of(); // headless, not allocated yet, or IPv6 (this proxy programs IPv4 only)
    }
    boolean nodePorts = "NodePort".equals(spec.getType()) || "LoadBalancer".equals(spec.getType());
    int affinity = 0;
    if ("ClientIP".equals(spec.getSessionAffinity())) {
      affinity = Optional.ofNullable(spec.getSessionAffinityConfig()).map(c -> c.getClientIP())
          .map(c -> c.getTimeoutSeconds()).orElse(DEFAULT_AFFINITY_SECONDS);
    }
    ObjectMeta m = s.getMetadata();
    List<ProxiedPort> out = new ArrayList<>(spec.getPorts().size());
    for (ServicePort sp : spec.getPorts()) {
      String name = sp.getName() == null ? "" : sp.getName();
      String protocol = sp.getProtocol() == null ? "TCP" : sp.getProtocol();
      TreeSet<ProxiedPort.Backend> backends = new TreeSet<>();
      if (e != null && e.getSubsets() != null) {
        for (EndpointSubset sub : e.getSubsets()) {
          if (sub.getAddresses() == null || sub.getPorts() == null) {
            continue;
          }
          for (EndpointPort ep : sub.getPorts()) {
            String epName = ep.getName() == null ? "" : ep.getName();
            String epProto = ep.getProtocol() == null ? "TCP" : ep.getProtocol();
            if (!epName.equals(name) || !epProto.equalsIgnoreCase(protocol)) {
              continue;
            }
            for (EndpointAddress a : sub.getAddresses()) {
              if (Ipv4.isAddress(a.getIp()) && ep.getPort() >= 1 && ep.getPort() <= 65535) {
                backends.add(new ProxiedPort.Backend(a.getIp(), ep.getPort()));
              }
            }
          }
        }
      }
      int nodePort = nodePorts && sp.getNodePort() != null ? sp.getNodePort() : 0;
      out.add(new ProxiedPort(m.getNamespace(), m.getName(), name, protocol, ip, sp.getPort(), nodePort,
          new ArrayList<>(backends), affinity));
    }
    return out;
  }
}
