package io.capstan.controllers.endpointslice;

import io.capstan.api.Endpoint;
import io.capstan.api.EndpointConditions;
import io.capstan.api.EndpointSlice;
import io.capstan.api.EndpointSlicePort;
import io.capstan.api.ObjectMeta;
import io.capstan.api.ObjectReference;
import io.capstan.api.OwnerReference;
import io.capstan.api.Pod;
import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.controllers.endpoints.EndpointsController;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodConditions;
import io.capstan.logschema.kinds.Kinds;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The EndpointSlices a Service with a selector should have, from the pods of its namespace; pure.
 * As the EndpointSlice controller: every matching pod with an IP that has not finished is an
 * endpoint, with conditions {@code ready} (ready and not terminating, or always when the Service
 * publishes not-ready addresses), {@code serving} (ready, whether terminating or not) and
 * {@code terminating}; pods whose resolved ports differ go to different slices; each slice holds
 * at most {@link #MAX_ENDPOINTS} endpoints. Slices are named {@code <service>-<hash>} from the
 * Service, its port list and the chunk, so a reconcile finds the ones it wrote.
 */
public final class EndpointSlicePlanner {
  /** kube-controller-manager's --max-endpoints-per-slice default. */
  public static final int MAX_ENDPOINTS = 100;
  public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
  public static final String MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
  public static final String MANAGED_BY = "endpointslice-controller.k8s.io";
  public static final String ADDRESS_TYPE = "IPv4";

  private EndpointSlicePlanner() {}

  /** The slices, by name, with metadata (labels, owner) but no resourceVersion. */
  public static Map<String, EndpointSlice> plan(Service svc, List<Pod> candidates) {
    return plan(svc, candidates, MAX_ENDPOINTS);
  }

  static Map<String, EndpointSlice> plan(Service svc, List<Pod> candidates, int maxPerSlice) {
    Map<String, String> selector = svc.getSpec().getSelector();
    boolean publishNotReady = Boolean.TRUE.equals(svc.getSpec().getPublishNotReadyAddresses());
    List<ServicePort> servicePorts = svc.getSpec().getPorts() == null ? List.of() : svc.getSpec().getPorts();
    Map<List<EndpointSlicePort>, List<Endpoint>> byPorts = new LinkedHashMap<>();
    List<Pod> sorted = new ArrayList<>(candidates);
    sorted.sort(Comparator.comparing(p -> p.getMetadata().getName()));
    for (Pod p : sorted) {
      String ip = p.getStatus() == null ? null : p.getStatus().getPodIP();
      String phase = PodConditions.phase(p);
      if (selector == null || selector.isEmpty() || !PodConditions.labels(p).entrySet().containsAll(selector.entrySet())
          || ip == null || ip.isEmpty() || PodConditions.SUCCEEDED.equals(phase) || PodConditions.FAILED.equals(phase)) {
        continue;
      }
      List<EndpointSlicePort> ports = new ArrayList<>();
      for (ServicePort sp : servicePorts) {
        Integer target = EndpointsController.targetPortOf(sp, p);
        if (target != null) {
          ports.add(EndpointSlicePort.newBuilder().setName(sp.getName() == null ? "" : sp.getName()).setPort(target)
              .setProtocol(sp.getProtocol() == null ? "TCP" : sp.getProtocol()).setAppProtocol(sp.getAppProtocol())
              .build());
        }
      }
      if (!servicePorts.isEmpty() && ports.isEmpty()) {
        continue;
      }
      ports.sort(Comparator.comparing(EndpointSlicePort::getName));
      boolean terminating = p.getMetadata().getDeletionTimestamp() != null;
      boolean serving = PodConditions.isReady(p);
      String node = PodConditions.nodeName(p);
      Endpoint e = Endpoint.newBuilder()
          .setAddresses(new ArrayList<>(List.of(ip)))
          .setConditions(EndpointConditions.newBuilder()
              .setReady(publishNotReady || (serving && !terminating))
              .setServing(publishNotReady || serving)
              .setTerminating(terminating).build())
          .setNodeName(node.isEmpty() ? null : node)
          .setHostname(EndpointsController.hostnameOf(p, svc))
          .setTargetRef(ObjectReference.newBuilder().setKind("Pod").setNamespace(p.getMetadata().getNamespace())
              .setName(p.getMetadata().getName()).setUid(p.getMetadata().getUid()).build())
          .build();
      byPorts.computeIfAbsent(ports, k -> new ArrayList<>()).add(e);
    }
    Map<String, EndpointSlice> out = new TreeMap<>();
    if (byPorts.isEmpty()) {
      // A Service with no endpoints still has one (empty) slice, as the controller keeps it.
      List<EndpointSlicePort> ports = new ArrayList<>();
      for (ServicePort sp : servicePorts) {
        ports.add(EndpointSlicePort.newBuilder().setName(sp.getName() == null ? "" : sp.getName())
            .setPort(targetNumber(sp)).setProtocol(sp.getProtocol() == null ? "TCP" : sp.getProtocol())
            .setAppProtocol(sp.getAppProtocol()).build());
      }
      put(out, svc, ports, 0, List.of());
      return out;
    }
    byPorts.forEach((ports, endpoints) -> {
      endpoints.sort(Comparator.comparing(e -> e.getAddresses().get(0)));
      for (int chunk = 0; chunk * maxPerSlice < endpoints.size(); chunk++) {
        put(out, svc, ports, chunk, endpoints.subList(chunk * maxPerSlice,
            Math.min(endpoints.size(), (chunk + 1) * maxPerSlice)));
      }
    });
    return out;
  }

  private static void put(Map<String, EndpointSlice> out, Service svc, List<EndpointSlicePort> ports, int chunk,
      List<Endpoint> endpoints) {
    String name = sliceName(svc.getMetadata().getName(), ports, chunk);
    Map<String, String> labels = new TreeMap<>();
    if (svc.getMetadata().getLabels() != null) {
      labels.putAll(svc.getMetadata().getLabels());
    }
    labels.put(SERVICE_NAME_LABEL, svc.getMetadata().getName());
    labels.put(MANAGED_BY_LABEL, MANAGED_BY);
    OwnerReference owner = OwnerRefs.controllerRef(Kinds.SERVICE, svc.getMetadata());
    out.put(name, EndpointSlice.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(svc.getMetadata().getNamespace()).setName(name)
            .setLabels(labels).setOwnerReferences(new ArrayList<>(List.of(owner))).build())
        .setAddressType(ADDRESS_TYPE)
        .setEndpoints(new ArrayList<>(endpoints))
        .setPorts(ports.isEmpty() ? null : new ArrayList<>(ports))
        .build());
  }

  /** {@code <service>-<10 hex digits>}, the service name cut so the whole fits a DNS subdomain. */
  static String sliceName(String service, List<EndpointSlicePort> ports, int chunk) {
    StringBuilder b = new StringBuilder(service);
    for (EndpointSlicePort p : ports) {
      b.append('|').append(p.getName()).append('/').append(p.getProtocol()).append('/').append(p.getPort());
    }
    b.append('#').append(chunk);
    String hash;
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(b.toString().getBytes(StandardCharsets.UTF_8));
      hash = HexFormat.of().formatHex(d, 0, 5);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
    String prefix = service.length() > 200 ? service.substring(0, 200) : service;
    return prefix + "-" + hash;
  }

  private static int targetNumber(ServicePort sp) {
    Object t = sp.getTargetPort();
    if (t instanceof Integer i) {
      return i;
    }
    if (t != null && t.toString().matches("[0-9]+")) {
      return Integer.parseInt(t.toString());
    }
    return sp.getPort();
  }
}
