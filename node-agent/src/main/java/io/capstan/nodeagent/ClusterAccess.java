package io.capstan.nodeagent;

import io.capstan.api.ConfigMap;
import io.capstan.api.Node;
import io.capstan.api.Secret;
import io.capstan.api.Service;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.nodeagent.sync.ConfigSource;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a node agent reads and writes the cluster through: one command client, the ConfigMap
 * and Secret informers its pods' env and volumes refer to, the Service informer their service
 * environment variables come from, and the Node informer its status checks compare with. A node
 * agent has one; a hollow fleet
 * has one for all its nodes, so its Kafka clients do not multiply with the node count.
 */
public final class ClusterAccess implements AutoCloseable {
  private final String name;
  private final CommandClient client;
  private final SharedInformers informers;
  private final ConfigSource configs;
  private final Informer<Node> nodes;
  private final Informer<io.capstan.api.PersistentVolumeClaim> claims;
  private final Informer<io.capstan.api.PersistentVolume> volumes;
  private final Informer<io.capstan.api.StorageClass> storageClasses;
  private final io.capstan.nodeagent.connection.LogConnection connection;
  private volatile io.capstan.nodeagent.volume.ServiceAccountTokenSource tokens =
      io.capstan.nodeagent.volume.ServiceAccountTokenSource.NONE;

  /**
   * Opens the clients and starts the informers (see {@link #awaitSynced}).
   *
   * @param name the client id's base ({@code node-<name>}), e.g. the node's name
   */
  public ClusterAccess(Map<String, Object> kafka, TopicLayout layout, String name, MeterRegistry registry) {
    this(kafka, layout, name, null, registry);
  }

  /**
   * @param shared informers shared with the process's other components ({@code capstan up}),
   *     borrowed and left to their owner to close; null for informers of its own
   */
  public ClusterAccess(Map<String, Object> kafka, TopicLayout layout, String name, SharedInformers shared,
      MeterRegistry registry) {
    this(kafka, layout, name, null, shared, registry);
  }

  /**
   * One node's access: its commands act as the node's identity, {@code system:node:<nodeName>},
   * which the command processor authorizes (RBAC's {@code system:node} role, then NodeRestriction).
   */
  public static ClusterAccess forNode(Map<String, Object> kafka, TopicLayout layout, String nodeName,
      SharedInformers shared, MeterRegistry registry) {
    return new ClusterAccess(kafka, layout, nodeName, CommandClientConfig.NODE_IDENTITY_PREFIX + nodeName, shared,
        registry);
  }

  /** @param identity who the commands act as; null for the component's default ({@code system:capstan:node-<name>}) */
  private ClusterAccess(Map<String, Object> kafka, TopicLayout layout, String name, String identity,
      SharedInformers shared, MeterRegistry registry) {
    this.name = name;
    this.connection = new io.capstan.nodeagent.connection.LogConnection(name,
        String.valueOf(kafka.get(org.apache.kafka.clients.CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)),
        java.time.Clock.systemUTC(), registry);
    this.client = new CommandClient(identity == null ? CommandClientConfig.defaults(kafka, layout, "node-" + name)
        : CommandClientConfig.identified(kafka, layout, "node-" + name, identity), registry);
    SharedInformers inf = null;
    try {
      inf = SharedInformers.borrowOrOwn(shared, InformerConfig.defaults(kafka, layout, "node-" + name), registry);
      Informer<ConfigMap> configMaps = inf.informerFor(Kinds.CONFIG_MAP, ConfigMap.class);
      Informer<Secret> secrets = inf.informerFor(Kinds.SECRET, Secret.class);
      this.nodes = inf.informerFor(Kinds.NODE, Node.class);
      Informer<Service> services = inf.informerFor(Kinds.SERVICE, Service.class);
      Informer<io.capstan.api.PersistentVolumeClaim> claims = inf.informerFor(Kinds.PERSISTENT_VOLUME_CLAIM,
          io.capstan.api.PersistentVolumeClaim.class);
      Informer<io.capstan.api.PersistentVolume> volumes = inf.informerFor(Kinds.PERSISTENT_VOLUME,
          io.capstan.api.PersistentVolume.class);
      this.storageClasses = inf.informerFor(Kinds.STORAGE_CLASS, io.capstan.api.StorageClass.class);
      this.claims = claims;
      this.volumes = volumes;
      inf.start();
      this.configs = new ConfigSource() {
        @Override
        public Optional<ConfigMap> configMap(String namespace, String n) {
          return configMaps.get(namespace, n);
        }

        @Override
        public Optional<Secret> secret(String namespace, String n) {
          return secrets.get(namespace, n);
        }

        @Override
        public List<Service> services(String namespace) {
          return services.list(namespace);
        }

        @Override
        public Optional<Service> service(String namespace, String n) {
          return services.get(namespace, n);
        }

        @Override
        public Optional<io.capstan.api.PersistentVolumeClaim> claim(String namespace, String n) {
          return claims.get(namespace, n);
        }

        @Override
        public Optional<io.capstan.api.PersistentVolume> persistentVolume(String n) {
          return volumes.get("", n);
        }

        @Override
        public io.capstan.nodeagent.volume.ServiceAccountTokenSource tokens() {
          return tokens;
        }

        @Override
        public AutoCloseable onConfigChange(java.util.function.Consumer<String> changed) {
          var handler = new io.capstan.stateviews.informer.ResourceEventHandler<Object>() {
            @Override
            public void onAdd(Object o) {
              changed.accept(namespaceOf(o));
            }

            @Override
            public void onUpdate(Object old, Object o) {
              changed.accept(namespaceOf(o));
            }

            @Override
            public void onDelete(Object o) {
              changed.accept(namespaceOf(o));
            }
          };
          var a = configMaps.addHandler(handler);
          var b = secrets.addHandler(handler);
          return () -> {
            a.close();
            b.close();
          };
        }
      };
    } catch (RuntimeException e) {
      if (inf != null) {
        inf.close();
      }
      client.close();
      throw e;
    }
    this.informers = inf;
  }

  /** Waits for the ConfigMap and Secret informers' first list; throws naming who waited when they are late. */
  public void awaitSynced(Duration timeout) throws InterruptedException {
    if (!informers.awaitSynced(timeout)) {
      throw new IllegalStateException("node agent " + name + ": ConfigMap/Secret/Service informers not synced in " + timeout);
    }
  }

  public CommandClient client() {
    return client;
  }

  /** The stored Node of a name, as the process's Node informer has it (its status checks read it). */
  public Optional<Node> storedNode(String nodeName) {
    return nodes.get("", nodeName);
  }

  /** Whether the cluster's log answers the writes of the node(s) on this access; see {@link io.capstan.nodeagent.connection.LogConnection}. */
  public io.capstan.nodeagent.connection.LogConnection connection() {
    return connection;
  }

  /** Where this access's pods get ServiceAccount tokens from (none until set: their token volumes fail). */
  public ClusterAccess withTokens(io.capstan.nodeagent.volume.ServiceAccountTokenSource source) {
    this.tokens = java.util.Objects.requireNonNull(source, "source");
    return this;
  }

  private static String namespaceOf(Object o) {
    if (o instanceof ConfigMap c) {
      return c.getMetadata().getNamespace();
    }
    return o instanceof Secret s ? s.getMetadata().getNamespace() : "";
  }

  /** The claims, volumes and classes the local-path provisioner follows. */
  public Informer<io.capstan.api.PersistentVolumeClaim> claims() {
    return claims;
  }

  public Informer<io.capstan.api.PersistentVolume> volumes() {
    return volumes;
  }

  public Informer<io.capstan.api.StorageClass> storageClasses() {
    return storageClasses;
  }

  public ConfigSource configs() {
    return configs;
  }

  @Override
  public void close() {
    informers.close();
    client.close();
  }
}
