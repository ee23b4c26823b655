package io.capstan.controllers.endpoints;

import io.capstan.api.Container;
import io.capstan.api.ContainerPort;
import io.capstan.api.EndpointAddress;
import io.capstan.api.EndpointPort;
import io.capstan.api.EndpointSubset;
import io.capstan.api.Endpoints;
import io.capstan.api.ObjectMeta;
import io.capstan.api.ObjectReference;
import io.capstan.api.Pod;
import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodConditions;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.ServiceKeys;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes' Endpoints controller: for a Service with a selector, an Endpoints object of the
 * same name listing the matching pods that have an IP, ready ones under {@code addresses} and
 * the others under {@code notReadyAddresses}, with each service port resolved against the pod
 * ({@code targetPort} as a number, as a named container port, or the service port). Pods with
 * the same resolved ports share a subset (RepackSubsets). Services without a selector are left
 * alone: their Endpoints are the user's.
 */
public final class EndpointsController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EndpointsController.class);
  public static final String NAME = "endpoints";

  private final Informer<Service> services;
  private final Informer<Pod> pods;
  private final Informer<Endpoints> endpoints;
  private final ObjectWriter writer;
  private final WorkQueue queue;
  private final Controller controller;

  public EndpointsController(SharedInformers informers, ObjectWriter writer, int workers, MeterRegistry registry) {
    this.services = informers.informerFor(Kinds.SERVICE, Service.class);
    this.pods = informers.informerFor(Kinds.POD, Pod.class);
    this.endpoints = informers.informerFor(Kinds.ENDPOINTS, Endpoints.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
  }

  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, services::keys);
  }

  public void start() {
    log.info("endpoints controller starting");
    ServiceKeys.follow(services, pods, queue);
    controller.start();
  }

  @Override
  public void close() {
    controller.close();
  }

  ReconcileResult reconcile(String key) throws Exception {
    String[] parts = key.split("/", 3);
    Optional<Service> found = services.get(parts[1], parts[2]);
    Optional<Endpoints> current = endpoints.get(parts[1], parts[2]);
    if (found.isEmpty()) {
      if (current.isPresent()) {
        try {
          writer.delete(Kinds.ENDPOINTS, parts[1], parts[2], io.capstan.log.DeleteOptions.newBuilder()
              .setPreconditionUid(current.get().getMetadata().getUid()).build());
        } catch (WriteRejectedException e) {
          if (!e.isNotFound()) {
            throw e;
          }
        }
      }
      return ReconcileResult.done();
    }
    Service svc = found.get();
    if (svc.getSpec() == null || svc.getSpec().getSelector() == null) {
      return ReconcileResult.done();
    }
    List<EndpointSubset> subsets = subsets(svc, pods.list(parts[1]));
    if (current.isPresent()) {
      Endpoints cur = current.get();
      List<EndpointSubset> have = cur.getSubsets() == null ? List.of() : cur.getSubsets();
      if (have.equals(subsets) && Objects.equals(cur.getMetadata().getLabels(), svc.getMetadata().getLabels())) {
        return ReconcileResult.done();
      }
      Endpoints updated = PodTemplates.copy(cur);
      updated.setSubsets(subsets.isEmpty() ? null : subsets);
      updated.getMetadata().setLabels(svc.getMetadata().getLabels());
      writer.update(updated);
    } else {
      writer.create(Endpoints.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace(parts[1]).setName(parts[2])
              .setLabels(svc.getMetadata().getLabels()).build())
          .setSubsets(subsets.isEmpty() ? null : subsets)
          .build());
    }
    return ReconcileResult.done();
  }

  /** The subsets for a service from the pods of its namespace; pure. */
  public static List<EndpointSubset> subsets(Service svc, List<Pod> candidates) {
    Map<String, String> selector = svc.getSpec().getSelector();
    List<ServicePort> servicePorts = svc.getSpec().getPorts() == null ? List.of() : svc.getSpec().getPorts();
    Map<List<EndpointPort>, List<EndpointAddress>[]> byPorts = new LinkedHashMap<>();
    List<Pod> sorted = new ArrayList<>(candidates);
    sorted.sort(Comparator.comparing(p -> p.getMetadata().getName()));
    for (Pod p : sorted) {
      String ip = p.getStatus() == null ? null : p.getStatus().getPodIP();
      if (!ServiceKeys.selects(selector, PodConditions.labels(p)) || ip == null || ip.isEmpty()
          || p.getMetadata().getDeletionTimestamp() != null
          || PodConditions.SUCCEEDED.equals(PodConditions.phase(p)) || PodConditions.FAILED.equals(PodConditions.phase(p))) {
        continue;
      }
      List<EndpointPort> ports = new ArrayList<>();
      for (ServicePort sp : servicePorts) {
        Integer target = targetPort(sp, p);
        if (target != null) {
          ports.add(EndpointPort.newBuilder().setName(sp.getName()).setPort(target)
              .setProtocol(sp.getProtocol() == null ? "TCP" : sp.getProtocol()).build());
        }
      }
      if (!servicePorts.isEmpty() && ports.isEmpty()) {
        continue; // none of the service's ports exists on this pod
      }
      ports.sort(Comparator.comparing(x -> x.getName() == null ? "" : x.getName()));
      EndpointAddress address = EndpointAddress.newBuilder().setIp(ip)
          .setNodeName(PodConditions.nodeName(p).isEmpty() ? null : PodConditions.nodeName(p))
          .setHostname(hostnameOf(p, svc))
          .setTargetRef(ObjectReference.newBuilder().setKind("Pod").setNamespace(p.getMetadata().getNamespace())
              .setName(p.getMetadata().getName()).setUid(p.getMetadata().getUid()).build())
          .build();
      @SuppressWarnings("unchecked")
      List<EndpointAddress>[] lists = byPorts.computeIfAbsent(ports, k -> new List[] {new ArrayList<>(), new ArrayList<>()});
      // publishNotReadyAddresses: every endpoint is listed as ready (StatefulSet peers find each other early).
      boolean publish = Boolean.TRUE.equals(svc.getSpec().getPublishNotReadyAddresses());
      lists[publish || PodConditions.isReady(p) ? 0 : 1].add(address);
    }
    List<EndpointSubset> out = new ArrayList<>();
    byPorts.forEach((ports, lists) -> {
      lists[0].sort(Comparator.comparing(EndpointAddress::getIp));
      lists[1].sort(Comparator.comparing(EndpointAddress::getIp));
      out.add(EndpointSubset.newBuilder()
          .setAddresses(lists[0].isEmpty() ? null : lists[0])
          .setNotReadyAddresses(lists[1].isEmpty() ? null : lists[1])
          .setPorts(ports.isEmpty() ? null : ports)
          .build());
    });
    return out;
  }

  /**
   * The endpoint's hostname, as Kubernetes' endpoints controllers set it: the pod's
   * {@code spec.hostname} when its {@code spec.subdomain} names this service in the pod's
   * namespace (the cluster DNS then answers {@code hostname.service.ns.svc.<domain>}); else null.
   */
  public static String hostnameOf(Pod p, Service svc) {
    String h = p.getSpec() == null ? null : p.getSpec().getHostname();
    return h != null && !h.isEmpty() && svc.getMetadata().getName().equals(p.getSpec().getSubdomain())
        && svc.getMetadata().getNamespace().equals(p.getMetadata().getNamespace()) ? h : null;
  }

  /** The pod port a service port reaches (null when the pod has no port of that name). */
  public static Integer targetPortOf(ServicePort sp, Pod p) {
    return targetPort(sp, p);
  }

  /** The pod port a service port reaches: a number, a named container port, or the service port itself. */
  static Integer targetPort(ServicePort sp, Pod p) {
    Object t = sp.getTargetPort();
    if (t == null) {
      return sp.getPort();
    }
    if (t instanceof Integer i) {
      return i;
    }
    String name = t.toString();
    if (name.matches("[0-9]+")) {
      return Integer.parseInt(name);
    }
    if (p.getSpec() != null) {
      for (Container c : p.getSpec().getContainers()) {
        if (c.getPorts() != null) {
          for (ContainerPort cp : c.getPorts()) {
            if (name.equals(cp.getName())) {
              return cp.getContainerPort();
            }
          }
        }
      }
    }
    return null;
  }
}
