package io.capstan.stateviews.view;

import io.capstan.api.Pod;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.logschema.metrics.ConsumerLag;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
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
 * An informer of one node's pods, on the pods-by-node view: reads only the partition its node
 * hashes to (from the beginning; the topic is compacted) and keeps only that node's keys, so a
 * node agent's cost grows with its own pods, not the cluster's. Handlers hear adds, updates and
 * deletes on the reader's thread, after the cache is updated, like an informer's.
 */
public final class NodePodsReader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodePodsReader.class);
  static final Duration POLL = Duration.ofMillis(200);
  static final int FETCH_MAX_WAIT_MS = 20;
  public static final String CONSUMER = "node-pods";

  private final String nodeName;
  private final String prefix;
  private final TopicPartition partition;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Map<String, Pod> pods = new ConcurrentHashMap<>();
  private final List<ResourceEventHandler<Pod>> handlers = new CopyOnWriteArrayList<>();
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
    if (nodeName == null || nodeName.isEmpty() || nodeName.contains("/")) {
      throw new IllegalArgumentException("node name must be non-empty without '/', got \"" + nodeName + "\"");
    }
    this.nodeName = nodeName;
    this.prefix = nodeName + "/";
    Map<String, Object> props = new HashMap<>(kafka);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, FETCH_MAX_WAIT_MS);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "node-pods-" + nodeName);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    String topic = PodsByNodeTopic.name(layout);
    int partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).size();
    if (partitions == 0) {
      consumer.close(Duration.ZERO);
      throw new IllegalStateException("topic " + topic + " does not exist: is the pods-by-node view running?");
    }
    this.partition = new TopicPartition(topic, PodsByNodeTopic.partitionOf(nodeName, partitions));
    this.thread = new Thread(this::run, "capstan-node-pods-" + nodeName);
    this.thread.setDaemon(true);
    this.lag = registry == null ? null : ConsumerLag.bind(registry, "node-" + nodeName, CONSUMER, consumer::metrics);
  }

  /** Registers a handler; call before {@link #start()} to hear every pod as an add. */
  public void addHandler(ResourceEventHandler<Pod> handler) {
    handlers.add(handler);
  }

  public void start() {
    log.info("watching the pods of node {} on {}", nodeName, partition);
    thread.start();
  }

  /** True once everything the view held when the reader started has been read. */
  public boolean awaitSynced(Duration timeout) throws InterruptedException {
    return synced.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public boolean hasSynced() {
    return synced.getCount() == 0;
  }

  /** The node's pods, by pod object key ({@code Pod/namespace/name}). */
  public Map<String, Pod> pods() {
    return Map.copyOf(pods);
  }

  public Optional<Pod> get(String namespace, String name) {
    return Optional.ofNullable(pods.get("Pod/" + namespace + "/" + name));
  }

  private void run() {
    try {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition)).get(partition);
      if (end == 0) {
        synced.countDown();
      }
      while (!closed) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
          apply(r);
        }
        if (synced.getCount() > 0 && consumer.position(partition) >= end) {
          log.info("node {}: pods synced ({} pods)", nodeName, pods.size());
          synced.countDown();
        }
      }
    } catch (WakeupException e) {
      if (!closed) {
        log.error("node pods reader of {} woken unexpectedly", nodeName, e);
      }
    } catch (RuntimeException e) {
      log.error("node pods reader of {} failed", nodeName, e);
    } finally {
      consumer.close(Duration.ZERO);
    }
  }

  private void apply(ConsumerRecord<String, byte[]> r) {
    String key = r.key();
    if (key == null || !key.startsWith(prefix)) {
      return; // another node's pod on the same partition
    }
    String podKey = PodsByNodeTopic.podKeyOf(key);
    if (r.value() == null) {
      Pod gone = pods.remove(podKey);
      if (gone != null) {
        handlers.forEach(h -> safely(() -> h.onDelete(gone)));
      }
      return;
    }
    Pod pod;
    try {
      pod = LogCodec.get().decode(r.value(), Pod.class);
    } catch (RuntimeException e) {
      log.warn("node {}: skipping an unreadable record of {} at offset {}: {}", nodeName, podKey, r.offset(),
          e.getMessage());
      return;
    }
    Pod old = pods.put(podKey, pod);
    if (old == null) {
      handlers.forEach(h -> safely(() -> h.onAdd(pod)));
    } else {
      handlers.forEach(h -> safely(() -> h.onUpdate(old, pod)));
    }
  }

  private void safely(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.error("node {}: a pod handler failed", nodeName, e);
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
    handlers.clear();
  }
}
