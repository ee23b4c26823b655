package io.capstan.stateviews.processor;

import io.capstan.api.PriorityClass;
import io.capstan.api.StorageClass;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.processor.quota.QuotaMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.capstan.stateviews.kafka.TopicAdmin;
import io.capstan.stateviews.view.PodsByNodeTopic;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Locale;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The processor's topology:
 * <pre>
 *   capstan.commands ──▶ command-applier ──▶ capstan.events
 *                          │  stores:        ──▶ capstan.replies          (by client id, Kafka's default partitioner)
 *                          │  objects,       ──▶ capstan.state.&lt;kind&gt;   (one sink per built-in kind; watermarks too)
 *                          │                 ──▶ capstan.state.&lt;crd name&gt; (one sink for every custom kind, by header)
 *                          │                 ──▶ capstan.view.pods-by-node (bound pods, by node name)
 *                          │                 ──▶ capstan.schemas          (a custom kind's writer schema, with its first record)
 *                          │  clock,
 *                          │  request-ids
 *                          │  quota-ledger ──▶ capstan.commands        (quota admission's and address allocation's
 *                          │  service-addresses                        own steps, by object key)
 *                          ├─ reads the global store "namespaces" ◀── capstan.state.namespace
 *                          ├─ reads the global store "resourcequotas" ◀── capstan.state.resourcequota
 *                          ├─ reads the global store "serviceaccounts" ◀── capstan.state.serviceaccount
 *                          ├─ the kind registry follows "customresourcedefinitions" ◀── capstan.state.customresourcedefinition
 *                          ├─ pod admission reads "priorityclasses" ◀── capstan.state.priorityclass
 *                          ├─ pod admission reads "limitranges" ◀── capstan.state.limitrange
 *                          └─ claim admission reads "storageclasses" ◀── capstan.state.storageclass
 * </pre>
 * Object-keyed sinks use {@link ObjectKeyPartitioner}. All three local stores are in the one
 * task, so a command's store writes and outputs share its transaction.
 */
final class CommandTopology {
  static final String SOURCE = "commands";
  static final String APPLIER = "command-applier";
  static final String OBJECTS_STORE = "objects";
  static final String CLOCK_STORE = "clock";
  static final String REQUESTS_STORE = "request-ids";
  static final String NAMESPACES_STORE = "namespaces";
  /** Quota admission: each quota's charges (local, changelogged) and every quota (global copy). */
  static final String QUOTA_LEDGER_STORE = "quota-ledger";
  static final String QUOTAS_STORE = "resourcequotas";
  /** Service address allocation: who holds each ClusterIP and NodePort (local, changelogged; one partition uses it). */
  static final String ADDRESS_LEDGER_STORE = "service-addresses";
  /** Every ServiceAccount (global copy): the ServiceAccount admission of pods created on any partition. */
  static final String SERVICE_ACCOUNTS_STORE = "serviceaccounts";
  /** Every CustomResourceDefinition (global copy), which the kind registry follows. */
  static final String DEFINITIONS_STORE = "customresourcedefinitions";
  /** Every PriorityClass (global copy), which pod admission resolves priorities against. */
  static final String PRIORITY_CLASSES_STORE = "priorityclasses";
  static final String STORAGE_CLASSES_STORE = "storageclasses";
  /** Every LimitRange (global copy), which pod admission applies in the pod's namespace. */
  static final String LIMIT_RANGES_STORE = "limitranges";
  /** The sink of every custom kind's state topic; the record's {@link #TOPIC_HEADER} names the topic. */
  static final String CUSTOM_STATE_SINK = "state-custom";
  static final String TOPIC_HEADER = "capstan.topic";
  static final String COMMANDS_SINK = "commands-out";
  static final String EVENTS_SINK = "events";
  static final String REPLIES_SINK = "replies";
  /** The schemas topic: a custom kind's writer schema by fingerprint ({@code RecordedSchema}). */
  static final String SCHEMAS_SINK = "schemas";
  /** The pods-by-node view ({@link PodsByNodeTopic}), partitioned by node name. */
  static final String PODS_BY_NODE_SINK = "pods-by-node";

  private CommandTopology() {}

  static String stateSink(Kind kind) {
    return kind.custom() ? CUSTOM_STATE_SINK : "state-" + kind.kind().toLowerCase(Locale.ROOT);
  }

  /**
   * @param partitions the partition count of the object-keyed topics
   * @param clock      the wall clock of resourceVersions, timestamps and watermarks
   */
  static Topology build(ProcessorConfig cfg, MeterRegistry registry, int partitions, Clock clock) {
    return build(cfg, registry, partitions, clock, new PollPacing());
  }

  /** @param pacing told when the tasks' punctuators are armed, for the stream threads' poll (see {@link PollPacing}) */
  static Topology build(ProcessorConfig cfg, MeterRegistry registry, int partitions, Clock clock, PollPacing pacing) {
    return build(cfg, registry, partitions, clock, pacing,
        kind -> TopicAdmin.ensureStateTopic(cfg.kafka(), cfg.layout(), kind));
  }

  /** @param kindTopics makes a custom kind's state topic when its definition is established */
  static Topology build(ProcessorConfig cfg, MeterRegistry registry, int partitions, Clock clock, PollPacing pacing,
      KindTopics kindTopics) {
    TopicLayout layout = cfg.layout();
    ProcessorMetrics metrics = new ProcessorMetrics(registry);
    QuotaMetrics quotaMetrics = new QuotaMetrics(registry);
    ObjectKeyPartitioner byObjectKey = new ObjectKeyPartitioner();
    StringSerializer keys = new StringSerializer();
    ByteArraySerializer values = new ByteArraySerializer();

    // The topology gets the processor's own settings (else Kafka Streams builds it from defaults).
    Topology t = new Topology(new TopologyConfig(new StreamsConfig(CommandProcessor.streamsProperties(cfg))));
    t.addSource(SOURCE, new StringDeserializer(), new ByteArrayDeserializer(), layout.commands());
    NamedMirror.ByName<PriorityClass> priorityClasses = new NamedMirror.ByName<>(PriorityClass.class);
    NamedMirror.ByName<StorageClass> storageClasses = new NamedMirror.ByName<>(StorageClass.class);
    LimitRangeMirror.Ranges limitRanges = new LimitRangeMirror.Ranges();
    t.addProcessor(APPLIER, () -> new CommandApplier(cfg, metrics, quotaMetrics, clock, partitions, pacing,
        new DefinitionEstablisher(kindTopics), priorityClasses, storageClasses, limitRanges), SOURCE);
    t.addStateStore(localStore(OBJECTS_STORE, cfg.inMemoryStores()), APPLIER);
    t.addStateStore(localStore(CLOCK_STORE, cfg.inMemoryStores()), APPLIER);
    t.addStateStore(localStore(REQUESTS_STORE, cfg.inMemoryStores()), APPLIER);
    t.addStateStore(localStore(QUOTA_LEDGER_STORE, cfg.inMemoryStores()), APPLIER);
    t.addStateStore(localStore(ADDRESS_LEDGER_STORE, cfg.inMemoryStores()), APPLIER);
    t.addSink(EVENTS_SINK, layout.events(), keys, values, byObjectKey, APPLIER);
    t.addSink(REPLIES_SINK, layout.replies(), keys, values, APPLIER);
    // Quota admission is a saga of commands the processor sends itself, in the same transaction.
    t.addSink(COMMANDS_SINK, layout.commands(), keys, values, byObjectKey, APPLIER);
    for (Kind k : Kinds.builtIn()) {
      t.addSink(stateSink(k), layout.state(k), keys, values, byObjectKey, APPLIER);
    }
    t.addSink(PODS_BY_NODE_SINK, layout.podsByNode(), keys, values,
        (topic, key, value, n) -> java.util.Optional.of(java.util.Set.of(
            PodsByNodeTopic.partitionOf(PodsByNodeTopic.nodeOf(key), n))), APPLIER);
    // Its one partition: every record goes to partition 0.
    t.addSink(SCHEMAS_SINK, layout.schemas(), keys, values,
        (topic, key, value, n) -> java.util.Optional.of(java.util.Set.of(0)), APPLIER);
    // Custom kinds come and go at run time: one sink whose records name their topic.
    t.addSink(CUSTOM_STATE_SINK, (key, value, context) -> topicOf(context.headers()), keys, values, byObjectKey,
        APPLIER);
    // Global stores (never logged: the topic they read is their changelog), each a copy of one
    // state table in every processor instance.
    // Namespaces: a create on any partition checks that its namespace exists and is not terminating.
    mirror(t, cfg, NAMESPACES_STORE, layout, Kinds.NAMESPACE, () -> new NamespaceMirror(NAMESPACES_STORE));
    // ResourceQuotas: which quotas cover a create on any partition.
    mirror(t, cfg, QUOTAS_STORE, layout, Kinds.RESOURCE_QUOTA, () -> new NamespaceMirror(QUOTAS_STORE));
    // ServiceAccounts: a pod create on any partition finds the ServiceAccount it names.
    mirror(t, cfg, SERVICE_ACCOUNTS_STORE, layout, Kinds.SERVICE_ACCOUNT,
        () -> new NamespaceMirror(SERVICE_ACCOUNTS_STORE));
    // CustomResourceDefinitions: the kind registry follows them on every instance.
    mirror(t, cfg, DEFINITIONS_STORE, layout, Kinds.CUSTOM_RESOURCE_DEFINITION,
        () -> new CustomKindMirror(DEFINITIONS_STORE));
    // PriorityClasses: pod admission on any partition resolves priorityClassName.
    mirror(t, cfg, PRIORITY_CLASSES_STORE, layout, Kinds.PRIORITY_CLASS,
        () -> new NamedMirror<>(PRIORITY_CLASSES_STORE, "priority class", priorityClasses));
    // StorageClasses: claim admission on any partition finds the default class and class limits.
    mirror(t, cfg, STORAGE_CLASSES_STORE, layout, Kinds.STORAGE_CLASS,
        () -> new NamedMirror<>(STORAGE_CLASSES_STORE, "storage class", storageClasses));
    // LimitRanges: pod admission on any partition applies its namespace's.
    mirror(t, cfg, LIMIT_RANGES_STORE, layout, Kinds.LIMIT_RANGE,
        () -> new LimitRangeMirror(LIMIT_RANGES_STORE, limitRanges));
    return t;
  }

  private static String topicOf(Headers headers) {
    Header h = headers.lastHeader(TOPIC_HEADER);
    if (h == null) {
      throw new IllegalStateException("a record for a custom kind's state topic without a " + TOPIC_HEADER + " header");
    }
    return new String(h.value(), StandardCharsets.UTF_8);
  }

  private static StoreBuilder<KeyValueStore<String, byte[]>> localStore(String name, boolean inMemory) {
    // Caching: reads of just-written keys stay in memory and each key reaches the changelog once per commit.
    return Stores.keyValueStoreBuilder(supplier(name, inMemory), Serdes.String(), Serdes.ByteArray())
        .withCachingEnabled();
  }

  /**
   * Adds a global store named {@code store} that reads {@code kind}'s state table through the
   * processor {@code mirror} makes; the table's topic is its changelog, so the store is never logged.
   */
  private static void mirror(Topology t, ProcessorConfig cfg, String store, TopicLayout layout, Kind kind,
      ProcessorSupplier<String, byte[], Void, Void> mirror) {
    StoreBuilder<KeyValueStore<String, byte[]>> builder = Stores.keyValueStoreBuilder(
            supplier(store, cfg.inMemoryStores()), Serdes.String(), Serdes.ByteArray())
        .withLoggingDisabled();
    String table = kind.kind().toLowerCase(Locale.ROOT);
    t.addGlobalStore(builder, table + "-table", new StringDeserializer(), new ByteArrayDeserializer(),
        layout.state(kind), table + "-mirror", mirror);
  }

  private static KeyValueBytesStoreSupplier supplier(String name, boolean inMemory) {
    return inMemory ? Stores.inMemoryKeyValueStore(name) : Stores.persistentKeyValueStore(name);
  }
}
