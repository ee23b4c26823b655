package io.capstan.stateviews.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.metrics.ConsumerLag;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.capstan.stateviews.testing.KafkaFixture;
import io.capstan.stateviews.view.PodsByNodeTopic;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * {@code capstan_kafka_consumer_lag} on the real broker: a consumer that is behind reports how
 * far, per partition, and 0 once it has caught up; and every consumer a Capstan component runs
 * (command processor, informers, command client replies) exports it.
 */
class ConsumerLagTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void aConsumerBehindReportsItsLagPerPartitionAndDrainsToZero() throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(2);
    String topic = layout.events(); // "t….events": a '.' in the name, which Kafka also reports as '_'
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    Map<String, Object> p = new HashMap<>(kafka);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 1); // a batch per record, so a fetch can stop after one
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
        new ByteArraySerializer())) {
      for (int i = 0; i < 30; i++) {
        producer.send(new ProducerRecord<>(topic, 0, null, new byte[] {(byte) i}));
      }
      for (int i = 0; i < 10; i++) {
        producer.send(new ProducerRecord<>(topic, 1, null, new byte[] {(byte) i}));
      }
      producer.flush();
    }
    MeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Map<String, Object> c = new HashMap<>(kafka);
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1); // read one record per poll: the rest is lag
    // Fetch one batch at a time: the lag a fetch records is what the log still holds beyond it
    // (with one big fetch the client would record 0 while the records wait in its buffer).
    c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 1);
    c.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 1);
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, "lag-test");
    List<TopicPartition> tps = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
    ConsumerLag lag;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      lag = ConsumerLag.bind(registry, "test", "reader", consumer::metrics);
      assertTrue(lag.partitions().isEmpty(), "no gauge before the first fetch: " + lag.partitions());
      int read = 0;
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (lag.partitions().size() < 2 && System.nanoTime() < deadline) {
        read += consumer.poll(Duration.ofMillis(200)).count();
        lag.refresh();
      }
      assertEquals(Set.copyOf(tps), lag.partitions(), "one gauge per partition, under the real topic name");
      double behind = value(registry, "test", "reader", topic, 0) + value(registry, "test", "reader", topic, 1);
      assertTrue(behind > 0 && behind <= 40 - read + 1, "records behind after reading " + read + " of 40: " + behind);
      assertTrue(value(registry, "test", "reader", topic, 0) >= 10, "partition 0 had 30 records and was barely read: "
          + value(registry, "test", "reader", topic, 0));
      String scrape = ((PrometheusMeterRegistry) registry).scrape();
      assertTrue(scrape.contains("capstan_kafka_consumer_lag{component=\"test\",consumer=\"reader\",partition=\"0\",topic=\""
          + topic + "\"}"), scrape);

      while (System.nanoTime() < deadline && (read < 40 || value(registry, "test", "reader", topic, 0) > 0
          || value(registry, "test", "reader", topic, 1) > 0)) {
        read += consumer.poll(Duration.ofMillis(100)).count();
      }
      assertEquals(40, read);
      assertEquals(0.0, value(registry, "test", "reader", topic, 0), "caught up on partition 0");
      assertEquals(0.0, value(registry, "test", "reader", topic, 1), "caught up on partition 1");
      lag.close();
    }
    assertTrue(Search.in(registry).name(ConsumerLag.NAME).gauges().isEmpty(), "closing removes the gauges");
  }

  @Test
  void everyConsumerOfTheProcessorTheInformersAndTheClientExportsItsLag() throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(2);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    ProcessorConfig pc = ProcessorConfig.defaults(kafka, layout, KafkaFixture.tempDir("lag-processor"));
    try (CommandProcessor processor = new CommandProcessor(pc, registry);
        SharedInformers informers = new SharedInformers(InformerConfig.defaults(kafka, layout, "lagtest"), registry);
        CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "lagtest"), registry)) {
      processor.start();
      processor.awaitRunning(WAIT);
      Informer<ConfigMap> configMaps = informers.informerFor(Kinds.CONFIG_MAP, ConfigMap.class);
      informers.start();
      assertTrue(informers.awaitSynced(WAIT));
      Namespace ns = Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("lag").build()).build();
      assertInstanceOf(CommandResult.Accepted.class, client.create(ns).get(30, TimeUnit.SECONDS));
      CommandResult.Accepted created = null;
      for (int i = 0; i < 40 && created == null; i++) { // the namespace reaches the other partition a commit later
        ConfigMap cm = ConfigMap.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("lag").setName("c").build())
            .setData(Map.of("k", "v")).build();
        if (client.create(cm).get(30, TimeUnit.SECONDS) instanceof CommandResult.Accepted a) {
          created = a;
        } else {
          Thread.sleep(250);
        }
      }
      assertNotNull(created, "the ConfigMap was never accepted");
      assertTrue(configMaps.awaitApplied(created.partition(), created.resourceVersion(), WAIT));

      String component = CommandProcessor.COMPONENT;
      // Every partition of what each consumer reads, all caught up (0) once the writes are applied.
      await(() -> caughtUp(registry, component, CommandProcessor.CONSUMER, layout.commands(), 2),
          () -> "the processor's lag on " + layout.commands() + ": " + lags(registry));
      await(() -> caughtUp(registry, "lagtest", Informer.consumerName(Kinds.CONFIG_MAP), layout.state(Kinds.CONFIG_MAP), 2),
          () -> "the ConfigMap informer's lag: " + lags(registry));
      await(() -> caughtUp(registry, "lagtest", CommandClient.REPLY_CONSUMER, layout.replies(), 1),
          () -> "the command client's reply lag: " + lags(registry));
      String scrape = registry.scrape();
      assertTrue(scrape.contains("capstan_kafka_consumer_lag{component=\"state-views\",consumer=\"processor\",partition=\"1\",topic=\""
          + layout.commands() + "\"} 0.0"), scrape);
      assertTrue(!scrape.contains("topic=\"" + layout.commands().replace('.', '_') + "\""),
          "no second series under Kafka's deprecated underscored topic name");
      assertTrue(Search.in(registry).name(ConsumerLag.NAME).tag("topic", PodsByNodeTopic.name(layout)).gauges().isEmpty(),
          "nothing here reads the view topic");
    }
    assertTrue(Search.in(registry).name(ConsumerLag.NAME).gauges().isEmpty(), "closed consumers leave no lag gauge: "
        + lags(registry));
  }

  private static boolean caughtUp(MeterRegistry registry, String component, String consumer, String topic, int partitions) {
    var gauges = Search.in(registry).name(ConsumerLag.NAME).tag("component", component).tag("consumer", consumer)
        .tag("topic", topic).gauges();
    return gauges.size() == partitions && gauges.stream().allMatch(g -> g.value() == 0.0);
  }

  private static Set<String> lags(MeterRegistry registry) {
    Set<String> out = new TreeSet<>();
    for (Gauge g : Search.in(registry).name(ConsumerLag.NAME).gauges()) {
      out.add(g.getId().getTag("component") + "/" + g.getId().getTag("consumer") + "/" + g.getId().getTag("topic") + "-"
          + g.getId().getTag("partition") + "=" + g.value());
    }
    return out;
  }

  private static double value(MeterRegistry registry, String component, String consumer, String topic, int partition) {
    Gauge g = Search.in(registry).name(ConsumerLag.NAME).tag("component", component).tag("consumer", consumer)
        .tag("topic", topic).tag("partition", Integer.toString(partition)).gauge();
    assertNotNull(g, "no lag gauge for " + topic + "-" + partition + ": " + lags(registry));
    return g.value();
  }

  private static void await(BooleanSupplier condition, java.util.function.Supplier<String> what)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + WAIT + ": " + what.get());
      }
      Thread.sleep(100);
    }
  }
}
