package io.capstan.ops;

import io.capstan.api.ClusterRole;
import io.capstan.api.ClusterRoleBinding;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.bootstrap.DefaultRoles;
import io.capstan.stateviews.bootstrap.SystemNamespaces;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.capstan.stateviews.processor.services.ServiceNetwork;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The command processor (Kafka Streams): the only writer of Capstan's state, and of the
 * pods-by-node view node agents watch their pods through. Once it runs,
 * the namespaces every cluster has are created (idempotently) through it.
 */
final class CommandProcessorComponent implements Component {
  /** Who writes the namespaces, default roles and classes every cluster has: the first writer of a start. */
  static final String BOOTSTRAP_IDENTITY = CommandClientConfig.ACTOR_PREFIX + "capstan-bootstrap";
  private ProcessorConfig config;
  private final MeterRegistry registry;
  private final Map<String, Object> kafka;
  private final TopicLayout layout;
  private CommandProcessor processor;

  CommandProcessorComponent(Map<String, Object> kafka, TopicLayout layout, Path stateDir, MeterRegistry registry) {
    this(kafka, layout, stateDir, ServiceNetwork.defaults(), registry);
  }

  /** @param serviceNetwork the ranges Service ClusterIPs and NodePorts are allocated from */
  CommandProcessorComponent(Map<String, Object> kafka, TopicLayout layout, Path stateDir, ServiceNetwork serviceNetwork,
      MeterRegistry registry) {
    this.config = ProcessorConfig.defaults(kafka, layout, stateDir).withServiceNetwork(serviceNetwork);
    this.registry = registry;
    this.kafka = kafka;
    this.layout = layout;
  }

  /** Only components with a session ticket of this cluster write (docs/identity.md section 2). */
  CommandProcessorComponent authenticating(io.capstan.stateviews.processor.authn.CommandAuthentication auth) {
    config = config.withAuthentication(auth);
    return this;
  }

  @Override
  public String name() {
    return "command processor";
  }

  @Override
  public void start() {
    processor = new CommandProcessor(config, registry);
    processor.start();
  }

  @Override
  public void awaitReady(Duration timeout) {
    processor.awaitRunning(timeout);
    try (CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "capstan-bootstrap"), registry)) {
      SystemNamespaces.ensure(client, timeout);
      ensureDefaultRoles(client, timeout); // RBAC's bootstrap policy
      io.capstan.stateviews.bootstrap.SystemPriorityClasses.ensure(client, timeout); // system-node-critical, ...
      io.capstan.stateviews.bootstrap.DefaultStorageClass.ensure(client, timeout); // local-path, the default class
    }
  }

  /**
   * The default roles and bindings: created when absent, reconciled with this version's when a
   * cluster made by an earlier one has them (read from the state tables for the occasion).
   */
  private void ensureDefaultRoles(CommandClient client, Duration timeout) {
    InformerConfig cfg = InformerConfig.defaults(kafka, layout, "capstan-bootstrap");
    MeterRegistry scratch = new io.micrometer.core.instrument.simple.SimpleMeterRegistry(); // gone with the informers
    try (Informer<ClusterRole> roles = new Informer<>(cfg, Kinds.CLUSTER_ROLE, ClusterRole.class, scratch);
        Informer<ClusterRoleBinding> bindings = new Informer<>(cfg, Kinds.CLUSTER_ROLE_BINDING,
            ClusterRoleBinding.class, scratch)) {
      roles.start();
      bindings.start();
      if (!roles.awaitSynced(timeout) || !bindings.awaitSynced(timeout)) {
        throw new IllegalStateException("the RBAC tables were not read within " + timeout);
      }
      DefaultRoles.ensure(client, timeout, (kind, name) -> kind.equals("ClusterRole") ? roles.get("", name)
          : bindings.get("", name));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the RBAC tables", e);
    }
  }

  @Override
  public void close() {
    if (processor != null) {
      processor.close();
    }
  }
}
