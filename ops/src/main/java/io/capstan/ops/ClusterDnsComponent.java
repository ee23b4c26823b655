package io.capstan.ops;

import io.capstan.logschema.topics.TopicLayout;
import io.capstan.nodeagent.dns.ClusterDns;
import io.capstan.nodeagent.dns.ClusterDnsConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/**
 * The cluster DNS (CoreDNS's job) of this machine, on the process's Vert.x and informers. With
 * real pods it listens on the pod network's gateway, port 53, from the moment the bridge exists
 * (the first pod makes it); the service proxy sends the DNS Service's ClusterIP there through the
 * address published in {@code kube-system/kube-dns}'s Endpoints.
 */
final class ClusterDnsComponent implements Component {
  private final ClusterDnsConfig config;
  private final Map<String, Object> kafka;
  private final TopicLayout layout;
  private final SharedInformers informers;
  private final Vertx vertx;
  private final MeterRegistry registry;
  private final boolean awaitAddress;
  private ClusterDns dns;

  ClusterDnsComponent(ClusterDnsConfig config, boolean awaitAddress, Map<String, Object> kafka, TopicLayout layout,
      SharedInformers informers, Vertx vertx, MeterRegistry registry) {
    this.config = config;
    this.awaitAddress = awaitAddress;
    this.kafka = kafka;
    this.layout = layout;
    this.informers = informers;
    this.vertx = vertx;
    this.registry = registry;
  }

  /**
   * Where {@code up} listens: the pod network's gateway on port 53 when the local node runs real
   * pods; else a free loopback port (hollow pods do not resolve names).
   */
  static ClusterDnsConfig local(boolean realPods) {
    return realPods ? ClusterDnsConfig.defaults(io.capstan.nodeagent.runtime.runc.PodNetwork.GATEWAY,
        ClusterDnsConfig.DEFAULT_PORT) : ClusterDnsConfig.defaults("127.0.0.1", 0);
  }

  @Override
  public String name() {
    return "cluster DNS";
  }

  @Override
  public void start() {
    dns = new ClusterDns(config, kafka, layout, informers, vertx, registry);
    if (awaitAddress) {
      dns.awaitingAddress();
    }
  }

  @Override
  public void awaitReady(Duration timeout) {
    try {
      dns.start(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the cluster DNS", e);
    } catch (IOException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  @Override
  public String readyLine() {
    return dns.port() == 0 ? "cluster DNS ready: listens on " + config.host() + ":" + config.port()
        + " once it can (the pod network's bridge comes with the first pod)" : "cluster DNS ready on " + config.host() + ":" + dns.port();
  }

  @Override
  public void close() {
    if (dns != null) {
      dns.close();
    }
  }
}
