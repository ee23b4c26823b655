package io.capstan.stateviews.kafka;

import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import java.time.Duration;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates Capstan's topics with the configured partition count, replication factor and
 * per-role configs; idempotent, so every component may call it at startup.
 */
public final class TopicAdmin {
  private static final Logger log = LoggerFactory.getLogger(TopicAdmin.class);

  /** Default partitions for one machine: enough for two stream threads, few enough to stay light. */
  public static final int DEFAULT_PARTITIONS = 4;

  private TopicAdmin() {}

  /** Every topic of a layout: commands, replies, events, one state table per kind, views, schemas. */
  public static List<String> topicsOf(TopicLayout layout) {
    List<String> names = new ArrayList<>(List.of(layout.commands(), layout.replies(), layout.events()));
    for (Kind k : Kinds.all()) {
      names.add(layout.state(k));
    }
    names.add(layout.podsByNode());
    names.add(layout.schemas());
    names.add(layout.access());
    return names;
  }

  /** Topics not keyed by object, whose partition count is their own. */
  private static boolean ownPartitionCount(TopicLayout layout, String topic) {
    return topic.equals(layout.replies()) || topic.equals(layout.schemas()) || topic.equals(layout.access());
  }

  /**
   * Creates the missing topics and checks existing ones. Object-keyed topics must all have the
   * same partition count (an object's command, events and state share a partition number), so
   * an existing topic with another count is an error, not something to paper over.
   *
   * @return the partition count in force
   */
  public static int ensureTopics(Map<String, Object> clientConfig, TopicLayout layout, int partitions, short replication) {
    Properties p = new Properties();
    p.putAll(clientConfig);
    p.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "capstan-topic-admin");
    try (Admin admin = Admin.create(p)) {
      List<String> wanted = topicsOf(layout);
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      int inForce = partitions;
      List<String> present = wanted.stream().filter(existing::contains)
          .filter(t -> !t.equals(layout.schemas())).toList();
      if (!present.isEmpty()) {
        Map<String, TopicDescription> d = admin.describeTopics(present).allTopicNames().get(30, TimeUnit.SECONDS);
        inForce = d.get(present.get(0)).partitions().size();
        for (TopicDescription td : d.values()) {
          if (!ownPartitionCount(layout, td.name()) && td.partitions().size() != inForce) {
            throw new IllegalStateException("topic " + td.name() + " has " + td.partitions().size()
                + " partitions but " + present.get(0) + " has " + inForce
                + ": object-keyed topics must share one partition count");
          }
        }
        if (inForce != partitions) {
          log.info("topics already exist with {} partitions; keeping that (asked for {})", inForce, partitions);
        }
      }
      List<NewTopic> create = new ArrayList<>();
      for (String t : wanted) {
        if (!existing.contains(t)) {
          // The schemas topic is small and read whole by everyone: one partition.
          int n = t.equals(layout.schemas()) ? 1 : inForce;
          create.add(new NewTopic(t, n, replication).configs(layout.configFor(t)));
        }
      }
      if (!create.isEmpty()) {
        try {
          admin.createTopics(create).all().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
        log.info("created {} topics with {} partitions (prefix {})", create.size(), inForce, layout.prefix());
        int count = inForce;
        awaitPartitionsOpen(p, create.stream().filter(t -> t.numPartitions() == count).map(NewTopic::name).toList(),
            count);
        awaitPartitionsOpen(p, create.stream().filter(t -> t.numPartitions() != count).map(NewTopic::name).toList(),
            1);
      }
      return inForce;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("creating Capstan topics on " + clientConfig.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG) + " failed: " + e, e);
    }
  }

  /**
   * Waits until every partition of the new topics answers an offsets lookup. A producer that
   * writes to a partition its leader has not opened yet gets NOT_LEADER, and a retried first
   * batch can then be refused as out of order (KAFKA-15591); waiting here spares every
   * writer that.
   */
  private static void awaitPartitionsOpen(Properties adminProps, List<String> topics, int partitions) {
    if (topics.isEmpty()) {
      return;
    }
    Properties p = new Properties();
    p.putAll(adminProps);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "capstan-topic-admin-probe");
    List<TopicPartition> all = new ArrayList<>();
    for (String t : topics) {
      for (int i = 0; i < partitions; i++) {
        all.add(new TopicPartition(t, i));
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      while (true) {
        try {
          c.endOffsets(all, Duration.ofSeconds(5));
          return;
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("new topics' partitions did not open within 60 s: " + topics, e);
          }
        }
      }
    }
  }

  /** The partition count of the commands topic (which every object-keyed topic shares). */
  public static int partitionsOf(Map<String, Object> clientConfig, TopicLayout layout) {
    Properties p = new Properties();
    p.putAll(clientConfig);
    try (Admin admin = Admin.create(p)) {
      return admin.describeTopics(List.of(layout.commands())).allTopicNames().get(30, TimeUnit.SECONDS)
          .get(layout.commands()).partitions().size();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("describing " + layout.commands() + ": " + e, e);
    }
  }

  /**
   * Creates the state topic of a kind registered at run time (a custom kind), with the partition
   * count and replication factor of the commands topic; a topic that exists already is kept.
   * Returns once every partition of it answers.
   */
  public static void ensureStateTopic(Map<String, Object> clientConfig, TopicLayout layout, Kind kind) {
    Properties p = new Properties();
    p.putAll(clientConfig);
    p.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "capstan-topic-admin");
    String topic = layout.state(kind);
    try (Admin admin = Admin.create(p)) {
      TopicDescription commands = admin.describeTopics(List.of(layout.commands())).allTopicNames()
          .get(30, TimeUnit.SECONDS).get(layout.commands());
      int partitions = commands.partitions().size();
      short replication = (short) commands.partitions().get(0).replicas().size();
      try {
        admin.createTopics(List.of(new NewTopic(topic, partitions, replication).configs(layout.configFor(topic))))
            .all().get(60, TimeUnit.SECONDS);
        log.info("created the state topic {} of {} ({} partitions)", topic, kind.kind(), partitions);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
      awaitPartitionsOpen(p, List.of(topic), partitions);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating " + topic, e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("creating the state topic " + topic + " failed: " + e, e);
    }
  }
}
