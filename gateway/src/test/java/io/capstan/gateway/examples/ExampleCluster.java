package io.capstan.gateway.examples;

import io.capstan.controllers.manager.ControllerManager;
import io.capstan.controllers.manager.ControllerManagerConfig;
import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.security.AdminToken;
import io.capstan.gateway.server.GatewayConfig;
import io.capstan.gateway.server.GatewayServer;
import io.capstan.gateway.testing.Fabric8Clients;
import io.capstan.gateway.testing.KafkaGatewayFixture;
import io.capstan.stateviews.testing.KafkaFixture;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A whole Capstan for the example tests: the command processor and the gateway on the shared
 * embedded broker, the real controllers (garbage collector among them), and a fabric8 client.
 * One per test class.
 */
final class ExampleCluster implements AutoCloseable {
  final KafkaGatewayFixture backend;
  final ControllerManager controllers;
  final GatewayServer gateway;
  final KubernetesClient client;

  ExampleCluster(String name, Path dataDir) throws Exception {
    backend = KafkaGatewayFixture.start(name, WatchCacheConfig.defaults());
    ControllerManager c = null;
    try {
      gateway = backend.startServer(dataDir);
      GatewayConfig config = GatewayConfig.defaults(dataDir);
      c = new ControllerManager(ControllerManagerConfig.defaults(KafkaFixture.clientConfig(), backend.layout()),
          backend.registry());
      c.start();
      c.awaitReady(Duration.ofSeconds(60));
      controllers = c;
      client = Fabric8Clients.of(gateway.url(), config.pkiDir().resolve("ca.crt"), AdminToken.ensure(config.tokenFile()));
    } catch (Exception | Error e) {
      if (c != null) {
        c.close();
      }
      backend.close();
      throw e;
    }
  }

  /** Applies a definition and waits until it is Established (its kind served). */
  CustomResourceDefinition define(String yaml) {
    CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions()
        .load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).item();
    client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
    return client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
        .waitUntilCondition(d -> d != null && d.getStatus() != null && d.getStatus().getConditions() != null
            && d.getStatus().getConditions().stream()
                .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus())), 60, TimeUnit.SECONDS);
  }

  String namespace(String name) {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    return name;
  }

  @Override
  public void close() throws Exception {
    client.close();
    controllers.close();
    backend.close();
  }
}
