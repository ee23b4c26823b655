package io.capstan.ops;

import io.capstan.controllers.apiservice.ClusterServices;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.processor.services.ServiceNetwork;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;

/**
 * The cluster's own Services ({@code default/kubernetes} pointing at the API gateway,
 * {@code kube-system/kube-dns}), kept in place as kube-apiserver keeps the first.
 */
final class ClusterServicesComponent implements Component {
  private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);
  private final Map<String, Object> kafka;
  private final TopicLayout layout;
  private final SharedInformers informers;
  private final MeterRegistry registry;
  private final ServiceNetwork network;
  private final String apiAddress;
  private final int apiPort;
  private CommandClient client;
  private ClusterServices services;

  ClusterServicesComponent(Map<String, Object> kafka, TopicLayout layout, SharedInformers informers,
      ServiceNetwork network, String apiAddress, int apiPort, MeterRegistry registry) {
    this.kafka = kafka;
    this.layout = layout;
    this.informers = informers;
    this.network = network;
    this.apiAddress = apiAddress;
    this.apiPort = apiPort;
    this.registry = registry;
  }

  @Override
  public String name() {
    return "cluster services";
  }

  @Override
  public void start() {
    client = new CommandClient(CommandClientConfig.defaults(kafka, layout, ClusterServices.NAME), registry);
    services = new ClusterServices(informers, new ObjectWriter(client, WRITE_TIMEOUT), network, apiAddress, apiPort,
        registry);
    services.start();
  }

  @Override
  public void awaitReady(Duration timeout) {
    // Created in the background; the cluster is usable before they exist.
  }

  @Override
  public void close() {
    if (services != null) {
      services.close();
    }
    if (client != null) {
      client.close();
    }
  }
}
