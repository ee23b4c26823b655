package io.capstan.controllers.apiservice;

import io.capstan.api.Endpoint;
import io.capstan.api.EndpointAddress;
import io.capstan.api.EndpointConditions;
import io.capstan.api.EndpointPort;
import io.capstan.api.EndpointSlice;
import io.capstan.api.EndpointSlicePort;
import io.capstan.api.EndpointSubset;
import io.capstan.api.Endpoints;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.api.ServiceSpec;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.threads.Housekeeping;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.processor.services.ServiceNetwork;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the cluster's own Services in place, created at start and again whenever deleted:
 * <ul>
 *   <li>{@code default/kubernetes}: ClusterIP the service CIDR's first host address, port 443
 *       named {@code https} to the API server's port, no selector, labels {@code component=apiserver}
 *       and {@code provider=kubernetes}; its Endpoints (same name) list the API server's address and
 *       port, as kube-apiserver's endpoint reconciler writes them, and so does its EndpointSlice. A changed API port (a restart on
 *       another port) is put right in both.
 *   <li>{@code kube-system/kube-dns}: ClusterIP the CIDR's tenth address, ports 53/UDP {@code dns}
 *       and 53/TCP {@code dns-tcp}, no selector: the DNS component writes its Endpoints.
 * </ul>
 * A check every {@link #RECHECK} catches what an informer event could have missed.
 */
public final class ClusterServices implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClusterServices.class);
  public static final String NAME = "cluster-services";
  public static final String KUBERNETES = "kubernetes";
  public static final String KUBERNETES_NAMESPACE = "default";
  public static final String DNS = "kube-dns";
  public static final String DNS_NAMESPACE = "kube-system";
  public static final String HTTPS = "https";
  public static final Duration RECHECK = Duration.ofSeconds(10);
  private static final Duration NAMESPACE_WAIT = Duration.ofMillis(500);

  private static final String KUBERNETES_KEY = Kinds.SERVICE.kind() + "/" + KUBERNETES_NAMESPACE + "/" + KUBERNETES;
  private static final String ENDPOINTS_KEY = Kinds.ENDPOINTS.kind() + "/" + KUBERNETES_NAMESPACE + "/" + KUBERNETES;
  private static final String SLICE_KEY = Kinds.ENDPOINT_SLICE.kind() + "/" + KUBERNETES_NAMESPACE + "/" + KUBERNETES;
  private static final String DNS_KEY = Kinds.SERVICE.kind() + "/" + DNS_NAMESPACE + "/" + DNS;

  private final Informer<Service> services;
  private final Informer<Endpoints> endpoints;
  private final Informer<EndpointSlice> slices;
  private final ObjectWriter writer;
  private final ServiceNetwork network;
  private final String apiAddress;
  private final int apiPort;
  private final WorkQueue queue;
  private final Controller controller;
  private final Housekeeping recheck = Housekeeping.of("cluster services");

  /**
   * @param apiAddress the API server's address as pods reach it (kube-apiserver's --advertise-address)
   * @param apiPort    the port it serves on
   */
  public ClusterServices(SharedInformers informers, ObjectWriter writer, ServiceNetwork network, String apiAddress,
      int apiPort, MeterRegistry registry) {
    this.services = informers.informerFor(Kinds.SERVICE, Service.class);
    this.endpoints = informers.informerFor(Kinds.ENDPOINTS, Endpoints.class);
    this.slices = informers.informerFor(Kinds.ENDPOINT_SLICE, EndpointSlice.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.network = Objects.requireNonNull(network, "network");
    if (ServiceNetwork.parseIpv4(apiAddress) < 0) {
      throw new IllegalArgumentException("the API server's address for the kubernetes Service must be an IPv4 address,"
          + " got \"" + apiAddress + "\"");
    }
    if (apiPort < 1 || apiPort > 65535) {
      throw new IllegalArgumentException("the API server's port must be 1-65535, got " + apiPort);
    }
    this.apiAddress = apiAddress;
    this.apiPort = apiPort;
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, 1, registry);
  }

  public void start() {
    log.info("cluster services: kubernetes at {} -> {}:{}, kube-dns at {}", network.kubernetesServiceIP(), apiAddress,
        apiPort, network.dnsServiceIP());
    services.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onUpdate(Service old, Service s) {
        enqueue(s.getMetadata().getNamespace(), s.getMetadata().getName());
      }

      @Override
      public void onDelete(Service s) {
        enqueue(s.getMetadata().getNamespace(), s.getMetadata().getName());
      }
    });
    endpoints.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onUpdate(Endpoints old, Endpoints e) {
        enqueue(e.getMetadata().getNamespace(), e.getMetadata().getName());
      }

      @Override
      public void onDelete(Endpoints e) {
        enqueue(e.getMetadata().getNamespace(), e.getMetadata().getName());
      }
    });
    slices.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onUpdate(EndpointSlice old, EndpointSlice e) {
        enqueue(e.getMetadata().getNamespace(), e.getMetadata().getName());
      }

      @Override
      public void onDelete(EndpointSlice e) {
        enqueue(e.getMetadata().getNamespace(), e.getMetadata().getName());
      }
    });
    controller.start();
    recheck.every(RECHECK, java.time.Duration.ZERO, this::enqueueAll);
  }

  private void enqueue(String namespace, String name) {
    if (KUBERNETES_NAMESPACE.equals(namespace) && KUBERNETES.equals(name)) {
      queue.add(KUBERNETES_KEY);
      queue.add(ENDPOINTS_KEY);
      queue.add(SLICE_KEY);
    } else if (DNS_NAMESPACE.equals(namespace) && DNS.equals(name)) {
      queue.add(DNS_KEY);
    }
  }

  private void enqueueAll() {
    queue.add(KUBERNETES_KEY);
    queue.add(ENDPOINTS_KEY);
    queue.add(SLICE_KEY);
    queue.add(DNS_KEY);
  }

  @Override
  public void close() {
    recheck.close();
    controller.close();
  }

  ReconcileResult reconcile(String key) throws Exception {
    try {
      if (KUBERNETES_KEY.equals(key)) {
        ensureService(kubernetesService());
      } else if (DNS_KEY.equals(key)) {
        ensureService(dnsService());
      } else if (ENDPOINTS_KEY.equals(key)) {
        ensureEndpoints();
      } else if (SLICE_KEY.equals(key)) {
        ensureSlice();
      } else {
        log.warn("cluster services: unknown work item {}", key);
      }
    } catch (WriteRejectedException e) {
      if (e.isNotFound() || e.isAlreadyExists() || e.isConflict()) {
        // The namespace is not there yet (or not yet on the Service's partition), or another
        // writer got there first: look again shortly, from the caches.
        return ReconcileResult.requeueAfter(NAMESPACE_WAIT);
      }
      throw e;
    }
    return ReconcileResult.done();
  }

  /** Creates the Service when missing; puts its ports back when they differ (the API port moved). */
  private void ensureService(Service wanted) throws WriteRejectedException, InterruptedException {
    Optional<Service> current = services.get(wanted.getMetadata().getNamespace(), wanted.getMetadata().getName());
    if (current.isEmpty()) {
      writer.create(wanted);
      log.info("created Service {}/{} at {}", wanted.getMetadata().getNamespace(), wanted.getMetadata().getName(),
          wanted.getSpec().getClusterIP());
      return;
    }
    Service s = current.get();
    if (s.getMetadata().getDeletionTimestamp() != null || s.getSpec() == null
        || samePorts(s.getSpec().getPorts(), wanted.getSpec().getPorts())) {
      return;
    }
    Service fixed = PodTemplates.copy(s);
    List<ServicePort> ports = new ArrayList<>();
    for (ServicePort p : wanted.getSpec().getPorts()) {
      ports.add(ServicePort.newBuilder(p).build());
    }
    fixed.getSpec().setPorts(ports);
    writer.update(fixed);
  }

  private void ensureEndpoints() throws WriteRejectedException, InterruptedException {
    Endpoints wanted = kubernetesEndpoints();
    Optional<Endpoints> current = endpoints.get(KUBERNETES_NAMESPACE, KUBERNETES);
    if (current.isEmpty()) {
      writer.create(wanted);
      return;
    }
    if (Objects.equals(current.get().getSubsets(), wanted.getSubsets())) {
      return;
    }
    Endpoints fixed = PodTemplates.copy(current.get());
    fixed.setSubsets(wanted.getSubsets());
    writer.update(fixed);
  }

  private void ensureSlice() throws WriteRejectedException, InterruptedException {
    EndpointSlice wanted = kubernetesSlice();
    Optional<EndpointSlice> current = slices.get(KUBERNETES_NAMESPACE, KUBERNETES);
    if (current.isEmpty()) {
      writer.create(wanted);
      return;
    }
    EndpointSlice have = current.get();
    if (Objects.equals(have.getEndpoints(), wanted.getEndpoints()) && Objects.equals(have.getPorts(), wanted.getPorts())) {
      return;
    }
    EndpointSlice fixed = PodTemplates.copy(have);
    fixed.setEndpoints(wanted.getEndpoints());
    fixed.setPorts(wanted.getPorts());
    writer.update(fixed);
  }

  /** The API server's own slice, as kube-apiserver's endpoint reconciler writes it (no managed-by label). */
  EndpointSlice kubernetesSlice() {
    return EndpointSlice.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(KUBERNETES_NAMESPACE).setName(KUBERNETES)
            .setLabels(Map.of("kubernetes.io/service-name", KUBERNETES)).build())
        .setAddressType("IPv4")
        .setEndpoints(new ArrayList<>(List.of(Endpoint.newBuilder().setAddresses(new ArrayList<>(List.of(apiAddress)))
            .setConditions(EndpointConditions.newBuilder().setReady(true).setServing(true).setTerminating(false).build())
            .build())))
        .setPorts(new ArrayList<>(List.of(EndpointSlicePort.newBuilder().setName(HTTPS).setProtocol("TCP")
            .setPort(apiPort).build())))
        .build();
  }

  Service kubernetesService() {
    return Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(KUBERNETES_NAMESPACE).setName(KUBERNETES)
            .setLabels(Map.of("component", "apiserver", "provider", "kubernetes")).build())
        .setSpec(ServiceSpec.newBuilder().setType("ClusterIP").setClusterIP(network.kubernetesServiceIP())
            .setSessionAffinity("None")
            .setPorts(new ArrayList<>(List.of(ServicePort.newBuilder().setName(HTTPS).setProtocol("TCP").setPort(443)
                .setTargetPort(apiPort).build())))
            .build())
        .build();
  }

  Endpoints kubernetesEndpoints() {
    return Endpoints.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(KUBERNETES_NAMESPACE).setName(KUBERNETES)
            .setLabels(Map.of("endpointslice.kubernetes.io/skip-mirror", "true")).build())
        .setSubsets(new ArrayList<>(List.of(EndpointSubset.newBuilder()
            .setAddresses(new ArrayList<>(List.of(EndpointAddress.newBuilder().setIp(apiAddress).build())))
            .setPorts(new ArrayList<>(List.of(EndpointPort.newBuilder().setName(HTTPS).setPort(apiPort)
                .setProtocol("TCP").build())))
            .build())))
        .build();
  }

  Service dnsService() {
    return Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(DNS_NAMESPACE).setName(DNS)
            .setLabels(Map.of("k8s-app", "kube-dns", "kubernetes.io/cluster-service", "true",
                "kubernetes.io/name", "CoreDNS")).build())
        .setSpec(ServiceSpec.newBuilder().setType("ClusterIP").setClusterIP(network.dnsServiceIP())
            .setPorts(new ArrayList<>(List.of(
                ServicePort.newBuilder().setName("dns").setProtocol("UDP").setPort(53).setTargetPort(53).build(),
                ServicePort.newBuilder().setName("dns-tcp").setProtocol("TCP").setPort(53).setTargetPort(53).build())))
            .build())
        .build();
  }

  /** Name, protocol, port and target port, in order (the fields this controller sets). */
  private static boolean samePorts(List<ServicePort> have, List<ServicePort> want) {
    if (have == null || have.size() != want.size()) {
      return false;
    }
    for (int i = 0; i < want.size(); i++) {
      ServicePort a = have.get(i);
      ServicePort b = want.get(i);
      if (!Objects.equals(a.getName(), b.getName()) || !Objects.equals(a.getProtocol(), b.getProtocol())
          || a.getPort() != b.getPort() || !Objects.equals(String.valueOf(a.getTargetPort()),
          String.valueOf(b.getTargetPort()))) {
        return false;
      }
    }
    return true;
  }
}
