package io.capstan.stateviews.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.api.CustomResourceDefinition;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.log.Event;
import io.capstan.log.EventOp;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.codec.MalformedRecordException;
import io.capstan.logschema.codec.RecordedSchema;
import io.capstan.logschema.codec.SchemaLog;
import io.capstan.logschema.codec.SchemaStore;
import io.capstan.logschema.crd.CustomKindSchema;
import io.capstan.logschema.crd.CustomResourceDefinitions;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.audit.AuditEntry;
import io.capstan.stateviews.audit.AuditQuery;
import io.capstan.stateviews.audit.AuditTrail;
import io.capstan.stateviews.kafka.LogReader;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorChild;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A custom kind's schema changes under a running processor (a field added, one removed, an int32
 * widened to int64); afterwards a fresh codec, which has registered nothing, replays and verifies
 * the whole log and audits every object, finding the writer schemas in the schemas topic.
 */
class SchemaChangeReplayKafkaTest {
  private static final String DEFINITION = "dials.schemas.example.com";
  private static final String NS = "dials";
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String CRD_V1 = """
      apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata: {name: dials.schemas.example.com}
      spec:
        group: schemas.example.com
        scope: Namespaced
        names: {plural: dials, singular: dial, kind: Dial}
        versions:
        - name: v1
          served: true
          storage: true
          schema:
            openAPIV3Schema:
              type: object
              properties:
                spec:
                  type: object
                  properties:
                    size: {type: integer, format: int32}
                    color: {type: string}
                    label: {type: string}
      """;
  /** The same definition after its schema changed: color removed, shape added, size widened to int64. */
  private static final String CRD_V2 = CRD_V1
      .replace("size: {type: integer, format: int32}", "size: {type: integer}")
      .replace("color: {type: string}", "shape: {type: string}");

  private static TopicLayout layout;
  private static Map<String, Object> kafka;
  private static Schema before;
  private static Schema after;
  /** Every accepted write of a Dial, in order: op and name. */
  private static final List<String> writes = new ArrayList<>();

  @BeforeAll
  static void historyAcrossASchemaChange() throws Exception {
    layout = KafkaFixture.freshLayout(2);
    kafka = KafkaFixture.clientConfig();
    ProcessorConfig pc = ProcessorConfig.defaults(kafka, layout, KafkaFixture.tempDir("schema-change"));
    try (CommandProcessor processor = new CommandProcessor(pc, new SimpleMeterRegistry());
        CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "schema-change"),
            new SimpleMeterRegistry())) {
      processor.start();
      processor.awaitRunning(Duration.ofSeconds(60));
      accepted(client.create(Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(NS).build()).build()));
      CustomResourceDefinition v1 = accepted(client.create(crd(CRD_V1, null))).objectAs(CustomResourceDefinition.class);
      assertTrue(CustomResourceDefinitions.established(v1), "established: " + v1.getStatus());
      before = Kinds.byName("Dial").orElseThrow().schema();

      write(client, "create", dial("a", "size: 3\n  color: red\n  label: first"));
      write(client, "create", dial("b", "size: 7\n  color: blue"));
      write(client, "create", dial("d", "size: 1\n  color: gray"));
      write(client, "update", dial("a", "size: 4\n  color: green\n  label: first"));

      // The schema changes: the processor registers the new kind as soon as it wrote the definition.
      accepted(client.update(crd(CRD_V2, v1.getMetadata().getResourceVersion())));
      after = Kinds.byName("Dial").orElseThrow().schema();
      assertNotEquals(SchemaStore.fingerprint(before), SchemaStore.fingerprint(after));

      write(client, "create", dial("c", "size: 5000000000\n  shape: round"));
      write(client, "update", dial("b", "size: 8\n  shape: square")); // stored under the old schema
      write(client, "delete", dial("c", ""));
      write(client, "create", dial("c", "size: 6000000000\n  shape: oval"));
      // "a" is left as written under the old schema: the live table holds a record of each schema.
    }
    // A processor in a JVM of its own, which never saw the old schema, takes over the state and
    // updates "d", stored under the old schema: it reads that schema from the schemas topic.
    // Compaction leaves only the latest definition in its table, in time; do now what it will do,
    // so the new processor cannot learn the old schema from the old definition.
    dropAllButTheLatestDefinition();
    Process child = startChildProcessor();
    try (CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "schema-change-2"),
        new SimpleMeterRegistry())) {
      write(client, "update", dial("d", "size: 10\n  shape: star"));
    } finally {
      child.destroyForcibly().waitFor();
    }
    // From here on nothing in this process learns the kind's schemas again.
  }

  private static void dropAllButTheLatestDefinition() throws Exception {
    String topic = layout.state(Kinds.CUSTOM_RESOURCE_DEFINITION);
    String key = new ObjectKey("CustomResourceDefinition", "", DEFINITION).toString();
    Map<TopicPartition, Long> latest = new HashMap<>();
    LogReader.readAll(kafka, topic, r -> {
      if (key.equals(r.key())) {
        latest.put(new TopicPartition(r.topic(), r.partition()), r.offset());
      }
    });
    assertEquals(1, latest.size(), "the definition's records: " + latest);
    try (Admin admin = Admin.create(kafka)) {
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      // Kafka deletes records only where the policy includes delete; retention stays unlimited.
      admin.incrementalAlterConfigs(Map.of(resource, List.of(
          new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact,delete"), AlterConfigOp.OpType.SET),
          new AlterConfigOp(new ConfigEntry("retention.ms", "-1"), AlterConfigOp.OpType.SET)))).all()
          .get(30, TimeUnit.SECONDS);
      Map<TopicPartition, RecordsToDelete> delete = new HashMap<>();
      latest.forEach((tp, offset) -> delete.put(tp, RecordsToDelete.beforeOffset(offset)));
      for (int attempt = 0; ; attempt++) { // the config change reaches the partition leader shortly
        try {
          admin.deleteRecords(delete).all().get(30, TimeUnit.SECONDS);
          break;
        } catch (java.util.concurrent.ExecutionException e) {
          if (attempt > 50) {
            throw e;
          }
          Thread.sleep(100);
        }
      }
    }
    int[] left = new int[1];
    LogReader.readAll(kafka, topic, r -> left[0] += key.equals(r.key()) ? 1 : 0);
    assertEquals(1, left[0], "only the latest definition is left");
  }

  private static Process startChildProcessor() throws Exception {
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx384m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
        ProcessorChild.class.getName(), KafkaFixture.bootstrap(), layout.prefix(),
        KafkaFixture.tempDir("schema-change-child").toString());
    File out = KafkaFixture.tempDir("schema-change-child-log").resolve("child.log").toFile();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out).start();
    // Its global stores are read first, one partition after another: each switch used to wait out
    // the global consumer's 5 s fetch (about two minutes here) until GlobalRestoreConsumer.
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      if (out.exists() && Files.readString(out.toPath(), StandardCharsets.UTF_8).contains("CAPSTAN-PROCESSOR-RUNNING")) {
        return p;
      }
      if (!p.isAlive()) {
        throw new AssertionError("the child processor exited with " + p.exitValue() + ":\n" + Files.readString(out.toPath()));
      }
      Thread.sleep(50);
    }
    p.destroyForcibly().waitFor();
    throw new AssertionError("the child processor did not start in 90 s:\n" + Files.readString(out.toPath()));
  }

  @AfterAll
  static void forgetTheKind() {
    CustomResourceDefinitions.unfollow(DEFINITION);
    Kinds.unregister("Dial");
  }

  @Test
  void theSchemasTopicHoldsEveryWriterSchemaOfTheKind() {
    try (SchemaLog schemas = SchemaLog.open(kafka, layout)) {
      assertEquals(2, schemas.size());
      RecordedSchema old = schemas.recorded(SchemaStore.fingerprint(before));
      assertNotNull(old, "the schema before the change is recorded");
      assertEquals("Dial", old.kind());
      assertEquals("schemas.example.com", old.group());
      assertEquals(before, old.schema());
      assertEquals(after, schemas.recorded(SchemaStore.fingerprint(after)).schema());
    }
  }

  @Test
  void aFreshCodecReplaysAndVerifiesAcrossTheChange() {
    LogCodec fresh = LogCodec.builtInOnly();
    // Fresh indeed: without the schemas topic an object of the old schema is unknown to it.
    byte[] oldObject = firstObjectOf("Dial/" + NS + "/a");
    assertEquals(SchemaStore.fingerprint(before), LogCodec.fingerprintOf(oldObject));
    MalformedRecordException unknown = assertThrows(MalformedRecordException.class, () -> fresh.decode(oldObject));
    assertTrue(unknown.getMessage().contains("no schema source is attached"), unknown.getMessage());

    Map<String, Set<Long>> history = new HashMap<>();
    IncarnationCheck incarnations = new IncarnationCheck();
    StateDigest live = Replay.liveState(kafka, layout, fresh);
    Replay.Result replayed = Replay.fromEvents(kafka, layout, Long.MAX_VALUE, history, incarnations, fresh);
    assertEquals(0, replayed.skipped(), replayed.firstProblem());
    assertTrue(incarnations.holds(), incarnations.summary(10));
    Replay.Comparison cmp = Replay.compare(replayed.state(), live, history);
    assertTrue(cmp.matches(), cmp.summary(20));
    assertTrue(cmp.lagging().isEmpty(), "lagging " + cmp.lagging());
    assertEquals(Set.of("Dial/dials/a", "Dial/dials/b", "Dial/dials/c", "Dial/dials/d"), dialKeys(replayed.state()));

    // Every object resolves into the current schema: the removed field is gone, the widened one is a long.
    GenericRecord a = fresh.decode(replayed.state().objects().get("Dial/dials/a"));
    assertEquals(after, a.getSchema());
    GenericRecord aSpec = (GenericRecord) a.get("spec");
    assertEquals(4L, aSpec.get("size"));
    assertEquals("first", aSpec.get("label").toString());
    assertNull(aSpec.get("shape"));
    assertNull(a.getSchema().getField("spec").schema().getTypes().get(1).getField("color"));
    GenericRecord c = (GenericRecord) ((GenericRecord) fresh.decode(replayed.state().objects().get("Dial/dials/c")))
        .get("spec");
    assertEquals(6_000_000_000L, c.get("size"));
    assertEquals("oval", c.get("shape").toString());
    GenericRecord d = (GenericRecord) ((GenericRecord) fresh.decode(replayed.state().objects().get("Dial/dials/d")))
        .get("spec");
    assertEquals(10L, d.get("size"), "the child processor's update");
    assertEquals("star", d.get("shape").toString());
  }

  @Test
  void auditShowsEveryObjectAsItsSchemaWroteIt() {
    LogCodec fresh = LogCodec.builtInOnly(); // knows no current schema of Dial: each object as written
    List<AuditEntry> entries = new AuditTrail(kafka, layout, fresh).query(new AuditQuery(Optional.of("Dial"),
        Optional.of(NS), Optional.empty(), Optional.empty(), 0, Long.MAX_VALUE), true);
    assertEquals(writes, entries.stream().map(e -> e.op() + " " + e.name()).toList());
    for (AuditEntry e : entries) {
      assertNull(e.objectError(), e.object() + ": " + e.objectError());
      assertNotNull(e.responseObject(), e.object() + " carries its object");
    }
    JsonNode firstA = KubeJson.parse(entries.get(0).responseObject());
    assertEquals("red", firstA.path("spec").path("color").asText(), firstA.toString());
    assertEquals(3, firstA.path("spec").path("size").asInt());
    JsonNode firstC = KubeJson.parse(entries.get(writes.indexOf("CREATED c")).responseObject());
    assertEquals(5_000_000_000L, firstC.path("spec").path("size").asLong(), firstC.toString());
    assertEquals("round", firstC.path("spec").path("shape").asText());
    assertTrue(firstC.path("spec").path("color").isMissingNode(), firstC.toString());
  }

  @Test
  void aFingerprintInNoSchemaSourceIsAClearError() throws Exception {
    // A Dial written under a schema nobody recorded (a third shape of the definition).
    Schema unrecorded = CustomKindSchema.derive("schemas.example.com", "Dial", KubeJson.parse("""
        {"type": "object", "properties": {"spec": {"type": "object", "properties": {"weight": {"type": "number"}}}}}
        """));
    long fp = SchemaStore.fingerprint(unrecorded);
    LogCodec writer = LogCodec.builtInOnly();
    GenericData.Record spec = new GenericData.Record(unrecorded.getField("spec").schema().getTypes().get(1));
    spec.put("weight", 1.5);
    GenericData.Record stray = new GenericData.Record(unrecorded);
    stray.put("metadata", ObjectMeta.newBuilder().setName("stray").setNamespace(NS).build());
    stray.put("spec", spec);
    byte[] bytes = writer.encode(stray);

    LogCodec fresh = LogCodec.builtInOnly();
    try (SchemaLog schemas = SchemaLog.open(kafka, layout, Duration.ofMillis(300))) {
      fresh.addSource(schemas);
      MalformedRecordException e = assertThrows(MalformedRecordException.class, () -> fresh.decode(bytes));
      assertTrue(e.getMessage().startsWith("unknown schema fingerprint " + RecordedSchema.key(fp)), e.getMessage());
      assertTrue(e.getMessage().contains(layout.schemas()), e.getMessage());
      // A recorded one still decodes through the same source.
      assertNotNull(fresh.decode(firstObjectOf("Dial/" + NS + "/a")));
    }

    // In the event log, replay counts it as unreadable and names it.
    TopicLayout other = KafkaFixture.freshLayout(1);
    Event event = Event.newBuilder().setOp(EventOp.CREATED).setKind("Dial").setNamespace(NS).setName("stray")
        .setTimeMicros(1).setResourceVersion(1).setObject(ByteBuffer.wrap(bytes)).build();
    Properties p = new Properties();
    p.putAll(kafka);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
        new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(other.events(), 0, "Dial/dials/stray", writer.encode(event))).get();
    }
    Replay.Result r = Replay.fromEvents(kafka, other, Long.MAX_VALUE, null, null, LogCodec.builtInOnly());
    assertEquals(1, r.skipped());
    assertTrue(r.firstProblem().contains("unknown schema fingerprint " + RecordedSchema.key(fp)), r.firstProblem());
  }

  // ---- helpers ----

  private static Set<String> dialKeys(StateDigest state) {
    Set<String> keys = new HashSet<>();
    state.objects().keySet().stream().filter(k -> k.startsWith("Dial/")).forEach(keys::add);
    return keys;
  }

  /** The object of the first event of a key, as the processor encoded it. */
  private static byte[] firstObjectOf(String key) {
    byte[][] found = new byte[1][];
    LogReader.readAll(kafka, layout.events(), r -> {
      if (found[0] == null && key.equals(r.key())) {
        Event e = LogCodec.get().decode(r.value(), Event.class);
        byte[] b = new byte[e.getObject().remaining()];
        e.getObject().duplicate().get(b);
        found[0] = b;
      }
    });
    assertNotNull(found[0], "an event of " + key);
    return found[0];
  }

  private static CustomResourceDefinition crd(String yaml, String resourceVersion) {
    CustomResourceDefinition crd = KubeJson.<CustomResourceDefinition>fromText(Kinds.CUSTOM_RESOURCE_DEFINITION,
        yaml).object();
    crd.getMetadata().setResourceVersion(resourceVersion);
    return crd;
  }

  private static String dial(String name, String spec) {
    return name + (spec.isEmpty() ? "" : "\n  " + spec);
  }

  /** Writes a Dial through the processor ("name" then the spec's lines) and notes the write. */
  private static void write(CommandClient client, String op, String nameAndSpec) throws Exception {
    String name = nameAndSpec.lines().findFirst().orElseThrow();
    String spec = nameAndSpec.substring(name.length());
    Kind kind = Kinds.byName("Dial").orElseThrow();
    CommandResult.Accepted done;
    if (op.equals("delete")) {
      done = accepted(client.delete(kind, NS, name, null));
      writes.add("DELETED " + name);
      return;
    }
    IndexedRecord object = KubeJson.fromText(kind, "apiVersion: schemas.example.com/v1\nkind: Dial\n"
        + "metadata: {name: " + name + ", namespace: " + NS + "}\nspec:" + spec + "\n").object();
    done = accepted(op.equals("create") ? client.create(object) : client.update(object));
    assertEquals(kind.schema(), done.object().getSchema());
    writes.add((op.equals("create") ? "CREATED " : "UPDATED ") + name);
  }

  private static CommandResult.Accepted accepted(CompletableFuture<CommandResult> f) throws Exception {
    CommandResult r = f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    if (r instanceof CommandResult.Rejected rejected) {
      fail("refused: " + rejected.status().getMessage());
    }
    return (CommandResult.Accepted) r;
  }
}
