package io.capstan.stateviews.view;

import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.informer.StateRecord;
import io.capstan.logschema.metrics.ConsumerLag;
import io.capstan.stateviews.kafka.TopicAdmin;
import io.capstan.stateviews.processor.CommandProcessor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the pods-by-node view ({@link PodsByNodeTopic}) from {@code capstan.state.pod}: every
 * pod with a {@code spec.nodeName} is written under its node, and a tombstone follows when it
 * leaves that node. A small store remembers each pod's node, so a delete (a tombstone on the
 * state topic, which no longer names the node) still finds the view key to remove.
 *
 * <pre>
 *   capstan.state.pod ──▶ pods-by-node ──▶ capstan.view.pods-by-node   (partitioned by node name)
 *                           └ store pod-node: pod key → node name
 * </pre>
 *
 * The view is derived, so at-least-once is enough (a repeated record rewrites the same key with
 * the same value); the state topic is read committed only, never an aborted write.
 */
public final class PodsByNodeView implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PodsByNodeView.class);
  static final String SOURCE = "pod-table";
  static final String PROCESSOR = "pods-by-node";
  static final String SINK = "pods-by-node-view";
  static final String STORE = "pod-node";
  /** The view's consumer in {@code capstan_kafka_consumer_lag} (component {@code state-views}). */
  public static final String CONSUMER = "pods-by-node";
  /** As an informer's: a committed change answers the fetch at once (see InformerConfig.DEFAULT_FETCH_MAX_WAIT). */
  static final int FETCH_MAX_WAIT_MS = 500;
  static final int LINGER_MS = 2;

  private final Map<String, Object> kafka;
  private final TopicLayout layout;
  private final Path stateDir;
  private final MeterRegistry registry;
  private KafkaStreams streams;
  private ConsumerLag lag;

  /**
   * @param kafka    client settings ({@code bootstrap.servers} and any TLS/SASL settings)
   * @param stateDir where Kafka Streams keeps its local store
   */
  public PodsByNodeView(Map<String, Object> kafka, TopicLayout layout, Path stateDir, MeterRegistry registry) {
    this.kafka = Map.copyOf(kafka);
    this.layout = layout;
    this.stateDir = stateDir;
    this.registry = registry;
  }

  public static String applicationId(TopicLayout layout) {
    return layout.prefix() + "view.pods-by-node";
  }

  /** Creates the view topic when missing, with the partition count of the state topics. */
  public static int ensureTopic(Map<String, Object> kafka, TopicLayout layout, short replication) {
    int partitions = TopicAdmin.partitionsOf(kafka, layout);
    Properties p = new Properties();
    p.putAll(kafka);
    try (Admin admin = Admin.create(p)) {
      NewTopic t = new NewTopic(PodsByNodeTopic.name(layout), Optional.of(partitions),
          replication > 0 ? Optional.of(replication) : Optional.empty())
          .configs(Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "60000"));
      admin.createTopics(java.util.List.of(t)).all().get();
      log.info("created topic {} with {} partitions", t.name(), partitions);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("cannot create " + PodsByNodeTopic.name(layout) + ": " + e.getCause(), e);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating " + PodsByNodeTopic.name(layout), e);
    }
    return partitions;
  }

  /** The topology, for {@code TopologyTestDriver} as well. */
  public static Topology topology(TopicLayout layout, int partitions, MeterRegistry registry) {
    Counter written = Counter.builder("capstan_view_records_total").description("Records written to a derived view")
        .tag("view", "pods-by-node").tag("op", "put").register(registry);
    Counter removed = Counter.builder("capstan_view_records_total").description("Records written to a derived view")
        .tag("view", "pods-by-node").tag("op", "tombstone").register(registry);
    Topology t = new Topology();
    t.addSource(SOURCE, new StringDeserializer(), new ByteArrayDeserializer(), layout.state(Kinds.POD));
    t.addProcessor(PROCESSOR, () -> new Rekey(written, removed), SOURCE);
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(), Serdes.String()),
        PROCESSOR);
    t.addSink(SINK, PodsByNodeTopic.name(layout), new StringSerializer(), new ByteArraySerializer(),
        (topic, key, value, n) -> Optional.of(java.util.Set.of(
            PodsByNodeTopic.partitionOf(PodsByNodeTopic.nodeOf((String) key), n))), PROCESSOR);
    return t;
  }

  public synchronized void start() {
    if (streams != null) {
      throw new IllegalStateException("pods-by-node view already started");
    }
    int partitions = ensureTopic(kafka, layout, (short) -1);
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId(layout));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
    p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, io.capstan.stateviews.store.BoundedRocksDbMemory.class);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), FETCH_MAX_WAIT_MS);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), LINGER_MS);
    // Nothing here is periodic (no punctuators; offsets are committed with the next records), and
    // a record ends the poll at once: an idle view need not wake 50 times a second.
    p.put(StreamsConfig.POLL_MS_CONFIG, 500);
    p.putAll(kafka);
    streams = new KafkaStreams(topology(layout, partitions, registry), p);
    streams.setStateListener((now, before) -> log.info("pods-by-node view: {} -> {}", before, now));
    streams.setUncaughtExceptionHandler(e -> {
      log.error("pods-by-node view: stream thread failed; replacing it", e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    log.info("starting the pods-by-node view: {} -> {} ({} partitions)", layout.state(Kinds.POD),
        PodsByNodeTopic.name(layout), partitions);
    KafkaStreams running = streams;
    lag = ConsumerLag.bind(registry, CommandProcessor.COMPONENT, CONSUMER, running::metrics);
    streams.start();
  }

  /** Waits until the view is processing. */
  public void awaitRunning(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      KafkaStreams s;
      synchronized (this) {
        s = streams;
      }
      if (s == null) {
        throw new IllegalStateException("pods-by-node view not started");
      }
      if (s.state() == KafkaStreams.State.RUNNING) {
        return;
      }
      if (!s.state().isRunningOrRebalancing() && s.state() != KafkaStreams.State.CREATED) {
        throw new IllegalStateException("pods-by-node view stopped while starting: " + s.state());
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("pods-by-node view not running after " + timeout + " (" + s.state() + ")");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  @Override
  public synchronized void close() {
    if (streams != null) {
      log.info("stopping the pods-by-node view");
      lag.close();
      streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
          .withTimeout(Duration.ofSeconds(30)));
      streams = null;
    }
  }

  /** Re-keys one pod record by its node, remembering the node so the pod's removal can follow it. */
  static final class Rekey implements Processor<String, byte[], String, byte[]> {
    private final Counter written;
    private final Counter removed;
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, String> nodes;

    Rekey(Counter written, Counter removed) {
      this.written = written;
      this.removed = removed;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
      this.context = context;
      this.nodes = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, byte[]> r) {
      String podKey = r.key();
      if (podKey == null || io.capstan.logschema.topics.ObjectPartitioner.isWatermarkKey(podKey)) {
        return;
      }
      String node = null;
      if (r.value() != null) {
        try {
          io.capstan.api.Pod pod = io.capstan.logschema.codec.LogCodec.get().decode(r.value(), io.capstan.api.Pod.class);
          node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
        } catch (RuntimeException e) {
          log.warn("pods-by-node view: skipping an unreadable record of {}: {}", podKey, e.getMessage());
          return;
        }
      }
      if (node != null && node.isEmpty()) {
        node = null;
      }
      String was = nodes.get(podKey);
      if (was != null && !was.equals(node)) {
        context.forward(new Record<String, byte[]>(PodsByNodeTopic.key(was, podKey), null, r.timestamp(), copy(r.headers())));
        removed.increment();
      }
      if (node == null) {
        if (was != null) {
          nodes.delete(podKey);
        }
        return;
      }
      context.forward(new Record<>(PodsByNodeTopic.key(node, podKey), r.value(), r.timestamp(), copy(r.headers())));
      written.increment();
      if (!node.equals(was)) {
        nodes.put(podKey, node);
      }
    }

    private static Headers copy(Headers h) {
      org.apache.kafka.common.header.internals.RecordHeaders out = new org.apache.kafka.common.header.internals.RecordHeaders();
      org.apache.kafka.common.header.Header rv = h.lastHeader(StateRecord.RV_HEADER);
      if (rv != null) {
        out.add(rv);
      }
      return out;
    }
  }
}
