package io.capstan.nodeagent.dns;

import io.capstan.api.EndpointAddress;
import io.capstan.api.EndpointPort;
import io.capstan.api.EndpointSubset;
import io.capstan.api.Endpoints;
import io.capstan.api.ObjectReference;
import io.capstan.api.Pod;
import io.capstan.stateviews.informer.Informer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Service endpoints read from the Endpoints informer. An address without a hostname whose pod
 * has {@code spec.hostname} and {@code spec.subdomain} equal to the Service's name gets that
 * hostname, as Kubernetes' Endpoints controller fills it in (so StatefulSet-style
 * {@code hostname.subdomain.ns.svc} names resolve whichever controller wrote the Endpoints).
 */
public final class EndpointsSource implements ServiceEndpoints {
  static final String BY_IP = "capstan-dns-endpoint-ip";

  private final Informer<Endpoints> endpoints;
  private final Informer<Pod> pods;

  /** @param pods the Pod informer for the hostname of addresses that lack one, or null */
  public EndpointsSource(Informer<Endpoints> endpoints, Informer<Pod> pods) {
    this.endpoints = endpoints;
    this.pods = pods;
    ClusterZone.ensureIndex(endpoints, BY_IP, EndpointsSource::ips);
  }

  private static Set<String> ips(Endpoints e) {
    Set<String> out = new LinkedHashSet<>();
    if (e.getSubsets() != null) {
      for (EndpointSubset s : e.getSubsets()) {
        for (List<EndpointAddress> list : addressLists(s)) {
          for (EndpointAddress a : list) {
            out.add(a.getIp());
          }
        }
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static List<EndpointAddress>[] addressLists(EndpointSubset s) {
    return new List[] {s.getAddresses() == null ? List.of() : s.getAddresses(),
        s.getNotReadyAddresses() == null ? List.of() : s.getNotReadyAddresses()};
  }

  @Override
  public List<Endpoint> endpoints(String namespace, String service) {
    Optional<Endpoints> e = endpoints.get(namespace, service);
    return e.isEmpty() ? List.of() : convert(e.get());
  }

  @Override
  public List<Owned> byIp(String ip) {
    List<Owned> out = new ArrayList<>();
    for (Endpoints e : endpoints.byIndex(BY_IP, ip)) {
      for (Endpoint ep : convert(e)) {
        if (ep.ip().equals(ip)) {
          out.add(new Owned(e.getMetadata().getNamespace(), e.getMetadata().getName(), ep));
        }
      }
    }
    return out;
  }

  private List<Endpoint> convert(Endpoints e) {
    List<Endpoint> out = new ArrayList<>();
    if (e.getSubsets() == null) {
      return out;
    }
    String service = e.getMetadata().getName();
    for (EndpointSubset s : e.getSubsets()) {
      List<Port> ports = new ArrayList<>();
      if (s.getPorts() != null) {
        for (EndpointPort p : s.getPorts()) {
          ports.add(new Port(p.getName() == null ? "" : p.getName(), p.getPort(),
              p.getProtocol() == null ? "TCP" : p.getProtocol()));
        }
      }
      List<EndpointAddress>[] lists = addressLists(s);
      for (int i = 0; i < 2; i++) {
        for (EndpointAddress a : lists[i]) {
          out.add(new Endpoint(a.getIp(), hostname(a, e.getMetadata().getNamespace(), service), i == 0, ports));
        }
      }
    }
    return out;
  }

  private String hostname(EndpointAddress a, String namespace, String service) {
    if (a.getHostname() != null && !a.getHostname().isEmpty()) {
      return a.getHostname();
    }
    ObjectReference ref = a.getTargetRef();
    if (pods == null || ref == null || !"Pod".equals(ref.getKind()) || ref.getName() == null) {
      return null;
    }
    String ns = ref.getNamespace() == null ? namespace : ref.getNamespace();
    Optional<Pod> pod = pods.get(ns, ref.getName());
    if (pod.isEmpty() || pod.get().getSpec() == null) {
      return null;
    }
    String h = pod.get().getSpec().getHostname();
    return h != null && !h.isEmpty() && service.equals(pod.get().getSpec().getSubdomain()) && ns.equals(namespace)
        ? h : null;
  }
}
