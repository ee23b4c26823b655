package io.capstan.stateviews.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.api.ConfigMap;
import io.capstan.api.Container;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.log.Command;
import io.capstan.log.CommandPatch;
import io.capstan.log.CommandOp;
import io.capstan.log.Event;
import io.capstan.log.Reply;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import io.capstan.stateviews.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The processor's topology in a {@link TopologyTestDriver} with a clock the test moves, and
 * helpers to send commands and read what came out.
 */
final class ProcessorHarness implements AutoCloseable {
  static final LogCodec CODEC = LogCodec.get();
  static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");

  final TopicLayout layout = new TopicLayout("test.");
  final ManualClock clock = new ManualClock(T0);
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final TopologyTestDriver driver;
  final TestInputTopic<String, byte[]> commands;
  final TestOutputTopic<String, byte[]> replies;
  final TestOutputTopic<String, byte[]> events;
  final TestOutputTopic<String, byte[]> podsByNode;
  private final Map<String, TestOutputTopic<String, byte[]>> state = new HashMap<>();
  private final String clientId = "client-" + UUID.randomUUID().toString().substring(0, 8);

  ProcessorHarness() {
    this(1);
  }

  ProcessorHarness(int partitions) {
    this(partitions, java.util.function.UnaryOperator.identity());
  }

  /** @param settings changes the processor's settings (the defaults, in-memory stores) */
  ProcessorHarness(int partitions, java.util.function.UnaryOperator<ProcessorConfig> settings) {
    ProcessorConfig cfg = settings.apply(ProcessorConfig.defaults(
            Map.of("bootstrap.servers", "unused:9092"), layout, KafkaFixture.tempDir("ttd"))
        .withInMemoryStores(true));
    Properties p = CommandProcessor.streamsProperties(cfg);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.METRICS_RECORDING_LEVEL_CONFIG, "DEBUG"); // punctuate-total: how often a task punctuated
    driver = new TopologyTestDriver(CommandTopology.build(cfg, registry, partitions, clock), p, T0);
    commands = driver.createInputTopic(layout.commands(), new StringSerializer(), new ByteArraySerializer());
    replies = driver.createOutputTopic(layout.replies(), new StringDeserializer(), new ByteArrayDeserializer());
    events = driver.createOutputTopic(layout.events(), new StringDeserializer(), new ByteArrayDeserializer());
    podsByNode = driver.createOutputTopic(layout.podsByNode(), new StringDeserializer(), new ByteArrayDeserializer());
    for (Kind k : Kinds.all()) {
      state.put(k.kind(), driver.createOutputTopic(layout.state(k), new StringDeserializer(), new ByteArrayDeserializer()));
    }
  }

  @Override
  public void close() {
    driver.close();
  }

  // ---- commands ----

  Command.Builder command(CommandOp op, Kind kind, String namespace, String name) {
    return Command.newBuilder()
        .setRequestId(UUID.randomUUID().toString()).setClientId(clientId)
        .setOp(op).setKind(kind.kind()).setNamespace(namespace).setName(name)
        .setActor("tester").setSentAtMicros(CommandApplier.micros(clock.instant()));
  }

  Command create(IndexedRecord object) {
    return withObject(CommandOp.CREATE, object);
  }

  Command update(IndexedRecord object) {
    return withObject(CommandOp.UPDATE, object);
  }

  Command updateStatus(IndexedRecord object) {
    return withObject(CommandOp.UPDATE_STATUS, object);
  }

  Command withObject(CommandOp op, IndexedRecord object) {
    Kind kind = Kinds.bySchema(object.getSchema()).orElseThrow();
    ObjectMeta meta = (ObjectMeta) object.get(object.getSchema().getField("metadata").pos());
    return command(op, kind, meta.getNamespace() == null ? "" : meta.getNamespace(), meta.getName())
        .setObject(ByteBuffer.wrap(CODEC.encode(object))).build();
  }

  /** The command as a gateway sends an update it computed from a PATCH: with the patch attached. */
  Command patched(Command update, String contentType, String body) {
    update.setPatch(new CommandPatch(contentType, body));
    return update;
  }

  Command delete(Kind kind, String namespace, String name) {
    return command(CommandOp.DELETE, kind, namespace, name).build();
  }

  /** Sends one command, keyed by its object key, and returns the one reply it got. */
  Reply send(Command cmd) {
    pipe(new ObjectKey(cmd.getKind(), cmd.getNamespace(), cmd.getName().isEmpty() ? "-" : cmd.getName()).toString(),
        CODEC.encode(cmd));
    List<TestRecord<String, byte[]>> got = replies.readRecordsToList();
    assertEquals(1, got.size(), "one reply per command");
    assertEquals(cmd.getClientId(), got.get(0).key(), "replies are keyed by client id");
    return CODEC.decode(got.get(0).value(), Reply.class);
  }

  /** Sends a command that must be accepted and returns the stored object from the reply. */
  <T extends SpecificRecord> T accept(Command cmd) {
    Reply r = send(cmd);
    if (!r.getAccepted()) {
      throw new AssertionError("expected " + cmd.getOp() + " " + cmd.getName() + " to be accepted: " + r.getStatus());
    }
    return object(r);
  }

  void pipe(String key, byte[] value) {
    commands.pipeInput(key, value, clock.instant());
  }

  // ---- outputs ----

  List<Event> events() {
    List<Event> out = new ArrayList<>();
    for (byte[] v : events.readValuesToList()) {
      out.add(CODEC.decode(v, Event.class));
    }
    return out;
  }

  List<TestRecord<String, byte[]>> stateRecords(Kind kind) {
    return state.get(kind.kind()).readRecordsToList();
  }

  /** Drains the replies, events and state topics. */
  void drain() {
    replies.readRecordsToList();
    events.readRecordsToList();
    podsByNode.readRecordsToList();
    state.values().forEach(TestOutputTopic::readRecordsToList);
  }

  KeyValueStore<String, byte[]> objectStore() {
    return driver.getKeyValueStore(CommandTopology.OBJECTS_STORE);
  }

  static <T extends SpecificRecord> T object(Reply r) {
    return r.getObject() == null ? null : CODEC.decode(bytes(r.getObject()));
  }

  static <T extends SpecificRecord> T object(Event e) {
    return e.getObject() == null ? null : CODEC.decode(bytes(e.getObject()));
  }

  static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }

  static String header(TestRecord<String, byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  // ---- objects ----

  static ObjectMeta.Builder meta(String namespace, String name) {
    return ObjectMeta.newBuilder().setNamespace(namespace).setName(name);
  }

  static Namespace namespace(String name) {
    return Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(name).build()).build();
  }

  static ConfigMap configMap(String namespace, String name, Map<String, String> data) {
    return ConfigMap.newBuilder().setMetadata(meta(namespace, name).build()).setData(data).build();
  }

  static Pod pod(String namespace, String name) {
    return Pod.newBuilder().setMetadata(meta(namespace, name).build())
        .setSpec(PodSpec.newBuilder().setContainers(List.of(Container.newBuilder().setName("app").setImage("busybox").build())).build())
        .build();
  }

  /** Creates namespace {@code name} and drains what that produced. */
  ProcessorHarness withNamespace(String name) {
    accept(create(namespace(name)));
    drain();
    return this;
  }

}
