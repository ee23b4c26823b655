package io.capstan.nodeagent.dns;

import io.capstan.api.Endpoints;
import io.capstan.api.Namespace;
import io.capstan.api.Pod;
import io.capstan.api.Service;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster DNS component, wired on one screen: the Service, Endpoints, Pod and Namespace
 * informers, the {@link ClusterZone} over them, the {@link ClusterDnsServer} on the process's
 * Vert.x, and the address published in {@code kube-system/kube-dns}'s Endpoints.
 */
public final class ClusterDns implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClusterDns.class);

  private final ClusterDnsConfig config;
  private final Map<String, Object> kafka;
  private final TopicLayout layout;
  private final SharedInformers shared;
  private final Vertx vertx;
  private final MeterRegistry registry;
  private SharedInformers informers;
  private Vertx ownVertx;
  private CommandClient client;
  private ClusterDnsServer server;
  private KubeDnsEndpoints published;
  private boolean awaitAddress;
  private volatile long addressTimer = -1;
  private boolean warned;
  static final Duration ADDRESS_POLL = Duration.ofSeconds(2);

  /**
   * @param shared informers of the process to read through, or null for informers of its own
   * @param vertx  the process's Vert.x to serve on, or null for one of its own (one event loop)
   */
  public ClusterDns(ClusterDnsConfig config, Map<String, Object> kafka, TopicLayout layout, SharedInformers shared,
      Vertx vertx, MeterRegistry registry) {
    this.config = config;
    this.kafka = kafka;
    this.layout = layout;
    this.shared = shared;
    this.vertx = vertx;
    this.registry = registry;
  }

  /** Reads the cluster, listens and publishes the address; returns once queries are answered. */
  public void start(Duration timeout) throws InterruptedException, IOException {
    informers = SharedInformers.borrowOrOwn(shared, InformerConfig.defaults(kafka, layout, "cluster-dns"), registry);
    Informer<Service> services = informers.informerFor(Kinds.SERVICE, Service.class);
    Informer<Endpoints> endpoints = informers.informerFor(Kinds.ENDPOINTS, Endpoints.class);
    Informer<Pod> pods = informers.informerFor(Kinds.POD, Pod.class);
    Informer<Namespace> namespaces = informers.informerFor(Kinds.NAMESPACE, Namespace.class);
    informers.start();
    if (!informers.awaitSynced(timeout)) {
      throw new IllegalStateException("cluster DNS: informers not synced within " + timeout);
    }
    ClusterZone zone = new ClusterZone(config.domain(), config.ttl().toSeconds(), services, namespaces, pods,
        new EndpointsSource(endpoints, pods));
    Vertx v = vertx;
    if (v == null) {
      ownVertx = Vertx.vertx(new io.vertx.core.VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
          .setInternalBlockingPoolSize(1));
      v = ownVertx;
    }
    List<InetSocketAddress> upstreams = config.upstreams() != null ? config.upstreams() : hostUpstreams();
    server = new ClusterDnsServer(v, zone, upstreams, registry);
    if (config.publishEndpoints()) {
      client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "cluster-dns"), registry);
    }
    if (awaitAddress) {
      // The pod network's bridge (and its gateway address) appears with the node's first pod; the
      // port may be held by someone else for a while. Neither stops the process: it tries again.
      Vertx loop = v;
      boolean[] busy = {false};
      addressTimer = v.setPeriodic(1, ADDRESS_POLL.toMillis(), id -> {
        if (!isLocalAddress(config.host()) || busy[0]) {
          return;
        }
        busy[0] = true;
        loop.executeBlocking(() -> {
          listen(endpoints);
          return null;
        }).onComplete(r -> {
          busy[0] = false;
          if (r.succeeded()) {
            loop.cancelTimer(id);
          } else if (!warned) {
            warned = true;
            log.warn("cluster DNS cannot listen on {}:{} yet ({}); trying again every {} s", config.host(),
                config.port(), r.cause().getMessage(), ADDRESS_POLL.toSeconds());
          }
        });
      });
      log.info("cluster DNS will listen on {}:{} once that address is this machine's", config.host(), config.port());
      return;
    }
    listen(endpoints);
  }

  private void listen(Informer<Endpoints> endpoints) throws IOException, InterruptedException {
    int port = server.start(config.host(), config.port());
    if (client != null) {
      published = new KubeDnsEndpoints(client, endpoints, config.host(), port);
      try {
        published.publish();
      } catch (RuntimeException e) {
        // the server answers anyway; only the Service's routing to it waits for a later publish
        log.error("cluster DNS on {}:{}: {}", config.host(), port, e.getMessage());
      }
    }
  }

  /**
   * Listen only once {@code host} is an address of this machine (the pod network's gateway, which
   * exists from the first pod on): {@link #start} returns at once and the server starts later.
   */
  public ClusterDns awaitingAddress() {
    this.awaitAddress = true;
    return this;
  }

  static boolean isLocalAddress(String host) {
    try {
      InetAddress a = InetAddress.getByName(host);
      return a.isAnyLocalAddress() || a.isLoopbackAddress() || java.net.NetworkInterface.getByInetAddress(a) != null;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The host's resolvers (port 53), but those that would send queries back here: this server's
   * own address and port.
   */
  private List<InetSocketAddress> hostUpstreams() throws IOException {
    List<InetSocketAddress> out = new ArrayList<>();
    for (String ns : ResolvConf.read(config.resolvConf()).nameservers()) {
      InetSocketAddress a = new InetSocketAddress(InetAddress.getByName(ns), 53);
      if (config.port() == 53 && (a.getAddress().getHostAddress().equals(config.host())
          || (a.getAddress().isAnyLocalAddress()))) {
        log.info("cluster DNS: skipping upstream {} from {}: it is this server", ns, config.resolvConf());
        continue;
      }
      out.add(a);
    }
    if (out.isEmpty()) {
      log.warn("cluster DNS: no upstream resolvers in {}: names outside {} are refused", config.resolvConf(),
          config.domain());
    }
    return out;
  }

  public String host() {
    return config.host();
  }

  /** The port it listens on; 0 while it waits for its address. */
  public int port() {
    return server == null ? 0 : server.port();
  }

  @Override
  public void close() {
    if (addressTimer >= 0) {
      (vertx != null ? vertx : ownVertx).cancelTimer(addressTimer);
    }
    if (published != null) {
      try {
        published.withdraw();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        log.warn("cluster DNS: cannot withdraw its endpoint: {}", e.getMessage());
      }
    }
    if (server != null) {
      server.close();
    }
    if (client != null) {
      client.close();
    }
    if (informers != null) {
      informers.close();
    }
    if (ownVertx != null) {
      ownVertx.close();
    }
  }
}
