package io.capstan.stateviews.view;

import io.capstan.api.Pod;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.logschema.metrics.ConsumerLag;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An informer of one node's pods, or of several nodes' (a hollow fleet's), on the pods-by-node
 * view: reads only the partitions its nodes hash to (from the beginning; the topic is compacted)
 * and keeps only those nodes' keys, so a node agent's cost grows with its own pods, not the
 * cluster's; a fleet of N nodes has one consumer and one thread, not N. Handlers hear adds,
 * updates and deletes of their node's pods on the reader's thread, after the cache is updated,
 * like an informer's.
 */
public final class NodePodsReader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodePodsReader.class);
  /** close() wakes the poll, and syncing is noticed when records arrive. */
  static final Duration POLL = Duration.ofSeconds(1);
  /**
   * A committed change answers the fetch at once (see InformerConfig.DEFAULT_FETCH_MAX_WAIT): the
   * wait only bounds how often an idle reader asks. The partitions are assigned once, so none
   * waits for a fetch in flight.
   */
  static final int FETCH_MAX_WAIT_MS = 5000;
  public static final String CONSUMER = "node-pods";

  /** One node's cache and handlers. */
  private static final class NodeEntry {
    final Map<String, Pod> pods = new ConcurrentHashMap<>();
    final List<ResourceEventHandler<Pod>> handlers = new CopyOnWriteArrayList<>();
  }

  private final String name;
  private final String singleNode;
  private final Map<String, NodeEntry> nodes;
  private final List<TopicPartition> partitions;
  private final KafkaConsumer<String, byte[]> consumer;
  private final CountDownLatch synced = new CountDownLatch(1);
  private final Thread thread;
  private final ConsumerLag lag;
  private volatile boolean closed;

  /** Without metrics (tests, tools). */
  public NodePodsReader(Map<String, Object> kafka, TopicLayout layout, String nodeName) {
    this(kafka, layout, nodeName, null);
  }

  /**
   * @param registry where its consumer lag goes ({@code capstan_kafka_consumer_lag}, component
   *                 {@code node-<name>}, consumer {@value #CONSUMER}); null for none
   */
  public NodePodsReader(Map<String, Object> kafka, TopicLayout layout, String nodeName, MeterRegistry registry) {
    this(kafka, layout, List.of(checkName(nodeName)), nodeName, registry);
  }

  /**
   * The pods of several nodes through one consumer.
   *
   * @param nodeNames the nodes (at least one)
   * @param name      what logs, the consumer's client id ({@code node-pods-<name>}) and the lag
   *                  metric's component ({@code node-<name>}) call it, e.g. the fleet's name pattern
   * @param registry  where its consumer lag goes; null for none
   */
  public NodePodsReader(Map<String, Object> kafka, TopicLayout layout, Collection<String> nodeNames, String name,
      MeterRegistry registry) {
    if (nodeNames.isEmpty()) {
      throw new IllegalArgumentException("a node pods reader needs at least one node name");
    }
    Map<String, NodeEntry> entries = new LinkedHashMap<>();
    for (String n : nodeNames) {
      if (entries.put(checkName(n), new NodeEntry()) != null) {
        throw new IllegalArgumentException("node name \"" + n + "\" is given twice");
      }
    }
    this.nodes = Map.copyOf(entries);
    this.singleNode = nodeNames.size() == 1 ? nodeNames.iterator().next() : null;
    this.name = name;
    Map<String, Object> props = new HashMap<>(kafka);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, FETCH_MAX_WAIT_MS);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "node-pods-" + name);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    String topic = PodsByNodeTopic.name(layout);
    int count = consumer.partitionsFor(topic, Duration.ofSeconds(30)).size();
    if (count == 0) {
      consumer.close(Duration.ZERO);
      throw new IllegalStateException("topic " + topic + " does not exist: the command processor creates it with the other topics");
    }
    // The union of the nodes' partitions, each assigned once.
    this.partitions = nodes.keySet().stream().map(n -> PodsByNodeTopic.partitionOf(n, count)).distinct().sorted()
        .map(p -> new TopicPartition(topic, p)).toList();
    this.thread = new Thread(this::run, "capstan-node-pods-" + name);
    this.thread.setDaemon(true);
    this.lag = registry == null ? null : ConsumerLag.bind(registry, "node-" + name, CONSUMER, consumer::metrics);
  }

  private static String checkName(String nodeName) {
    if (nodeName == null || nodeName.isEmpty() || nodeName.contains("/")) {
      throw new IllegalArgumentException("node name must be non-empty without '/', got \"" + nodeName + "\"");
    }
    return nodeName;
  }

  /** Registers a handler of the only node's pods; call before {@link #start()} to hear every pod as an add. */
  public void addHandler(ResourceEventHandler<Pod> handler) {
    if (singleNode == null) {
      throw new IllegalStateException("reader " + name + " reads " + nodes.size() + " nodes: say which node the"
          + " handler is for");
    }
    addHandler(singleNode, handler);
  }

  /** Registers a handler of one node's pods; call before {@link #start()} to hear every pod as an add. */
  public void addHandler(String nodeName, ResourceEventHandler<Pod> handler) {
    entry(nodeName).handlers.add(handler);
  }

  public void start() {
    log.info("watching the pods of {} node(s) ({}) on {}", nodes.size(), name, partitions);
    thread.start();
  }

  /** True once everything the view held when the reader started has been read. */
  public boolean awaitSynced(Duration timeout) throws InterruptedException {
    return synced.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public boolean hasSynced() {
    return synced.getCount() == 0;
  }

  /** The only node's pods, by pod object key ({@code Pod/namespace/name}). */
  public Map<String, Pod> pods() {
    if (singleNode == null) {
      throw new IllegalStateException("reader " + name + " reads " + nodes.size() + " nodes: say which node");
    }
    return pods(singleNode);
  }

  /** One node's pods, by pod object key. */
  public Map<String, Pod> pods(String nodeName) {
    return Map.copyOf(entry(nodeName).pods);
  }

  /** A pod of the only node. */
  public Optional<Pod> get(String namespace, String name) {
    return Optional.ofNullable(pods().get("Pod/" + namespace + "/" + name));
  }

  private NodeEntry entry(String nodeName) {
    NodeEntry e = nodes.get(nodeName);
    if (e == null) {
      throw new IllegalArgumentException("reader " + name + " does not read node \"" + nodeName + "\"");
    }
    return e;
  }

  private void run() {
    try {
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (!closed) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
          apply(r);
        }
        if (synced.getCount() > 0 && end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
          log.info("{}: pods synced ({} pods)", name, nodes.values().stream().mapToInt(e -> e.pods.size()).sum());
          synced.countDown();
        }
      }
    } catch (WakeupException e) {
      if (!closed) {
        log.error("node pods reader of {} woken unexpectedly", name, e);
      }
    } catch (RuntimeException e) {
      log.error("node pods reader of {} failed", name, e);
    } finally {
      consumer.close(Duration.ZERO);
    }
  }

  private void apply(ConsumerRecord<String, byte[]> r) {
    String key = r.key();
    NodeEntry node = key == null ? null : nodes.get(PodsByNodeTopic.nodeOf(key));
    if (node == null) {
      return; // a pod of another node on the same partition
    }
    String podKey = PodsByNodeTopic.podKeyOf(key);
    if (r.value() == null) {
      Pod gone = node.pods.remove(podKey);
      if (gone != null) {
        node.handlers.forEach(h -> safely(() -> h.onDelete(gone)));
      }
      return;
    }
    Pod pod;
    try {
      pod = LogCodec.get().decode(r.value(), Pod.class);
    } catch (RuntimeException e) {
      log.warn("{}: skipping an unreadable record of {} at offset {}: {}", name, key, r.offset(), e.getMessage());
      return;
    }
    Pod old = node.pods.put(podKey, pod);
    if (old == null) {
      node.handlers.forEach(h -> safely(() -> h.onAdd(pod)));
    } else {
      node.handlers.forEach(h -> safely(() -> h.onUpdate(old, pod)));
    }
  }

  private void safely(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.error("{}: a pod handler failed", name, e);
    }
  }

  @Override
  public void close() {
    closed = true;
    if (lag != null) {
      lag.close();
    }
    consumer.wakeup();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    nodes.values().forEach(e -> e.handlers.clear());
  }
}
